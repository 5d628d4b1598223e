"""No personal data in logs (docs/security.md): a shopper with distinctive personal data signs up,
saves an address, quotes and places an order that the workflow takes through payment authorisation
and the confirmation email, and staff look it up by email, open it, add a note and the customer's
record; every log line the handlers wrote meanwhile (Powertools JSON on stdout/stderr, and any record
on the "commerce" or root loggers) is free of the email, the name, the address line and the phone
number, and of the platform's secret keys."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.support import auth, until
from tests.integration.test_orders_api import new_sku

PASSWORD = "Correct-Horse-9-Battery"
SLOW = 60


class Everything(logging.Handler):
    """Every record, rendered with its message, its extras and its traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        rendered = {k: v for k, v in vars(record).items() if k not in ("args", "exc_info")}
        self.lines.append(json.dumps(rendered, default=str) + record.getMessage() + self._trace(record))

    @staticmethod
    def _trace(record: logging.LogRecord) -> str:
        return logging.Formatter().formatException(record.exc_info) if record.exc_info else ""


@pytest.fixture
def captured_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[Any]:
    handler = Everything()
    loggers = [logging.getLogger(), logging.getLogger("commerce")]
    for one in loggers:
        one.addHandler(handler)

    def read() -> str:
        out, err = capfd.readouterr()
        return "\n".join([out, err, *handler.lines])

    yield read
    for one in loggers:
        one.removeHandler(handler)


def _secret_values(cloud: Any) -> list[str]:
    values = []
    for secret in cloud.topology.secrets:
        raw = cloud.client("secretsmanager").get_secret_value(SecretId=cloud.physical(secret.name))["SecretString"]
        values += [str(v) for v in json.loads(raw).values()]
    return values


def test_an_order_from_sign_up_to_staff_review_logs_no_personal_data(api, cloud, staff_token, captured_logs):
    tag = uuid.uuid4().hex[:8]
    email = f"quillfeather.{tag}@pii-example.com"
    name = f"Zephyrine Quillfeather{tag}"
    line1 = f"{tag} Obscurity Lane"
    phone = f"+31 6 {int(tag, 16) % 10**8:08d}"
    personal = {"email": email, "name": name, "line1": line1, "phone": phone}

    # the shopper signs up, confirms, signs in (customers-auth)
    signed_up = api.post("/auth/sign-up", json={"email": email, "password": PASSWORD, "name": name})
    assert signed_up.status_code == 201, signed_up.text
    customer_id = signed_up.json()["customer_id"]
    assert api.post("/auth/confirm-sign-up", json={"email": email, "code": "123456"}).status_code == 204
    signed_in = api.post("/auth/sign-in", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["id_token"]
    # ... adds a phone number to the profile and saves an address (customers-profile), also one the
    # API refuses (the validation error must not echo the value into the logs)
    assert api.patch("/me", headers=auth(token), json={"phone": phone}).status_code == 200
    address = {
        "name": name,
        "line1": line1,
        "city": "Utrecht",
        "postal_code": "3511AA",
        "country": "NL",
        "phone": phone,
    }
    saved = api.post("/me/addresses", headers=auth(token), json=address)
    assert saved.status_code == 201, saved.text
    refused = api.post("/me/addresses", headers=auth(token), json={**address, "phone": f"{phone} call me"})
    assert refused.status_code == 422

    # ... quotes the cart to that address (carts-cart, checkout-quote) and places the order (orders-place)
    sku = new_sku(3)
    assert api.post("/me/cart/items", headers=auth(token), json={"sku": sku, "quantity": 1}).status_code == 200
    choices = {"address_id": saved.json()["address_id"], "delivery_method": "standard", "payment_method": "card"}
    quoted = api.post("/me/cart/quote", headers=auth(token), json=choices)
    assert quoted.status_code == 201, quoted.text
    placed = api.post(
        "/orders",
        headers={**auth(token), "Idempotency-Key": f"pii-{tag}"},
        json={"quote_token": quoted.json()["quote_token"], "payment_token": "tok_approve"},
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]

    # the workflow authorises the payment (payments-operate, the bank's webhook, orders-transition)
    # and the customer is emailed (orders-publish-events, notifications-send-email)
    def authorised() -> bool:
        got = api.get(f"/me/orders/{order_id}", headers=auth(token)).json()
        return "OrderPaymentAuthorised" in [e["type"] for e in got["timeline"]]

    until(authorised, SLOW, f"order {order_id} authorised")
    until(lambda: api.get("/_local/emails", params={"to": email}).json(), SLOW, "the confirmation email")

    # staff find it by the customer's email, open it, note it, open the customer (orders-admin-*, customers-admin)
    staff = auth(staff_token("order-manager"))
    found = api.get("/admin/orders", headers=staff, params={"q": email})
    assert found.status_code == 200 and order_id in json.dumps(found.json()), found.text
    opened = api.get(f"/admin/orders/{order_id}", headers=staff)
    assert opened.status_code == 200 and email in opened.text  # staff see it; the logs do not
    noted = api.post(f"/admin/orders/{order_id}/notes", headers=staff, json={"text": f"Called {name} on {phone}"})
    assert noted.status_code in (200, 201), noted.text
    customer = api.get(f"/admin/customers/{customer_id}", headers=auth(staff_token("customer-service")))
    assert customer.status_code == 200, customer.text

    logs = captured_logs()
    # the capture works: the handlers' JSON lines are there, with the keys they append
    assert "order placed" in logs and "request invalid" in logs and "email sent" in logs
    assert customer_id in logs and order_id in logs
    leaked = {what: value for what, value in personal.items() if value.lower() in logs.lower()}
    leaked |= {"local part of the email": email} if email.split("@")[0] in logs else {}
    assert leaked == {}, f"personal data in the logs: {leaked}"
    assert not [v for v in _secret_values(cloud) if v in logs], "a secret key is in the logs"
