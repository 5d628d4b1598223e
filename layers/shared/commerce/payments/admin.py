"""The finance screens (back office, HANDLE_PAYMENTS): payments and refunds, newest first, filtered by
status, date range and order id (``commerce.payments.listing``), and one payment in full."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from commerce.payments.errors import PaymentNotFound
from commerce.payments.listing import Filters, PaymentIndex, page
from commerce.payments.models import Attempt, HistoryEntry, Movement, Payment
from commerce.payments.ports import PaymentRepository


class PaymentRow(BaseModel):
    order_id: str
    payment_id: str
    status: str
    amount: int = Field(description="Minor units")
    currency: str
    captured: int
    refunded: int
    attempts: int
    decline_code: str | None = Field(description="The last attempt's, when it was declined")
    created_at: str
    updated_at: str


class PaymentPage(BaseModel):
    payments: list[PaymentRow] = Field(description="Newest first (by created_at)")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page; null at the end")


class RefundRow(BaseModel):
    refund_id: str = Field(description="<order_id>:<number>")
    order_id: str
    number: int = Field(description="The refund's number among the payment's operations")
    amount: int = Field(description="Minor units")
    currency: str
    state: str = Field(description="requested (sent to the bank), applied or refused")
    decline_code: str | None
    reference: str | None = Field(description="The bank's reference")
    requested_at: str


class RefundPage(BaseModel):
    refunds: list[RefundRow] = Field(description="Newest first (by requested_at)")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page; null at the end")


class PaymentDetail(BaseModel):
    """One payment record in full: every authorisation attempt, capture, void and refund, and its
    history. No card data exists to show (the gateway holds it)."""

    order_id: str
    payment_id: str
    status: str
    amount: int
    currency: str
    captured: int
    refunded: int
    attempts: list[Attempt]
    movements: list[Movement]
    history: list[HistoryEntry]
    created_at: str
    updated_at: str


def payment_row(payment: Payment) -> PaymentRow:
    last = payment.last_attempt
    return PaymentRow(
        order_id=payment.order_id,
        payment_id=payment.payment_id,
        status=str(payment.status),
        amount=payment.amount,
        currency=payment.currency,
        captured=payment.captured,
        refunded=payment.refunded,
        attempts=len(payment.attempts),
        decline_code=last.decline_code if last else None,
        created_at=payment.created_at,
        updated_at=payment.updated_at,
    )


def refund_item(payment: Payment, refund: Movement) -> dict[str, Any]:
    """A refund as its own item (the listing's row), written with the payment record."""
    return {
        "order_id": payment.order_id,
        "number": refund.sequence,
        "amount": refund.amount,
        "currency": payment.currency,
        "state": refund.state,
        "decline_code": refund.decline_code,
        "reference": refund.reference,
        "requested_at": refund.at,
    }


def refund_row(item: dict[str, Any]) -> RefundRow:
    return RefundRow(
        refund_id=f"{item['order_id']}:{int(item['number'])}",
        order_id=str(item["order_id"]),
        number=int(item["number"]),
        amount=int(item["amount"]),
        currency=str(item["currency"]),
        state=str(item["state"]),
        decline_code=item.get("decline_code"),
        reference=item.get("reference"),
        requested_at=str(item["requested_at"]),
    )


class PaymentsAdmin:
    def __init__(self, index: PaymentIndex, payments: PaymentRepository) -> None:
        self._index = index
        self._payments = payments

    def payments(self, wanted: Filters, limit: int, cursor: str | None) -> PaymentPage:
        items, next_cursor = page(self._index, wanted, limit, cursor)
        rows = [payment_row(Payment.model_validate_json(str(item["doc"]))) for item in items]
        return PaymentPage(payments=rows, next_cursor=next_cursor)

    def refunds(self, wanted: Filters, limit: int, cursor: str | None) -> RefundPage:
        items, next_cursor = page(self._index, wanted, limit, cursor)
        return RefundPage(refunds=[refund_row(item) for item in items], next_cursor=next_cursor)

    def detail(self, order_id: str) -> PaymentDetail:
        payment = self._payments.get(order_id)
        if payment is None:
            raise PaymentNotFound(f"No payment for order {order_id}.", order_id=order_id)
        return PaymentDetail.model_validate(payment.model_dump(exclude={"task_token", "version"}))
