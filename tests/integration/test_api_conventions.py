"""Conventions every route keeps, checked over the whole topology rather than route by route."""

from __future__ import annotations

import re

import pytest

from infra.model import AuthKind
from infra.topology import TOPOLOGY

PUBLIC_GETS = [route for route, _ in TOPOLOGY.routes() if route.auth is AuthKind.PUBLIC and route.method == "GET"]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "anything", path)


@pytest.mark.parametrize("route", PUBLIC_GETS, ids=lambda r: r.key)
def test_an_unknown_query_parameter_is_refused_not_ignored(api, route):
    response = api.get(concrete(route.path), params={"definitely_not_a_parameter": "1"})
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "UNKNOWN_PARAMETER" and body["parameters"] == ["definitely_not_a_parameter"]


@pytest.mark.parametrize("route", PUBLIC_GETS, ids=lambda r: r.key)
def test_every_response_carries_cors_and_a_request_id(api, route):
    response = api.get(concrete(route.path))
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["x-amzn-RequestId"]
