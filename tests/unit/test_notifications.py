"""Customer emails over fakes: every template rendered from a sample order (subject, recipient,
content, the tracking link, HTML escaping, money), and the exactly-once claim around sending."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from commerce.common.observability import logger
from commerce.customers.models import AddressInput
from commerce.fulfilment.models import Shipment
from commerce.notifications.models import (
    TEMPLATES,
    Claim,
    Email,
    OrderEvent,
    Outcome,
    Parcel,
    SentEmail,
)
from commerce.notifications.render import TEMPLATE_DIR, format_money, order_values, render
from commerce.notifications.service import EmailInFlight, NotificationService
from commerce.orders.models import Order, OrderLine, OrderStatus
from infra.topology import NOTIFIED_ORDER_EVENTS

EMAIL = "ada@example.com"
NOW = 1_800_000_000


def order(**changes: Any) -> Order:
    base = Order(
        order_id="ord_01JDX0000000000000000000001",
        customer_id="sub-1",
        status=OrderStatus.PAYMENT_AUTHORISED,
        quote_id="quo_1",
        currency="EUR",
        lines=[
            OrderLine(
                sku="AUR-BLA",
                product_id="aurora",
                name="Aurora <b>ANC</b> Headphones & Case",
                quantity=2,
                unit_price=19_900,
                line_total=39_800,
                tax=6_907,
            ),
            OrderLine(
                sku="MUG-1", product_id="mug", name="Walk Mug", quantity=1, unit_price=1_200, line_total=1_200, tax=208
            ),
        ],
        subtotal=41_000,
        shipping=495,
        discount_total=500,
        tax=7_115,
        total=40_995,
        shipping_address=AddressInput(
            name="Ada <script>alert(1)</script> Lovelace",
            line1="Dam 1",
            city="Amsterdam",
            postal_code="1012JS",
            country="NL",
        ),
        payment_method="card",
        contact_email=EMAIL,
        payment_window_seconds=1800,
        reserved_until=NOW + 1800,
        created_at="2026-11-22T10:00:00.000Z",
        updated_at="2026-11-22T10:00:05.000Z",
    )
    return base.model_copy(update=changes)


def event(detail_type: str, seq: int = 2, **detail: Any) -> OrderEvent:
    order_id = order().order_id
    return OrderEvent.from_eventbridge(
        {
            "detail-type": detail_type,
            "source": "commerce.orders",
            "detail": {
                "event_id": f"{order_id}:{seq}",
                "occurred_at": "2026-11-23T09:30:00.000Z",
                "order_id": order_id,
                "by": "workflow",
                **detail,
            },
        }
    )


def email_for(detail_type: str, parcel: Parcel | None = None, **detail: Any) -> Email:
    name = TEMPLATES[detail_type]
    return render(name, EMAIL, order_values(order(), event(detail_type, **detail), parcel))


PARCEL = Parcel(carrier="parcelfast", tracking_number="PF123456789", tracking_url="https://t.example/PF1?a=1&b=2")


# ---- templates -------------------------------------------------------------------------------------
def test_there_is_a_template_for_exactly_the_events_the_bus_rule_routes_here() -> None:
    assert set(TEMPLATES) == set(NOTIFIED_ORDER_EVENTS)
    for name in TEMPLATES.values():
        for suffix in (".subject.txt", ".txt", ".html"):
            assert (TEMPLATE_DIR / f"{name}{suffix}").is_file(), f"{name}{suffix}"


@pytest.mark.parametrize("detail_type", sorted(TEMPLATES))
def test_every_template_renders_for_the_customer_with_the_order(detail_type: str) -> None:
    # Given a sample order; When its email for this event is rendered
    email = email_for(detail_type, PARCEL, decline_code="card_declined", signed_by="A. Resident")

    # Then it goes to the order's contact, names the order in subject and both parts
    assert email.to == EMAIL and email.template == TEMPLATES[detail_type]
    assert order().order_id in email.subject and "\n" not in email.subject
    assert order().order_id in email.text and order().order_id in email.html
    assert "Walk Mug" in email.text and "Walk Mug" in email.html
    assert "$" not in email.text.replace("$ ", "")  # no placeholder left
    assert email.html.startswith("<!doctype html>") and "</html>" in email.html
    # personal values are escaped in HTML, as they are in text
    assert "<script>" not in email.html and "Ada &lt;script&gt;alert(1)&lt;/script&gt; Lovelace" in email.html
    assert "Ada <script>alert(1)</script> Lovelace" in email.text
    assert "Aurora &lt;b&gt;ANC&lt;/b&gt; Headphones &amp; Case" in email.html


def test_subjects_say_what_happened() -> None:
    order_id = order().order_id
    subjects = {detail_type: email_for(detail_type, PARCEL).subject for detail_type in TEMPLATES}
    assert subjects == {
        "OrderPaymentAuthorised": f"Order confirmed: {order_id}",
        "OrderPaymentDeclined": f"Payment failed for order {order_id}",
        "OrderCancelled": f"Order {order_id} is cancelled",
        "OrderRejected": f"We could not accept order {order_id}",
        "OrderExpired": f"Order {order_id} has expired",
        "OrderDispatched": f"Your order {order_id} is on its way",
        "OrderDelivered": f"Your order {order_id} has been delivered",
    }


def test_the_confirmation_itemises_the_order_in_its_currency() -> None:
    email = email_for("OrderPaymentAuthorised")
    for text in (email.text, email.html):
        assert "€398.00" in text and "€12.00" in text  # line totals
        assert "€410.00" in text and "€4.95" in text and "-€5.00" in text  # subtotal, shipping, discount
        assert "€409.95" in text and "€71.15" in text  # total, VAT included
        assert "1012JS Amsterdam" in text
    assert "2 x Aurora <b>ANC</b> Headphones & Case (AUR-BLA)" in email.text


def test_the_dispatched_email_has_the_carrier_and_a_tracking_link() -> None:
    email = email_for("OrderDispatched", PARCEL)
    assert "Parcelfast" in email.text and "PF123456789" in email.text
    assert "https://t.example/PF1?a=1&b=2" in email.text
    assert '<a href="https://t.example/PF1?a=1&amp;b=2">' in email.html


def test_only_web_links_become_links() -> None:
    email = email_for("OrderDispatched", PARCEL.model_copy(update={"tracking_url": "javascript:alert(1)"}))
    assert "javascript" not in email.html and "javascript" not in email.text
    assert "PF123456789" in email.text


def test_without_a_tracking_number_the_dispatched_email_says_so() -> None:
    email = email_for("OrderDispatched", Parcel())
    assert "our carrier" in email.text and "not available yet" in email.text and "<a href" not in email.html


def test_the_delivered_email_says_who_signed() -> None:
    email = email_for("OrderDelivered", PARCEL.model_copy(update={"signed_by": "A. <Resident>"}))
    assert "Signed for by A. <Resident>." in email.text
    assert "Signed for by A. &lt;Resident&gt;." in email.html
    assert "23 Nov 2026, 09:30 UTC" in email.text


def test_the_payment_failed_email_says_why_and_until_when_the_items_are_held() -> None:
    email = email_for("OrderPaymentDeclined", decline_code="insufficient_funds")
    assert "your bank reported insufficient funds" in email.text
    assert "15 Jan 2027, 08:30 UTC" in email.text  # reserved_until
    assert "the payment was not authorised" in email_for("OrderPaymentDeclined", decline_code="odd").text


def test_the_cancelled_email_says_who_cancelled() -> None:
    mine = email_for("OrderCancelled", requested_by="customer:sub-1")
    staff = email_for("OrderCancelled", requested_by="staff:sub-9")
    assert "cancelled at your request" in mine.text
    assert "cancelled by our customer service team" in staff.text


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (39_800, "EUR", "€398.00"),
        (5, "EUR", "€0.05"),
        (0, "EUR", "€0.00"),
        (123_456_789, "GBP", "£1,234,567.89"),
        (1_999, "usd", "$19.99"),
        (-500, "EUR", "-€5.00"),
        (1_500, "JPY", "1,500 JPY"),
        (1_234, "KWD", "1.234 KWD"),
        (12_50, "SEK", "12.50 SEK"),
    ],
)
def test_money_is_formatted_from_minor_units_with_the_currency(minor: int, currency: str, shown: str) -> None:
    assert format_money(minor, currency) == shown


# ---- exactly once ------------------------------------------------------------------------------------
class FakeOrders:
    def __init__(self, current: Order | None, shipment: Shipment | None = None) -> None:
        self.current, self.current_shipment = current, shipment

    def get(self, order_id: str) -> Order | None:
        return self.current if self.current and self.current.order_id == order_id else None

    def shipment(self, order_id: str) -> Shipment | None:
        return self.current_shipment


class FakeMailer:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[Email] = []
        self.failures = failures

    def send(self, email: Email) -> str:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SES is unreachable")
        self.sent.append(email)
        return f"msg-{len(self.sent)}"


class FakeSentLog:
    """The conditional writes of DynamoSentLog, in memory."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def claim(self, order_id: str, event_id: str, token: str, now: int, lease_until: int, expires_at: int) -> Claim:
        held = self.items.get((order_id, event_id))
        if held is not None and not (held["status"] == "claimed" and held["lease_until"] < now):
            return Claim.SENT if held["status"] == "sent" else Claim.IN_FLIGHT
        self.items[(order_id, event_id)] = {"status": "claimed", "token": token, "lease_until": lease_until}
        return Claim.TAKEN

    def release(self, order_id: str, event_id: str, token: str) -> None:
        held = self.items.get((order_id, event_id))
        if held and held["status"] == "claimed" and held["token"] == token:
            del self.items[(order_id, event_id)]

    def record(self, sent: SentEmail, token: str) -> bool:
        held = self.items.get((sent.order_id, sent.event_id))
        if not held or held["status"] != "claimed" or held["token"] != token:
            return False
        held.update(status="sent", sent=sent)
        return True

    def sent(self, order_id: str) -> list[SentEmail]:
        return [item["sent"] for (oid, _), item in self.items.items() if oid == order_id and item["status"] == "sent"]


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


def service(
    current: Order | None = None, mailer: FakeMailer | None = None, shipment: Shipment | None = None
) -> tuple[NotificationService, FakeMailer, FakeSentLog, Clock]:
    mailer, log, clock = mailer or FakeMailer(), FakeSentLog(), Clock()
    orders = FakeOrders(order() if current is None else current, shipment)
    return NotificationService(orders, mailer, log, clock=clock, lease_seconds=45), mailer, log, clock


def test_an_event_delivered_twice_sends_one_email_and_records_it() -> None:
    svc, mailer, log, _ = service()
    confirmed = event("OrderPaymentAuthorised")

    assert svc.handle(confirmed) is Outcome.SENT
    assert svc.handle(confirmed) is Outcome.DUPLICATE

    assert [m.template for m in mailer.sent] == ["order_confirmation"]
    [record] = svc.sent(confirmed.order_id)
    assert record.model_dump() == {
        "event_id": confirmed.event_id,
        "order_id": confirmed.order_id,
        "template": "order_confirmation",
        "recipient": EMAIL,
        "subject": mailer.sent[0].subject,
        "message_id": "msg-1",
        "sent_at": "2027-01-15T08:00:00.000Z",
    }
    assert set(log.items) == {(confirmed.order_id, confirmed.event_id)}


def test_different_events_of_one_order_each_send_their_email() -> None:
    svc, mailer, _, _ = service()
    svc.handle(event("OrderPaymentAuthorised", seq=2))
    svc.handle(event("OrderCancelled", seq=5))
    assert [m.template for m in mailer.sent] == ["order_confirmation", "order_cancelled"]


def test_a_failed_send_releases_the_claim_so_the_retry_sends_it() -> None:
    svc, mailer, log, _ = service(mailer=FakeMailer(failures=1))
    declined = event("OrderPaymentDeclined", decline_code="card_declined")

    with pytest.raises(ConnectionError):
        svc.handle(declined)
    assert log.items == {} and mailer.sent == []

    assert svc.handle(declined) is Outcome.SENT  # the SQS retry
    assert svc.handle(declined) is Outcome.DUPLICATE
    assert len(mailer.sent) == 1


def test_a_delivery_finding_the_email_in_flight_fails_and_a_stale_claim_is_taken_over() -> None:
    svc, mailer, log, clock = service()
    cancelled = event("OrderCancelled")
    log.claim(cancelled.order_id, cancelled.event_id, "other", now=NOW, lease_until=NOW + 45, expires_at=NOW + 99)

    with pytest.raises(EmailInFlight):  # another delivery is sending it: retry later
        svc.handle(cancelled)
    assert mailer.sent == []

    clock.now += 46  # its lease ran out before it recorded anything (it died)
    assert svc.handle(cancelled) is Outcome.SENT
    assert len(mailer.sent) == 1


def test_no_contact_email_no_order_or_an_event_without_a_template_send_nothing() -> None:
    svc, mailer, log, _ = service(current=order(contact_email=None))
    assert svc.handle(event("OrderPaymentAuthorised")) is Outcome.NO_EMAIL

    other, other_mailer, other_log, _ = service()
    assert other.handle(event("OrderPaymentAuthorised").model_copy(update={"order_id": "ord_x"})) is (
        Outcome.ORDER_NOT_FOUND
    )
    assert other.handle(event("OrderPlaced")) is Outcome.NOT_NOTIFIED
    assert mailer.sent == other_mailer.sent == [] and log.items == other_log.items == {}


def test_dispatch_emails_read_the_shipment_and_fall_back_to_the_event() -> None:
    shipment = Shipment(
        order_id=order().order_id,
        warehouse="main",
        carrier="swiftpost",
        tracking_number="SW1",
        tracking_url="https://swiftpost.example/track?id=SW1",
        requested_at="2026-11-22T10:00:00Z",
        updated_at="2026-11-22T11:00:00Z",
    )
    svc, mailer, _, _ = service(shipment=shipment)
    svc.handle(event("OrderDispatched", carrier="parcelfast", tracking_number="PF9"))
    assert "Swiftpost" in mailer.sent[0].text and "https://swiftpost.example/track?id=SW1" in mailer.sent[0].text

    svc, mailer, _, _ = service(shipment=None)
    svc.handle(
        event("OrderDispatched", carrier="parcelfast", tracking_number="PF9", tracking_url="https://t.example/PF9")
    )
    assert "Parcelfast" in mailer.sent[0].text and "PF9" in mailer.sent[0].text
    assert '<a href="https://t.example/PF9">' in mailer.sent[0].html


def test_addresses_and_bodies_stay_out_of_the_logs() -> None:
    stream = io.StringIO()
    handler = logger.registered_handler  # Powertools' JSON handler: the log lines with their extra keys
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        svc, _, _, _ = service(mailer=FakeMailer(failures=1))
        confirmed = event("OrderPaymentAuthorised")
        with pytest.raises(ConnectionError):
            svc.handle(confirmed)
        svc.handle(confirmed)
        svc.handle(confirmed)
        service(current=order(contact_email=None))[0].handle(confirmed)
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]

    logged = stream.getvalue()
    assert confirmed.event_id in logged  # it does log, with the event id
    assert EMAIL not in logged and "Lovelace" not in logged and "Walk Mug" not in logged
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", logged)


# ---- the SES adapter ---------------------------------------------------------------------------------
def test_ses_gets_a_text_and_an_html_part_and_its_refusals_do_not_carry_the_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3
    from botocore.stub import Stubber

    from commerce.adapters import email_ses
    from commerce.adapters.email_ses import EmailNotSent, SesMailer

    stubbed = boto3.client("ses", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(email_ses, "client", lambda service: stubbed)  # not the cached, shared client
    email = email_for("OrderPaymentAuthorised")
    expected = {
        "Source": "orders@shop.example.com",
        "Destination": {"ToAddresses": [EMAIL]},
        "Message": {
            "Subject": {"Data": email.subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": email.text, "Charset": "UTF-8"},
                "Html": {"Data": email.html, "Charset": "UTF-8"},
            },
        },
    }
    with Stubber(stubbed) as ses:
        ses.add_response("send_email", {"MessageId": "m-1"}, expected)
        ses.add_client_error(
            "send_email", "MessageRejected", f"Email address is not verified: {EMAIL}", expected_params=expected
        )
        assert SesMailer("orders@shop.example.com").send(email) == "m-1"
        with pytest.raises(EmailNotSent) as refused:
            SesMailer("orders@shop.example.com").send(email)
    assert "MessageRejected" in str(refused.value) and EMAIL not in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
