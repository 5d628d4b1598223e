"""Flash race: many buyers, few units, one SKU, all at once (docs/inventory.md).

It starts a LocalCloud in this process (seeded), creates a SKU with ``--units`` units (and, with
``--hot-shards N``, marks it hot over N shards through the staff API), prepares ``--buyers``
customers, each signed in with the SKU in their cart and a quote (before the race: none of that is
timed), then releases them together from a barrier: each places one order (``POST /orders``, one
unit) over HTTP. It prints the units oversold (must be 0), the orders accepted (must be the units
when there are more buyers than units), how the others were answered, the placement latency
p50/p95/p99 and the throughput, and checks the SKU's totals and pools afterwards.

Placement here is bounded by the local cloud, not by DynamoDB's per-partition rate: moto's DynamoDB
is serialised by one lock and every handler shares two cores and the GIL (docs/local-cloud.md), so
shards do not make this faster locally; the race proves zero oversell and exactly-the-units under
contention (with shards: the failure path's fall-through). What shards buy on AWS is arithmetic, in
docs/inventory.md. The local gateway runs the API's invocations a few at a time (``--api-concurrency``,
default the local cloud's 8) and queues the rest, as Lambda's own containers would run them side by
side; a request that waits past API Gateway's 29 s is answered 503 with Retry-After, and the buyer
sends it again with the same Idempotency-Key (counted under "retries").

The orders are placed with the sandbox card ``tok_challenge`` by default: their workflows then wait
for a payment challenge nobody completes, so they do not compete with the race for the two cores
(``--payment tok_approve`` lets them run on).

Run: .venv/bin/python bench/flash_race.py --buyers 500 --units 50 --hot-shards 4   (about 3 minutes)
     .venv/bin/python bench/flash_race.py --buyers 100 --units 10 --json /tmp/flash.json
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import requests
from common import (
    Checks,
    customer,
    latency_line,
    logging_off,
    percentiles,
    post_retrying,
    quote,
    setup,
    write_json,
)


def prepare(cloud: Any, base: str, sku: str, buyers: int, workers: int) -> list[tuple[str, str]]:
    """(customer token, quote token) per buyer: signed in, one unit in the cart, quoted."""

    def one(_: int) -> tuple[str, str]:
        with requests.Session() as api:
            token = customer(cloud)
            return token, quote(api, base, token, sku)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(buyers)))


RELEASED = frozenset({"expired", "cancelled", "rejected"})
EXPECTED_REFUSALS = frozenset({"INSUFFICIENT_STOCK"})


class Answer(NamedTuple):
    status: int
    seconds: float
    code: str
    retries: int  # 503/429 answers (or resets) retried before this one


def order_statuses(cloud: Any, sku: str) -> dict[str, int]:
    """How many orders for the SKU are in each status (a scan of the orders table: bench only)."""
    from commerce.adapters.dynamo import unmarshal

    counts: dict[str, int] = {}
    pages = cloud.client("dynamodb").get_paginator("scan").paginate(TableName=cloud.physical("orders"))
    for item in (unmarshal(i) for page in pages for i in page["Items"]):
        if item["sk"] == "ORDER" and any(line.get("sku") == sku for line in item.get("lines", [])):
            counts[item["status"]] = counts.get(item["status"], 0) + 1
    return counts


def race(base: str, buyers: list[tuple[str, str]], payment: str) -> tuple[list[Answer], float]:
    """Every buyer places its order at once, retrying a 503/429 as a storefront should (the same
    Idempotency-Key): ([answer per buyer], the race's wall time). A buyer's latency runs from its
    first attempt to its final answer."""
    gate = threading.Barrier(len(buyers) + 1)
    results: list[Answer] = [Answer(0, 0.0, "", 0)] * len(buyers)

    def buyer(index: int, token: str, quote_token: str) -> None:
        headers = {"Authorization": token, "Idempotency-Key": f"flash-{uuid.uuid4().hex}"}
        body = {"quote_token": quote_token, "payment_token": payment}
        retries = 0
        with requests.Session() as api:
            gate.wait()
            started = time.perf_counter()
            try:
                response, retries = post_retrying(f"{base}/orders", session=api, headers=headers, json=body)
                status = response.status_code
                code = "" if status < 300 else str(response.json().get("code", ""))
                if status >= 300 and code not in EXPECTED_REFUSALS:
                    code = f"{code}: {response.json().get('detail', '')}"
            except requests.RequestException as error:
                status, code = -1, type(error).__name__
            results[index] = Answer(status, time.perf_counter() - started, code, retries)

    threads = [threading.Thread(target=buyer, args=(i, *b), daemon=True) for i, b in enumerate(buyers)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=500, help="concurrent buyers, one unit each")
    parser.add_argument("--units", type=int, default=50, help="units of the SKU on sale")
    parser.add_argument("--hot-shards", type=int, default=0, help="mark the SKU hot over N shards (2..50); 0: not")
    parser.add_argument("--payment", default="tok_challenge", help="sandbox card token of every order")
    parser.add_argument("--prepare-workers", type=int, default=8, help="threads preparing buyers (not timed)")
    parser.add_argument(
        "--api-concurrency",
        type=int,
        default=None,
        help="the local gateway's concurrency limit (default: the local cloud's; 0: none)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    logging_off()
    from local.cloud import LocalCloud

    started = time.monotonic()
    checks = Checks()
    concurrency = {} if args.api_concurrency is None else {"api_concurrency": args.api_concurrency or None}
    with LocalCloud(seed=True, **concurrency) as cloud, requests.Session() as api:
        api_concurrency = cloud.api_concurrency
        base = cloud.api_url
        sku = setup(cloud, args.units)
        staff = {"Authorization": cloud.sign_in("staff", *cloud.staff_credentials["warehouse"])}
        if args.hot_shards:
            marked = api.put(f"{base}/admin/inventory/{sku}/hot", headers=staff, json={"shards": args.hot_shards})
            assert marked.status_code == 200, marked.text
        print(f"SKU {sku}: {args.units} units, hot shards {args.hot_shards or 'none'}; preparing {args.buyers} buyers")
        buyers = prepare(cloud, base, sku, args.buyers, args.prepare_workers)
        print(f"prepared in {time.monotonic() - started:.0f} s; racing")
        results, wall = race(base, buyers, args.payment)
        after = api.get(f"{base}/admin/inventory/{sku}", headers=staff).json()
        statuses = order_statuses(cloud, sku)

    accepted = sum(1 for answer in results if answer.status == 201)
    answers: dict[str, int] = {}
    for status, _, code, _ in results:
        key = f"{status} {code}".strip()
        answers[key] = answers.get(key, 0) + 1
    # An order whose workflow gave up during the race (expired: the overloaded local cloud failed its
    # payment task) released its unit, which a later buyer may take: accepted can exceed the units
    # without a unit sold twice. Oversold is what is held beyond what is on hand.
    holding = sum(n for status, n in statuses.items() if status not in RELEASED)
    released = sum(n for status, n in statuses.items() if status in RELEASED)
    oversold = max(0, after["reserved"] - after["on_hand"], holding - args.units)
    latency = percentiles([answer.seconds for answer in results])
    retries = [answer.retries for answer in results]
    figures = {
        "units": args.units,
        "buyers": args.buyers,
        "hot_shards": args.hot_shards,
        "accepted": accepted,
        "oversold": oversold,
        "holding": holding,
        "released_during_race": released,
        "orders_by_status": statuses,
        "answers": answers,
        "api_concurrency": api_concurrency,
        "retried_503": sum(retries),
        "buyers_retrying": sum(1 for n in retries if n),
        "most_retries_of_one_buyer": max(retries, default=0),
        "latency_ms": latency,
        "race_seconds": round(wall, 2),
        "sold_out_after_seconds": round(max((a.seconds for a in results if a.status == 201), default=0.0), 2),
        "placements_per_second": round(len(results) / wall, 1),
        "accepted_per_second": round(accepted / wall, 1),
        "after": {k: after[k] for k in ("on_hand", "reserved", "available", "hot_shards")},
        "pools": after.get("pools", []),
        "total_seconds": round(time.monotonic() - started, 1),
    }
    print()
    print(f"units oversold                     {oversold}")
    print(f"orders accepted                    {accepted} of {args.buyers} buyers for {args.units} units")
    print(f"answers                            {answers}")
    print(
        f"retries                            {figures['retried_503']} answers 503 (gateway concurrency "
        f"{api_concurrency}) retried by {figures['buyers_retrying']} buyers, at most "
        f"{figures['most_retries_of_one_buyer']} by one"
    )
    print(latency_line("placement latency", latency))
    print(
        f"throughput                         {figures['placements_per_second']} placements/s answered, "
        f"{figures['accepted_per_second']} accepted/s ({wall:.1f} s race; the last unit sold after "
        f"{figures['sold_out_after_seconds']} s)"
    )
    print(f"SKU after                          {figures['after']}")
    if args.hot_shards:
        print(
            "pools after                        "
            + ", ".join(f"{p['pool']} {p['reserved']}r/{p['available']}a" for p in figures["pools"])
        )
    checks.check("no unit oversold", oversold == 0, oversold)
    checks.check("every accepted order is holding its unit or released it", holding + released == accepted, statuses)
    checks.check("units reserved = orders holding one", after["reserved"] == holding, after["reserved"])
    sold_out = after["available"] == 0 or args.buyers <= args.units
    checks.check("every unit sold (none left while buyers were refused)", sold_out, after["available"])
    refused = {k: v for k, v in answers.items() if not k.startswith(("201", "409 INSUFFICIENT_STOCK"))}
    checks.check("every other buyer got 409 INSUFFICIENT_STOCK (no 5xx)", not refused, refused or "")
    checks.print()
    write_json(args.json, "flash_race", vars(args) | {"json": None}, figures, checks=checks)
    print(f"({figures['total_seconds']} s in all; {os.cpu_count()} cores)")
    raise SystemExit(0 if checks.ok else 1)


if __name__ == "__main__":
    main()
