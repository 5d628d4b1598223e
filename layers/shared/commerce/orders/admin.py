"""The keys of the orders table's staff indexes (docs/back-office.md, "Orders: the staff screens").

An order item carries, besides ``customer_id`` (index ``by_customer``) and ``contact_email``
(``by_email``), three derived keys, all with ``created_at`` as the sort key:

- ``list_shard`` = ``ALL#<n>`` (index ``by_created``): every order, newest first; written once, at
  placement;
- ``status_key`` = ``<status>#<n>`` (index ``by_status``): written at placement and by every move;
- ``flag_key`` = ``FLAGGED#<n>`` (sparse index ``flagged``): present while the order waits for staff
  (in review, a fulfilment exception, or raised by reconciliation and not finished).

``n`` (0..3) comes from the order id, so no index partition takes more than a quarter of the
write rate of a flash sale. Pure functions: the orders adapter writes them, the back office reads
them."""

from __future__ import annotations

import hashlib
from typing import Any

from commerce.orders.models import FINISHED, OrderStatus

SHARDS = 4
FLAGGED_STATUSES = frozenset({OrderStatus.IN_REVIEW, OrderStatus.FULFILMENT_EXCEPTION})


def shard(order_id: str) -> int:
    return int(hashlib.sha256(order_id.encode()).hexdigest(), 16) % SHARDS


def list_shard(order_id: str) -> str:
    return f"ALL#{shard(order_id)}"


def status_key(order_id: str, status: OrderStatus | str) -> str:
    return f"{status}#{shard(order_id)}"


def flag_key(order_id: str) -> str:
    return f"FLAGGED#{shard(order_id)}"


def is_flagged(status: OrderStatus | str, attention: dict[str, Any] | None) -> bool:
    """Waiting for staff: in review, a fulfilment exception, or raised by reconciliation while unfinished."""
    status = OrderStatus(status)
    return status in FLAGGED_STATUSES or (attention is not None and status not in FINISHED)
