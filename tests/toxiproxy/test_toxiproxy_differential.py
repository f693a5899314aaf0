"""The project's server beside the reference Toxiproxy 2.12: the same requests, the same
answers (status, body, the headers a client sees), the same CLI output. Socket-level
comparisons of the toxics are in ``test_toxiproxy_differential_fidelity.py``.

Skipped, with the reason, where the reference build is absent (see ``reference.py``).
"""

from __future__ import annotations

import re

import pytest

from tests.toxiproxy import differential
from tests.toxiproxy.differential import Side, compare
from tests.toxiproxy.netutil import EchoServer, ServerProcess, connect, recv_exactly
from tests.toxiproxy.reference import REQUEST_ID, ReferenceServer, run_cli

pytestmark = pytest.mark.timeout(60)


P = {"listen": "127.0.0.1:0", "upstream": "{ECHO}"}  # a proxy on a free port to the echo

CASES: dict[str, list[tuple]] = {
    "routing": [
        ("GET", "/version"),
        ("GET", "/proxies"),
        ("GET", "/proxies/"),
        ("GET", "/nothing"),
        ("PUT", "/proxies"),
        ("HEAD", "/version"),
        ("DELETE", "/reset"),
        ("GET", "//proxies"),
        ("GET", "/proxies/./x/../"),
        ("GET", "/proxies?x=1"),
        ("POST", "/proxies", {"name": "a/b", **P}),
        ("GET", "/proxies/a%2Fb"),
        ("POST", "/proxies", {"name": "p", **P}),
        ("GET", "/proxies/p/"),
        ("GET", "/proxies/p/toxics/"),
        ("GET", "/proxies/p/toxics/x/"),
    ],
    "browsers": [
        ("GET", "/proxies", None, {"User-Agent": "Mozilla/5.0"}),
        ("GET", "/nothing", None, {"User-Agent": "Mozilla/5.0"}),
        ("DELETE", "/proxies", None, {"User-Agent": "Mozilla/5.0"}),
        ("GET", "/version", None, {"User-Agent": "curl/8"}),
    ],
    "proxy create errors": [
        ("POST", "/proxies", ""),
        ("POST", "/proxies", "   "),
        ("POST", "/proxies", "{bad"),
        ("POST", "/proxies", '{"name" 1}'),
        ("POST", "/proxies", '{"name": 1,, }'),
        ("POST", "/proxies", '{"name": "q", "upstream": "{ECHO}"'),
        ("POST", "/proxies", "[1"),
        ("POST", "/proxies", "[]"),
        ("POST", "/proxies", '"x"'),
        ("POST", "/proxies", "null"),
        ("POST", "/proxies", '{"name": "t", "upstream": "{ECHO}", "enabled": tru}'),
        ("POST", "/proxies", '{"name": "t", "upstream": "{ECHO}", "enabled": "yes"}'),
        ("POST", "/proxies", '{"name": "t", "upstream": "{ECHO}", "enabled": 1}'),
        ("POST", "/proxies", '{"name": "t\\x"}'),
        ("POST", "/proxies", '{"name": "t\n"}'),
        ("POST", "/proxies", '{"name": -}'),
        ("POST", "/proxies", {"name": "x"}),
        ("POST", "/proxies", {"upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": 5, "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "l", "upstream": "{ECHO}", "Logger": 5}),
        ("POST", "/proxies", {"name": "", "upstream": "{ECHO}"}),
        ("GET", "/proxies"),
    ],
    "proxy create": [
        ("POST", "/proxies", {"name": "a", **P}),
        ("POST", "/proxies", {"name": "a", **P}),
        ("POST", "/proxies", '{"NAME": "up", "UPSTREAM": "{ECHO}", "Listen": "127.0.0.1:0"} x'),
        ("POST", "/proxies", {"name": "n", **P, "enabled": None}),
        ("POST", "/proxies", {"name": "off", **P, "enabled": False}),
        ("POST", "/proxies", {"name": "<&>\u00e9\u2028", **P}),
        ("POST", "/proxies", {"name": "a->b", **P}),
        ("POST", "/proxies", {"name": "bad-up", "listen": "127.0.0.1:0", "upstream": "nohost"}),
        ("GET", "/proxies"),
        ("GET", "/proxies/off"),
        ("GET", "/proxies/nope"),
        ("DELETE", "/proxies/a"),
        ("DELETE", "/proxies/a"),
    ],
    "listen addresses": [
        ("POST", "/proxies", {"name": "empty", "listen": "", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "none", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "host", "listen": "localhost:0", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "any4", "listen": "0.0.0.0:0", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "any6", "listen": "[::]:0", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "colon", "listen": ":0", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "v6", "listen": "[::1]:0", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "fixed", "listen": "127.0.0.1:{PORT:f}",
                              "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "taken", "listen": "127.0.0.1:{PORT:f}",
                              "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "e1", "listen": "nohost", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "e2", "listen": "127.0.0.1:99999", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "e3", "listen": "a:b:1", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "e4", "listen": "[::1", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "e5", "listen": "[::1]x:1", "upstream": "{ECHO}"}),
        ("POST", "/proxies", {"name": "off", "listen": "localhost:0", "upstream": "{ECHO}",
                              "enabled": False}),
        ("GET", "/proxies"),
        ("PATCH", "/proxies/off", {"enabled": True}),
    ],
    "proxy update": [
        ("POST", "/proxies", {"name": "p", **P}),
        ("PATCH", "/proxies/p", {"enabled": False}),
        ("GET", "/proxies/p"),
        ("POST", "/proxies/p", {"enabled": True}),
        ("PATCH", "/proxies/p", {"listen": "127.0.0.1:{PORT:u}"}),
        ("PATCH", "/proxies/p", {"upstream": "127.0.0.1:9"}),
        ("PATCH", "/proxies/p", {"listen": "nohost"}),
        ("PATCH", "/proxies/p", {"listen": ""}),
        ("PATCH", "/proxies/p", ""),
        ("PATCH", "/proxies/p", "null"),
        ("PATCH", "/proxies/p", "[]"),
        ("PATCH", "/proxies/p", {"enabled": "x"}),
        ("PATCH", "/proxies/p", {"name": "renamed"}),
        ("PATCH", "/proxies/p", {"enabled": False, "listen": "127.0.0.1:0"}),
        ("GET", "/proxies/p"),
        ("PATCH", "/proxies/nope", {"enabled": False}),
        ("POST", "/reset"),
        ("GET", "/proxies"),
    ],
    "toxic create": [
        ("POST", "/proxies", {"name": "p", **P}),
        ("POST", "/proxies/p/toxics", {"type": "slicer"}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "stream": "UPSTREAM"}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "stream": ""}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "stream": "sideways"}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "neg",
                                       "attributes": {"latency": -5, "jitter": -1}}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "s",
                                       "attributes": {"latency": "x"}}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "f",
                                       "attributes": {"latency": 1.5}}),
        ("POST", "/proxies/p/toxics", ('{"type": "latency", "name": "e", '
                                      '"attributes": {"latency": 1e3}}')),
        ("POST", "/proxies/p/toxics", ('{"type": "latency", "name": "big", '
                                      '"attributes": {"latency": 99999999999999999999}}')),
        ("POST", "/proxies/p/toxics", {"type": "slicer", "name": "sl",
                                       "attributes": {"delay": "x"}}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "tox", "toxicity": 3}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "tox2", "toxicity": 0.3}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "tox3", "toxicity": -0.25}),
        ("POST", "/proxies/p/toxics", '{"type": "latency", "name": "t4", "toxicity": 1e-7}'),
        ("POST", "/proxies/p/toxics", '{"type": "latency", "name": "t5", "toxicity": 1e40}'),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "t6", "toxicity": "1"}),
        ("POST", "/proxies/p/toxics", {"type": "bandwidth", "name": "bw0"}),
        ("POST", "/proxies/p/toxics", {"type": "bogus"}),
        ("POST", "/proxies/p/toxics", {"type": 5}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "q", "attributes": [1]}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "q", "attributes": 5}),
        ("POST", "/proxies/p/toxics", {"type": "noop", "attributes": {"x": 1}}),
        ("POST", "/proxies/p/toxics", {"type": "timeout", "name": "neg",
                                       "attributes": {"timeout": "x"}}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "C",
                                       "attributes": {"LATENCY": 10}}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "name": "", "stream": "upstream"}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "stream": "upstream"}),
        ("POST", "/proxies/p/toxics", "[]"),
        ("POST", "/proxies/p/toxics", "null"),
        ("POST", "/proxies/p/toxics", ""),
        ("POST", "/proxies/nope/toxics", {"type": "latency"}),
        ("GET", "/proxies/p/toxics"),
        ("GET", "/proxies/p"),
    ],
    "toxic update and delete": [
        ("POST", "/proxies", {"name": "p", **P}),
        ("POST", "/proxies/p/toxics", {"type": "latency", "attributes": {"latency": 5}}),
        ("POST", "/proxies/p/toxics", {"type": "reset_peer", "stream": "upstream",
                                       "attributes": {"timeout": 5}}),
        ("POST", "/proxies/p/toxics/latency_downstream", {"attributes": {"latency": 7}}),
        ("PATCH", "/proxies/p/toxics/latency_downstream", {"toxicity": 0.5}),
        ("PATCH", "/proxies/p/toxics/latency_downstream", {"attributes": {"jitter": 2},
                                                          "name": "x", "stream": "upstream"}),
        ("PATCH", "/proxies/p/toxics/latency_downstream", ""),
        ("PATCH", "/proxies/p/toxics/latency_downstream", "null"),
        ("PATCH", "/proxies/p/toxics/latency_downstream", "[]"),
        ("PATCH", "/proxies/p/toxics/latency_downstream", {"attributes": [1]}),
        ("PATCH", "/proxies/p/toxics/latency_downstream", {"attributes": {"latency": "x"}}),
        ("PATCH", "/proxies/p/toxics/latency_downstream", {"toxicity": "x"}),
        ("PATCH", "/proxies/p/toxics/reset_peer_upstream", {"attributes": {"timeout": 1.5}}),
        ("PATCH", "/proxies/p/toxics/nope", {"toxicity": 0.5}),
        ("GET", "/proxies/p/toxics/latency_downstream"),
        ("GET", "/proxies/p/toxics/nope"),
        ("GET", "/proxies/p/toxics"),
        ("DELETE", "/proxies/p/toxics/latency_downstream"),
        ("DELETE", "/proxies/p/toxics/latency_downstream"),
        ("DELETE", "/proxies/nope/toxics/x"),
        ("POST", "/reset"),
        ("GET", "/proxies/p"),
    ],
    "populate": [
        ("POST", "/populate", ""),
        ("POST", "/populate", "null"),
        ("POST", "/populate", "[]"),
        ("POST", "/populate", "{}"),
        ("POST", "/populate", "[null]"),
        ("POST", "/populate", "[1]"),
        ("POST", "/populate", [{"name": 1}]),
        ("POST", "/populate", [{"name": "a", **P}, {"name": "b"}]),
        ("GET", "/proxies"),
        ("POST", "/populate", [{"name": "a", **P}, {"name": "b", "listen": "nohost",
                                                  "upstream": "{ECHO}"}, {"name": "c", **P}]),
        ("GET", "/proxies"),
        ("POST", "/populate", [{"name": "x", **P}, {"name": "x", **P, "enabled": False}]),
        ("GET", "/proxies/x"),
        ("POST", "/populate", [{"name": "a", **P, "enabled": False}]),
        ("POST", "/populate", '[{"name": "z", "upstream": "{ECHO}", "listen": "127.0.0.1:0"}] .'),
        ("POST", "/populate", [{"name": "k", "listen": "127.0.0.1:{PORT:k}", "upstream": "{ECHO}"}]),
        ("POST", "/populate", [{"name": "k", "listen": "127.0.0.1:{PORT:k}", "upstream": "{ECHO}",
                                "enabled": False}]),
        ("POST", "/populate", [{"name": "k", "listen": "127.0.0.1:{PORT:k}",
                                "upstream": "127.0.0.1:9"}]),
        ("POST", "/populate", [{"name": "k", "listen": "nohost", "upstream": "{ECHO}"}]),
        ("GET", "/proxies"),
    ],
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_the_api_answers_as_the_reference_does(sides: list[Side], case: str):
    for step in CASES[case]:
        compare(sides, *step)


def test_request_ids_are_fresh_xids_and_a_clients_own_is_ignored(sides: list[Side]):
    for side in sides:
        ids = [side.send("GET", "/version", headers={"X-Toxiproxy-Request-Id": "mine"})
               .headers["x-toxiproxy-request-id"] for _ in range(3)]
        assert all(REQUEST_ID.match(i) for i in ids) and len(set(ids)) == 3, (side.name, ids)
        assert "mine" not in ids


def test_the_runtimes_populate_call_behaves_the_same_and_links_carry_traffic(
    sides: list[Side], echo: EchoServer
):
    """The body the runtime sends (``0.0.0.0:20000`` there; free ports on 127.0.0.1 here):
    the first call creates, a second identical call keeps the proxy, traffic passes."""
    body = [{"name": "a->b", "listen": "127.0.0.1:{PORT:l}", "upstream": "{ECHO}",
             "enabled": True}]
    first = compare(sides, "POST", "/populate", body)
    assert first[0]["status"] == 201
    again = compare(sides, "POST", "/populate", body)
    assert again[0]["json"] == first[0]["json"]
    compare(sides, "GET", "/proxies")
    for side in sides:
        with connect(f"127.0.0.1:{side.ports['l']}") as sock:
            sock.sendall(b"ping")
            assert recv_exactly(sock, 4) == b"ping", side.name
    every = [{"name": "a->b", "listen": "0.0.0.0:{PORT:w}", "upstream": "{ECHO}",
              "enabled": True}]
    compare(sides, "POST", "/populate", every)  # binds every interface: [::]:port
    compare(sides, "POST", "/populate", every)  # 0.0.0.0 is not [::]: replaced, same port
    for side in sides:
        with connect(f"127.0.0.1:{side.ports['w']}") as sock:
            sock.sendall(b"pong")
            assert recv_exactly(sock, 4) == b"pong", side.name


def test_populate_toxics_are_an_extension_the_reference_ignores(sides: list[Side]):
    """Deliberate: ours sets an item's ``"toxics"``; Toxiproxy accepts and ignores them."""
    body = [{"name": "t", **P, "toxics": [{"type": "latency", "attributes": {"latency": 3}}]}]
    ours, reference = (side.send("POST", "/populate", body) for side in sides)
    assert ours.status_code == reference.status_code == 201
    assert reference.json()["proxies"][0]["toxics"] == []
    assert [t["attributes"] for t in ours.json()["proxies"][0]["toxics"]] == [
        {"latency": 3, "jitter": 0}
    ]


# --- the reference CLI against both servers ---------------------------------------------
CLI_STEPS = [
    ("list",),
    ("create", "--listen", "127.0.0.1:{PORT:c}", "--upstream", "{ECHO}", "db"),
    ("create", "--listen", "127.0.0.1:0", "--upstream", "{ECHO}", "db"),
    ("create", "--upstream", "{ECHO}", "nolisten"),
    ("list",),
    ("inspect", "db"),
    ("inspect", "nope"),
    ("toggle", "db"),
    ("inspect", "db"),
    ("toggle", "db"),
    ("toxic", "add", "-t", "latency", "-a", "latency=100", "-a", "jitter=5", "db"),
    ("toxic", "add", "-t", "latency", "-a", "latency=100", "db"),
    ("toxic", "add", "-t", "bandwidth", "-u", "-n", "bw", "-tox", "0.5", "-a", "rate=10", "db"),
    ("toxic", "add", "-t", "slicer", "-d", "db"),
    ("toxic", "add", "-t", "nonsense", "db"),
    ("toxic", "add", "-t", "latency", "-a", "latency=x", "-n", "bad", "db"),
    ("inspect", "db"),
    ("toxic", "update", "-n", "latency_downstream", "-a", "latency=7", "db"),
    ("toxic", "update", "-n", "bw", "-tox", "0.25", "db"),
    ("toxic", "update", "-n", "nope", "-a", "latency=7", "db"),
    ("toxic", "remove", "-n", "bw", "db"),
    ("toxic", "remove", "-n", "bw", "db"),
    ("list",),
    ("inspect", "db"),
    ("delete", "db"),
    ("delete", "db"),
    ("list",),
]


def _cli(side: Side, port: int, args: tuple[str, ...]) -> tuple[int, str, str]:
    code, out, err = run_cli(port, *(side.fill(a) for a in args))
    listen = re.compile(r"(127\.0\.0\.1|\[::\]):\d{4,5}(?=\s)")
    return code, listen.sub(r"\1:PORT", side.unfill(out)), side.unfill(err)


def test_the_reference_cli_prints_the_same_for_both_servers(
    sides: list[Side], ours: ServerProcess, reference: ReferenceServer
):
    api_ports = {"ours": ours.port, "reference": reference.port}
    for step in CLI_STEPS:
        results = [_cli(side, api_ports[side.name], step) for side in sides]
        differential.comparisons += 1
        assert results[0] == results[1], f"toxiproxy-cli {' '.join(step)}: {results}"
    assert results[0][0] == 0
