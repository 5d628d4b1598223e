"""Back-office order services, one per function, each built from what that function declares in
the topology: the reads (orders-admin-read), the order changes (orders-admin-manage), the email
resend (orders-admin-emails) and refunds (orders-admin-refunds)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.adapters.backoffice_orders_dynamo import DynamoStaffOrders
    from commerce.backoffice_orders.ports import RefundOutcome
    from commerce.backoffice_orders.service import BackOfficeOrders
    from commerce.notifications.models import Email
    from commerce.notifications.service import NotificationService
    from commerce.payments.service import PaymentService


class OrdersEnv(EnvModel):
    orders_table: str


class PaymentsEnv(EnvModel):
    payments_table: str


class NotificationsEnv(EnvModel):
    notifications_table: str


class SenderEnv(EnvModel):
    sender_email: str


class DispatchEnv(EnvModel):
    warehouse_dispatch_queue_url: str


class RefundEnv(EnvModel):
    payment_gateway_url: str
    event_bus_name: str


class PaymentsDesk:
    """The payments context's public service, as the back office uses it."""

    def __init__(self, service: PaymentService) -> None:
        self._service = service

    def summary(self, order_id: str) -> dict[str, Any] | None:
        """payments' summary, plus ``refund_count`` (how many refunds the payment has)."""
        from commerce.payments.errors import PaymentNotFound
        from commerce.payments.models import Operation
        from commerce.payments.service import summary

        try:
            payment = self._service.get(order_id)
        except PaymentNotFound:
            return None
        refunds = sum(1 for m in payment.movements if m.operation is Operation.REFUND)
        return dict(summary(payment)) | {"refund_count": refunds}

    def refund(self, order_id: str, amount: int, number: int) -> RefundOutcome:
        from commerce.backoffice_orders.errors import PaymentGatewayUnavailable
        from commerce.backoffice_orders.ports import RefundOutcome
        from commerce.payments.errors import GatewayUnavailable
        from commerce.payments.models import Operation

        try:
            after = self._service.move(Operation.REFUND, order_id, amount, number=number)
        except GatewayUnavailable:
            raise PaymentGatewayUnavailable("The bank did not answer; send the same request again.") from None
        done = next(m for m in after.movements if m.operation is Operation.REFUND and m.sequence == number)
        return RefundOutcome(done.state, done.decline_code, after.captured, after.refunded)


class NoMailer:
    """Services that only read what was sent."""

    def send(self, email: Email) -> str:
        raise RuntimeError("read-only")


def _orders() -> DynamoStaffOrders:
    from commerce.adapters.backoffice_orders_dynamo import DynamoStaffOrders
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.wiring.orders import NoStock

    table = from_env(OrdersEnv).orders_table
    return DynamoStaffOrders(table, DynamoOrderRepository(table, "", NoStock()))


def _notifications(mailer: Any) -> NotificationService:
    from commerce.adapters.notifications_dynamo import DynamoSentLog
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.notifications.service import NotificationService
    from commerce.wiring.orders import NoStock

    orders = DynamoOrderRepository(from_env(OrdersEnv).orders_table, "", NoStock())
    return NotificationService(orders, mailer, DynamoSentLog(from_env(NotificationsEnv).notifications_table))


@cache
def read_service() -> BackOfficeOrders:
    """orders-admin-read: the listing and one order in full (payment summary, emails sent)."""
    from commerce.adapters.payments_dynamo import DynamoPaymentRepository
    from commerce.backoffice_orders.service import BackOfficeOrders
    from commerce.payments.service import PaymentService

    payments = PaymentsDesk(PaymentService(DynamoPaymentRepository(from_env(PaymentsEnv).payments_table)))
    return BackOfficeOrders(_orders(), payments=payments, emails=_notifications(NoMailer()))


@cache
def manage_service() -> BackOfficeOrders:
    """orders-admin-manage: hold, release (queues the held dispatch request), notes, the address."""
    from commerce.adapters.dispatch_queue import SqsDispatchQueue
    from commerce.backoffice_orders.service import BackOfficeOrders

    return BackOfficeOrders(_orders(), dispatch=SqsDispatchQueue(from_env(DispatchEnv).warehouse_dispatch_queue_url))


@cache
def email_service() -> BackOfficeOrders:
    """orders-admin-emails: an email rendered again and sent through SES."""
    from commerce.adapters.email_ses import SesMailer
    from commerce.backoffice_orders.service import BackOfficeOrders

    mailer = SesMailer(from_env(SenderEnv).sender_email)
    return BackOfficeOrders(_orders(), emails=_notifications(mailer), mailer=mailer)


@cache
def refund_service() -> BackOfficeOrders:
    """orders-admin-refunds: refunds through the payments service (gateway, PaymentRefunded)."""
    from commerce.adapters.events import EventBridgePublisher
    from commerce.adapters.payments_dynamo import DynamoPaymentRepository
    from commerce.adapters.payments_http import HttpMerchantGateway
    from commerce.backoffice_orders.service import BackOfficeOrders
    from commerce.payments.service import PaymentService

    env = from_env(RefundEnv)
    payments = PaymentService(
        DynamoPaymentRepository(from_env(PaymentsEnv).payments_table),
        gateway=HttpMerchantGateway(env.payment_gateway_url),
        events=EventBridgePublisher(env.event_bus_name),
    )
    orders = _orders()
    return BackOfficeOrders(orders, payments=PaymentsDesk(payments), ledger=orders)
