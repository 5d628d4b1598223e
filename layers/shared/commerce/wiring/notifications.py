"""Notification services: the customer emails about order events (notifications-send-email) and the
staff alerts (notifications-send-staff-alert: low stock)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.notifications.service import NotificationService
    from commerce.notifications.staff_alerts import StaffAlerts


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


class StaffAlertsEnv(EnvModel):
    notifications_table: str
    sender_email: str
    staff_user_pool_id: str  # who is in the inventory groups (ListUsersInGroup only)


@cache
def staff_alerts() -> StaffAlerts:
    from commerce.adapters.email_ses import SesMailer
    from commerce.adapters.notifications_dynamo import DynamoSentLog
    from commerce.adapters.staff_cognito import CognitoStaffRecipients
    from commerce.notifications.staff_alerts import StaffAlerts

    env = from_env(StaffAlertsEnv)
    return StaffAlerts(
        CognitoStaffRecipients(env.staff_user_pool_id),
        SesMailer(env.sender_email),
        DynamoSentLog(env.notifications_table),
    )
