"""Payment records: one per order, its authorisation attempts and its capture/void/refund operations.

Amounts are integers in minor units (cents) with an ISO 4217 currency. No card data is ever held:
the storefront sends a gateway token (``tok_...``)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TOKEN_PATTERN = r"^tok_[a-z0-9_]{1,64}$"
# A standalone run of 13-19 digits (not part of a longer id such as "evt_1234..."): possibly a card
# number; ``looks_like_card_number`` also asks the Luhn check every card number passes.
PAN_LIKE = re.compile(r"(?<![\w])\d{13,19}(?![\w])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def looks_like_card_number(text: str) -> bool:
    """A random 16-hex-digit event id is all digits about once in 2,000 (a gateway's webhook was
    refused for it); a run that is also Luhn-valid and stands alone is what a card number looks like."""
    return any(luhn_valid(match.group()) for match in PAN_LIKE.finditer(text))


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
OrderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
CardToken = Annotated[str, StringConstraints(pattern=TOKEN_PATTERN)]
Minor = Annotated[int, Field(gt=0, le=100_000_000)]


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORISED = "authorised"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    FAILED = "failed"


class Operation(StrEnum):
    """What we ask the gateway to do (the commands)."""

    AUTHORISE = "authorise"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class Outcome(StrEnum):
    """What the gateway reports, in a response or a webhook (the facts)."""

    AUTHORISED = "authorised"
    DECLINED = "declined"
    CHALLENGE_FAILED = "challenge_failed"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"


class Attempt(BaseModel):
    """One authorisation attempt (a declined customer may try again while the window is open)."""

    number: int
    idempotency_key: str
    reference: str | None = None
    # requested (sent, no answer yet) | accepted | challenge_required | authorised | declined | challenge_failed
    outcome: str = "requested"
    decline_code: str | None = None
    challenge_url: str | None = None
    at: str


class Movement(BaseModel):
    """One capture, void or refund. ``state``: requested -> applied | refused."""

    operation: Operation
    sequence: int
    idempotency_key: str
    amount: int
    reference: str | None = None
    state: Literal["requested", "applied", "refused"] = "requested"
    decline_code: str | None = None
    at: str


class HistoryEntry(BaseModel):
    at: str
    what: str  # "authorise requested", "webhook payment.authorised", ...
    result: str  # "pending", "ignored: ...", ...


class Payment(BaseModel):
    model_config = ConfigDict(validate_assignment=False)

    payment_id: str
    order_id: str
    amount: int
    currency: str
    status: PaymentStatus
    captured: int = 0
    refunded: int = 0
    attempts: list[Attempt] = Field(default_factory=list)
    movements: list[Movement] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    task_token: str | None = Field(default=None, description="A waiting workflow task, completed on the outcome")
    version: int = 0
    created_at: str
    updated_at: str

    @property
    def last_attempt(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def authorisation_reference(self) -> str | None:
        done = [a for a in self.attempts if a.outcome == "authorised"]
        return done[-1].reference if done else None

    def movement(self, key: str) -> Movement | None:
        return next((m for m in self.movements if m.idempotency_key == key), None)

    def attempt(self, key: str | None = None, reference: str | None = None) -> Attempt | None:
        """By idempotency key when given (the gateway echoes it), else by the gateway's reference."""
        for a in reversed(self.attempts):
            if (a.idempotency_key == key) if key else (reference is not None and a.reference == reference):
                return a
        return None


# ---- inputs -------------------------------------------------------------------------------------
class OperateRequest(BaseModel):
    """The payments-operate task's input (from the order workflow)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    operation: Operation
    order_id: OrderId
    amount: Minor | None = None  # authorise, capture, refund (void: the rest of the authorisation)
    currency: Currency | None = None
    token: CardToken | None = None  # authorise only
    task_token: str | None = Field(default=None, max_length=4096)


class GatewayAck(BaseModel):
    """The gateway's synchronous answer. ``accepted``: the result follows by webhook (authorise)
    or is done (capture/void/refund)."""

    reference: str | None = None
    status: Literal["accepted", "declined", "challenge_required"]
    decline_code: str | None = None
    challenge_url: str | None = None


WebhookType = Literal[
    "payment.authorised",
    "payment.declined",
    "payment.challenge_failed",
    "payment.captured",
    "payment.voided",
    "payment.refunded",
]


class WebhookEvent(BaseModel):
    """A gateway webhook's body (after its signature is verified)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    type: WebhookType
    order_id: OrderId
    reference: str = Field(min_length=1, max_length=128)
    amount: int = Field(ge=0)
    currency: Currency
    decline_code: str | None = Field(default=None, max_length=64)
    idempotency_key: str | None = Field(default=None, max_length=200)
