"""The shop's enrolment calls wait out a system still draining a load run (503/504 with
Retry-After), and give up with what the system last answered."""

import httpx

from sandbox.load import shop


def client(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return httpx.Client(base_url="http://sut", transport=httpx.MockTransport(answer))


def test_a_busy_answer_is_sent_again_until_served():
    seen: list[httpx.Request] = []
    busy = httpx.Response(503, headers={"Retry-After": "0"})
    limited = httpx.Response(429, headers={"Retry-After": "0"})
    answers = [busy, httpx.Response(504), limited, httpx.Response(201, json={"ok": 1})]
    with client(answers, seen) as http:
        response = shop._send(http, "POST", "/v1/products", json={"sku": "S"})
    assert response.status_code == 201 and len(seen) == 4
    assert all(r.content == b'{"sku":"S"}' for r in seen)  # the same call each time


def test_other_answers_are_not_sent_again():
    seen: list[httpx.Request] = []
    with client([httpx.Response(401)], seen) as http:
        assert shop._send(http, "POST", "/v1/admin/clients").status_code == 401
    assert len(seen) == 1


def test_a_system_busy_for_too_long_gives_its_last_answer(monkeypatch):
    monkeypatch.setattr(shop, "BUSY_FOR_S", 0.0)
    seen: list[httpx.Request] = []
    with client([httpx.Response(503, headers={"Retry-After": "0"})], seen) as http:
        assert shop._send(http, "GET", "/v1/products").status_code == 503
    assert 1 <= len(seen) <= 2
