"""Emailing staff about operational events: a SKU's low stock (``LowStock``, published by the
inventory context once per threshold crossing), to every enabled member of the staff groups whose
work is inventory.

Who: the groups granting MANAGE_INVENTORY (``commerce.staff.permissions``) except ``admin`` (which
grants every permission and would receive every operational mail), looked up in the staff pool when
the alert is sent. So the alert follows the people: someone moved into or out of the warehouse group,
or disabled, gets it or stops getting it with no setting to keep in step. A configured alert address
was the alternative: one more setting per stage, and stale as soon as people change jobs.

Each recipient's email is sent once per event (the sent log, as customers' emails:
``commerce.notifications.service.send_once``, keyed ``LOWSTOCK#<sku>`` / ``<event id>:<email>``): a
redelivered event sends nothing again, a failed send is retried for the recipients it missed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from commerce.common.observability import logger
from commerce.notifications.models import Outcome
from commerce.notifications.ports import Mailer, SentLog
from commerce.notifications.render import format_date, render
from commerce.notifications.service import KEEP_DAYS, LEASE_SECONDS, send_once
from commerce.staff.permissions import GROUP_PERMISSIONS, Permission, StaffGroup

TEMPLATE = "low_stock_alert"
# the groups whose work is inventory: who is alerted (admin grants everything, so it is left out)
INVENTORY_GROUPS: tuple[str, ...] = tuple(
    str(group)
    for group, granted in GROUP_PERMISSIONS.items()
    if Permission.MANAGE_INVENTORY in granted and group is not StaffGroup.ADMIN
)


class LowStock(BaseModel):
    """The ``LowStock`` event's detail (events/schemas/LowStock.json)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: str = Field(min_length=1)
    occurred_at: str
    sku: str = Field(min_length=1)
    available: int
    on_hand: int
    reserved: int
    threshold: int

    @classmethod
    def from_eventbridge(cls, envelope: dict[str, Any]) -> LowStock:
        return cls.model_validate(envelope.get("detail") or {})


class StaffRecipients(Protocol):
    """The staff pool (``commerce.adapters.staff_cognito.CognitoStaffRecipients``)."""

    def emails_of(self, groups: tuple[str, ...]) -> list[str]:
        """The emails of the enabled members of any of these groups, each once."""
        ...


class StaffAlerts:
    def __init__(
        self,
        recipients: StaffRecipients,
        mailer: Mailer,
        sent_log: SentLog,
        clock: Callable[[], float] = time.time,
        groups: tuple[str, ...] = INVENTORY_GROUPS,
    ) -> None:
        self._recipients = recipients
        self._mailer = mailer
        self._log = sent_log
        self._clock = clock
        self._groups = groups

    def low_stock(self, event: LowStock) -> list[Outcome]:
        """One email to each inventory staff member, once per event. Raises when one could not be
        sent (after the others were), so the event is retried for it."""
        context = {"event_id": event.event_id, "sku": event.sku, "template": TEMPLATE}
        recipients = self._recipients.emails_of(self._groups)
        if not recipients:
            logger.warning("nobody in the inventory staff groups to alert", extra=context)
        values = {
            "sku": event.sku,
            "available": str(event.available),
            "on_hand": str(event.on_hand),
            "reserved": str(event.reserved),
            "threshold": str(event.threshold),
            "event_date": format_date(event.occurred_at),
        }
        outcomes: list[Outcome] = []
        failed: Exception | None = None
        for to in recipients:
            try:
                outcomes.append(
                    send_once(
                        self._log,
                        self._mailer,
                        f"LOWSTOCK#{event.sku}",
                        f"{event.event_id}:{to}",
                        render(TEMPLATE, to, values),
                        self._clock,
                        LEASE_SECONDS,
                        KEEP_DAYS * 86_400,
                        context,
                    )
                )
            except Exception as error:  # the others still go; the retry sends this one
                failed = error
        if failed is not None:
            raise failed
        return outcomes
