"""What the benchmarks that drive a local cloud over HTTP share: quiet logging, a product with
stock, a signed-in customer, a quote, an order's status, percentiles and the --json output.

Each bench starts its own ``LocalCloud`` in its process (so run them one at a time) and prints its
figures; with ``--json PATH`` it also writes them as ``{"bench", "command", "params", "figures",
"checks", "ok", ...}`` for ``bench/report.py``. A bench exits 1 when one of its checks fails.
"""

from __future__ import annotations

import json
import math
import os
import random
import shlex
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NL_ADDRESS = {"name": "Ada Lovelace", "line1": "Dam 1", "city": "Amsterdam", "postal_code": "1012JS", "country": "NL"}
CHOICES = {"shipping_address": NL_ADDRESS, "delivery_method": "standard", "payment_method": "card"}


def logging_off() -> None:
    """The handlers log JSON to stdout: keep the bench's output readable."""
    import logging
    import warnings

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # no EMF lines on stdout
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def setup(cloud: Any, units: int) -> str:
    """A product with stock; its SKU."""
    from commerce.adapters.catalog_dynamo import DynamoProductRepository
    from commerce.catalog.models import ProductInput
    from commerce.common.clock import iso
    from commerce.wiring.inventory import inventory_service

    suffix = uuid.uuid4().hex[:8].upper()
    sku = f"MT{suffix}-A"
    product = {
        "product_id": f"meter-{suffix.lower()}",
        "name": f"Meter {suffix}",
        "brand": "Bench",
        "category": "test",
        "variants": [{"sku": sku, "name": "A", "price": 1999, "weight_grams": 300}],
        "status": "active",
    }
    DynamoProductRepository(os.environ["CATALOG_TABLE"]).save(ProductInput.model_validate(product), iso())
    inventory_service().adjust(sku, "main", units)
    return sku


def customer(cloud: Any) -> str:
    """A new signed-in customer (one per order: the risk check flags many orders from one customer)."""
    email = f"meter-{uuid.uuid4().hex[:10]}@example.com"
    cloud.create_user("customers", email, "Meter-Pw1!x")
    return str(cloud.sign_in("customers", email, "Meter-Pw1!x"))


def quote(api: requests.Session, base: str, token: str, sku: str) -> str:
    headers = {"Authorization": token}
    cart = api.get(f"{base}/me/cart", headers=headers).json()
    if not cart.get("lines"):
        assert api.post(f"{base}/me/cart/items", headers=headers, json={"sku": sku, "quantity": 1}).status_code == 200
    response = api.post(f"{base}/me/cart/quote", headers=headers, json=CHOICES)
    assert response.status_code == 201, response.text
    return str(response.json()["quote_token"])


def new_order(cloud: Any, api: requests.Session, sku: str, payment: str = "tok_approve") -> tuple[str, str]:
    """A new customer orders one unit of ``sku`` over HTTP: (the customer's token, the order id)."""
    token = customer(cloud)
    body = {"quote_token": quote(api, cloud.api_url, token, sku), "payment_token": payment}
    headers = {"Authorization": token, "Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
    response = api.post(f"{cloud.api_url}/orders", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return token, str(response.json()["order_id"])


def order_status(cloud: Any, order_id: str) -> str:
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.physical("orders"),
        Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}},
        ConsistentRead=True,
    )["Item"]
    return str(item["status"]["S"])


def wait_for(cloud: Any, order_id: str, status: str | Iterable[str], timeout: float = 30) -> str:
    """Wait until the order's status is ``status`` (or one of them); the status."""
    wanted = {status} if isinstance(status, str) else set(status)
    deadline = time.monotonic() + timeout
    while (now := order_status(cloud, order_id)) not in wanted:
        if time.monotonic() > deadline:
            raise SystemExit(f"order {order_id} never became {' or '.join(sorted(wanted))} (is {now})")
        time.sleep(0.05)
    return now


def payment_record(cloud: Any, order_id: str) -> dict[str, Any]:
    """The payments table's record of the order's payment (its attempts and history), as JSON."""
    from commerce.adapters.payments_dynamo import DynamoPaymentRepository

    payment = DynamoPaymentRepository(cloud.physical("payments")).get(order_id)
    return payment.model_dump(mode="json") if payment is not None else {}


def bank_references(cloud: Any, order_id: str, kind: str = "payment.authorised") -> set[str]:
    """The sandbox bank's references of that kind for the order: each authorisation (capture, ...) it
    made reports itself by one webhook event, so this counts what the bank did."""
    return {
        d.event["reference"]
        for d in list(cloud.bank.deliveries)
        if d.event.get("order_id") == order_id and d.event.get("type") == kind
    }


def detail(api: requests.Session, base: str, token: str, order_id: str) -> dict[str, Any]:
    """The order as the customer's API answers it (order, timeline, payment, shipment)."""
    response = api.get(f"{base}/me/orders/{order_id}", headers={"Authorization": token})
    assert response.status_code == 200, response.text
    return dict(response.json())


def timeline(api: requests.Session, base: str, token: str, order_id: str) -> list[str]:
    """The types of the order's timeline entries, as the customer's API answers them."""
    return [entry["type"] for entry in detail(api, base, token, order_id)["timeline"]]


RESETS = 6  # attempts at most when the connection is reset
RETRYABLE = frozenset({429, 503})  # throttled (gateway, Lambda concurrency, a table): retry after Retry-After


def post_retrying(
    url: str, *, session: requests.Session | None = None, patience: float = 300.0, **kwargs: Any
) -> tuple[requests.Response, int]:
    """requests.post, again when the platform says so, as a storefront or partner client should: a
    429 or 503 (the local gateway's concurrency limit, a throttled table) after its Retry-After with
    jitter, a reset connection after a short pause; the same body and Idempotency-Key each time, so
    a retry can never place a second order. Gives up retrying after ``patience`` seconds.
    (The final response, how many retries it took.)"""
    post = session.post if session is not None else requests.post
    deadline = time.monotonic() + patience
    retries = resets = 0
    while True:
        try:
            response = post(url, timeout=60, **kwargs)
        except requests.ConnectionError:
            resets += 1
            if resets >= RESETS:
                raise
            retries += 1
            time.sleep(0.05 * 2**resets)
            continue
        if response.status_code not in RETRYABLE or time.monotonic() >= deadline:
            return response, retries
        retries += 1
        time.sleep(float(response.headers.get("Retry-After") or 1) * random.uniform(0.5, 1.5))


def percentiles(seconds: list[float]) -> dict[str, float]:
    """n, p50/p95/p99/max/mean in milliseconds (nearest-rank percentiles)."""
    if not seconds:
        return {"n": 0}
    ordered = sorted(s * 1000 for s in seconds)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)

    return {
        "n": len(ordered),
        "p50": rank(50),
        "p95": rank(95),
        "p99": rank(99),
        "max": round(ordered[-1], 1),
        "mean": round(sum(ordered) / len(ordered), 1),
    }


def latency_line(label: str, stats: dict[str, float]) -> str:
    if not stats.get("n"):
        return f"{label:34} (none)"
    return (
        f"{label:34} n={stats['n']:<5} p50 {stats['p50']:7.1f}  p95 {stats['p95']:7.1f}  "
        f"p99 {stats['p99']:7.1f}  max {stats['max']:7.1f} ms"
    )


class Checks:
    """Named pass/fail checks, made once or once a round/order (``where``): a failure is printed
    when it happens, ``print()`` sums them up, and ``results`` go to --json."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}

    def check(self, name: str, ok: bool, detail: Any = "", where: str = "") -> bool:
        result = self.results.setdefault(name, {"ok": True, "passed": 0, "failed": 0, "detail": detail})
        result["passed" if ok else "failed"] += 1
        if not ok:
            if result["ok"]:
                result["detail"] = f"{where}: {detail}" if where else detail  # the first failure's
            result["ok"] = False
            print(f"  FAIL {name}{f' ({where})' if where else ''}: {detail}")
        elif result["ok"]:
            result["detail"] = detail
        return bool(ok)

    def print(self) -> None:
        print("checks")
        for name, result in self.results.items():
            times = result["passed"] + result["failed"]
            count = f" [{result['passed']}/{times}]" if times > 1 else ""
            detail = f": {result['detail']}" if result["detail"] != "" else ""
            print(f"  {'OK  ' if result['ok'] else 'FAIL'} {name}{count}{detail}")

    @property
    def ok(self) -> bool:
        return all(result["ok"] for result in self.results.values())


def command() -> str:
    """How this bench was run, as a shell command from the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = str(script.relative_to(ROOT))
    except ValueError:
        shown = str(script)
    return shlex.join([".venv/bin/python", shown, *sys.argv[1:]])


def write_json(path: str | None, bench: str, params: dict[str, Any], figures: dict[str, Any], **extra: Any) -> None:
    """Write the bench's figures (and its checks, ``extra``) to ``path`` when one was given."""
    if not path:
        return
    checks: Checks | None = extra.pop("checks", None)
    payload = {
        "bench": bench,
        "command": command(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
        "params": params,
        "figures": figures,
        "checks": checks.results if checks else {},
        "ok": checks.ok if checks else True,
        **extra,
    }
    Path(path).write_text(json.dumps(payload, indent=2, default=str) + "\n")
