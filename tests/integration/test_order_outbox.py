"""The orders outbox (docs/orders.md section 2) in the local cloud: the orders table's stream ->
orders-publish-events -> the bus. Every timeline entry reaches the bus exactly once through the
outbox (read from a test-only rule -> queue), in the shape its schema describes; PutEvents is
batched by 10; entries EventBridge refuses come back as batchItemFailures by SequenceNumber.

"Exactly once through the outbox" is counted on the PutEvents calls orders-publish-events makes,
and ``test_no_direct_publishing_remains`` checks that nothing else puts order events on the bus."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal
from commerce.orders.outbox import Change, Outbox
from tests.integration.support import until
from tests.integration.test_cart_api import new_customer
from tests.integration.test_orders_api import detail as order_detail
from tests.integration.test_orders_api import new_sku, place, quote, status_becomes

SCHEMAS = Path(__file__).resolve().parents[2] / "events" / "schemas"
RULE = "fx-order-events"


def entries_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The PutEvents entries of a ``before-call`` request dict (its body is the JSON request)."""
    body = request.get("body") or b"{}"
    return list(json.loads(body).get("Entries") or [])


class OrderEvents:
    """commerce.orders events: those on the bus (read from a test-only rule's queue) and those the
    outbox put there (PutEvents calls made by orders-publish-events' stream poller, in-process)."""

    def __init__(self, cloud: Any, queue_url: str) -> None:
        self.cloud, self.queue_url = cloud, queue_url
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.published: list[tuple[str, dict[str, Any]]] = []

    def record_outbox(self, params: dict[str, Any], **_: Any) -> None:
        if threading.current_thread().name.endswith("orders-publish-events"):  # the stream poller's thread
            self.published += [(e["DetailType"], json.loads(e["Detail"])) for e in entries_of(params)]

    def drain(self) -> None:
        sqs = self.cloud.client("sqs")
        while True:
            got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not got.get("Messages"):
                return
            for message in got["Messages"]:
                body = json.loads(message["Body"])
                self.seen.append((body["detail-type"], body["detail"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def of(self, order_id: str) -> list[tuple[str, dict[str, Any]]]:
        """Everything on the bus about the order (direct copies included, while they exist)."""
        self.drain()
        return [(t, d) for t, d in self.seen if d.get("order_id") == order_id]

    def on_bus(self, order_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The outbox's events of the order that reached the bus, de-duplicated by event_id as a
        consumer does (a direct copy, while one exists, has the same event_id)."""
        published, kept = self.outbox(order_id), {}
        for detail_type, detail in self.of(order_id):
            if (detail_type, detail) in published:
                kept.setdefault(detail["event_id"], (detail_type, detail))
        return list(kept.values())

    def outbox(self, order_id: str) -> list[tuple[str, dict[str, Any]]]:
        """What the outbox published for the order, in publishing order."""
        return [(t, d) for t, d in self.published if d.get("order_id") == order_id]


@pytest.fixture
def customer(cloud: Any) -> str:
    return str(new_customer(cloud))


@pytest.fixture(scope="module")
def order_events(cloud: Any) -> Iterator[OrderEvents]:
    """A rule on the platform bus sending every commerce.orders event to a queue (test-only), and
    a hook on the in-process EventBridge client recording what the outbox puts."""
    sqs, events = cloud.client("sqs"), cloud.client("events")
    name = cloud.physical(f"{RULE}-{uuid.uuid4().hex[:6]}")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["commerce.orders"]}
    events.put_rule(Name=name, EventBusName=cloud.bus_name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=cloud.bus_name, Targets=[{"Id": "queue", "Arn": arn}])
    observed = OrderEvents(cloud, url)
    client("events").meta.events.register("before-call.eventbridge.PutEvents", observed.record_outbox)
    yield observed
    client("events").meta.events.unregister("before-call.eventbridge.PutEvents", observed.record_outbox)
    events.remove_targets(Rule=name, EventBusName=cloud.bus_name, Ids=["queue"])
    events.delete_rule(Name=name, EventBusName=cloud.bus_name)
    sqs.delete_queue(QueueUrl=url)


def assert_exactly_once_per_entry(events: list[tuple[str, dict[str, Any]]], timeline: list[dict[str, Any]]) -> None:
    """Each timeline entry is on the bus once (by event_id), as the entry says, valid per its schema."""
    ids = [d["event_id"] for _, d in events]
    assert len(ids) == len(set(ids)), f"duplicates: {ids}"
    assert ids == [e["event_id"] for e in timeline]
    for (detail_type, detail), entry in zip(events, timeline, strict=True):
        assert detail_type == entry["type"]
        assert detail["occurred_at"] == entry["at"] and detail["by"] == entry["by"]
        assert detail == {**entry["detail"], **{k: detail[k] for k in ("event_id", "occurred_at", "order_id", "by")}}
        schema = json.loads((SCHEMAS / f"{detail_type}.json").read_text())
        jsonschema.validate(detail, schema, format_checker=jsonschema.FormatChecker())


# ---- through the real stream ---------------------------------------------------------------------------
def published_timeline(api: Any, cloud: Any, customer: str, order_events: OrderEvents, order_id: str, at_least: int):
    """The order's timeline once it stands still and the outbox has put each entry on the bus."""

    def settled() -> list[dict[str, Any]] | None:
        before = order_detail(api, customer, order_id)["timeline"]
        if len(before) < at_least or not cloud.wait_for_idle(10):
            return None
        timeline: list[dict[str, Any]] = order_detail(api, customer, order_id)["timeline"]
        return timeline if timeline == before and len(order_events.on_bus(order_id)) == len(timeline) else None

    return until(settled, 30, f"the outbox events of {order_id}")


def test_each_timeline_entry_of_an_authorised_order_reaches_the_bus_once(api, cloud, customer, order_events):
    sku = new_sku(5)
    response = place(api, customer, quote(api, customer, sku, 2)["quote_token"])
    assert response.status_code == 201, response.text
    order_id = response.json()["order_id"]
    timeline = published_timeline(api, cloud, customer, order_events, order_id, 2)
    assert [e["type"] for e in timeline][:2] == ["OrderPlaced", "OrderPaymentAuthorised"]
    assert_exactly_once_per_entry(order_events.outbox(order_id), timeline)
    assert order_events.on_bus(order_id) == order_events.outbox(order_id)
    placed = order_events.outbox(order_id)[0][1]
    assert placed["by"].startswith("customer:") and placed["event_id"] == f"{order_id}:1"
    order = order_detail(api, customer, order_id)["order"]
    assert placed["total"] == order["total"] and placed["currency"] == order["currency"]


def test_an_expired_order_publishes_placed_then_expired(api, cloud, customer, order_events, monkeypatch):
    sku = new_sku(5)
    q = quote(api, customer, sku, 1)
    monkeypatch.setenv("ORDER_PAYMENT_WINDOW_SECONDS", "2")
    response = place(api, customer, q["quote_token"], payment="tok_challenge")
    assert response.status_code == 201, response.text
    order_id = response.json()["order_id"]
    status_becomes(api, customer, order_id, "expired", timeout=30)
    timeline = published_timeline(api, cloud, customer, order_events, order_id, 2)
    assert timeline[0]["type"] == "OrderPlaced" and timeline[-1]["type"] == "OrderExpired"
    assert_exactly_once_per_entry(order_events.outbox(order_id), timeline)
    assert order_events.on_bus(order_id) == order_events.outbox(order_id)


def test_no_direct_publishing_remains(api, cloud, customer, order_events):
    sku = new_sku(5)
    order_id = place(api, customer, quote(api, customer, sku, 1)["quote_token"]).json()["order_id"]
    published_timeline(api, cloud, customer, order_events, order_id, 2)
    ids = [d["event_id"] for _, d in order_events.of(order_id)]
    assert len(ids) == len(set(ids)), ids


# ---- the handler: filtering, batching by 10, partial failures --------------------------------------------
def record(name: str, sequence: int, item: dict[str, Any]) -> dict[str, Any]:
    """A stream record in the AWS shape (what the poller hands the function)."""
    image = marshal(item)
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": str(sequence),
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def entry(order_id: str, seq: int) -> dict[str, Any]:
    return {
        "pk": f"ORDER#{order_id}",
        "sk": f"EVENT#{seq:04d}",
        "event_id": f"{order_id}:{seq}",
        "seq": seq,
        "type": "OrderPaymentAuthorised",
        "at": "2026-11-21T11:00:05.000Z",
        "by": "workflow",
        "detail": {"payment_id": f"pay_{seq}", "reference": "r", "outcome": "authorised"},
    }


def fake_order() -> str:
    return f"ord_fx{uuid.uuid4().hex[:16]}"


def stream_event(order_id: str, entries: int) -> dict[str, Any]:
    """``entries`` timeline inserts (sequence numbers 1000 + seq) mixed with records to ignore."""
    records = [
        record("INSERT", 1, {"pk": f"ORDER#{order_id}", "sk": "ORDER", "status": "awaiting_payment"}),
        record("MODIFY", 2, {"pk": f"ORDER#{order_id}", "sk": "ORDER", "status": "payment_authorised"}),
        record("INSERT", 3, {"pk": f"IDEMPOTENCY#c#{order_id}", "sk": "IDEMPOTENCY", "order_id": order_id}),
    ]
    records += [record("INSERT", 1000 + seq, entry(order_id, seq)) for seq in range(1, entries + 1)]
    records.append(record("MODIFY", 5000, entry(order_id, 1)))  # a change to an entry is not a new event
    return {"Records": records}


class PutEventsCalls:
    """Counts the in-process PutEvents calls carrying a given order's events; can refuse some entries
    (a ``before-call`` handler answering a response short-circuits the call, as botocore allows)."""

    def __init__(self, order_id: str, refuse: set[int] = frozenset(), broken: bool = False) -> None:  # type: ignore[assignment]
        self.order_id, self.refuse, self.broken = order_id, refuse, broken
        self.sizes: list[int] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> Any:
        entries = entries_of(params)
        mine = [json.loads(e["Detail"]) for e in entries if self.order_id in e["Detail"]]
        if not mine:
            return None
        self.sizes.append(len(entries))
        seqs = [int(d["event_id"].rsplit(":", 1)[1]) for d in mine]
        if self.broken:
            raise ClientError({"Error": {"Code": "InternalException", "Message": "unavailable"}}, "PutEvents")
        if not self.refuse & set(seqs):
            return None
        results = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"} if s in self.refuse else {"EventId": str(s)}
            for s in seqs
        ]
        return _Http(), {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}

    def __enter__(self) -> PutEventsCalls:
        client("events").meta.events.register("before-call.eventbridge.PutEvents", self)
        return self

    def __exit__(self, *exc: object) -> None:
        client("events").meta.events.unregister("before-call.eventbridge.PutEvents", self)


class _Http:
    status_code = 200
    headers: dict[str, str] = {}


def test_only_new_timeline_entries_are_published_in_calls_of_at_most_ten(cloud, order_events):
    order_id = fake_order()
    with PutEventsCalls(order_id) as calls:
        result = cloud.invoke("orders-publish-events", stream_event(order_id, 23))
    assert not result.failed, result.error
    assert result.result == {"batchItemFailures": []}
    assert calls.sizes == [10, 10, 3]
    until(lambda: len(order_events.of(order_id)) >= 23, message="23 events")
    assert [d["event_id"] for _, d in order_events.of(order_id)] == [f"{order_id}:{s}" for s in range(1, 24)]
    detail_type, detail = order_events.of(order_id)[0]
    assert detail_type == "OrderPaymentAuthorised"
    assert detail == {
        "event_id": f"{order_id}:1",
        "occurred_at": "2026-11-21T11:00:05.000Z",
        "order_id": order_id,
        "by": "workflow",
        "payment_id": "pay_1",
        "reference": "r",
        "outcome": "authorised",
    }


def test_refused_entries_come_back_as_batch_item_failures_by_sequence_number(cloud, order_events):
    order_id = fake_order()
    with PutEventsCalls(order_id, refuse={4, 12}):
        result = cloud.invoke("orders-publish-events", stream_event(order_id, 12))
    assert result.result == {"batchItemFailures": [{"itemIdentifier": "1004"}, {"itemIdentifier": "1012"}]}


def test_a_failed_call_fails_only_its_own_chunk(cloud, order_events):
    order_id = fake_order()
    with PutEventsCalls(order_id, broken=True) as calls:
        result = cloud.invoke("orders-publish-events", stream_event(order_id, 12))
    assert calls.sizes == [10, 2]
    assert [f["itemIdentifier"] for f in result.result["batchItemFailures"]] == [str(1000 + s) for s in range(1, 13)]


def test_the_outbox_ignores_everything_but_inserted_entries_and_reports_refusals():
    published: list[list[tuple[str, dict[str, Any]]]] = []

    class Refusing:
        def put(self, source: str, events: list[tuple[str, dict[str, Any]]]) -> list[bool]:
            assert source == "commerce.orders"
            published.append(events)
            return [i != 1 for i in range(len(events))]

    e1, e2 = entry("ord_a", 1), entry("ord_a", 2)
    changes = [
        Change("1", "INSERT", {"pk": "ORDER#ord_a", "sk": "ORDER"}),
        Change("2", "INSERT", e1),
        Change("3", "REMOVE", None),
        Change("4", "MODIFY", e1),
        Change("5", "INSERT", e2),
    ]
    assert Outbox(Refusing()).publish(changes) == ["5"]
    assert [[d["event_id"] for _, d in batch] for batch in published] == [["ord_a:1", "ord_a:2"]]
    assert Outbox(Refusing()).publish(changes[:1]) == []  # nothing to publish: no call
    assert len(published) == 1
