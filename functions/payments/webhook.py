"""POST /webhooks/payments: the payment gateway reports results here.

No authoriser (AuthKind.WEBHOOK): the handler verifies ``X-Signature`` (HMAC-SHA256 over
``"<t>.<raw body>"`` with the "payments" key of the webhook-signing-keys secret, constant-time,
5-minute replay window), then de-duplicates by event id and applies the result. Answers 200 for
applied, ignored (the payment moved on) and duplicate events, so the sender never loops."""

import json
import time
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel, ValidationError

from commerce.common import signatures
from commerce.common.api import api_handler, make_resolver
from commerce.common.observability import logger, metrics
from commerce.payments.errors import InvalidPaymentRequest
from commerce.payments.models import WebhookEvent
from commerce.payments.service import refuse_card_data
from commerce.wiring.payments import signing_keys, webhook_service

app = make_resolver()


class WebhookResult(BaseModel):
    applied: str | None = None
    ignored: str | None = None
    duplicate: bool | None = None
    status: str | None = None


@app.post("/webhooks/payments", summary="Payment gateway webhook (HMAC-signed)")
def payment_webhook(
    x_signature: Annotated[str | None, Header(alias="X-Signature", description="t=<unix>,v1=<hex hmac>")] = None,
) -> WebhookResult:
    raw = (app.current_event.decoded_body or "").encode()
    signatures.verify(signing_keys().key("payments"), x_signature, raw, now=time.time())
    refuse_card_data(raw.decode(errors="replace"))
    try:
        event = WebhookEvent.model_validate(json.loads(raw))
    except (ValueError, ValidationError):
        raise InvalidPaymentRequest("The webhook body is not a payment event.") from None
    logger.append_keys(order_id=event.order_id, webhook_event_id=event.event_id, webhook_type=event.type)
    result: dict[str, Any] = webhook_service().handle_webhook(event)
    metrics.add_metric(name="PaymentWebhooks", unit="Count", value=1)
    if event.type == "payment.declined" and "applied" in result:
        metrics.add_metric(name="PaymentsDeclined", unit="Count", value=1)
    return WebhookResult.model_validate(result)


handler = api_handler(app)
