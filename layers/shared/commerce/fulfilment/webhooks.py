"""The partner webhook routes' one shape: verify the signature with the partner's key (before the
body is read), parse the event, apply it, count it (docs/fulfilment.md sections 2 and 3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel

from commerce.common.observability import logger, metrics
from commerce.common.signatures import signed_event
from commerce.fulfilment.errors import InvalidWebhook
from commerce.fulfilment.models import PartnerWebhookResult

E = TypeVar("E", bound=BaseModel)


def receive(
    app: APIGatewayRestResolver,
    key: bytes,
    signature: str | None,
    model: type[E],
    apply: Callable[[E], PartnerWebhookResult],
    metric: str,
) -> PartnerWebhookResult:
    raw = (app.current_event.decoded_body or "").encode()
    event = signed_event(key, signature, raw, model, InvalidWebhook)
    logger.append_keys(
        order_id=getattr(event, "order_id", None),
        webhook_event_id=getattr(event, "event_id", None),
        webhook_type=getattr(event, "type", None),
    )
    result = apply(event)
    metrics.add_metric(name=metric, unit="Count", value=1)
    return result
