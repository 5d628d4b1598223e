"""Emailing customers about their orders' events, exactly once per event.

Events arrive at least once. Before sending, the event's email is claimed with a conditional write
(``ORDER#<order_id>``/``EMAIL#<event_id>``, holding a lease a little longer than the function's
timeout): a second delivery finds it sent (a duplicate: nothing is sent) or in flight (it fails,
so SQS retries it after the visibility timeout, by when the first has finished or its lease has
run out). A failed send gives the claim back and fails the message, so the retry sends it. What
was sent is recorded on the claim (recipient, subject, template, message id, time; never the body).

Email addresses and bodies are personal data: they are never logged."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from commerce.common.clock import iso
from commerce.common.observability import logger
from commerce.notifications.models import (
    PARCEL_TEMPLATES,
    TEMPLATES,
    Claim,
    Email,
    OrderEvent,
    Outcome,
    Parcel,
    SentEmail,
)
from commerce.notifications.ports import Mailer, OrderReader, SentLog
from commerce.notifications.render import order_values, render
from commerce.orders.models import Order

LEASE_SECONDS = 45  # > the function's timeout (30 s), < the queue's visibility timeout (60 s)
KEEP_DAYS = 400  # the sent log (and so the de-duplication) outlives any redelivery by far


class EmailInFlight(Exception):
    """Another delivery of the same event holds the claim and is sending it: retry later."""


class NotificationService:
    def __init__(
        self,
        orders: OrderReader,
        mailer: Mailer,
        sent_log: SentLog,
        clock: Callable[[], float] = time.time,
        lease_seconds: int = LEASE_SECONDS,
        keep_days: int = KEEP_DAYS,
    ) -> None:
        self._orders = orders
        self._mailer = mailer
        self._log = sent_log
        self._clock = clock
        self._lease = lease_seconds
        self._keep = keep_days * 86_400

    def handle(self, event: OrderEvent) -> Outcome:
        """Email the customer about ``event`` unless it was emailed before. Raises when the email
        could not be sent (the claim is given back first) or another delivery is sending it."""
        context = {"event_id": event.event_id, "order_id": event.order_id, "detail_type": event.detail_type}
        name = TEMPLATES.get(event.detail_type)
        if name is None:
            logger.info("no email for this event type", extra=context)
            return Outcome.NOT_NOTIFIED
        order = self._orders.get(event.order_id)
        if order is None:
            # the outbox publishes only committed entries: this order will not appear later
            logger.warning("order of the event not found; no email", extra=context)
            return Outcome.ORDER_NOT_FOUND
        if not order.contact_email:
            logger.info("order has no contact email; no email", extra=context | {"template": name})
            return Outcome.NO_EMAIL
        email = self.compose(name, order, event)
        return self._send_once(event, email, context | {"template": name})

    def compose(self, name: str, order: Order, event: OrderEvent) -> Email:
        """The email of template ``name`` about ``event`` (the parcel read for dispatch/delivery)."""
        parcel = self._parcel(order.order_id, event) if name in PARCEL_TEMPLATES else None
        return render(name, str(order.contact_email), order_values(order, event, parcel))

    def sent(self, order_id: str) -> list[SentEmail]:
        """What an order's customer was sent (for the back office)."""
        return self._log.sent(order_id)

    # ---- helpers -------------------------------------------------------------------------------------
    def _send_once(self, event: OrderEvent, email: Email, context: dict[str, str]) -> Outcome:
        return send_once(
            self._log,
            self._mailer,
            event.order_id,
            event.event_id,
            email,
            self._clock,
            self._lease,
            self._keep,
            context,
        )

    def _parcel(self, order_id: str, event: OrderEvent) -> Parcel:
        """The shipment's carrier, tracking and signature; the event's own fields where it has none."""
        shipment = self._orders.shipment(order_id)

        def pick(field: str) -> str | None:
            return _text(getattr(shipment, field, None)) or _text(event.detail.get(field))

        return Parcel(**{field: pick(field) for field in Parcel.model_fields})


def send_once(
    log: SentLog,
    mailer: Mailer,
    owner: str,
    event_id: str,
    email: Email,
    clock: Callable[[], float],
    lease: int,
    keep: int,
    context: dict[str, str],
) -> Outcome:
    """Send ``email`` about ``event_id`` unless it was sent before: claim it in the sent log (under
    ``owner``: an order, or a staff alert's subject), send, record. Raises when another delivery is
    sending it (``EmailInFlight``) or the send failed (the claim is given back first)."""
    now = int(clock())
    token = uuid.uuid4().hex
    claim = log.claim(owner, event_id, token, now=now, lease_until=now + lease, expires_at=now + keep)
    if claim is Claim.SENT:
        logger.info("email already sent for this event", extra=context)
        return Outcome.DUPLICATE
    if claim is Claim.IN_FLIGHT:
        raise EmailInFlight(f"the email for event {event_id} is being sent by another delivery")
    try:
        message_id = mailer.send(email)
    except Exception:
        logger.warning("email not sent; claim released for the retry", extra=context)
        log.release(owner, event_id, token)
        raise
    record = SentEmail(
        event_id=event_id,
        order_id=owner,
        template=email.template,
        recipient=email.to,
        subject=email.subject,
        message_id=message_id,
        sent_at=iso(datetime.fromtimestamp(now, UTC)),
    )
    if not log.record(record, token):
        # our lease ran out while sending and another delivery took the claim over
        logger.warning("claim lost while sending; the email may have gone twice", extra=context)
    logger.info("email sent", extra=context | {"message_id": message_id})
    return Outcome.SENT


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
