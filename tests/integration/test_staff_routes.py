"""Every staff route in the topology, whatever it does: anonymous and customer callers get 401,
staff without the route's declared permission get 403 before their input is even parsed, and a
refused request changes nothing."""

from __future__ import annotations

import re

import pytest

from commerce.staff.permissions import EVERY_STAFF_MEMBER, StaffGroup, permissions_of
from infra.model import AuthKind
from infra.topology import TOPOLOGY

STAFF_ROUTES = [route for route, _ in TOPOLOGY.routes() if route.auth is AuthKind.STAFF]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "imp_00000000000000000000000000", path)


def lacking(permission: str) -> list[str]:
    return [group for group in StaffGroup if permission not in permissions_of([group])]


def executions(cloud) -> int:
    sfn = cloud.client("stepfunctions")
    return sum(
        len(sfn.list_executions(stateMachineArn=cloud.state_machine_arn(m.name))["executions"])
        for m in TOPOLOGY.state_machines
    )


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=lambda r: r.key)
def test_anonymous_and_customer_callers_are_refused(api, customer_token, route):
    for headers in ({}, {"Authorization": customer_token}):
        response = api.request(route.method, concrete(route.path), headers=headers, data="not json")
        assert response.status_code == 401, response.text


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=lambda r: r.key)
def test_staff_without_the_permission_are_refused_before_their_input_is_read(api, cloud, staff_token, route):
    before = executions(cloud)
    for group in lacking(route.permission):
        response = api.request(
            route.method,
            concrete(route.path),
            headers={"Authorization": staff_token(group), "Content-Type": "application/json"},
            data="{garbage",
        )
        assert response.status_code == 403, (group, response.text)
        body = response.json()
        assert body["code"] == "FORBIDDEN" and body["permission"] == route.permission
    assert executions(cloud) == before


def test_every_staff_route_declares_a_permission_some_group_lacks():
    assert STAFF_ROUTES and all(
        lacking(route.permission) for route in STAFF_ROUTES if route.permission not in EVERY_STAFF_MEMBER
    )
