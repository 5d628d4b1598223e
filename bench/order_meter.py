"""Per-order meter: what one order on the happy path costs in AWS calls, Lambda invocations, Step
Functions state transitions, DynamoDB capacity units and events, and what 1,000 such orders cost at
AWS list prices.

It starts a LocalCloud in this process (seeded), places one warm-up order (cold starts: not
metered), then N orders one after another over HTTP with the sandbox card ``tok_approve``. Each is
taken through delivery: the warehouse simulator reports accepted, picking, packed and the
hand-over, the carrier in transit, out for delivery and delivered (one webhook each, as real
partners send them), the return window is one second, and the order is followed until it is
``completed``, its execution has ended and the cloud is idle, so every call is attributed to it.

Lambda invocations are split by who causes them: the platform (the API request, the workflow's
tasks, the queue and stream consumers: dispatch, outbox, emails) and the partners (the payment
gateway's, the warehouse's and the carrier's webhooks, one per event they choose to send).

Counted:
- AWS API calls by service and operation: a botocore ``before-call``/``after-call`` hook on the
  handlers' clients (``commerce.adapters.aws.client``), attributed to the function whose invocation
  made them (the local dispatcher is wrapped to know which, and to time each invocation);
- Lambda invocations and their durations (``cloud.dispatcher``; measured in-process against moto, so
  durations overstate what Lambda would bill: treat the GB-s line as an upper bound);
- Step Functions Standard state transitions: the ``...StateEntered`` events of each execution's
  history (what Standard bills), and its service integrations (``TaskScheduled``: lambda:invoke
  is already an invocation; events:putEvents adds EventBridge entries);
- DynamoDB capacity, APPROXIMATED: reads 1 RRU per 4 KB (0.5 when eventually consistent) of the
  items returned (at least 1 item's worth per GetItem/Query); writes 1 WRU per 1 KB of the item put,
  1 per Update/Delete/ConditionCheck item (items here are under 1 KB); transactions count double.
  Item size = the length of its JSON (DynamoDB's own sizing is close for these small items). Stream
  reads by the Lambda trigger are free and not counted;
- EventBridge entries put (by handlers and by the workflow); API Gateway requests = invocations of
  HTTP functions (the POST /orders and the payment gateway's webhook); SQS and Secrets Manager calls.

Prices (AWS list prices, eu-west-1, on-demand, beyond free tiers; taken from the AWS pricing pages
as of 2025 and NOT re-checked when this was run, 2026-11-22; the DynamoDB figures are the ones the
issue gives, $1.25/$0.25 per million, which predate AWS's November 2024 on-demand price cut that
halved them, so the DynamoDB line overstates):

Run: .venv/bin/python bench/order_meter.py --orders 10   (about a minute)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from typing import Any

import requests
from common import customer, logging_off, order_status, quote, setup, wait_for, write_json

# USD, eu-west-1 list prices (see the module docstring for their date and caveats)
PRICES = {
    "lambda_request": 0.20 / 1_000_000,  # per invocation
    "lambda_gb_second": 0.0000166667,  # x86
    "sfn_transition": 0.025 / 1_000,  # Standard workflows
    "ddb_wru": 1.25 / 1_000_000,  # on-demand write request unit (issue figure; pre-Nov-2024 list)
    "ddb_rru": 0.25 / 1_000_000,  # on-demand read request unit (issue figure; pre-Nov-2024 list)
    "eventbridge_event": 1.00 / 1_000_000,  # custom events put
    "sqs_request": 0.40 / 1_000_000,  # standard queue requests
    "apigw_request": 3.50 / 1_000_000,  # REST API, first 333 million
    "secrets_call": 0.05 / 10_000,  # Secrets Manager API calls
}
SERVICES = ("dynamodb", "stepfunctions", "events", "secretsmanager", "sqs", "sesv2", "cognito-idp", "lambda")
SETTLED = {"awaiting_payment"}  # statuses that are not yet an outcome
WEBHOOKS = ("payments-webhook", "fulfilment-warehouse-webhook", "fulfilment-carrier-webhook")
EVENT_CONSUMERS = (  # off the order's path: they react to its events or tables, or run on a schedule
    "orders-publish-events",
    "notifications-send-email",
    "notifications-send-staff-alert",
    "inventory-watch-stock",
    "reports-record-order-events",
    "search-publish-snapshot",
)
WAREHOUSE_STAGES = ("accepted", "picking", "packed", "handed_to_carrier")
CARRIER_EVENTS = ("in_transit", "out_for_delivery", "delivered")


def size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


class Meter:
    """Attributes every AWS call of the handlers' clients to the invocation that made it."""

    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud
        self.on = False
        self.local = threading.local()
        self.lock = threading.Lock()
        self.calls: Counter[tuple[str, str, str]] = Counter()  # (function, service, operation)
        self.sequence: dict[str, list[list[str]]] = defaultdict(list)  # function -> each invocation's calls
        self.invocations: list[tuple[str, float, int]] = []  # (function, seconds, memory MB)
        self.rru = 0.0
        self.wru = 0.0
        self.events_put = 0
        original = cloud.dispatcher.invoke

        def invoke(name_or_arn: str, event: Any) -> Any:
            deployed = cloud.dispatcher.deployed(name_or_arn)
            name = deployed.function.name if deployed else str(name_or_arn)
            outer = getattr(self.local, "function", None)
            self.local.function, self.local.calls = name, []
            started = time.perf_counter()
            try:
                return original(name_or_arn, event)
            finally:
                if self.on and deployed is not None:
                    with self.lock:
                        self.invocations.append((name, time.perf_counter() - started, deployed.function.memory))
                        self.sequence[name].append(self.local.calls)
                self.local.function = outer

        cloud.dispatcher.invoke = invoke

        from commerce.adapters.aws import client

        for service in SERVICES:
            events = client(service).meta.events
            events.register("before-call", self.before)
            events.register("after-call", self.after)

    def before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = params.get("body")
        if model.service_model.protocol == "json" and body:
            context["meter_request"] = json.loads(body)

    def after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if not self.on:
            return
        service, operation = model.service_model.endpoint_prefix, model.name
        request = context.get("meter_request") or {}
        function = getattr(self.local, "function", None) or "(outside a function)"
        with self.lock:
            self.calls[(function, service, operation)] += 1
            calls = getattr(self.local, "calls", None)
            if calls is not None:
                calls.append(operation)
            if service == "dynamodb":
                self._capacity(operation, request, parsed)
            if service == "events" and operation == "PutEvents":
                self.events_put += len(request.get("Entries") or [])

    def _capacity(self, operation: str, request: dict[str, Any], parsed: dict[str, Any]) -> None:
        eventual = 0.5 if not request.get("ConsistentRead") else 1.0
        if operation == "GetItem":
            self.rru += eventual * max(1, math.ceil(size(parsed.get("Item") or {}) / 4096))
        elif operation in ("Query", "Scan"):
            self.rru += eventual * max(1, math.ceil(sum(size(i) for i in parsed.get("Items") or []) / 4096))
        elif operation == "BatchGetItem":
            items = [i for found in (parsed.get("Responses") or {}).values() for i in found]
            self.rru += sum(eventual * math.ceil(size(i) / 4096) for i in items)
        elif operation == "TransactGetItems":
            self.rru += sum(
                2 * max(1, math.ceil(size(r.get("Item") or {}) / 4096)) for r in parsed.get("Responses") or []
            )
        elif operation == "PutItem":
            self.wru += math.ceil(size(request.get("Item") or {}) / 1024)
        elif operation in ("UpdateItem", "DeleteItem"):
            self.wru += 1
        elif operation == "BatchWriteItem":
            for writes in (request.get("RequestItems") or {}).values():
                self.wru += sum(math.ceil(size(w.get("PutRequest", {}).get("Item") or {"k": 1}) / 1024) for w in writes)
        elif operation == "TransactWriteItems":
            for item in request.get("TransactItems") or []:
                put = item.get("Put")
                self.wru += 2 * (math.ceil(size(put["Item"]) / 1024) if put else 1)


def history(cloud: Any, order_id: str) -> list[dict[str, Any]]:
    arn = cloud.state_machine_arn("order-lifecycle").replace(":stateMachine:", ":execution:") + f":{order_id}"
    sfn, events, token = cloud.client("stepfunctions"), [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def settle(cloud: Any, order_id: str, timeout: float = 60) -> list[dict[str, Any]]:
    """Wait for the execution to end, then until its history and the cloud stand still."""
    deadline = time.monotonic() + timeout
    previous: tuple[int, str] | None = None
    while time.monotonic() < deadline:
        cloud.wait_for_idle(10)
        events = history(cloud, order_id)
        ended = any(e["type"] in ("ExecutionSucceeded", "ExecutionFailed") for e in events)
        now = (len(events), order_status(cloud, order_id))
        if ended and now == previous:
            return events
        previous = now
        time.sleep(0.4)
    raise SystemExit(f"order {order_id} did not settle")


def deliver(cloud: Any, order_id: str) -> None:
    """The partners' part: the warehouse's stages and hand-over, the carrier's scans."""
    wait_for(cloud, order_id, "ready_for_fulfilment")
    cloud.warehouse.wait_for_dispatch(order_id, 30)
    for stage in WAREHOUSE_STAGES:
        assert cloud.warehouse.advance(order_id, stage) == 200
    wait_for(cloud, order_id, "shipped")
    tracking = cloud.carrier.shipment_for(order_id).tracking_number
    for kind in CARRIER_EVENTS:
        assert cloud.carrier.advance(tracking, kind) == 200
    wait_for(cloud, order_id, "completed")


def place_one(cloud: Any, api: requests.Session, sku: str, meter: Meter | None) -> tuple[str, list[Any]]:
    token = customer(cloud)
    quote_token = quote(api, cloud.api_url, token, sku)
    if meter:
        meter.on = True
    headers = {"Authorization": token, "Idempotency-Key": f"meter-{uuid.uuid4().hex}"}
    response = api.post(
        f"{cloud.api_url}/orders", headers=headers, json={"quote_token": quote_token, "payment_token": "tok_approve"}
    )
    assert response.status_code == 201, response.text
    order_id = str(response.json()["order_id"])
    deliver(cloud, order_id)
    events = settle(cloud, order_id)
    if meter:
        meter.on = False
    return order_id, events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (bench/report.py)")
    args = parser.parse_args()
    n = args.orders
    logging_off()
    from local.cloud import LocalCloud

    started = time.monotonic()
    os.environ["ORDER_RETURN_WINDOW_SECONDS"] = "1"
    with LocalCloud(seed=True) as cloud, requests.Session() as api:
        sku = setup(cloud, n + 5)
        place_one(cloud, api, sku, None)  # warm-up: cold starts are not per-order costs
        meter = Meter(cloud)
        transitions: list[int] = []
        integrations: Counter[str] = Counter()
        statuses: Counter[str] = Counter()
        for _ in range(n):
            order_id, events = place_one(cloud, api, sku, meter)
            transitions.append(sum(1 for e in events if e["type"].endswith("StateEntered")))
            statuses[order_status(cloud, order_id)] += 1
            for e in events:
                if e["type"] == "TaskScheduled":
                    details = e["taskScheduledEventDetails"]
                    integrations[f"{details['resourceType']}:{details['resource']}"] += 1
        figures = report(meter, n, transitions, integrations, statuses, time.monotonic() - started)
    write_json(args.json, "order_meter", {"orders": n}, figures)


def report(
    meter: Meter,
    n: int,
    transitions: list[int],
    integrations: Counter[str],
    statuses: Counter[str],
    elapsed: float,
) -> dict[str, Any]:
    """Prints the meter's tables; the figures, for --json."""
    from infra.topology import TOPOLOGY

    http_functions = {fn.name for fn in TOPOLOGY.functions if fn.http}
    per = lambda value: value / n  # noqa: E731
    print(f"Per-order meter: {n} orders on the happy path (tok_approve), after one warm-up order")
    print(f"end statuses: {dict(statuses)}\n")
    print(f"{'function':28} {'service':15} {'operation':32} {'calls/order':>11}")
    by_service: Counter[str] = Counter()
    for (function, service, operation), count in sorted(meter.calls.items()):
        by_service[service] += count
        print(f"{function:28} {service:15} {operation:32} {per(count):11.2f}")
    for integration, count in sorted(integrations.items()):
        print(f"{'(order-lifecycle workflow)':28} {'states':15} {integration:32} {per(count):11.2f}")
    invocations = Counter(name for name, _, _ in meter.invocations)
    print(f"\n{'function':34} {'invocations/order':>17} {'median ms':>10} {'MB':>5}")
    for name, count in sorted(invocations.items()):
        durations = [s * 1000 for f, s, _ in meter.invocations if f == name]
        memory = next(m for f, _, m in meter.invocations if f == name)
        print(f"{name:34} {per(count):17.2f} {statistics.median(durations):10.1f} {memory:5d}")

    sfn_events = integrations.get("events:putEvents", 0)
    gb_seconds = sum(seconds * memory / 1024 for _, seconds, memory in meter.invocations)
    units = {
        "Lambda requests": (per(len(meter.invocations)), PRICES["lambda_request"]),
        "Lambda GB-s (upper bound)": (per(gb_seconds), PRICES["lambda_gb_second"]),
        "Step Functions transitions": (statistics.mean(transitions), PRICES["sfn_transition"]),
        "DynamoDB WRU (approx.)": (per(meter.wru), PRICES["ddb_wru"]),
        "DynamoDB RRU (approx.)": (per(meter.rru), PRICES["ddb_rru"]),
        "EventBridge events": (per(meter.events_put + sfn_events), PRICES["eventbridge_event"]),
        "SQS requests": (per(by_service["sqs"]), PRICES["sqs_request"]),
        "API Gateway requests": (per(sum(invocations[f] for f in http_functions)), PRICES["apigw_request"]),
        "Secrets Manager calls": (per(by_service["secretsmanager"]), PRICES["secrets_call"]),
    }
    print(f"\n{'unit':30} {'per order':>10} {'USD per 1,000 orders':>21}")
    total = 0.0
    for unit, (quantity, price) in units.items():
        cost = quantity * price * 1000
        total += cost
        print(f"{unit:30} {quantity:10.3f} {cost:21.5f}")
    print(f"{'total':30} {'':10} {total:21.5f}")
    per_order = {unit: round(quantity, 3) for unit, (quantity, _) in units.items()}
    print(f"(AWS calls by handlers per order: {per(sum(meter.calls.values())):.1f}; {dict(by_service)})")

    place = meter.sequence.get("orders-place", [])
    worst = max((len(calls) for calls in place), default=0)
    print("\nchecks")
    print(
        f"  PlaceOrder sequential AWS calls <= 2: {'OK' if worst <= 2 else 'OVER'} (max {worst}: {place[0] if place else []})"
    )
    print(
        f"  state transitions through delivery <= 10: {'OK' if max(transitions) <= 10 else 'OVER'} "
        f"({min(transitions)}..{max(transitions)})"
    )
    partners = sum(count for name, count in invocations.items() if name in WEBHOOKS)
    consumers = sum(count for name, count in invocations.items() if name in EVENT_CONSUMERS)
    path = sum(invocations.values()) - partners - consumers
    print(
        f"  Lambda invocations on the order's own path <= 8: {'OK' if per(path) <= 8 else 'OVER'} "
        f"({per(path):.1f}: the API request, the workflow's tasks, the dispatch consumer)"
    )
    print(
        f"  event consumers per order: {per(consumers):.1f} (the outbox publisher, one per timeline entry "
        f"when orders trickle in one at a time, batched under load; the emails; the stock watch, "
        f"the dashboard counters, the snapshot schedule)"
    )
    print(
        f"  partner webhooks per order: {per(partners):.1f} (one per event the bank, warehouse and carrier "
        f"send); all invocations: {per(sum(invocations.values())):.1f}"
    )
    print(
        f"\nrun: {elapsed:.0f} s, {time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    )
    return {
        "end_statuses": dict(statuses),
        "per_order": per_order,
        "usd_per_1000_orders": round(total, 5),
        "transitions": [min(transitions), max(transitions)],
        "place_order_sequential_calls": worst,
        "lambda_invocations_per_order": {
            "own_path": per(path),
            "event_consumers": per(consumers),
            "partner_webhooks": per(partners),
            "all": per(sum(invocations.values())),
        },
        "elapsed_s": round(elapsed, 1),
    }


if __name__ == "__main__":
    main()
