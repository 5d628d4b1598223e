"""Orders over HTTP against the local cloud, with the real order-lifecycle ASL: the risk rules that
send an order to staff review (an invoice from another country than the shipping address, too many
orders in an hour), a payment gateway that fails (5xx then success, or a timeout on every attempt)
and a storm of payment webhooks (duplicates, out of order, forged, stale).

Fulfilment attaches after ``ready_for_fulfilment``: these tests follow an order up to there (by its
timeline entries) and never assert what happens next."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from commerce.common.signatures import HEADER, sign
from local.simulators.bank import Delivery
from tests.integration.support import assert_problem, auth, until
from tests.integration.test_order_lifecycle import SLOW, payment_record, placed, status_becomes, types
from tests.integration.test_orders_api import (
    CHOICES,
    customer,  # noqa: F401 - the fixture
    detail,
    execution,
    level,
    new_sku,
    place,
    quote,
)

GATEWAY_RETRIES = 4  # AuthorisePayment's Retry on GatewayUnavailable (MaxAttempts)
AUTHORISED = ("authorised", "partially_captured", "captured")  # fulfilment captures at the hand-over


def reached(api: Any, token: str, order_id: str, entry: str, timeout: float = SLOW) -> dict[str, Any]:
    """The order's detail once its timeline holds an ``entry`` (whatever happened after it)."""
    return dict(
        until(
            lambda: entry in types(got := detail(api, token, order_id)) and got,
            timeout,
            f"{entry} in the timeline of {order_id}",
        )
    )


def entries(got: dict[str, Any], entry: str) -> list[dict[str, Any]]:
    return [e for e in got["timeline"] if e["type"] == entry]


def ready(api: Any, token: str, order_id: str) -> dict[str, Any]:
    """Ready for fulfilment (authorised, not flagged): the entry says so, whatever fulfilment did since."""
    got = reached(api, token, order_id, "OrderReadyForFulfilment")
    assert [e["detail"]["status"] for e in entries(got, "OrderReadyForFulfilment")] == ["ready_for_fulfilment"]
    assert "OrderFlaggedForReview" not in types(got)
    return got


def flagged(api: Any, token: str, order_id: str) -> list[str]:
    """The order waits for staff review; the reasons its OrderFlaggedForReview entry gives."""
    got = status_becomes(api, token, order_id, "in_review")
    assert types(got).count("OrderFlaggedForReview") == 1 and "OrderReadyForFulfilment" not in types(got)
    return list(entries(got, "OrderFlaggedForReview")[0]["detail"]["reasons"])


def bank_webhooks(cloud: Any, order_id: str, kind: str) -> list[Delivery]:
    """What the sandbox bank sent (every attempt) of this type for this order."""
    return [d for d in list(cloud.bank.deliveries) if d.event["order_id"] == order_id and d.event["type"] == kind]


def authorisations_at_the_bank(cloud: Any, order_id: str) -> set[str]:
    """The bank's authorisation references for the order (each one reports itself by webhook)."""
    return {d.event["reference"] for d in bank_webhooks(cloud, order_id, "payment.authorised")}


def gateway_failures(cloud: Any, order_id: str) -> list[str | None]:
    """The errors of the workflow's failed task attempts (what the ASL's Retry saw)."""
    history = cloud.client("stepfunctions").get_execution_history(
        executionArn=execution(cloud, order_id)["executionArn"], maxResults=1000
    )["events"]
    failed = [e for e in history if e["type"] in ("TaskFailed", "LambdaFunctionFailed")]
    return [
        (e.get("taskFailedEventDetails") or e.get("lambdaFunctionFailedEventDetails") or {}).get("error")
        for e in failed
    ]


def post_webhook(cloud: Any, headers: dict[str, str], body: bytes) -> requests.Response:
    return requests.post(f"{cloud.api_url}/webhooks/payments", data=body, headers=headers, timeout=30)


def late_authorisation(payment: dict[str, Any], reference: str) -> dict[str, Any]:
    """The bank's payment.authorised webhook for the payment's last attempt (its key echoed)."""
    attempt = payment["attempts"][-1]
    return {
        "event_id": f"evt_late_{attempt['idempotency_key'].replace(':', '_')}",
        "type": "payment.authorised",
        "order_id": payment["order_id"],
        "reference": reference,
        "amount": payment["amount"],
        "currency": payment["currency"],
        "idempotency_key": attempt["idempotency_key"],
    }


# ---- risk rules ------------------------------------------------------------------------------------
def invoiced_quote(api: Any, token: str, sku: str, tax_id: str) -> str:
    """A quote (shipping to the Netherlands) asking for an invoice to a company with this VAT number;
    the quote token."""
    quote(api, token, sku)  # fills the cart
    choices = CHOICES | {"invoice": {"company_name": "Analytical Engines BV", "tax_id": tax_id}}
    response = api.post("/me/cart/quote", headers=auth(token), json=choices)
    assert response.status_code == 201, response.text
    assert response.json()["invoice"]["tax_id"] == tax_id
    return str(response.json()["quote_token"])


def test_an_invoice_from_another_country_than_the_shipping_address_is_flagged_for_review(api, cloud, customer):  # noqa: F811
    # Given a customer shipping to the Netherlands and billing a German company
    sku = new_sku(5)
    abroad = place(api, customer, invoiced_quote(api, customer, sku, "DE123456789"))
    assert abroad.status_code == 201, abroad.text
    # Then the order waits for staff review, and says why
    assert flagged(api, customer, abroad.json()["order_id"]) == ["billing_country_differs"]
    # while a Dutch company's invoice for a Dutch address goes straight through
    home = place(api, customer, invoiced_quote(api, customer, sku, "NL123456789B01"))
    assert home.status_code == 201, home.text
    got = ready(api, customer, home.json()["order_id"])
    assert got["order"]["invoice"]["tax_id"] == "NL123456789B01"


def test_more_orders_in_an_hour_than_allowed_flags_the_next_one(api, cloud, customer, monkeypatch):  # noqa: F811
    # Given at most one order per customer per hour (orders-transition reads it per invocation)
    monkeypatch.setenv("ORDER_REVIEW_MAX_ORDERS_PER_HOUR", "1")
    sku = new_sku(5)
    first = placed(api, customer, sku)
    ready(api, customer, first)
    # When the customer orders again within the hour
    second = placed(api, customer, sku)
    # Then that order waits for review, and the first one was not touched
    assert flagged(api, customer, second) == ["too_many_orders_in_an_hour"]
    assert "OrderFlaggedForReview" not in types(detail(api, customer, first))
    assert level(sku)["available"] == 3  # both held (or the first one shipped since)


# ---- a failing gateway -----------------------------------------------------------------------------
def test_a_gateway_answering_5xx_is_retried_by_the_workflow_into_one_authorisation(api, cloud, customer):  # noqa: F811
    # Given a card the gateway answers 500 for twice, then approves
    sku = new_sku(3)
    order_id = placed(api, customer, sku, 2, payment="tok_5xx")
    # Then the workflow's Retry gets it through to ready for fulfilment
    got = ready(api, customer, order_id)
    assert types(got).count("OrderPaymentAuthorised") == 1
    assert gateway_failures(cloud, order_id).count("GatewayUnavailable") == 2  # the ASL retried, twice
    # with one authorisation at the bank, asked for with one idempotency key
    until(lambda: authorisations_at_the_bank(cloud, order_id), message="the bank's authorised webhook")
    assert len(authorisations_at_the_bank(cloud, order_id)) == 1
    payment = payment_record(cloud, order_id)
    assert [(a["number"], a["outcome"]) for a in payment["attempts"]] == [(1, "authorised")]
    assert payment["attempts"][0]["reference"] in authorisations_at_the_bank(cloud, order_id)
    assert level(sku)["available"] == 1  # held for fulfilment (or shipped since)


def test_a_gateway_timing_out_on_every_attempt_expires_the_order_cleanly(api, cloud, customer):  # noqa: F811
    # Given a card the gateway never answers in time (each attempt: the client's 2 s timeout)
    sku = new_sku(3)
    started = time.monotonic()
    order_id = placed(api, customer, sku, 2, payment="tok_timeout")
    assert level(sku)["reserved"] == 2
    # When the workflow's retries (2 + 4 + 8 + 16 s apart) are exhausted
    got = status_becomes(api, customer, order_id, "expired", timeout=SLOW + 60)
    elapsed = time.monotonic() - started
    # Then the order expired, nothing was authorised and the stock is released
    assert gateway_failures(cloud, order_id).count("GatewayUnavailable") == 1 + GATEWAY_RETRIES
    assert elapsed >= 2 + 4 + 8 + 16, elapsed  # the Retry really waited
    assert types(got) == ["OrderPlaced", "OrderExpired"]
    assert level(sku) == {"on_hand": 3, "reserved": 0, "available": 3}
    assert not authorisations_at_the_bank(cloud, order_id)
    payment = payment_record(cloud, order_id)
    assert payment["status"] == "voided" and [a["outcome"] for a in payment["attempts"]] == ["requested"]
    # And when the bank authorises the timed-out attempt after all (a timeout says nothing of what
    # the bank did), the late webhook is ignored: the order stays expired, the payment voided
    late = late_authorisation(payment, reference="auth_after_the_timeout")
    answer = post_webhook(cloud, *cloud.bank.signed(late))
    assert answer.status_code == 200 and answer.json()["ignored"], answer.text
    assert payment_record(cloud, order_id)["status"] == "voided"
    assert types(detail(api, customer, order_id)) == ["OrderPlaced", "OrderExpired"]
    assert level(sku) == {"on_hand": 3, "reserved": 0, "available": 3}


# ---- a webhook storm ---------------------------------------------------------------------------------
def test_a_storm_of_payment_webhooks_authorises_the_order_once(api, cloud, customer):  # noqa: F811
    # Given an order whose payment the bank has just authorised (by webhook)
    sku = new_sku(3)
    order_id = placed(api, customer, sku)
    original = until(
        lambda: [d for d in bank_webhooks(cloud, order_id, "payment.authorised") if d.acknowledged],
        SLOW,
        "the authorised webhook",
    )[0]
    event = original.event
    # When the bank sends it again, re-signed, several times at once (while the workflow carries on)
    with ThreadPoolExecutor(4) as pool:
        assert [d.status for d in pool.map(cloud.bank.send, [event] * 4)] == [200] * 4
    # and the very same bytes are replayed within the signature's window
    replay = post_webhook(cloud, original.headers, original.body)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    # and a decline for the same attempt arrives after the authorisation
    declined = event | {"event_id": f"{event['event_id']}_late", "type": "payment.declined"}
    declined["decline_code"] = "card_declined"
    late = post_webhook(cloud, *cloud.bank.signed(declined))
    assert late.status_code == 200 and late.json()["ignored"], late.text
    # and forgeries arrive: signed with the wrong key, tampered with, and with a stale signature
    forged = event | {"event_id": f"{event['event_id']}_forged", "type": "payment.declined"}
    body = cloud.bank.signed(forged)[1]
    wrong_key = {"Content-Type": "application/json", HEADER: sign(b"not-the-bank", int(time.time()), body)}
    assert_problem(post_webhook(cloud, wrong_key, body), 401, "INVALID_SIGNATURE")
    headers, signed = cloud.bank.signed(event | {"event_id": f"{event['event_id']}_tampered"})
    tampered = signed.replace(b'"payment.authorised"', b'"payment.declined"')
    assert_problem(post_webhook(cloud, headers, tampered), 401, "INVALID_SIGNATURE")
    stale = cloud.bank.signed(forged, timestamp=int(time.time()) - 3600)
    assert_problem(post_webhook(cloud, *stale), 401, "STALE_SIGNATURE")
    # Then the order was authorised once and went on to be ready for fulfilment
    got = ready(api, customer, order_id)
    assert types(got).count("OrderPaymentAuthorised") == 1 and "OrderPaymentDeclined" not in types(got)
    assert types(got).count("OrderPlaced") == 1
    # and the payment stays authorised, with the late decline recorded as ignored
    payment = payment_record(cloud, order_id)
    assert payment["status"] in AUTHORISED, payment["status"]
    assert [(a["number"], a["outcome"]) for a in payment["attempts"]] == [(1, "authorised")]
    ignored = [h for h in payment["history"] if "payment.declined" in h["what"]]
    assert len(ignored) == 1 and ignored[0]["result"].startswith("ignored")
    assert not any("_forged" in h["what"] or "_tampered" in h["what"] for h in payment["history"])
    assert len(authorisations_at_the_bank(cloud, order_id)) == 1
    assert level(sku)["available"] == 2
