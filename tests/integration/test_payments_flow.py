"""Payments end to end in the local cloud: payments-operate -> sandbox bank over HTTP -> signed
webhook over HTTP -> payment record -> event on the bus (read from a fixture rule's queue), and a
fixture state machine waiting on a task token the webhook completes."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from commerce.common.signatures import sign
from local.cloud import LocalCloud
from tests.fixtures.payments import PAYMENTS_TOPOLOGY, STAGE
from tests.integration.support import until


@pytest.fixture(scope="module")
def pay_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(PAYMENTS_TOPOLOGY, stage=STAGE, seed=False, bank_delay=0.1) as running:
        yield running


class Events:
    """Every payment event published, read from the fixture queue."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud, self.seen = cloud, []  # type: ignore[var-annotated]

    def of(self, order_id: str) -> list[tuple[str, dict[str, Any]]]:
        sqs = self.cloud.client("sqs")
        url = self.cloud.queue_urls["fx-payment-events"]
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not got:
                break
            for message in got:
                body = json.loads(message["Body"])
                self.seen.append((body["detail-type"], body["detail"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [(t, d) for t, d in self.seen if d["order_id"] == order_id]


@pytest.fixture(scope="module")
def events(pay_cloud: LocalCloud) -> Events:
    return Events(pay_cloud)


def order() -> str:
    return f"ord_{uuid.uuid4().hex[:12]}"


def operate(cloud: LocalCloud, **request: Any) -> Any:
    return cloud.invoke("payments-operate", {"currency": "EUR", **request})


def record(cloud: LocalCloud, order_id: str) -> dict[str, Any]:
    item = (
        cloud.client("dynamodb")
        .get_item(
            TableName=cloud.physical("payments"),
            Key={"pk": {"S": f"PAYMENT#{order_id}"}, "sk": {"S": "PAYMENT"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return json.loads(item["doc"]["S"]) if item else {}


def status_is(cloud: LocalCloud, order_id: str, status: str) -> Callable[[], bool]:
    return lambda: record(cloud, order_id).get("status") == status


def authorised(cloud: LocalCloud, amount: int = 5000) -> str:
    order_id = order()
    assert not operate(cloud, operation="authorise", order_id=order_id, amount=amount, token="tok_approve").failed
    until(status_is(cloud, order_id, "authorised"), message="authorised")
    return order_id


def post_webhook(cloud: LocalCloud, event: dict[str, Any], timestamp: int | None = None) -> requests.Response:
    assert cloud.bank is not None
    headers, body = cloud.bank.signed(event, timestamp)
    return requests.post(f"{cloud.api_url}/webhooks/payments", data=body, headers=headers, timeout=10)


def no_card_numbers(doc: dict[str, Any]) -> None:
    text = json.dumps(doc)
    assert not re.search(r"(?<!\d)\d{13,19}(?!\d)", text)
    assert "tok_" not in text  # not even the token is kept: only gateway references


# ---- authorisation outcomes, one per test token ---------------------------------------------------
def test_approve_is_pending_then_authorised_by_the_signed_webhook(pay_cloud: LocalCloud, events: Events) -> None:
    order_id = order()
    result = operate(pay_cloud, operation="authorise", order_id=order_id, amount=4999, token="tok_approve")
    assert not result.failed and result.result["status"] == "pending"
    until(status_is(pay_cloud, order_id, "authorised"), message="authorised")
    doc = record(pay_cloud, order_id)
    assert doc["attempts"][0]["idempotency_key"] == f"{order_id}:authorise:1"
    assert doc["attempts"][0]["outcome"] == "authorised" and doc["attempts"][0]["reference"].startswith("auth_")
    no_card_numbers(doc)
    published = until(lambda: events.of(order_id), message="event")
    assert [t for t, _ in published] == ["PaymentAuthorized"]
    assert published[0][1]["amount"] == 4999


def test_decline_then_the_customer_retries_with_another_card(pay_cloud: LocalCloud, events: Events) -> None:
    order_id = order()
    operate(pay_cloud, operation="authorise", order_id=order_id, amount=1200, token="tok_decline")
    until(status_is(pay_cloud, order_id, "failed"), message="declined")
    assert record(pay_cloud, order_id)["attempts"][0]["decline_code"] == "card_declined"
    retry = operate(pay_cloud, operation="authorise", order_id=order_id, amount=1200, token="tok_approve")
    assert retry.result["attempt"] == 2
    until(status_is(pay_cloud, order_id, "authorised"), message="authorised on retry")
    doc = record(pay_cloud, order_id)
    assert [a["idempotency_key"] for a in doc["attempts"]] == [f"{order_id}:authorise:1", f"{order_id}:authorise:2"]
    assert [t for t, _ in until(lambda: len(events.of(order_id)) >= 2 and events.of(order_id))] == [
        "PaymentDeclined",
        "PaymentAuthorized",
    ]


def test_insufficient_funds_is_declined_at_once(pay_cloud: LocalCloud, events: Events) -> None:
    order_id = order()
    result = operate(pay_cloud, operation="authorise", order_id=order_id, amount=900, token="tok_insufficient_funds")
    assert result.result["status"] == "failed" and result.result["decline_code"] == "insufficient_funds"
    published = events.of(order_id)
    assert [t for t, _ in published] == ["PaymentDeclined"]
    assert published[0][1]["decline_code"] == "insufficient_funds"


@pytest.mark.parametrize(
    ("answer", "status", "event"), [("pass", "authorised", "PaymentAuthorized"), ("fail", "failed", "PaymentFailed")]
)
def test_challenge_completed_by_the_customer(
    pay_cloud: LocalCloud, events: Events, answer: str, status: str, event: str
) -> None:
    order_id = order()
    result = operate(pay_cloud, operation="authorise", order_id=order_id, amount=3000, token="tok_challenge")
    assert result.result["status"] == "pending" and result.result["attempt_outcome"] == "challenge_required"
    challenge_url = result.result["challenge_url"]
    assert challenge_url.startswith(pay_cloud.bank_url)
    assert requests.post(f"{challenge_url}/complete", json={"result": answer}, timeout=5).status_code == 200
    until(status_is(pay_cloud, order_id, status), message=status)
    assert [t for t, _ in until(lambda: events.of(order_id))] == [event]


def test_timeout_raises_gateway_unavailable_and_keeps_the_attempt(pay_cloud: LocalCloud) -> None:
    order_id = order()
    result = operate(pay_cloud, operation="authorise", order_id=order_id, amount=100, token="tok_timeout")
    assert result.failed and result.error["errorType"] == "GatewayUnavailable"
    doc = record(pay_cloud, order_id)
    assert doc["status"] == "pending" and doc["attempts"][0]["outcome"] == "requested"


def test_5xx_is_retryable_with_the_same_key_until_it_succeeds(pay_cloud: LocalCloud) -> None:
    order_id = order()
    errors = [
        operate(pay_cloud, operation="authorise", order_id=order_id, amount=100, token="tok_5xx") for _ in range(2)
    ]
    assert [e.error["errorType"] for e in errors] == ["GatewayUnavailable", "GatewayUnavailable"]
    ok = operate(pay_cloud, operation="authorise", order_id=order_id, amount=100, token="tok_5xx")
    assert not ok.failed and ok.result["attempt"] == 1  # the same attempt (and key) all along
    until(status_is(pay_cloud, order_id, "authorised"), message="authorised")


# ---- capture, refund, void ----------------------------------------------------------------------------
def test_partial_capture_then_the_rest_then_refunds_up_to_captured(pay_cloud: LocalCloud, events: Events) -> None:
    order_id = authorised(pay_cloud, 5000)
    first = operate(pay_cloud, operation="capture", order_id=order_id, amount=2000)
    assert first.result["status"] == "partially_captured" and first.result["captured"] == 2000
    rest = operate(pay_cloud, operation="capture", order_id=order_id, amount=3000)
    assert rest.result["status"] == "captured" and rest.result["captured"] == 5000
    too_much = operate(pay_cloud, operation="capture", order_id=order_id, amount=1)
    assert too_much.error["errorType"] == "PaymentStateConflict"
    refund = operate(pay_cloud, operation="refund", order_id=order_id, amount=1500)
    assert refund.result["status"] == "captured" and refund.result["refunded"] == 1500
    over = operate(pay_cloud, operation="refund", order_id=order_id, amount=3501)
    assert over.error["errorType"] == "AmountNotAllowed"
    full = operate(pay_cloud, operation="refund", order_id=order_id, amount=3500)
    assert full.result["status"] == "refunded" and full.result["refunded"] == 5000
    doc = record(pay_cloud, order_id)
    assert [m["idempotency_key"] for m in doc["movements"]] == [
        f"{order_id}:capture:1",
        f"{order_id}:capture:2",
        f"{order_id}:refund:1",
        f"{order_id}:refund:2",
    ]
    time.sleep(0.5)  # the bank's confirming webhooks arrive and are recognised, not applied twice
    assert record(pay_cloud, order_id)["captured"] == 5000 and record(pay_cloud, order_id)["refunded"] == 5000
    kinds = [t for t, _ in events.of(order_id)]
    assert kinds == ["PaymentAuthorized", "PaymentCaptured", "PaymentCaptured", "PaymentRefunded", "PaymentRefunded"]


def test_void_after_authorise(pay_cloud: LocalCloud, events: Events) -> None:
    order_id = authorised(pay_cloud)
    voided = operate(pay_cloud, operation="void", order_id=order_id)
    assert voided.result["status"] == "voided"
    assert operate(pay_cloud, operation="capture", order_id=order_id, amount=10).error["errorType"] == (
        "PaymentStateConflict"
    )
    assert "PaymentVoided" in [t for t, _ in until(lambda: len(events.of(order_id)) >= 2 and events.of(order_id))]


# ---- the webhook's defences ------------------------------------------------------------------------
def _authorised_event(order_id: str, doc: dict[str, Any], type_: str = "payment.authorised") -> dict[str, Any]:
    attempt = doc["attempts"][-1]
    return {
        "event_id": f"evt_{uuid.uuid4().hex}",
        "type": type_,
        "order_id": order_id,
        "reference": attempt["reference"],
        "amount": doc["amount"],
        "currency": doc["currency"],
        "idempotency_key": attempt["idempotency_key"],
    }


def test_duplicate_webhook_changes_nothing(pay_cloud: LocalCloud) -> None:
    order_id = authorised(pay_cloud)
    assert pay_cloud.bank is not None
    delivered = until(lambda: [d for d in pay_cloud.bank.deliveries if order_id.encode() in d.body])[0]  # type: ignore[union-attr]
    before = record(pay_cloud, order_id)
    again = requests.post(
        f"{pay_cloud.api_url}/webhooks/payments", data=delivered.body, headers=delivered.headers, timeout=10
    )
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert record(pay_cloud, order_id) == before


def test_forged_and_stale_webhooks_are_refused_and_change_nothing(pay_cloud: LocalCloud) -> None:
    order_id = order()
    operate(pay_cloud, operation="authorise", order_id=order_id, amount=700, token="tok_challenge")
    before = record(pay_cloud, order_id)
    event = _authorised_event(order_id, before)
    url = f"{pay_cloud.api_url}/webhooks/payments"
    body = json.dumps(event).encode()
    wrong_key = requests.post(
        url, data=body, headers={"X-Signature": sign(b"not-the-key", int(time.time()), body)}, timeout=10
    )
    assert wrong_key.status_code == 401 and wrong_key.json()["code"] == "INVALID_SIGNATURE"
    assert pay_cloud.bank is not None
    headers, signed_body = pay_cloud.bank.signed(event)
    tampered = signed_body.replace(b'"amount": 700', b'"amount": 1')
    forged = requests.post(url, data=tampered, headers=headers, timeout=10)
    assert forged.status_code == 401 and forged.json()["code"] == "INVALID_SIGNATURE"
    unsigned = requests.post(url, data=body, timeout=10)
    assert unsigned.status_code == 401
    stale = post_webhook(pay_cloud, event, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 401 and stale.json()["code"] == "STALE_SIGNATURE"
    assert record(pay_cloud, order_id) == before


def test_a_late_webhook_for_a_payment_that_moved_on_is_ignored_and_recorded(pay_cloud: LocalCloud) -> None:
    order_id = authorised(pay_cloud)
    doc = record(pay_cloud, order_id)
    late = post_webhook(pay_cloud, _authorised_event(order_id, doc, "payment.declined"))
    assert late.status_code == 200 and "ignored" in late.json()
    after = record(pay_cloud, order_id)
    assert after["status"] == "authorised"
    assert after["history"][-1]["result"].startswith("ignored")


def test_webhook_for_an_unknown_order_is_404_and_can_be_redelivered(pay_cloud: LocalCloud) -> None:
    event = {
        "event_id": "evt_unknown",
        "type": "payment.authorised",
        "order_id": "ord_nobody",
        "reference": "auth_x",
        "amount": 1,
        "currency": "EUR",
    }
    for _ in range(2):  # the event id is not remembered when it failed
        missing = post_webhook(pay_cloud, event)
        assert missing.status_code == 404 and missing.json()["code"] == "PAYMENT_NOT_FOUND"


def test_card_numbers_are_refused_everywhere(pay_cloud: LocalCloud) -> None:
    pan = operate(pay_cloud, operation="authorise", order_id=order(), amount=100, token="4111111111111111")
    assert pan.error["errorType"] == "CardDataRefused"
    not_a_token = operate(pay_cloud, operation="authorise", order_id=order(), amount=100, token="card_4111")
    assert not_a_token.error["errorType"] == "InvalidPaymentRequest"
    event = {
        "event_id": "evt_pan",
        "type": "payment.authorised",
        "order_id": "ord_x",
        "reference": "4111111111111111",
        "amount": 1,
        "currency": "EUR",
    }
    refused = post_webhook(pay_cloud, event)
    assert refused.status_code == 422 and refused.json()["code"] == "CARD_DATA_REFUSED"


# ---- the waiting workflow ---------------------------------------------------------------------------------
def _run(cloud: LocalCloud, token: str) -> tuple[str, dict[str, Any]]:
    sfn = cloud.client("stepfunctions")
    order_id = order()
    execution = sfn.start_execution(
        stateMachineArn=cloud.state_machine_arn("fx-payment-wait"),
        name=order_id,
        input=json.dumps({"order_id": order_id, "amount": 2500, "currency": "EUR", "token": token}),
    )["executionArn"]
    done = until(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d,
        timeout=30,
        message="execution",
    )
    assert done["status"] == "SUCCEEDED", done
    return order_id, json.loads(done["output"])["payment"]


@pytest.mark.parametrize(
    ("token", "outcome"), [("tok_approve", "authorised"), ("tok_decline", "declined"), ("tok_5xx", "authorised")]
)
def test_the_webhook_completes_the_waiting_task(pay_cloud: LocalCloud, token: str, outcome: str) -> None:
    order_id, payment = _run(pay_cloud, token)
    assert payment["outcome"] == outcome and payment["order_id"] == order_id
    assert record(pay_cloud, order_id)["task_token"] is None  # single use
