"""The OpenAPI document is generated from the handlers and the topology; the committed copy must
match the code, and it must describe every route the topology declares."""

from __future__ import annotations

import json

from infra.model import ROOT, AuthKind
from infra.openapi import DOCUMENT, build, render
from infra.topology import TOPOLOGY


def test_the_committed_document_matches_the_code():
    assert DOCUMENT.read_text() == render(build()), "docs/openapi.json is stale: run `make openapi`"


def test_every_route_is_documented_with_its_auth_and_problem_responses():
    document = json.loads(DOCUMENT.read_text())
    for route, _fn in TOPOLOGY.routes():
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["responses"]["default"]["content"]["application/problem+json"]
        if route.auth is AuthKind.STAFF:
            assert operation["security"] == [{"StaffPool": []}]
            assert operation["x-required-permission"] == route.permission
        elif route.auth is AuthKind.CUSTOMER:
            assert operation["security"] == [{"CustomerPool": []}]
        else:
            assert "security" not in operation


def test_swagger_ui_is_pinned_for_the_local_cloud():
    package = json.loads((ROOT / "package.json").read_text())
    assert package["devDependencies"]["swagger-ui-dist"] == "5.35.0"
