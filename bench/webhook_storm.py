"""Webhook storm: M orders' partner webhooks arrive duplicated, out of order, forged, tampered with
and stale, all at once; the orders must end exactly as if each event had arrived once, in order.

Three waves, each sent shuffled through a pool of C threads (over HTTP, the local API gateway):

1. payments. The M orders are placed while the sandbox bank's webhooks go to a sink that
   acknowledges them without passing them on, so the platform has seen none of them. Then each
   order's genuine ``payment.authorised`` event is sent k times at once, re-signed (fresh
   timestamps) as a gateway redelivers, plus the very bytes first sent (a replay inside the
   signature's window): the first copy to arrive must authorise the order and every other one
   answer ``{"duplicate": true}``. After it, a contradicting ``payment.declined`` for the same
   attempt (a new event id) must be ignored.
2. warehouse (unless --payments-only): once the dispatch reaches the warehouse simulator, its four
   events (accepted, picking, packed, handed_to_carrier), each k times, in random order across all
   orders: stages only move forward, so the order must end ``shipped`` with one hand-over, one
   ``OrderDispatched`` and one capture at the bank.
3. carrier: the carrier's in_transit, out_for_delivery and delivered, each k times, shuffled: the
   order must end delivered (then ``completed``: a one-second return window), delivered once.

With each partner's events go forgeries, per order: signed with the wrong key, a genuine signature
over a tampered body (401 ``INVALID_SIGNATURE``), a genuine signature an hour old (401
``STALE_SIGNATURE``); none may leave a trace. A genuine event answered 409 (order changing) or 503
(not ready yet) is sent again with backoff, as the partners do (counted); a 500 is a defect.

The signing is the simulators' own (``signed``, ``commerce.common.signatures.sign``): nothing is
copied. Throughput = requests answered / the wave's wall time; latency per request at the client.

Run: .venv/bin/python bench/webhook_storm.py --orders 10 --copies 5 --concurrency 8   (about two minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from common import (
    Checks,
    bank_references,
    detail,
    latency_line,
    logging_off,
    new_order,
    payment_record,
    percentiles,
    post_retrying,
    setup,
    wait_for,
    write_json,
)

from commerce.common.signatures import HEADER, sign
from local.simulators.webhooks import Answer, HttpSimulator, WebhookSender

RETRY = frozenset({404, 409, 503})  # the platform asks the sender to try again (and every 5xx)
ATTEMPTS = 6
REFUSED = {"forged": "INVALID_SIGNATURE", "tampered": "INVALID_SIGNATURE", "stale": "STALE_SIGNATURE"}
WAREHOUSE = ("accepted", "picking", "packed", "handed_to_carrier")
CARRIER = ("in_transit", "out_for_delivery", "delivered")


@dataclass
class Post:
    """One webhook request to send (and to send again, re-signed, while the answer asks for it)."""

    kind: str  # genuine | replay | late | forged | tampered | stale
    order_id: str
    event_id: str
    url: str
    headers: dict[str, str]
    body: bytes
    resign: Callable[[], tuple[dict[str, str], bytes]] | None = None
    status: int = 0
    code: str | None = None
    answer: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    attempts: int = 0
    resets: int = 0  # connections the local gateway reset, retried

    @property
    def outcome(self) -> str:
        """What the platform did with it: applied, ignored (recorded, no change), duplicate, or the
        problem's code."""
        for outcome in ("applied", "duplicate", "ignored"):
            if self.answer.get(outcome):
                return outcome
        return str(self.code)


class Sink(HttpSimulator):
    """Acknowledges every POST and passes nothing on: where the bank's webhooks go while the orders
    are placed, so the storm carries their first delivery."""

    def handle(self, path: str, body: dict[str, Any], key: str) -> Answer:
        return 200, {}


@contextmanager
def withheld(cloud: Any) -> Iterator[None]:
    sink = Sink(b"").start()
    url, cloud.bank.webhook_url = cloud.bank.webhook_url, f"{sink.url}/webhooks/payments"
    try:
        yield
    finally:
        cloud.bank.webhook_url = url
        sink.stop()


def genuine(sender: WebhookSender, url: str, event: dict[str, Any], kind: str = "genuine") -> Post:
    headers, body = sender.signed(event)
    return Post(kind, event["order_id"], event["event_id"], url, headers, body, lambda: sender.signed(event))


def forgeries(sender: WebhookSender, url: str, event: dict[str, Any], other_type: str) -> list[Post]:
    """The event forged three ways, each with its own event id (so a trace of it could be found)."""
    now = int(time.time())
    forged = json.dumps(event | {"event_id": f"{event['event_id']}_forged", "type": other_type}).encode()
    wrong_key = {"Content-Type": "application/json", HEADER: sign(b"not-the-partner-key", now, forged)}
    headers, body = sender.signed(event | {"event_id": f"{event['event_id']}_tampered"})
    tampered = body.replace(json.dumps(event["type"]).encode(), json.dumps(other_type).encode())
    stale_headers, stale = sender.signed(event | {"event_id": f"{event['event_id']}_stale"}, timestamp=now - 3600)
    order_id, event_id = event["order_id"], event["event_id"]
    return [
        Post("forged", order_id, f"{event_id}_forged", url, wrong_key, forged),
        Post("tampered", order_id, f"{event_id}_tampered", url, headers, tampered),
        Post("stale", order_id, f"{event_id}_stale", url, stale_headers, stale),
    ]


def send(post: Post) -> Post:
    """POST it; a genuine one again (re-signed, backing off) while the answer asks for a retry."""
    headers, body, delay = post.headers, post.body, 0.25
    started = time.perf_counter()
    while True:
        post.attempts += 1
        response, resets = post_retrying(post.url, data=body, headers=headers)
        post.resets += resets
        post.status = response.status_code
        post.answer = response.json() if response.content else {}
        post.code = post.answer.get("code")
        again = post.status >= 500 or post.status in RETRY
        if not again or post.kind in REFUSED or post.attempts >= ATTEMPTS:
            break
        time.sleep(delay)
        delay *= 2
        if post.resign is not None:
            headers, body = post.resign()
    post.seconds = time.perf_counter() - started
    return post


def storm(name: str, posts: list[Post], concurrency: int) -> dict[str, Any]:
    """Send them shuffled, C at a time; the wave's figures."""
    random.shuffle(posts)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, posts))
    wall = time.perf_counter() - started
    requests_sent = sum(p.attempts for p in posts)
    accepted = [p.seconds for p in posts if p.kind not in REFUSED]
    refused = [p.seconds for p in posts if p.kind in REFUSED]
    answers = Counter(f"{p.kind} {p.status} {p.outcome}" for p in posts)
    figures = {
        "requests": requests_sent,
        "retried": requests_sent - len(posts),
        "connection_resets_retried": sum(p.resets for p in posts),
        "seconds": round(wall, 2),
        "throughput_per_s": round(requests_sent / wall, 1),
        "answers": dict(sorted(answers.items())),
        "latency_ms": {"genuine": percentiles(accepted), "refused": percentiles(refused)},
    }
    print(
        f"\n{name}: {len(posts)} webhooks ({requests_sent} requests with retries) in {wall:.2f} s, "
        f"{figures['throughput_per_s']} requests/s, concurrency {concurrency}"
    )
    for answer, count in figures["answers"].items():
        print(f"  {count:5d} x {answer}")
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    for p in posts:
        if p.kind not in REFUSED:
            by_type[json.loads(p.body)["type"]][p.outcome] += 1
    figures["genuine_outcomes_by_type"] = {t: dict(sorted(c.items())) for t, c in sorted(by_type.items())}
    for type_, outcomes in figures["genuine_outcomes_by_type"].items():
        print(f"  {type_:28} {', '.join(f'{outcome} {n}' for outcome, n in outcomes.items())}")
    print(latency_line("  latency, genuine (with retries)", figures["latency_ms"]["genuine"]))
    print(latency_line("  latency, refused", figures["latency_ms"]["refused"]))
    return figures


def check_wave(checks: Checks, name: str, posts: list[Post], copies: int) -> None:
    """What every wave must show: forgeries refused with the right code, no 5xx, and each event
    applied (or ignored) by exactly one of its copies, the others answered as duplicates."""
    for kind, code in REFUSED.items():
        refused = [p for p in posts if p.kind == kind]
        wrong = Counter(f"{p.status} {p.code}" for p in refused if (p.status, p.code) != (401, code))
        checks.check(f"{name}: {kind} refused 401 {code}", not wrong, dict(wrong) or f"{len(refused)} x 401")
    errors = Counter(f"{p.kind} {p.status} {p.code}" for p in posts if p.status >= 500)
    checks.check(f"{name}: no 5xx (after retries)", not errors, dict(errors) or "none")
    unanswered = Counter(f"{p.kind} {p.status} {p.code}" for p in posts if p.kind not in REFUSED and p.status != 200)
    checks.check(f"{name}: every genuine webhook acknowledged 200", not unanswered, dict(unanswered) or "all")
    by_event: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        if post.kind in ("genuine", "replay"):
            by_event[post.event_id].append(post)
    applied = Counter(sum(1 for p in copies_ if p.outcome == "applied") for copies_ in by_event.values())
    checks.check(
        f"{name}: each event applied at most once ({copies} copies)",
        max(applied) <= 1,
        f"{len(by_event)} events; events by copies applied: {dict(sorted(applied.items()))}",
    )


def payments_wave(cloud: Any, api: requests.Session, sku: str, args: argparse.Namespace, checks: Checks) -> Any:
    bank, url = cloud.bank, f"{cloud.api_url}/webhooks/payments"
    with withheld(cloud):
        orders: dict[str, str] = {}  # order id -> its customer's token
        for _ in range(args.orders):
            token, order_id = new_order(cloud, api, sku)
            orders[order_id] = token
        deadline = time.monotonic() + 30
        while len(firsts := authorised_deliveries(cloud, set(orders))) < len(orders):
            if time.monotonic() > deadline:
                raise SystemExit(f"the bank authorised {len(firsts)} of {len(orders)} orders")
            time.sleep(0.05)
    posts: list[Post] = []
    for delivery in firsts.values():
        event = delivery.event
        posts += [genuine(bank, url, event) for _ in range(args.copies)]
        posts.append(Post("replay", event["order_id"], event["event_id"], url, delivery.headers, delivery.body))
        posts += forgeries(bank, url, event, "payment.declined")
    figures = storm("payments", posts, args.concurrency)
    check_wave(checks, "payments", posts, args.copies + 1)
    taken = Counter(p.event_id for p in posts if p.outcome == "applied")
    checks.check("payments: each authorisation applied exactly once", len(taken) == len(firsts), len(taken))
    late = []
    for delivery in firsts.values():
        declined = delivery.event | {"event_id": f"{delivery.event['event_id']}_late", "type": "payment.declined"}
        late.append(genuine(bank, url, declined | {"decline_code": "card_declined"}, "late"))
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(send, late))
    checks.check(
        "payments: a late contradicting decline is ignored",
        all(p.status == 200 and p.answer.get("ignored") for p in late),
        dict(Counter(f"{p.status} {sorted(p.answer)}" for p in late)),
    )
    for order_id, token in orders.items():
        wait_for(cloud, order_id, "ready_for_fulfilment", timeout=60)
        payment = payment_record(cloud, order_id)
        attempts = [(a["number"], a["outcome"]) for a in payment["attempts"]]
        where = order_id
        checks.check(
            "payments: one authorised attempt (payments table)", attempts == [(1, "authorised")], attempts, where
        )
        checks.check("payments: one authorisation at the bank", len(bank_references(cloud, order_id)) == 1, 1, where)
        kinds = Counter(e["type"] for e in detail(api, cloud.api_url, token, order_id)["timeline"])
        checks.check(
            "payments: timeline authorised once, never declined",
            (kinds["OrderPaymentAuthorised"], kinds["OrderPaymentDeclined"]) == (1, 0),
            "1, 0",
            where,
        )
        traces = [h["what"] for h in payment["history"] if any(f"_{k}" in h["what"] for k in REFUSED)]
        checks.check("payments: no trace of a forgery", not traces, traces or "none", where)
    return orders, figures


def authorised_deliveries(cloud: Any, orders: set[str]) -> dict[str, Any]:
    """The bank's first ``payment.authorised`` delivery of each of these orders."""
    firsts: dict[str, Any] = {}
    for delivery in list(cloud.bank.deliveries):
        event = delivery.event
        if event["type"] == "payment.authorised" and event["order_id"] in orders:
            firsts.setdefault(event["order_id"], delivery)
    return firsts


def warehouse_wave(
    cloud: Any, api: requests.Session, orders: dict[str, str], args: argparse.Namespace, checks: Checks
) -> Any:
    warehouse, url = cloud.warehouse, f"{cloud.api_url}/webhooks/warehouse"
    posts: list[Post] = []
    handed: dict[str, dict[str, Any]] = {}
    for order_id in orders:
        warehouse.wait_for_dispatch(order_id, 60)
        for stage in WAREHOUSE:
            event = warehouse.event(order_id, stage)
            posts += [genuine(warehouse, url, event) for _ in range(args.copies)]
            handed[order_id] = event  # the last one: the hand-over
        posts += forgeries(warehouse, url, event, "dispatch.exception")
    figures = storm("warehouse", posts, args.concurrency)
    check_wave(checks, "warehouse", posts, args.copies)
    for order_id, token in orders.items():
        wait_for(cloud, order_id, "shipped", timeout=60)
        deadline = time.monotonic() + 10  # the capture's webhook comes from the bank after its delay
        while not bank_references(cloud, order_id, "payment.captured") and time.monotonic() < deadline:
            time.sleep(0.05)
        got = detail(api, cloud.api_url, token, order_id)
        kinds = Counter(e["type"] for e in got["timeline"])
        once = (kinds["OrderHandedToCarrier"], kinds["OrderDispatched"])
        checks.check("warehouse: handed over once, dispatched once", once == (1, 1), once, order_id)
        captures = len(bank_references(cloud, order_id, "payment.captured"))
        checks.check("warehouse: captured once at the bank", captures == 1, captures, order_id)
        shipment = got.get("shipment") or {}
        checks.check(
            "warehouse: the shipment carries the hand-over's tracking number",
            shipment.get("tracking_number") == handed[order_id]["tracking_number"],
            shipment.get("tracking_number"),
            order_id,
        )
        dispatch = warehouse.dispatches[order_id]  # the carrier takes the parcel, as on a 2xx hand-over
        cloud.carrier.receive(
            order_id, handed[order_id]["tracking_number"], handed[order_id]["parcels"], dispatch.ship_to
        )
    return handed, figures


def carrier_wave(
    cloud: Any,
    api: requests.Session,
    orders: dict[str, str],
    handed: dict[str, Any],
    args: argparse.Namespace,
    checks: Checks,
) -> Any:
    carrier, url = cloud.carrier, f"{cloud.api_url}/webhooks/carrier"
    posts: list[Post] = []
    for order_id in orders:
        for kind in CARRIER:
            event = carrier.event(handed[order_id]["tracking_number"], kind)
            posts += [genuine(carrier, url, event) for _ in range(args.copies)]
        posts += forgeries(carrier, url, event, "shipment.returned_to_sender")
    figures = storm("carrier", posts, args.concurrency)
    check_wave(checks, "carrier", posts, args.copies)
    for order_id, token in orders.items():
        status = wait_for(cloud, order_id, "completed", timeout=60)
        got = detail(api, cloud.api_url, token, order_id)
        kinds = Counter(e["type"] for e in got["timeline"])
        checks.check(
            "carrier: delivered once, completed",
            (kinds["OrderDelivered"], status) == (1, "completed"),
            (kinds["OrderDelivered"], status),
            order_id,
        )
        shipment = got.get("shipment") or {}
        checks.check(
            "carrier: shipment delivered", shipment.get("status") == "delivered", shipment.get("status"), order_id
        )
    return figures


def warm_up(cloud: Any) -> None:
    """An unsigned request to each webhook endpoint imports its handler (cold starts are not the storm's)."""
    for partner in ("payments", "warehouse", "carrier"):
        requests.post(f"{cloud.api_url}/webhooks/{partner}", data=b"{}", timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--copies", type=int, default=5, help="copies of each genuine event (k)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (C)")
    parser.add_argument("--payments-only", action="store_true", help="skip the warehouse and carrier waves")
    parser.add_argument("--seed", type=int, help="the shuffle's random seed")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (bench/report.py)")
    args = parser.parse_args()
    random.seed(args.seed)
    logging_off()
    os.environ["ORDER_RETURN_WINDOW_SECONDS"] = "1"
    from local.cloud import LocalCloud

    started = time.monotonic()
    checks = Checks()
    figures: dict[str, Any] = {}
    print(f"Webhook storm: {args.orders} orders, {args.copies} copies of each event, concurrency {args.concurrency}")
    with LocalCloud(seed=True) as cloud, requests.Session() as api:
        sku = setup(cloud, args.orders)
        warm_up(cloud)
        orders, figures["payments"] = payments_wave(cloud, api, sku, args, checks)
        if not args.payments_only:
            handed, figures["warehouse"] = warehouse_wave(cloud, api, orders, args, checks)
            figures["carrier"] = carrier_wave(cloud, api, orders, handed, args, checks)
    elapsed = time.monotonic() - started
    print()
    checks.print()
    total = sum(wave["requests"] for wave in figures.values())
    busy = sum(wave["seconds"] for wave in figures.values())
    figures["overall"] = {"requests": total, "throughput_per_s": round(total / busy, 1), "elapsed_s": round(elapsed, 1)}
    print(f"\n{total} webhook requests in {busy:.1f} s of storm: {total / busy:.1f}/s; run {elapsed:.0f} s")
    params = {k: getattr(args, k) for k in ("orders", "copies", "concurrency", "payments_only", "seed")}
    write_json(args.json, "webhook_storm", params, figures, checks=checks)
    raise SystemExit(0 if checks.ok else 1)


if __name__ == "__main__":
    main()
