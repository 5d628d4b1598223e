"""The local cloud with the real topology: what it provisions, how it serves the API, and that its
DynamoDB is exact under concurrency."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.model import PER_FUNCTION_ENV, function_env
from infra.topology import TOPOLOGY
from local.cloud import LocalCloud


def test_inventory_is_the_topology_as_created_in_moto(cloud: LocalCloud) -> None:
    inventory = cloud.inventory()
    p = cloud.physical
    assert inventory["functions"] == {p(fn.name) for fn in TOPOLOGY.functions}
    assert inventory["routes"] == {(route.method, route.path) for route, _ in TOPOLOGY.routes()}
    assert inventory["tables"] == {p(t.name) for t in TOPOLOGY.tables}
    assert inventory["queues"] == {p(n) for q in TOPOLOGY.queues for n in (q.name, q.dlq)} | {
        p(fn.stream_dlq)
        for fn in TOPOLOGY.functions
        if fn.stream_dlq  # stream triggers' on-failure queues
    }
    assert inventory["rules"] == {p(r.name) for r in TOPOLOGY.rules}
    assert inventory["state_machines"] == {p(m.name) for m in TOPOLOGY.state_machines}
    assert inventory["event_source_mappings"] == {(p(fn.sqs.queue), p(fn.name)) for fn in TOPOLOGY.functions if fn.sqs}
    assert {fn for fn, _ in inventory["schedules"]} == {p(f.name) for f in TOPOLOGY.functions if f.schedule}
    assert inventory["secrets"] == {p(s.name) for s in TOPOLOGY.secrets}
    assert inventory["user_pools"] == {p(u.name) for u in TOPOLOGY.user_pools}
    assert TOPOLOGY.email.address in inventory["email_identities"]


def test_resources_carry_the_declared_settings(cloud: LocalCloud) -> None:
    ddb, sqs, lam = cloud.client("dynamodb"), cloud.client("sqs"), cloud.client("lambda")
    for table in TOPOLOGY.tables:
        described = ddb.describe_table(TableName=cloud.physical(table.name))["Table"]
        assert [k["AttributeName"] for k in described["KeySchema"]] == [k for k in (table.pk, table.sk) if k]
        assert {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])} == {i.name for i in table.indexes}
        assert bool(described.get("StreamSpecification", {}).get("StreamEnabled")) == table.stream
        types = {d["AttributeName"]: d["AttributeType"] for d in described["AttributeDefinitions"]}
        assert types == table.key_types(), table.name
    for queue in TOPOLOGY.queues:
        attributes = sqs.get_queue_attributes(QueueUrl=cloud.queue_urls[queue.name], AttributeNames=["All"])[
            "Attributes"
        ]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert int(attributes["VisibilityTimeout"]) == queue.visibility_timeout
        assert int(redrive["maxReceiveCount"]) == queue.max_receives
        assert redrive["deadLetterTargetArn"].endswith(":" + cloud.physical(queue.dlq))
    for fn in TOPOLOGY.functions:
        config = lam.get_function_configuration(FunctionName=cloud.physical(fn.name))
        assert config["Handler"] == fn.handler
        assert config["Environment"]["Variables"] == function_env(TOPOLOGY, fn, cloud.resolve)
        for key, value in function_env(TOPOLOGY, fn, cloud.resolve).items():
            if key not in PER_FUNCTION_ENV:  # those are applied per function, at its import
                assert cloud.environment[key] == value
            else:
                assert key not in cloud.environment


def test_state_machine_definitions_have_every_placeholder_resolved(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    for machine in TOPOLOGY.state_machines:
        definition = sfn.describe_state_machine(stateMachineArn=cloud.state_machine_arn(machine.name))["definition"]
        assert "${" not in definition
        for _key, target in machine.substitutions:
            kind, _, name = target.partition(":")
            assert cloud.resolve(kind, name or TOPOLOGY.bus) in definition


def test_health_and_products_over_http(api: Any) -> None:
    health = api.get("/health", headers={"Origin": "https://shop.example.com"})
    assert health.status_code == 200, health.text
    assert health.headers["Access-Control-Allow-Origin"] == "*"
    assert health.headers["x-amzn-RequestId"]
    products = api.get("/products")
    assert products.status_code == 200, products.text


def test_unknown_routes_and_methods_are_404_problems_as_api_gateway_answers_them(api: Any) -> None:
    # API Gateway answers both with MISSING_AUTHENTICATION_TOKEN; our gateway responses make it a problem
    for response in (api.get("/no/such/route"), api.delete("/products")):
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "ROUTE_NOT_FOUND" and response.json()["request_id"]
    gets = [
        re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", r.path) + "$") for r, _ in TOPOLOGY.routes() if r.method == "GET"
    ]
    for route, _fn in TOPOLOGY.routes():  # API paths win over the admin SPA under /admin/
        path = route.path.replace("{", "").replace("}", "")
        if route.method != "GET" and not any(get.match(path) for get in gets):  # e.g. /inventory/transfers is a {sku}
            assert api.get(path).json()["code"] == "ROUTE_NOT_FOUND"


def test_cors_preflight(api: Any) -> None:
    response = api.options(
        "/products/abc",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def _staff_route() -> tuple[str, str]:
    for route, fn in TOPOLOGY.routes():
        if route.auth == "staff" and route.method == "POST":
            return route.path, fn.name
    pytest.skip("no staff POST route in the topology")


def test_staff_route_needs_a_valid_staff_id_token(
    cloud: LocalCloud, api: Any, staff_token: Any, customer_token: str
) -> None:
    path, function = _staff_route()
    physical = cloud.physical(function)
    before = sum(1 for name, _ in cloud.dispatcher.invocations if name == physical)
    good = staff_token("admin")
    header, payload, signature = good.split(".")
    tampered = f"{header}.{payload}.{signature[:-6]}AAAAAA"
    for authorization in (None, "", "Bearer nonsense", tampered, customer_token):
        headers = {"Authorization": authorization} if authorization is not None else {}
        response = api.post(path, json={}, headers=headers)
        assert response.status_code == 401, (authorization, response.text)
        assert response.json()["code"] == "UNAUTHORIZED"
    assert sum(1 for name, _ in cloud.dispatcher.invocations if name == physical) == before
    accepted = api.post(path, json={}, headers={"Authorization": f"Bearer {good}"})
    assert accepted.status_code != 401
    assert sum(1 for name, _ in cloud.dispatcher.invocations if name == physical) == before + 1


def test_request_body_over_10_mb_is_refused(cloud: LocalCloud) -> None:
    host, port = cloud.api_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST /products HTTP/1.1\r\nHost: {host}\r\nContent-Length: {10 * 1024 * 1024 + 1}\r\n\r\n".encode()
        )
        status_line = sock.recv(200).split(b"\r\n", 1)[0]
    assert b" 413 " in status_line


def test_admin_spa_config(api: Any, cloud: LocalCloud) -> None:
    config = api.get("/admin/config.json").json()
    assert config == {
        "api_url": cloud.api_url,
        "region": cloud.region,
        "staff_pool_id": cloud.pools["staff"],
        "staff_client_id": cloud.clients["staff"],
    }
    assert api.get("/admin/").status_code == 200


def test_dynamodb_conditional_writes_are_exact_under_concurrency(cloud: LocalCloud) -> None:
    """16 threads race conditional decrements and transactions on one item: never below zero, and
    exactly as many successes as there was stock (moto's DynamoDB alone oversells here)."""
    table = cloud.physical(TOPOLOGY.tables[0].name)
    spec = TOPOLOGY.tables[0]
    key = {spec.pk: {"S": "test#concurrency"}, **({spec.sk: {"S": "counter"}} if spec.sk else {})}
    clients = [cloud.client("dynamodb") for _ in range(16)]
    clients[0].put_item(TableName=table, Item={**key, "qty": {"N": "40"}})
    successes: list[str] = []
    lock = threading.Lock()

    def decrement(client: Any, n: int) -> None:
        for i in range(5):
            try:
                if i % 2:
                    client.update_item(
                        TableName=table,
                        Key=key,
                        UpdateExpression="SET qty = qty - :one",
                        ConditionExpression="qty >= :one",
                        ExpressionAttributeValues={":one": {"N": "1"}},
                    )
                else:
                    marker = {spec.pk: {"S": f"test#order#{n}-{i}"}, **({spec.sk: {"S": "o"}} if spec.sk else {})}
                    client.transact_write_items(
                        TransactItems=[
                            {
                                "Update": {
                                    "TableName": table,
                                    "Key": key,
                                    "UpdateExpression": "SET qty = qty - :one",
                                    "ConditionExpression": "qty >= :one",
                                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                                }
                            },
                            {"Put": {"TableName": table, "Item": marker}},
                        ]
                    )
            except ClientError as error:
                code = error.response["Error"]["Code"]
                assert code in ("ConditionalCheckFailedException", "TransactionCanceledException"), code
                continue
            with lock:
                successes.append(f"{n}-{i}")

    threads = [threading.Thread(target=decrement, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = int(clients[0].get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["qty"]["N"])
    assert final == 0
    assert len(successes) == 40


def test_aws_cli_sees_the_same_resources(cloud: LocalCloud) -> None:
    aws = shutil.which("aws")
    if aws is None:
        pytest.skip("AWS CLI not installed")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": cloud.region,
    }
    out = subprocess.run(
        [aws, "--endpoint-url", cloud.moto_url, "lambda", "list-functions", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    if out.returncode != 0 and "No module named" in out.stderr:
        pytest.skip("AWS CLI not usable here")
    assert out.returncode == 0, out.stderr
    names = {f["FunctionName"] for f in json.loads(out.stdout)["Functions"]}
    assert cloud.inventory()["functions"] <= names
