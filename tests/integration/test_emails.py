"""Customer emails against the local cloud: order events -> bus -> notifications queue ->
notifications-send-email -> SES (moto) -> the local outbox (``GET /_local/emails`` and
``.local/outbox/*.eml``), with the exactly-once claim in the notifications table."""

from __future__ import annotations

import email
import email.policy
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from commerce.adapters.notifications_dynamo import DynamoSentLog
from commerce.notifications.models import Claim, SentEmail
from commerce.notifications.render import format_money
from tests.integration.support import auth, until
from tests.integration.test_cart_api import PASSWORD
from tests.integration.test_orders_api import detail, new_sku, place, quote, status_becomes

SLOW = 60  # bounds a hang on a loaded 2-core box; not a speed assertion


@pytest.fixture
def shopper(cloud: Any) -> tuple[str, str]:
    """A new customer: (ID token, email address)."""
    address = f"mail-{uuid.uuid4().hex[:10]}@example.com"
    cloud.create_user("customers", address, PASSWORD)
    return cloud.sign_in("customers", address, PASSWORD), address


@pytest.fixture
def outbox_files(cloud: Any) -> Any:
    """The .eml files written during the test (removed afterwards)."""
    before = set(Path(cloud.outbox.directory).glob("*.eml"))
    yield lambda: sorted(set(Path(cloud.outbox.directory).glob("*.eml")) - before)
    for path in set(Path(cloud.outbox.directory).glob("*.eml")) - before:
        path.unlink(missing_ok=True)


def emails_to(api: Any, address: str) -> list[dict[str, Any]]:
    response = api.get("/_local/emails", params={"to": address})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    return list(response.json())


def email_arrives(api: Any, address: str, subject: str) -> dict[str, Any]:
    return dict(
        until(
            lambda: next((m for m in emails_to(api, address) if m["subject"] == subject), None),
            SLOW,
            f"email {subject!r}",
        )
    )


def notifications_drained(cloud: Any) -> None:
    """Nothing waiting or in flight on the notifications queue (twice in a row)."""
    sqs = cloud.client("sqs")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    def empty() -> bool:
        got = sqs.get_queue_attributes(QueueUrl=cloud.queue_urls["notifications"], AttributeNames=names)
        return all(int(got["Attributes"][name]) == 0 for name in names)

    until(lambda: empty() and (time.sleep(0.3) is None) and empty(), SLOW, "notifications queue drained")


def put_order_event(cloud: Any, detail_type: str, order_id: str, detail: dict[str, Any]) -> None:
    """Put an order event on the bus as the outbox does (events:PutEvents)."""
    entry = {
        "EventBusName": cloud.bus_name,
        "Source": "commerce.orders",
        "DetailType": detail_type,
        "Detail": json.dumps({**detail, "order_id": order_id}),
    }
    assert cloud.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def placed(api: Any, token: str, payment: str) -> dict[str, Any]:
    response = place(api, token, quote(api, token, new_sku(5))["quote_token"], payment=payment)
    assert response.status_code == 201, response.text
    return detail(api, token, response.json()["order_id"])["order"]


# ---- the emails customers get ------------------------------------------------------------------------
def test_the_customers_id_token_carries_the_email_the_order_is_sent_to(api, shopper):
    token, address = shopper
    order = placed(api, token, "tok_challenge")  # stays awaiting payment: no email
    assert order["contact_email"] == address


def test_an_approved_order_sends_one_confirmation_to_the_customer(api, cloud, shopper, outbox_files):
    # Given a customer; When they place an order the bank approves
    token, address = shopper
    order = placed(api, token, "tok_approve")
    order_id, total = order["order_id"], format_money(order["total"], order["currency"])

    # Then they receive the order confirmation, once
    sent = email_arrives(api, address, f"Order confirmed: {order_id}")
    assert sent["to"] == [address] and sent["from"] == cloud.topology.email.address
    assert order_id in sent["text"] and total in sent["text"]
    assert order_id in sent["html"] and total in sent["html"] and sent["html"].startswith("<!doctype html>")
    notifications_drained(cloud)
    assert [m["subject"] for m in emails_to(api, address)] == [f"Order confirmed: {order_id}"]

    # and the back office's log says what was sent (not the body)
    [record] = DynamoSentLog(cloud.physical("notifications")).sent(order_id)
    assert record == SentEmail(
        event_id=record.event_id,
        order_id=order_id,
        template="order_confirmation",
        recipient=address,
        subject=sent["subject"],
        message_id=sent["message_id"],
        sent_at=record.sent_at,
    )
    assert record.event_id.startswith(f"{order_id}:")

    # and the .eml file is the same email, readable by any mail client
    [path] = [p for p in outbox_files() if p.name.endswith(f"-{sent['message_id']}.eml")]
    assert sent["eml"] == str(path)
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == address and message["Subject"] == sent["subject"]
    assert message["From"] == cloud.topology.email.address
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().strip() == sent["text"].strip()
    assert html.get_content().strip() == sent["html"].strip()


def test_a_declined_payment_sends_a_payment_failed_email(api, cloud, shopper):
    token, address = shopper
    order = placed(api, token, "tok_decline")
    status_becomes(api, token, order["order_id"], "awaiting_payment_retry", timeout=SLOW)

    sent = email_arrives(api, address, f"Payment failed for order {order['order_id']}")
    assert "your bank declined the card" in sent["text"]
    assert format_money(order["total"], order["currency"]) in sent["text"]


def test_a_customer_cancel_sends_a_cancelled_email(api, cloud, shopper):
    token, address = shopper
    order = placed(api, token, "tok_challenge")  # the bank's challenge is never completed
    response = api.post(f"/me/orders/{order['order_id']}/cancel", headers=auth(token), json={"reason": "Too slow"})
    assert response.status_code == 202, response.text
    status_becomes(api, token, order["order_id"], "cancelled", timeout=SLOW)

    sent = email_arrives(api, address, f"Order {order['order_id']} is cancelled")
    assert "cancelled at your request" in sent["text"] and "Too slow" not in sent["text"]
    notifications_drained(cloud)
    assert len(emails_to(api, address)) == 1


def test_the_same_event_twice_on_the_bus_sends_one_email(api, cloud, shopper):
    # Given an order whose confirmation went out
    token, address = shopper
    order = placed(api, token, "tok_approve")
    subject = f"Order confirmed: {order['order_id']}"
    email_arrives(api, address, subject)
    notifications_drained(cloud)
    entry = next(e for e in detail(api, token, order["order_id"])["timeline"] if e["type"] == "OrderPaymentAuthorised")

    # When its event is delivered again, twice (EventBridge and SQS deliver at least once)
    event = {**entry["detail"], "event_id": entry["event_id"], "occurred_at": entry["at"], "by": entry["by"]}
    put_order_event(cloud, "OrderPaymentAuthorised", order["order_id"], event)
    put_order_event(cloud, "OrderPaymentAuthorised", order["order_id"], event)
    notifications_drained(cloud)

    # Then the customer still has one confirmation
    assert [m["subject"] for m in emails_to(api, address)] == [subject]
    # (while another event id is another email: the duplicates did reach the function)
    put_order_event(
        cloud, "OrderPaymentAuthorised", order["order_id"], {**event, "event_id": f"{order['order_id']}:99"}
    )
    until(lambda: len(emails_to(api, address)) == 2, SLOW, "the other event's email")
    notifications_drained(cloud)
    assert [m["subject"] for m in emails_to(api, address)] == [subject, subject]


def test_a_dispatched_event_emails_the_carrier_and_the_tracking_link(api, cloud, shopper):
    # Given an order with no shipment record; When its OrderDispatched event arrives
    token, address = shopper
    order = placed(api, token, "tok_challenge")
    dispatched = {
        "event_id": f"{order['order_id']}:50",
        "occurred_at": "2026-11-22T10:00:00.000Z",
        "by": "workflow",
        "carrier": "parcelfast",
        "tracking_number": "PF123456789",
        "tracking_url": "https://track.parcelfast.example/PF123456789",
    }
    put_order_event(cloud, "OrderDispatched", order["order_id"], dispatched)

    # Then the email has the carrier, the number and the link (from the event's own fields)
    sent = email_arrives(api, address, f"Your order {order['order_id']} is on its way")
    assert "Parcelfast" in sent["text"] and "PF123456789" in sent["text"]
    assert '<a href="https://track.parcelfast.example/PF123456789">' in sent["html"]


def test_the_outbox_lists_the_newest_first_and_filters_by_recipient(api, cloud, shopper):
    token, address = shopper
    first = placed(api, token, "tok_approve")
    email_arrives(api, address, f"Order confirmed: {first['order_id']}")
    second = placed(api, token, "tok_decline")
    email_arrives(api, address, f"Payment failed for order {second['order_id']}")

    mine = emails_to(api, address)
    assert [m["subject"] for m in mine] == [
        f"Payment failed for order {second['order_id']}",
        f"Order confirmed: {first['order_id']}",
    ]
    assert mine[0]["sent_at"] >= mine[1]["sent_at"]
    assert set(mine[0]) == {"message_id", "sent_at", "from", "to", "subject", "text", "html", "eml"}
    everyone = api.get("/_local/emails").json()
    assert len(everyone) >= 2 and everyone == sorted(everyone, key=lambda m: m["sent_at"], reverse=True)
    assert [m for m in cloud.emails(to=address)] == mine


# ---- the claim, on DynamoDB ------------------------------------------------------------------------------
def test_the_claim_is_a_conditional_write_with_a_lease(cloud):
    log = DynamoSentLog(cloud.physical("notifications"))
    order_id = f"ord_claim{uuid.uuid4().hex[:8]}"
    event_id = f"{order_id}:2"
    now = int(time.time())

    def claim(token: str, at: int) -> Claim:
        return log.claim(order_id, event_id, token, now=at, lease_until=at + 45, expires_at=at + 86_400)

    assert claim("a", now) is Claim.TAKEN
    assert claim("b", now + 1) is Claim.IN_FLIGHT  # a's lease runs
    log.release(order_id, event_id, "b")  # not b's to give back
    assert claim("b", now + 2) is Claim.IN_FLIGHT
    log.release(order_id, event_id, "a")
    assert claim("b", now + 3) is Claim.TAKEN  # given back: the retry takes it
    assert claim("c", now + 60) is Claim.TAKEN  # b's lease ran out unsent: taken over

    sent = SentEmail(
        event_id=event_id,
        order_id=order_id,
        template="order_confirmation",
        recipient="x@example.com",
        subject="s",
        message_id="m-1",
        sent_at="2026-11-22T10:00:00.000Z",
    )
    assert log.record(sent, "b") is False  # b lost it
    assert log.record(sent, "c") is True
    assert claim("d", now + 10_000) is Claim.SENT  # sent: never again, however late
    assert log.sent(order_id) == [sent]
