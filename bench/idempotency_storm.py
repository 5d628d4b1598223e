"""Idempotency storm: one ``Idempotency-Key`` sent C times at once (the same body) to POST /orders.

Each round: a new customer quotes one unit of a SKU, then C threads wait at a barrier and POST
/orders with the same key and body. The design (docs/orders.md section 1) answers every one with
the same order: the request whose transaction wrote the idempotency record 201, the others 200
(they read the record and start the same, name-idempotent, execution). There is no 409 "in
progress": the record and the order are written in one transaction, so a replay always finds both.
Then the same key with another body (a different payment token) must answer 422
``IDEMPOTENCY_KEY_REUSED``.

Once the order is ready for fulfilment (authorised and through the risk check) the round checks
there is exactly one of everything: one order for the customer (the customer's order list, and the
orders table), one payment record with one authorised attempt (payments table), one authorisation
at the sandbox bank (its ``payment.authorised`` webhooks, one per authorisation it made), one
execution of the order's workflow, and one unit reserved.

Latency is measured per request at the client, over HTTP through the local API gateway (the local
gateway and moto run in this process: treat the figures as relative, not as AWS latencies).

Run: .venv/bin/python bench/idempotency_storm.py --repeat 5 --concurrency 20   (about a minute)
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
from common import (
    Checks,
    bank_references,
    customer,
    latency_line,
    logging_off,
    new_order,
    payment_record,
    percentiles,
    post_retrying,
    quote,
    setup,
    timeline,
    wait_for,
    write_json,
)

READY = ("ready_for_fulfilment",)
RESETS = (
    6  # attempts at most when the connection is reset  # fulfilment is manual here: the order waits for the warehouse
)


@dataclass
class Answer:
    status: int
    seconds: float  # from the first attempt to the answer, retries included
    order_id: str | None
    code: str | None  # the problem's code, for errors
    resets: int = 0  # connections the local gateway reset (its listen backlog overflowed), retried


def post(base: str, token: str, key: str, body: dict[str, Any], barrier: threading.Barrier | None = None) -> Answer:
    """POST /orders; a connection reset is retried with the same key and body, as a client should
    (that is what the key is for)."""
    headers = {"Authorization": token, "Idempotency-Key": key}
    if barrier is not None:
        barrier.wait()
    started = time.perf_counter()
    response, resets = post_retrying(f"{base}/orders", headers=headers, json=body)
    seconds = time.perf_counter() - started
    data = response.json() if response.content else {}
    return Answer(response.status_code, seconds, data.get("order_id"), data.get("code"), resets)


def orders_of(cloud: Any, api: requests.Session, token: str) -> tuple[int, int]:
    """(orders in the customer's list, order items in the orders table for that customer)."""
    listed = api.get(f"{cloud.api_url}/me/orders", headers={"Authorization": token})
    assert listed.status_code == 200, listed.text
    customer_id = _customer_id(token)
    ddb, found, start = cloud.client("dynamodb"), 0, None
    while True:
        page = ddb.scan(
            TableName=cloud.physical("orders"),
            FilterExpression="sk = :order AND customer_id = :customer",
            ExpressionAttributeValues={":order": {"S": "ORDER"}, ":customer": {"S": customer_id}},
            ConsistentRead=True,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        found += len(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return len(listed.json()["orders"]), found


def _customer_id(token: str) -> str:
    """The token's subject (what the API calls the customer id)."""
    claims = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["sub"])


def executions_of(cloud: Any, order_id: str) -> int:
    sfn = cloud.client("stepfunctions")
    arn = cloud.state_machine_arn("order-lifecycle")
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
    return sum(1 for page in pages for e in page["executions"] if e["name"] == order_id)


def reserved(sku: str) -> int:
    from commerce.adapters.aws import client

    item = client("dynamodb").get_item(
        TableName=os.environ["INVENTORY_TABLE"],
        Key={"pk": {"S": f"SKU#{sku}"}, "sk": {"S": "STOCK"}},
        ConsistentRead=True,
    )["Item"]
    return int(item["reserved"]["N"])


def one_round(cloud: Any, api: requests.Session, sku: str, concurrency: int, checks: Checks, n: int) -> list[Answer]:
    token = customer(cloud)
    body = {"quote_token": quote(api, cloud.api_url, token, sku), "payment_token": "tok_approve"}
    key = f"storm-{uuid.uuid4().hex}"
    barrier = threading.Barrier(concurrency)
    with ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(lambda _: post(cloud.api_url, token, key, body, barrier), range(concurrency)))
    statuses = Counter(a.status for a in answers)
    ids = {a.order_id for a in answers}
    check = functools.partial(checks.check, where=f"round {n}")
    resets = sum(a.resets for a in answers)
    print(f"round {n}: statuses {dict(sorted(statuses.items()))}, order ids {sorted(map(str, ids))}, resets {resets}")
    answered = Counter(f"{a.status} {a.code or ''}".strip() for a in answers)
    check("every answer 200/201", set(statuses) <= {200, 201}, dict(answered))
    check("exactly one 201 (created)", statuses[201] == 1, statuses[201])
    check("one order id in every answer", len(ids) == 1 and None not in ids, len(ids))
    other = post(cloud.api_url, token, key, body | {"payment_token": "tok_decline"})
    check(
        "same key, other body -> 422 IDEMPOTENCY_KEY_REUSED",
        (other.status, other.code) == (422, "IDEMPOTENCY_KEY_REUSED"),
        f"{other.status} {other.code}",
    )
    order_id = next(iter(ids))
    if order_id is None:
        return answers
    wait_for(cloud, order_id, READY, timeout=60)
    deadline = time.monotonic() + 10  # the bank's webhook may still be on its way to the log
    while not bank_references(cloud, order_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(cloud.bank_delay + 0.2)  # a second authorisation, if one was made, reports itself too
    listed, stored = orders_of(cloud, api, token)
    check("one order (customer's list, orders table)", (listed, stored) == (1, 1), (listed, stored))
    payment = payment_record(cloud, order_id)
    attempts = [(a["number"], a["outcome"]) for a in payment.get("attempts", [])]
    check("one authorised attempt (payments table)", attempts == [(1, "authorised")], attempts)
    at_bank = bank_references(cloud, order_id)
    check("one authorisation at the bank", len(at_bank) == 1, len(at_bank))
    check("one workflow execution", executions_of(cloud, order_id) == 1)
    held = reserved(sku)  # the warm-up order's unit and one a round
    check("one unit reserved", held == n + 1, f"{held} after the warm-up and {n} rounds")
    kinds = Counter(timeline(api, cloud.api_url, token, order_id))
    check(
        "timeline placed once, authorised once",
        (kinds["OrderPlaced"], kinds["OrderPaymentAuthorised"]) == (1, 1),
        {k: kinds[k] for k in ("OrderPlaced", "OrderPaymentAuthorised")},
    )
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="rounds, each with a fresh key and customer")
    parser.add_argument("--concurrency", type=int, default=20, help="requests with the same key at once")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (bench/report.py)")
    args = parser.parse_args()
    logging_off()
    from local.cloud import LocalCloud

    started = time.monotonic()
    checks = Checks()
    with LocalCloud(seed=True) as cloud, requests.Session() as api:
        sku = setup(cloud, args.repeat + 1)
        new_order(cloud, api, sku)  # warm-up: the first requests import the handlers (cold starts)
        answers: list[Answer] = []
        print(f"Idempotency storm: {args.repeat} rounds of {args.concurrency} concurrent POST /orders, one key each")
        for n in range(1, args.repeat + 1):
            answers += one_round(cloud, api, sku, args.concurrency, checks, n)
    elapsed = time.monotonic() - started
    checks.print()
    latency = {
        "all": percentiles([a.seconds for a in answers]),
        "created (201)": percentiles([a.seconds for a in answers if a.status == 201]),
        "replayed (200)": percentiles([a.seconds for a in answers if a.status == 200]),
    }
    print()
    for label, stats in latency.items():
        print(latency_line(f"latency, {label}", stats))
    statuses = Counter(a.status for a in answers)
    print(
        f"\nanswers: {dict(sorted(statuses.items()))}; checks {'all OK' if checks.ok else 'FAILED'}; run {elapsed:.0f} s"
    )
    resets = sum(a.resets for a in answers)
    figures = {
        "answers": dict(statuses),
        "resets_retried": resets,
        "latency_ms": latency,
        "elapsed_s": round(elapsed, 1),
    }
    params = {"repeat": args.repeat, "concurrency": args.concurrency}
    write_json(args.json, "idempotency_storm", params, figures, checks=checks)
    raise SystemExit(0 if checks.ok else 1)


if __name__ == "__main__":
    main()
