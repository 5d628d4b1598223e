"""The local cloud's machinery, proven on a small test topology (tests/fixtures/topology.py) with
test-only handlers: SQS batching, partial batch failures, visibility-timeout retries, DLQ redrive,
EventBridge -> Lambda, schedules, Step Functions Retry/Catch on Unhandled Lambda errors, the Lambda
API, the Cognito authoriser and the API Gateway proxy event."""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from infra.model import Http
from local.auth import CognitoAuthorizer
from local.cloud import LocalCloud
from local.gateway import Gateway
from local.lambdas import Invocation
from tests.fixtures.handlers import fx
from tests.fixtures.topology import FIXTURE_TOPOLOGY, HANDLERS, STAGE
from tests.integration.support import until


@pytest.fixture(scope="module")
def fixture_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(FIXTURE_TOPOLOGY, stage=STAGE, seed=False, handler_modules=HANDLERS) as running:
        yield running


@pytest.fixture(scope="module")
def users(fixture_cloud: LocalCloud) -> dict[str, str]:
    staff = fixture_cloud.create_user("staff", "boss@staff.fixture", groups=("admin", "finance"))
    customer = fixture_cloud.create_user("customers", "someone@example.com")
    return {
        "staff": fixture_cloud.sign_in("staff", *staff),
        "customer": fixture_cloud.sign_in("customers", *customer),
    }


def test_sqs_messages_arrive_in_batches_of_at_most_batch_size(fixture_cloud: LocalCloud) -> None:
    sqs = fixture_cloud.client("sqs")
    bodies = [f"batch-{i}" for i in range(10)]
    sqs.send_message_batch(
        QueueUrl=fixture_cloud.queue_urls["fx-batch"],
        Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)],
    )
    until(lambda: sum(len(b) for b in fx.BATCHES) >= 10, message="all 10 messages")
    assert fixture_cloud.wait_for_idle(30)
    assert sorted(body for batch in fx.BATCHES for body in batch) == sorted(bodies)  # each exactly once
    assert all(1 <= len(batch) <= 4 for batch in fx.BATCHES)
    assert max(len(batch) for batch in fx.BATCHES) == 4  # really batched, not one by one


def test_partial_batch_failure_redelivers_only_the_failed_message(fixture_cloud: LocalCloud) -> None:
    sqs = fixture_cloud.client("sqs")
    started = time.monotonic()
    sqs.send_message_batch(
        QueueUrl=fixture_cloud.queue_urls["fx-partial"],
        Entries=[
            {
                "Id": "a",
                "MessageBody": "ok-a",
                "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "test"}},
            },
            {"Id": "b", "MessageBody": "fail-once-b"},
            {"Id": "c", "MessageBody": "ok-c"},
        ],
    )
    until(lambda: len(fx.DELIVERIES["fail-once-b"]) >= 2, timeout=15, message="redelivery")
    elapsed = time.monotonic() - started
    assert fixture_cloud.wait_for_idle(30)
    assert fx.DELIVERIES["fail-once-b"] == [1, 2]  # ApproximateReceiveCount 1, then 2
    assert fx.DELIVERIES["ok-a"] == [1]
    assert fx.DELIVERIES["ok-c"] == [1]
    assert elapsed >= 1.5  # not before the queue's 2 s visibility timeout
    dlq = fixture_cloud.queue_urls["fx-partial-dlq"]
    assert not sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages")


def test_sqs_event_has_the_aws_shape(fixture_cloud: LocalCloud) -> None:
    until(lambda: any(r["body"] == "ok-a" for r in fx.RECORDS), message="record")
    record = next(r for r in fx.RECORDS if r["body"] == "ok-a")
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == fixture_cloud.queue_arn(fixture_cloud.physical("fx-partial"))
    assert record["awsRegion"] == fixture_cloud.region
    assert {"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(
        record["attributes"]
    )
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    import hashlib

    assert record["md5OfBody"] == hashlib.md5(b"ok-a").hexdigest()


def test_poison_message_reaches_the_dlq_after_max_receives(fixture_cloud: LocalCloud) -> None:
    sqs = fixture_cloud.client("sqs")
    sqs.send_message(QueueUrl=fixture_cloud.queue_urls["fx-poison"], MessageBody="poison-1")
    dlq = fixture_cloud.queue_urls["fx-poison-dlq"]

    def in_dlq() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", []))

    moved = until(in_dlq, timeout=20, message="the DLQ")
    assert [m["Body"] for m in moved] == ["poison-1"]
    assert ["poison-1"] * FIXTURE_TOPOLOGY.queue("fx-poison").max_receives == fx.POISON_CALLS


def test_eventbridge_rule_invokes_its_function_with_the_event(fixture_cloud: LocalCloud) -> None:
    events = fixture_cloud.client("events")
    events.put_events(
        Entries=[
            {
                "EventBusName": fixture_cloud.bus_name,
                "Source": "fixture.test",
                "DetailType": "Pinged",
                "Detail": '{"n": 1}',
            },
            {"EventBusName": fixture_cloud.bus_name, "Source": "other", "DetailType": "Pinged", "Detail": '{"n": 2}'},
        ]
    )
    event = until(lambda: next(iter(fx.EVENTS), None), message="the event")
    assert event["detail-type"] == "Pinged"
    assert event["source"] == "fixture.test"
    assert event["detail"] == {"n": 1}
    assert {"id", "time", "region", "account", "resources", "version"} <= set(event)
    assert fixture_cloud.wait_for_idle(30)
    assert len(fx.EVENTS) == 1  # the other source does not match the rule's pattern


def test_table_ttl_is_enabled(fixture_cloud: LocalCloud) -> None:
    described = fixture_cloud.client("dynamodb").describe_time_to_live(TableName=fixture_cloud.physical("fx-items"))
    assert described["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert described["TimeToLiveDescription"]["AttributeName"] == "expires_at"


def test_schedule_can_be_fired_now(fixture_cloud: LocalCloud) -> None:
    result = fixture_cloud.run_schedule("fx-tick")
    assert result.result == "ticked"
    event = fx.TICKS[-1]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"][0].endswith(fixture_cloud.physical("fx-tick-schedule"))
    assert (fixture_cloud.physical("fx-tick"), "rate(1 minute)") in fixture_cloud.inventory()["schedules"]


def test_state_machine_retry_and_catch_see_unhandled_lambda_errors(fixture_cloud: LocalCloud) -> None:
    sfn = fixture_cloud.client("stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=fixture_cloud.state_machine_arn("fx-retry"), name="retry-1", input='{"key": "retry-1"}'
    )

    def finished() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        return None if described["status"] == "RUNNING" else described

    described = until(finished, timeout=30, message="the execution")
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["names"] == {
        "table": fixture_cloud.physical("fx-items"),
        "queue": fixture_cloud.queue_urls["fx-partial"],
        "bus": fixture_cloud.bus_name,
    }  # ${...} substitutions of every kind
    assert output["flaky"] == {"attempts": 2}  # FlakyError raised once, retried by the ASL Retry
    assert output["caught"]["Error"] == "DoomedError"  # the Catch saw the handler's error type
    cause = json.loads(output["caught"]["Cause"])
    assert cause["errorType"] == "DoomedError" and cause["errorMessage"] == "doomed on purpose"
    context = fx.CONTEXTS[-1]
    assert context.function_name == fixture_cloud.physical("fx-flaky")
    assert context.invoked_function_arn == fixture_cloud.function_arn("fx-flaky")
    assert 0 < context.get_remaining_time_in_millis() <= 10_000


def test_lambda_api_invoke_runs_the_handler_and_reports_function_errors(fixture_cloud: LocalCloud) -> None:
    lam = fixture_cloud.client("lambda")
    failed = lam.invoke(FunctionName=fixture_cloud.physical("fx-doomed"), Payload=b"{}")
    assert failed["FunctionError"] == "Unhandled"
    error = json.loads(failed["Payload"].read())
    assert error["errorType"] == "DoomedError"
    assert error["errorMessage"] == "doomed on purpose"
    assert isinstance(error["stackTrace"], list)
    ok = lam.invoke(FunctionName=fixture_cloud.function_arn("fx-flaky"), Payload=b'{"key": "api"}')
    assert "FunctionError" in ok  # first attempt per key fails
    ok = lam.invoke(FunctionName=fixture_cloud.function_arn("fx-flaky"), Payload=b'{"key": "api"}')
    assert "FunctionError" not in ok and json.loads(ok["Payload"].read()) == {"attempts": 2}
    queued = lam.invoke(
        FunctionName=fixture_cloud.physical("fx-tick"), InvocationType="Event", Payload=b'{"async": true}'
    )
    assert queued["StatusCode"] == 202
    until(lambda: any(t.get("async") for t in fx.TICKS), message="the async invocation")


def _forge(claims: dict[str, Any]) -> str:
    """A token signed with moto's own Cognito key (so only the claims can make it invalid)."""
    from moto.utilities.utils import load_resource

    key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": "dummy"})


def test_cognito_authoriser_rejects_missing_forged_expired_and_wrong_pool_tokens(
    fixture_cloud: LocalCloud, users: dict[str, str]
) -> None:
    url = fixture_cloud.api_url
    calls = len(fx.HTTP_EVENTS)
    valid = jwt.decode(users["staff"], options={"verify_signature": False})
    expired = _forge({**valid, "exp": int(time.time()) - 60, "iat": int(time.time()) - 3700})
    other_client = _forge({**valid, "aud": "someone-elses-client"})
    access_token = _forge({**valid, "token_use": "access"})
    head, body, _ = users["staff"].split(".")
    bad_signature = f"{head}.{body}.{base64.urlsafe_b64encode(b'x' * 256).decode().rstrip('=')}"
    for token in (None, "garbage", bad_signature, expired, other_client, access_token, users["customer"]):
        headers = {"Authorization": token} if token else {}
        response = requests.get(f"{url}/fx/staff", headers=headers, timeout=10)
        assert response.status_code == 401, token
        assert response.json()["code"] == "UNAUTHORIZED"
    staff_on_customer_route = requests.get(f"{url}/fx/customer", headers={"Authorization": users["staff"]}, timeout=10)
    assert staff_on_customer_route.status_code == 401
    assert len(fx.HTTP_EVENTS) == calls  # the handler never ran


def test_authorised_routes_get_the_claims(fixture_cloud: LocalCloud, users: dict[str, str]) -> None:
    url = fixture_cloud.api_url
    staff = requests.get(f"{url}/fx/staff", headers={"Authorization": f"Bearer {users['staff']}"}, timeout=10)
    assert staff.status_code == 200, staff.text
    claims = staff.json()["event"]["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:username"] == "boss@staff.fixture"
    assert set(claims["cognito:groups"].split(",")) == {"admin", "finance"}
    assert claims["token_use"] == "id"
    customer = requests.get(f"{url}/fx/customer", headers={"Authorization": users["customer"]}, timeout=10)
    assert customer.status_code == 200
    assert customer.json()["event"]["requestContext"]["authorizer"]["claims"]["cognito:username"] == (
        "someone@example.com"
    )


def test_proxy_event_and_response_follow_api_gateway(fixture_cloud: LocalCloud) -> None:
    url = fixture_cloud.api_url
    response = requests.get(
        f"{url}/fx/public/item%201?color=red&color=blue&size=m",
        headers={"X-Test": "yes", "Origin": "https://shop.example.com"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["X-Handler"] == "whoami"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    payload = response.json()
    event = payload["event"]
    assert payload["remaining"] > 0
    assert event["resource"] == "/fx/public/{item_id}"
    assert event["path"] == "/fx/public/item%201"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"item_id": "item 1"}
    assert event["queryStringParameters"] == {"color": "blue", "size": "m"}
    assert event["multiValueQueryStringParameters"] == {"color": ["red", "blue"], "size": ["m"]}
    assert event["headers"]["X-Test"] == "yes"
    assert event["multiValueHeaders"]["X-Test"] == ["yes"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == STAGE and context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["resourcePath"] == "/fx/public/{item_id}"
    assert "authorizer" not in context

    text = requests.post(f"{url}/fx/public/x", json={"a": 1}, timeout=10).json()["event"]
    assert json.loads(text["body"]) == {"a": 1} and text["isBase64Encoded"] is False
    binary = gzip.compress(b"\xff\x00binary")
    raw = requests.post(f"{url}/fx/public/x", data=binary, timeout=10).json()["event"]
    assert raw["isBase64Encoded"] is True and base64.b64decode(raw["body"]) == binary


class _SlowDispatcher:
    """Each invocation waits until the test lets it go; counts the invocations that ran."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)
        self.ran = 0

    def invoke(self, name: str, event: dict[str, object]) -> Invocation:
        self.ran += 1
        self.started.release()
        self.release.wait(10)
        return Invocation(result={"statusCode": 200, "body": json.dumps({"path": event["path"]})})


def test_the_gateway_queues_requests_beyond_its_concurrency_then_answers_503_as_a_throttled_function() -> None:
    dispatcher = _SlowDispatcher()
    gateway = Gateway(
        dispatcher,  # type: ignore[arg-type]
        CognitoAuthorizer(),
        stage="gw",
        cors_origins=("*",),
        admin_dist=Path("/nonexistent"),
        admin_config=dict,
        concurrency=1,
        queue_seconds=0.5,
    )
    gateway.add_route(Http("GET", "/slow/{n}"), "slow")
    gateway.start()
    try:
        answers: dict[str, requests.Response] = {}
        first = threading.Thread(target=lambda: answers.update(first=requests.get(f"{gateway.url}/slow/1", timeout=10)))
        first.start()
        assert dispatcher.started.acquire(timeout=5)  # the one slot is taken

        refused = requests.get(f"{gateway.url}/slow/2", timeout=10)  # waits 0.5 s for a slot, none frees
        assert refused.status_code == 503
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["code"] == "TEMPORARILY_UNAVAILABLE"
        assert dispatcher.ran == 1 and gateway.throttled == 1  # the handler never ran for it

        queued = threading.Thread(
            target=lambda: answers.update(queued=requests.get(f"{gateway.url}/slow/3", timeout=10))
        )
        queued.start()
        time.sleep(0.1)
        assert dispatcher.ran == 1  # waiting for the slot
        dispatcher.release.set()
        first.join(10)
        queued.join(10)
        assert answers["first"].json() == {"path": "/slow/1"}
        assert answers["queued"].status_code == 200 and answers["queued"].json() == {"path": "/slow/3"}
        assert dispatcher.ran == 2 and gateway.throttled == 1
    finally:
        dispatcher.release.set()
        gateway.stop()
