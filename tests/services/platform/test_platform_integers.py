"""`WholeNumber`: integers as JSON Schema has them, and every service's request models use it."""

from __future__ import annotations

import doctest
import typing
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from sandbox.contracts.fastapi_services import APPS, fastapi_app
from sandbox.contracts.flask_monolith import monolith_app
from services.platform import integers
from services.platform.integers import WholeNumber

# flask-openapi3's view arguments; only a body is JSON (query, path and headers are strings)
FLASK_BODY = "body"


class Line(BaseModel):
    quantity: WholeNumber = Field(ge=1, le=1000)


def test_docstring_examples_run():
    failed, attempted = doctest.testmod(integers)
    assert attempted and failed == 0


@pytest.mark.parametrize("value", [5, 5.0])
def test_an_integer_or_a_float_without_fraction_is_that_int(value):
    quantity = Line(quantity=value).quantity
    assert quantity == 5 and type(quantity) is int


@pytest.mark.parametrize("value", [True, False, "5", 5.5, float("inf"), float("nan"), None])
def test_booleans_strings_and_fractions_are_refused(value):
    with pytest.raises(ValidationError) as err:
        Line(quantity=value)
    assert err.value.errors()[0]["loc"] == ("quantity",)


def test_json_input_is_judged_the_same():
    assert Line.model_validate_json('{"quantity": 7.0}').quantity == 7
    for raw in ('{"quantity": true}', '{"quantity": "7"}', '{"quantity": 7.5}'):
        with pytest.raises(ValidationError):
            Line.model_validate_json(raw)


def test_the_bounds_apply_to_the_whole_number():
    with pytest.raises(ValidationError):
        Line(quantity=1001.0)
    with pytest.raises(ValidationError):
        Line(quantity=0.0)


def test_its_schema_is_a_json_schema_integer():
    schema = Line.model_json_schema()["properties"]["quantity"]
    assert schema == {"type": "integer", "minimum": 1, "maximum": 1000, "title": "Quantity"}


# --- every service's request bodies -------------------------------------------------------

def _api_routes(routes: list) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None) or getattr(route, "router", None)
        if nested is not None and getattr(nested, "routes", None) is not None:
            yield from _api_routes(nested.routes)


def request_bodies() -> dict[str, type]:
    """`<service> <route>` → the pydantic model of its JSON body, for every service."""
    found: dict[str, type] = {}
    for service in APPS:
        for route in _api_routes(fastapi_app(service).routes):
            for param in route.dependant.body_params:
                found[f"{service} {min(route.methods)} {route.path}"] = param.field_info.annotation
    for name, view in monolith_app().view_functions.items():
        hints = typing.get_type_hints(getattr(view, "__wrapped__", view))
        if FLASK_BODY in hints:
            found[f"monolith {name}"] = hints[FLASK_BODY]
    return found


def _is_whole_number(metadata: list) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is integers._whole_float_as_int
               for m in metadata)


def integer_fields(model: type[BaseModel], where: str = "") -> Iterator[tuple[str, bool]]:
    """(field path, uses WholeNumber) for every integer in `model`, nested models and lists
    included."""
    for name, info in model.model_fields.items():
        yield from _integers(info.annotation, list(info.metadata), f"{where}{name}")


def _integers(annotation: typing.Any, metadata: list, where: str) -> Iterator[tuple[str, bool]]:
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        yield from _integers(inner, [*metadata, *extra], where)
    elif annotation is int:
        yield where, _is_whole_number(metadata)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from integer_fields(annotation, f"{where}.")
    else:
        for arg in typing.get_args(annotation):
            yield from _integers(arg, [], f"{where}[]")


def test_the_walk_finds_every_services_bodies():
    bodies = request_bodies()
    assert {"catalog POST /v1/products", "monolith orders_create",
            "webhooks POST /v1/webhooks/subscriptions", "auth POST /v1/auth/token"} <= set(bodies)


def test_the_walk_tells_a_plain_int_from_a_whole_number():
    class Mixed(BaseModel):
        a: int
        b: WholeNumber
        c: list[Line]
        d: list[int] | None = None

    assert dict(integer_fields(Mixed)) == {"a": False, "b": True, "c[].quantity": True,
                                           "d[][]": False}


def test_every_integer_of_every_request_body_is_a_whole_number():
    plain = [f"{route}: {path}" for route, model in request_bodies().items()
             for path, whole in integer_fields(model) if not whole]
    assert not plain, ("integer fields of request bodies must be "
                       "services.platform.integers.WholeNumber (JSON Schema's integer): "
                       + "; ".join(plain))
