"""Back-office order use cases (docs/back-office.md, "Orders: the staff screens").

Every change to an order is one conditional write of its item (``OrderWrite``: the status,
``timeline_seq`` and task token as read) with a timeline entry, so it races safely with the
workflow, the dispatch handler and the partner webhooks: whoever commits second re-reads and
decides again. Each staff write names what it changed for the audit log."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from commerce.audit import log as audit_log
from commerce.backoffice_orders import listing
from commerce.backoffice_orders.errors import (
    DispatchAlreadyRequested,
    EmailNotFound,
    NoContactEmail,
    NothingToRefund,
    OrderAlreadyHeld,
    OrderNotChangeable,
    OrderNotHeld,
    PaymentGatewayUnavailable,
    RefundExceedsRefundable,
    RefundKeyUsed,
    RefundNumberTaken,
    RefundRefused,
    ShippingCountryChange,
)
from commerce.backoffice_orders.models import (
    AdminOrderDetail,
    AdminOrderPage,
    AdminOrderState,
    EmailResent,
    ListFilters,
    Note,
    OrderEmail,
    RefundRecord,
    RefundRequest,
    RefundResult,
    ResendRecord,
    ResendResult,
    payment_status_of,
)
from commerce.backoffice_orders.ports import DispatchQueue, Emails, Mailer, Payments, RefundLedger, StaffOrders
from commerce.common.clock import iso, new_id
from commerce.customers.models import AddressInput
from commerce.notifications.models import OrderEvent
from commerce.orders import admin as keys
from commerce.orders.errors import IdempotencyKeyReused, OrderNotFound, OrderStateConflict
from commerce.orders.models import CANCELLABLE, Order, OrderStatus, TimelineEntry
from commerce.orders.ports import OrderWrite
from commerce.orders.service import next_entry

ATTEMPTS = 6  # re-reads after losing a race to another writer
S = OrderStatus


@dataclass(frozen=True)
class _Change:
    """A staff change of one order attribute (None removes it), recorded as a timeline entry."""

    kind: str  # the entry's type
    attribute: str
    value: Any
    detail: dict[str, Any] = field(default_factory=dict)


class BackOfficeOrders:
    def __init__(
        self,
        orders: StaffOrders,
        payments: Payments | None = None,
        emails: Emails | None = None,
        mailer: Mailer | None = None,
        dispatch: DispatchQueue | None = None,
        ledger: RefundLedger | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._orders = orders
        self._payments = payments
        self._emails = emails
        self._mailer = mailer
        self._dispatch = dispatch
        self._ledger = ledger
        self._clock = clock

    # ---- reading --------------------------------------------------------------------------------------
    def list_orders(self, filters: ListFilters, limit: int, cursor: str | None) -> AdminOrderPage:
        fingerprint = filters.fingerprint()
        after = listing.decode_cursor(cursor, fingerprint)
        the_plan = listing.plan(filters)
        if the_plan.order_id is not None:
            item = self._orders.item(the_plan.order_id)
            found = (
                item is not None
                and after is None
                and listing.in_window(item, the_plan.window)
                and listing.matches(item, the_plan.conditions)
            )
            rows = [item] if found and item is not None else []
            return AdminOrderPage(orders=[self._row(item) for item in rows], next_cursor=None)
        got = listing.page(self._orders, the_plan, after, limit)
        next_cursor = listing.encode_cursor(got.next_position, fingerprint) if got.next_position else None
        return AdminOrderPage(orders=[self._row(item) for item in got.rows], next_cursor=next_cursor)

    @staticmethod
    def _row(item: dict[str, Any]) -> Any:
        order = Order.model_validate({k: v for k, v in item.items() if k in Order.model_fields})
        return listing.row_of(order, flagged="flag_key" in item)

    def detail(self, order_id: str) -> AdminOrderDetail:
        part = self._orders.partition(order_id)
        if part is None:
            raise OrderNotFound(f"No order {order_id}.")
        order = part.order
        resends: dict[str, list[EmailResent]] = {}
        for resend in part.resends:
            resends.setdefault(resend.event_id, []).append(EmailResent.model_validate(resend.model_dump()))
        sent = self._emails.sent(order_id) if self._emails is not None else []
        emails = [OrderEmail(**email.model_dump(), resends=resends.get(email.event_id, [])) for email in sent]
        return AdminOrderDetail(
            order=order,
            hold=order.hold,
            flagged=keys.is_flagged(order.status, order.attention),
            payment_status=payment_status_of(order.status, order.refunded, order.total),
            timeline=part.timeline,
            payment=self._payments.summary(order_id) if self._payments is not None else None,
            shipment=part.shipment,
            notes=part.notes,
            emails=emails,
            refunds=part.refunds,
        )

    # ---- hold and release -------------------------------------------------------------------------------
    def hold(self, order_id: str, reason: str, staff: str) -> AdminOrderState:
        """Keep an order from the warehouse. Only before the dispatch request is sent: the dispatch
        handler then stores the Dispatch task's token and sends nothing (docs/back-office.md)."""
        hold = {"reason": reason, "by": f"staff:{staff}", "at": self._now()}

        def decide(order: Order) -> _Change:
            if order.hold is not None:
                raise OrderAlreadyHeld(f"Order {order_id} is already held.", hold=order.hold)
            self._before_dispatch(order)
            return _Change("OrderHeld", "hold", hold)

        self._change(order_id, staff, decide)
        audit_log.changed("orders", order_id, {"hold": None}, {"hold": hold})
        return self._state(order_id)

    def release(self, order_id: str, staff: str) -> AdminOrderState:
        """Lift the hold. If the dispatch request arrived while it was held, it is queued again
        (the ``warehouse-dispatch`` queue: retried and dead-lettered like the workflow's own)."""

        def decide(order: Order) -> _Change | None:
            if order.hold is None:
                if self._resume(order):  # a release whose queueing failed, asked again
                    return None
                raise OrderNotHeld(f"Order {order_id} is not held.", order_status=str(order.status))
            return _Change("OrderReleased", "hold", None)

        before = self._change(order_id, staff, decide)
        if before is None:
            audit_log.changed("orders", order_id, {"dispatch": "held"}, {"dispatch": "queued"})
        else:
            self._resume(self._order(order_id))
            audit_log.changed("orders", order_id, {"hold": before.hold}, {"hold": None})
        return self._state(order_id)

    def _resume(self, order: Order) -> bool:
        """The Dispatch task waits with its token stored and nothing was sent: send it now."""
        if order.status is not S.READY_FOR_FULFILMENT or not order.task_token:
            return False
        if self._orders.shipment(order.order_id) is not None:
            return False
        if self._dispatch is None:
            raise RuntimeError("this service was built without the dispatch queue")
        self._dispatch.send(order.order_id, order.task_token)
        return True

    # ---- the shipping address ----------------------------------------------------------------------------
    def change_address(self, order_id: str, address: AddressInput, staff: str) -> AdminOrderState:
        """Before the dispatch request is sent only, and within the country it was priced for."""
        after = address.model_dump(mode="json", exclude_none=True)

        def decide(order: Order) -> _Change | None:
            self._before_dispatch(order)
            if address.country != order.shipping_address.country:
                raise ShippingCountryChange(
                    f"Shipping and VAT were priced for {order.shipping_address.country}; "
                    "another country needs a new order.",
                    country=order.shipping_address.country,
                )
            if order.shipping_address.model_dump(mode="json", exclude_none=True) == after:
                return None  # the same address: nothing to change
            return _Change("OrderShippingAddressChanged", "shipping_address", after)

        before = self._change(order_id, staff, decide)
        if before is not None:
            was = before.shipping_address.model_dump(mode="json", exclude_none=True)
            audit_log.changed("orders", order_id, {"shipping_address": was}, {"shipping_address": after})
        return self._state(order_id)

    def _change(self, order_id: str, staff: str, decide: Callable[[Order], _Change | None]) -> Order | None:
        """One staff change of the order item with its timeline entry, conditional on the order as
        read: when the workflow, the dispatch handler or a webhook moved it first, read it again and
        decide again. The order as it was before the change; None when there was nothing to change."""
        for _ in range(ATTEMPTS):
            order = self._order(order_id)
            change = decide(order)
            if change is None:
                return None
            entry = next_entry(order, order.status, change.kind, change.detail, f"staff:{staff}", self._now())
            try:
                self._orders.write(
                    OrderWrite(order, entry=entry, keep_token=True, changes={change.attribute: change.value})
                )
            except OrderStateConflict:
                continue
            return order
        raise OrderStateConflict(f"Order {order_id} keeps changing; try again.")

    def _before_dispatch(self, order: Order) -> None:
        if order.status not in CANCELLABLE:
            raise OrderNotChangeable(
                f"Order {order.order_id} is {order.status}; it can no longer be changed.",
                order_status=str(order.status),
            )
        shipment = self._orders.shipment(order.order_id)
        if shipment is not None:
            raise DispatchAlreadyRequested(
                f"The dispatch request of order {order.order_id} went to the warehouse.",
                shipment_status=str(shipment.status),
            )

    # ---- notes and emails -----------------------------------------------------------------------------------
    def add_note(self, order_id: str, text: str, staff: str, email: str | None) -> Note:
        self._order(order_id)
        note = Note(note_id=new_id("note"), text=text, by=f"staff:{staff}", by_email=email, at=self._now())
        self._orders.add_note(order_id, note)
        audit_log.changed("orders", order_id, None, {"note_id": note.note_id, "note": text})
        return note

    def resend(self, order_id: str, event_id: str, staff: str) -> ResendResult:
        """Render again and send the email that event sent (to the order's contact email)."""
        if self._emails is None or self._mailer is None:
            raise RuntimeError("this service was built without emails")
        order = self._order(order_id)
        sent = next((e for e in self._emails.sent(order_id) if e.event_id == event_id), None)
        entry = next((e for e in self._timeline(order_id) if e.event_id == event_id), None)
        if sent is None or entry is None:
            raise EmailNotFound(f"No email was sent for event {event_id} of order {order_id}.")
        if not order.contact_email:
            raise NoContactEmail(f"Order {order_id} has no contact email.")
        email = self._emails.compose(sent.template, order, _event_of(order_id, entry))
        message_id = self._mailer.send(email)
        record = ResendRecord(
            event_id=event_id,
            template=sent.template,
            at=self._now(),
            by=f"staff:{staff}",
            recipient=email.to,
            message_id=message_id,
        )
        self._orders.add_resend(order_id, record)
        audit_log.changed(
            "orders", order_id, None, {"email_resent": event_id, "template": sent.template, "message_id": message_id}
        )
        return ResendResult(
            order_id=order_id, event_id=event_id, template=sent.template, message_id=message_id, sent_at=record.at
        )

    def _timeline(self, order_id: str) -> list[TimelineEntry]:
        part = self._orders.partition(order_id)
        return part.timeline if part is not None else []

    # ---- refunds ----------------------------------------------------------------------------------------------
    def refund(self, order_id: str, key: str, request: RefundRequest, staff: str) -> tuple[RefundResult, bool]:
        """A full or partial refund, at most what was captured and not refunded: (result, True when
        this request made it). The refund's number is reserved with the Idempotency-Key before the
        bank is asked, and the bank is asked for that number: a retried request (same key) refunds
        nothing twice; the same key with another body is refused."""
        if self._payments is None or self._ledger is None:
            raise RuntimeError("this service was built without payments")
        order = self._order(order_id)
        record, created = self._reserve(order, key, request, staff)
        outcome = self._payments.refund(order_id, record.amount, record.refund_number)
        if outcome.state == "requested":
            raise PaymentGatewayUnavailable("The bank did not answer; send the same request again.")
        if outcome.state == "refused":
            self._ledger.settle(order_id, record.refund_number, "refused", outcome.decline_code)
            raise RefundRefused(f"The bank refused refund {record.refund_number}.", decline_code=outcome.decline_code)
        self._record_refund(order_id, record, outcome.refunded, staff)
        self._ledger.settle(order_id, record.refund_number, "refunded", None)
        audit_log.changed(
            "orders",
            order_id,
            {"refunded": order.refunded},
            {
                "refunded": outcome.refunded,
                "refund_number": record.refund_number,
                "amount": record.amount,
                "reason": record.reason,
            },
        )
        result = RefundResult(
            order_id=order_id,
            refund_number=record.refund_number,
            amount=record.amount,
            currency=record.currency,
            state="refunded",
            refunded_total=outcome.refunded,
            refundable=outcome.captured - outcome.refunded,
        )
        return result, created

    def _reserve(self, order: Order, key: str, request: RefundRequest, staff: str) -> tuple[RefundRecord, bool]:
        assert self._payments is not None and self._ledger is not None
        order_id, digest = order.order_id, request.body_hash()
        for _ in range(ATTEMPTS):
            existing = self._ledger.by_key(order_id, key)
            if existing is not None:
                if existing.body_hash != digest:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was used for another refund; use a new key for a new refund."
                    )
                return existing, False
            payment = self._payments.summary(order_id) or {}
            refundable = int(payment.get("captured", 0)) - int(payment.get("refunded", 0))
            if refundable <= 0:
                raise NothingToRefund(
                    f"Nothing was captured for order {order_id} that is not refunded; cancel it to release "
                    "an authorisation.",
                    refundable=0,
                )
            if request.amount > refundable:
                raise RefundExceedsRefundable(
                    f"At most {refundable} can be refunded.", refundable=refundable, currency=payment.get("currency")
                )
            taken = [r.refund_number for r in self._ledger.refunds(order_id)]
            record = RefundRecord(
                refund_number=1 + max([int(payment.get("refund_count", 0)), *taken]),
                idempotency_key=key,
                body_hash=digest,
                amount=request.amount,
                currency=str(payment.get("currency") or order.currency),
                reason=request.reason,
                by=f"staff:{staff}",
                at=self._now(),
            )
            try:
                self._ledger.reserve(order_id, record)
            except (RefundKeyUsed, RefundNumberTaken):
                continue  # a concurrent request: read again (a replay, or the next number)
            return record, True
        raise OrderStateConflict(f"Refunds of order {order_id} keep changing; try again.")

    def _record_refund(self, order_id: str, record: RefundRecord, refunded_total: int, staff: str) -> None:
        """The refund on the order: ``OrderRefunded`` (once per refund number) and ``refunded``."""
        detail = {
            "refund_number": record.refund_number,
            "amount": record.amount,
            "currency": record.currency,
            "refunded_total": refunded_total,
        }

        def decide(order: Order) -> _Change | None:
            done = any(
                e.type == "OrderRefunded" and e.detail.get("refund_number") == record.refund_number
                for e in self._timeline(order_id)
            )
            return None if done else _Change("OrderRefunded", "refunded", refunded_total, detail)

        self._change(order_id, staff, decide)

    # ---- helpers -----------------------------------------------------------------------------------------------
    def _order(self, order_id: str) -> Order:
        order = self._orders.get(order_id)
        if order is None:
            raise OrderNotFound(f"No order {order_id}.")
        return order

    def _state(self, order_id: str) -> AdminOrderState:
        order = self._order(order_id)
        return AdminOrderState(order=order, hold=order.hold)

    def _now(self) -> str:
        return iso(datetime.fromtimestamp(self._clock(), UTC))


def _event_of(order_id: str, entry: TimelineEntry) -> OrderEvent:
    """The event as the outbox published it (commerce/orders/outbox.py)."""
    ids = {"event_id": entry.event_id, "occurred_at": entry.at, "order_id": order_id, "by": entry.by}
    return OrderEvent(
        detail_type=entry.type,
        event_id=entry.event_id,
        order_id=order_id,
        occurred_at=entry.at,
        by=entry.by,
        detail=dict(entry.detail) | ids,
    )
