"""POST /webhooks/warehouse: the warehouse reports dispatch stages (docs/fulfilment.md section 2).

No authoriser (AuthKind.WEBHOOK): ``X-Signature`` (HMAC-SHA256 over ``"<t>.<raw body>"`` with the
"warehouse" key of the webhook-signing-keys secret, constant time, 5-minute replay window) is
verified before the body is read. Each event applies once (its id is claimed in the same
transaction). The hand-over is the interception gate: 409 ORDER_CANCELLED tells the warehouse to
put the goods back."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header

from commerce.common.api import api_handler, make_resolver
from commerce.fulfilment.models import PartnerWebhookResult, WarehouseEvent
from commerce.fulfilment.webhooks import receive
from commerce.wiring.fulfilment import webhook_service
from commerce.wiring.payments import signing_keys

app = make_resolver()


@app.post("/webhooks/warehouse", summary="Warehouse webhook (HMAC-signed)")
def warehouse_webhook(
    x_signature: Annotated[str | None, Header(alias="X-Signature", description="t=<unix>,v1=<hex hmac>")] = None,
) -> PartnerWebhookResult:
    key = signing_keys().key("warehouse")
    return receive(app, key, x_signature, WarehouseEvent, webhook_service().on_warehouse_event, "WarehouseWebhooks")


handler = api_handler(app)
