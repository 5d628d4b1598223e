"""What notifications needs: the order (and its shipment) to write about, a mail sender, and a
log of what was sent that doubles as the exactly-once claim."""

from __future__ import annotations

from typing import Protocol

from commerce.fulfilment.models import Shipment
from commerce.notifications.models import Claim, Email, SentEmail
from commerce.orders.models import Order


class OrderReader(Protocol):
    """The orders context's reads (``DynamoOrderRepository``)."""

    def get(self, order_id: str) -> Order | None: ...

    def shipment(self, order_id: str) -> Shipment | None: ...


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Send from the platform's sender identity; the provider's message id. Raises on failure."""
        ...


class SentLog(Protocol):
    """One item per order event's email (``ORDER#<order_id>``/``EMAIL#<event_id>``)."""

    def claim(self, order_id: str, event_id: str, token: str, now: int, lease_until: int, expires_at: int) -> Claim:
        """Take the event's email for ``token`` with a conditional write: TAKEN when nobody has it
        (or a previous claim's lease ran out before it was sent), SENT when it was sent, IN_FLIGHT
        while another claim's lease runs."""
        ...

    def release(self, order_id: str, event_id: str, token: str) -> None:
        """Give back an unsent claim (only ``token``'s), so a retry can send the email."""
        ...

    def record(self, sent: SentEmail, token: str) -> bool:
        """Mark the claim sent with what was sent; False when ``token`` no longer held it."""
        ...

    def sent(self, order_id: str) -> list[SentEmail]:
        """The emails sent for an order, oldest event first (for the back office's resend)."""
        ...
