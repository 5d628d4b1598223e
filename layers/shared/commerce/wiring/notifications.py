"""Notification services: the customer emails about order events (notifications-send-email)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.notifications.service import NotificationService


class NotificationsEnv(EnvModel):
    orders_table: str
    notifications_table: str
    sender_email: str  # the verified SES identity (the topology's email identity)


@cache
def notification_service() -> NotificationService:
    from commerce.adapters.email_ses import SesMailer
    from commerce.adapters.notifications_dynamo import DynamoSentLog
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.notifications.service import NotificationService
    from commerce.wiring.orders import NoStock

    env = from_env(NotificationsEnv)
    return NotificationService(
        DynamoOrderRepository(env.orders_table, "", NoStock()),  # reads only
        SesMailer(env.sender_email),
        DynamoSentLog(env.notifications_table),
    )
