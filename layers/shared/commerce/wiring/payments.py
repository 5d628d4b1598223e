"""Payment services. The webhook needs no gateway; the workflow task needs no signing keys."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.adapters.secrets import SecretSigningKeys
    from commerce.payments.service import PaymentService


class PaymentsEnv(EnvModel):
    payments_table: str
    event_bus_name: str


class GatewayEnv(EnvModel):
    payment_gateway_url: str


class WebhookEnv(EnvModel):
    webhook_signing_keys_secret_name: str


@cache
def webhook_service() -> PaymentService:
    from commerce.adapters.events import EventBridgePublisher
    from commerce.adapters.payments_dynamo import DynamoPaymentRepository
    from commerce.adapters.payments_http import HttpMerchantGateway
    from commerce.adapters.workflows import StepFunctionsCallback
    from commerce.payments.service import PaymentService

    env = from_env(PaymentsEnv)
    return PaymentService(
        DynamoPaymentRepository(env.payments_table),
        gateway=HttpMerchantGateway(from_env(GatewayEnv).payment_gateway_url),  # voids late authorisations
        events=EventBridgePublisher(env.event_bus_name),
        callback=StepFunctionsCallback(),
    )


@cache
def operate_service() -> PaymentService:
    from commerce.adapters.events import EventBridgePublisher
    from commerce.adapters.payments_dynamo import DynamoPaymentRepository
    from commerce.adapters.payments_http import HttpMerchantGateway
    from commerce.adapters.workflows import StepFunctionsCallback
    from commerce.payments.service import PaymentService

    env = from_env(PaymentsEnv)
    return PaymentService(
        DynamoPaymentRepository(env.payments_table),
        gateway=HttpMerchantGateway(from_env(GatewayEnv).payment_gateway_url),
        events=EventBridgePublisher(env.event_bus_name),
        callback=StepFunctionsCallback(),
    )


@cache
def signing_keys() -> SecretSigningKeys:
    from commerce.adapters.secrets import SecretSigningKeys

    return SecretSigningKeys(from_env(WebhookEnv).webhook_signing_keys_secret_name)
