"""POST /webhooks/carrier: a carrier's tracking events (docs/fulfilment.md section 3).

Signed like the warehouse's (the "carrier" key). Every event becomes a tracking event the
customer sees; ``delivered`` moves the order to delivered and completes the workflow's Ship wait;
``returned_to_sender`` sends the order to staff. A delivered event that arrives while the
hand-over is still being captured is answered 503 NOT_READY_YET, so the carrier sends it again."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header

from commerce.common.api import api_handler, make_resolver
from commerce.fulfilment.models import CarrierEvent, PartnerWebhookResult
from commerce.fulfilment.webhooks import receive
from commerce.wiring.fulfilment import webhook_service
from commerce.wiring.payments import signing_keys

app = make_resolver()


@app.post("/webhooks/carrier", summary="Carrier webhook (HMAC-signed)")
def carrier_webhook(
    x_signature: Annotated[str | None, Header(alias="X-Signature", description="t=<unix>,v1=<hex hmac>")] = None,
) -> PartnerWebhookResult:
    key = signing_keys().key("carrier")
    return receive(app, key, x_signature, CarrierEvent, webhook_service().on_carrier_event, "CarrierWebhooks")


handler = api_handler(app)
