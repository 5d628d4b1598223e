"""The warehouse and carrier simulators on their own (docs/fulfilment.md sections 2 and 3), against a
tiny webhook receiver that verifies every signature as the platform does: the dispatch API's
idempotency and cancel, the auto script's order, manual advance and play, the interception gate
(409 on the hand-over puts the goods back and nothing reaches the carrier), and redelivery."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from commerce.common.signatures import HEADER, InvalidSignature, StaleSignature, verify
from local.cloud import LocalCloud
from local.simulators.carrier import Carrier
from local.simulators.warehouse import Warehouse
from tests.integration.support import until

WAREHOUSE_KEY, CARRIER_KEY = b"w" * 32, b"c" * 32
SCRIPT = ["dispatch.accepted", "dispatch.picking", "dispatch.packed", "dispatch.handed_to_carrier"]
CARRIER_SCRIPT = ["shipment.in_transit", "shipment.out_for_delivery", "shipment.delivered"]


@dataclass
class Received:
    partner: str  # warehouse | carrier
    event: dict[str, Any]
    signed_at: int
    status: int


@dataclass
class Receiver:
    """Plays the platform's webhook endpoints: verifies the signature (401 otherwise), records the
    event and answers 200, or the next status queued for that event type in ``answers`` (after
    ``hold[type]`` is set, when the test holds that answer back)."""

    answers: dict[str, list[int]] = field(default_factory=dict)
    hold: dict[str, threading.Event] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def of(self, partner: str, order_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r.event for r in self.received if r.partner == partner and order_id in (None, r.event["order_id"])]

    def types(self, partner: str, order_id: str | None = None) -> list[str]:
        return [event["type"] for event in self.of(partner, order_id)]

    def answer(self, partner: str, signature: str | None, body: bytes) -> int:
        key = {"warehouse": WAREHOUSE_KEY, "carrier": CARRIER_KEY}[partner]
        try:
            signed_at = verify(key, signature, body, now=time.time())
        except (InvalidSignature, StaleSignature):
            return 401
        event = json.loads(body)
        with self.lock:
            queued = self.answers.get(event["type"], [])  # the last one queued repeats
            status = queued.pop(0) if len(queued) > 1 else (queued[0] if queued else 200)
            self.received.append(Received(partner, event, signed_at, status))
        if event["type"] in self.hold:
            self.hold[event["type"]].wait(10)
        return status


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    platform = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = platform.answer(self.path.rsplit("/", 1)[-1], self.headers.get(HEADER), body)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    platform.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=platform.server.serve_forever, args=(0.05,), daemon=True).start()
    yield platform
    platform.server.shutdown()
    platform.server.server_close()


@contextmanager
def running(receiver: Receiver, auto: bool) -> Iterator[tuple[Warehouse, Carrier]]:
    carrier = Carrier(CARRIER_KEY, f"{receiver.url}/webhooks/carrier", auto=auto, step_delay=0.02, backoff=0.05)
    warehouse = Warehouse(
        WAREHOUSE_KEY, f"{receiver.url}/webhooks/warehouse", carrier=carrier, auto=auto, step_delay=0.02, backoff=0.05
    )
    try:
        yield warehouse.start(), carrier
    finally:
        warehouse.stop()
        carrier.stop()


@pytest.fixture
def manual(receiver: Receiver) -> Iterator[tuple[Warehouse, Carrier]]:
    with running(receiver, auto=False) as simulators:
        yield simulators


@pytest.fixture
def auto(receiver: Receiver) -> Iterator[tuple[Warehouse, Carrier]]:
    with running(receiver, auto=True) as simulators:
        yield simulators


def dispatch(warehouse: Warehouse, order_id: str | None = None, key: str | None = None) -> requests.Response:
    order_id = order_id or f"ord_{uuid.uuid4().hex[:12]}"
    body = {
        "order_id": order_id,
        "warehouse": "wh-main",
        "lines": [{"sku": "AUR-BLA", "name": "Aurora headphones", "quantity": 2}],
        "ship_to": {"name": "Ada Lovelace", "line1": "Dam 1", "city": "Amsterdam", "country": "NL"},
        "delivery_method": "standard",
    }
    headers = {"Idempotency-Key": key or f"{order_id}:dispatch:1"}
    return requests.post(f"{warehouse.url}/v1/dispatches", json=body, headers=headers, timeout=10)


def cancel(warehouse: Warehouse, order_id: str, key: str = "") -> requests.Response:
    dispatch_id = warehouse.dispatches[order_id].dispatch_id
    return requests.post(
        f"{warehouse.url}/v1/dispatches/{dispatch_id}/cancel",
        json={"order_id": order_id, "reason": "customer_request"},
        headers={"Idempotency-Key": key or f"{order_id}:cancel-dispatch:1"},
        timeout=10,
    )


def placed(warehouse: Warehouse) -> str:
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    assert dispatch(warehouse, order_id).status_code == 201
    return order_id


def picking(warehouse: Warehouse) -> str:
    """An order the warehouse has accepted and is picking (manual mode)."""
    order_id = placed(warehouse)
    assert warehouse.advance(order_id, "accepted") == warehouse.advance(order_id, "picking") == 200
    return order_id


# ---- the dispatch API --------------------------------------------------------------------------------
def test_the_same_idempotency_key_gets_the_same_dispatch(manual: tuple[Warehouse, Carrier]) -> None:
    warehouse, _ = manual
    order_id = f"ord_{uuid.uuid4().hex[:12]}"

    first, again = dispatch(warehouse, order_id), dispatch(warehouse, order_id)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.json()["status"] == "received"
    received = warehouse.wait_for_dispatch(order_id, timeout=1)
    assert received.dispatch_id == first.json()["dispatch_id"] and list(warehouse.dispatches) == [order_id]
    assert received.request["ship_to"]["city"] == "Amsterdam" and received.lines[0]["quantity"] == 2
    another = dispatch(warehouse, order_id, key=f"{order_id}:dispatch:2")
    assert another.json()["dispatch_id"] != first.json()["dispatch_id"]


def test_dispatch_requests_need_a_key_and_lines(manual: tuple[Warehouse, Carrier]) -> None:
    warehouse, _ = manual
    no_key = requests.post(f"{warehouse.url}/v1/dispatches", json={"order_id": "ord_1", "lines": [{}]}, timeout=10)
    no_lines = requests.post(
        f"{warehouse.url}/v1/dispatches", json={"order_id": "ord_1"}, headers={"Idempotency-Key": "k"}, timeout=10
    )
    unknown = requests.post(
        f"{warehouse.url}/v1/dispatches/dsp_nope/cancel", json={}, headers={"Idempotency-Key": "c"}, timeout=10
    )
    assert (no_key.status_code, no_lines.status_code, unknown.status_code) == (400, 422, 404)
    assert warehouse.dispatches == {}
    with pytest.raises(TimeoutError):
        warehouse.wait_for_dispatch("ord_1", timeout=0.1)


# ---- auto mode ---------------------------------------------------------------------------------------
def test_auto_mode_plays_the_warehouse_then_the_carrier_to_delivered(
    auto: tuple[Warehouse, Carrier], receiver: Receiver
) -> None:
    warehouse, carrier = auto
    order_id = placed(warehouse)

    until(lambda: receiver.types("carrier", order_id) == CARRIER_SCRIPT, timeout=20, message="delivered")

    events = receiver.of("warehouse", order_id)
    assert [e["type"] for e in events] == SCRIPT  # in order, each once (every one acknowledged)
    dispatch_id = warehouse.dispatches[order_id].dispatch_id
    assert {e["dispatch_id"] for e in events} == {dispatch_id}
    assert all(e["event_id"].startswith("whe_") for e in events) and len({e["event_id"] for e in events}) == 4
    packed, handed = events[2], events[3]
    assert packed["parcels"] and packed["parcels"] == handed["parcels"]
    assert packed["parcels"][0]["weight_grams"] > 0
    assert handed["carrier"] == "parcelfast" and handed["tracking_number"].startswith("PF")
    tracking = receiver.of("carrier", order_id)
    assert {e["tracking_number"] for e in tracking} == {handed["tracking_number"]}
    assert {e["carrier"] for e in tracking} == {"parcelfast"}
    assert all(e["event_id"].startswith("cre_") and e["location"] for e in tracking)
    assert tracking[-1]["signed_by"] and tracking[-1]["location"] == "Amsterdam"
    stamps = [e["occurred_at"] for e in events + tracking]
    assert stamps == sorted(stamps) and all(s.endswith("Z") for s in stamps)
    assert warehouse.dispatches[order_id].status == "handed_to_carrier"
    assert carrier.shipments[handed["tracking_number"]].status == "delivered"


def test_a_cancel_before_the_hand_over_puts_the_goods_back_and_stops_the_script(
    auto: tuple[Warehouse, Carrier], receiver: Receiver
) -> None:
    warehouse, carrier = auto
    receiver.hold["dispatch.picking"] = picking_answered = threading.Event()
    order_id = placed(warehouse)
    until(lambda: "dispatch.picking" in receiver.types("warehouse", order_id), timeout=10, message="picking")

    cancelled = cancel(warehouse, order_id)  # while the script waits for the answer to picking
    picking_answered.set()

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["dispatch_id"] == warehouse.dispatches[order_id].dispatch_id
    warehouse.play(order_id).join(timeout=10)  # the running script (or one that stops at once)
    assert receiver.types("warehouse", order_id) == ["dispatch.accepted", "dispatch.picking"]
    assert warehouse.dispatches[order_id].status == "cancelled" and carrier.shipments == {}
    assert cancel(warehouse, order_id).json() == cancelled.json()  # same key, same answer


# ---- manual mode -------------------------------------------------------------------------------------
def test_manual_mode_sends_nothing_until_told(manual: tuple[Warehouse, Carrier], receiver: Receiver) -> None:
    warehouse, carrier = manual
    order_id = placed(warehouse)
    time.sleep(0.3)
    assert receiver.received == []

    assert warehouse.advance(order_id, "accepted") == 200
    assert receiver.types("warehouse") == ["dispatch.accepted"]  # sent before advance returned
    assert warehouse.advance(order_id, "dispatch.picking") == 200
    assert warehouse.advance(order_id, "packed", parcels=[{"parcel_id": "prc_1", "weight_grams": 900}]) == 200
    assert warehouse.dispatches[order_id].status == "packed"
    assert warehouse.advance(order_id, "picking") == 200  # a late one can be sent; the stage stays
    assert warehouse.dispatches[order_id].stage == "packed"

    assert warehouse.advance(order_id, "handed_to_carrier", tracking_number="PF000000001") == 200

    handed = receiver.of("warehouse")[-1]
    assert handed["parcels"] == [{"parcel_id": "prc_1", "weight_grams": 900}]
    assert warehouse.dispatches[order_id].tracking_number == "PF000000001"
    assert carrier.shipment_for(order_id).status == "collected"  # the carrier waits too
    time.sleep(0.3)
    assert receiver.of("carrier") == []
    assert carrier.advance("PF000000001", "in_transit", location="Utrecht") == 200
    assert receiver.of("carrier")[0]["location"] == "Utrecht"
    assert cancel(warehouse, order_id).status_code == 409  # handed over already
    assert cancel(warehouse, order_id).json() == {"dispatch_id": handed["dispatch_id"], "status": "handed_to_carrier"}
    with pytest.raises(KeyError):
        warehouse.advance("ord_never_dispatched", "accepted")
    with pytest.raises(ValueError):
        warehouse.advance(order_id, "shipped")


def test_play_runs_the_rest_of_the_script_including_the_carrier(
    manual: tuple[Warehouse, Carrier], receiver: Receiver
) -> None:
    warehouse, carrier = manual
    order_id = picking(warehouse)

    warehouse.play(order_id).join(timeout=10)

    assert receiver.types("warehouse", order_id) == SCRIPT
    until(lambda: receiver.types("carrier", order_id) == CARRIER_SCRIPT, timeout=10, message="delivered")
    assert carrier.shipment_for(order_id).status == "delivered"


def test_an_exception_stops_the_script_and_play_resumes_after_restocking(
    manual: tuple[Warehouse, Carrier], receiver: Receiver
) -> None:
    warehouse, _ = manual
    order_id = picking(warehouse)

    short = [{"sku": "AUR-BLA", "quantity_short": 1}]
    assert warehouse.exception(order_id, "short_pick", short) == 200

    reported = receiver.of("warehouse", order_id)[-1]
    assert reported["type"] == "dispatch.exception"
    assert reported["reason"] == "short_pick" and reported["lines"] == short
    assert warehouse.dispatches[order_id].status == "exception"
    warehouse.play(order_id).join(timeout=10)  # restocked: packed, then the hand-over
    assert receiver.types("warehouse", order_id)[-2:] == ["dispatch.packed", "dispatch.handed_to_carrier"]


def test_the_carrier_plays_on_after_a_failed_delivery_and_stops_when_returned(
    manual: tuple[Warehouse, Carrier], receiver: Receiver
) -> None:
    warehouse, carrier = manual
    first, second = placed(warehouse), placed(warehouse)
    for order_id in (first, second):
        warehouse.advance(order_id, "handed_to_carrier")
    one, two = (warehouse.dispatches[o].tracking_number or "" for o in (first, second))

    assert carrier.advance(one, "out_for_delivery") == 200
    assert carrier.advance(one, "delivery_failed") == 200
    carrier.play(one).join(timeout=10)  # the carrier tries again
    assert carrier.advance(two, "returned_to_sender", reason="address_unknown") == 200
    carrier.play(two).join(timeout=10)  # final: nothing more

    assert receiver.types("carrier", first) == [
        "shipment.out_for_delivery",
        "shipment.delivery_failed",
        "shipment.out_for_delivery",
        "shipment.delivered",
    ]
    assert receiver.of("carrier", first)[1]["reason"]
    assert receiver.types("carrier", second) == ["shipment.returned_to_sender"]
    assert receiver.of("carrier", second)[0]["reason"] == "address_unknown"


# ---- the interception gate ---------------------------------------------------------------------------
def test_a_409_to_the_hand_over_puts_the_goods_back_and_nothing_reaches_the_carrier(
    manual: tuple[Warehouse, Carrier], receiver: Receiver
) -> None:
    warehouse, carrier = manual
    receiver.answers["dispatch.handed_to_carrier"] = [409]  # ORDER_CANCELLED
    order_id = placed(warehouse)

    assert warehouse.advance(order_id, "handed_to_carrier") == 409

    assert warehouse.dispatches[order_id].status == "put_back"
    assert carrier.shipments == {}
    time.sleep(0.5)  # a 409 is final: never redelivered
    assert receiver.types("warehouse", order_id) == ["dispatch.handed_to_carrier"]
    assert receiver.of("carrier") == []
    assert cancel(warehouse, order_id).status_code == 200  # the platform's cancel finds the goods back


def test_a_409_in_the_script_stops_it_before_the_carrier(auto: tuple[Warehouse, Carrier], receiver: Receiver) -> None:
    warehouse, carrier = auto
    receiver.answers["dispatch.handed_to_carrier"] = [409]
    order_id = placed(warehouse)

    until(lambda: warehouse.dispatches[order_id].status == "put_back", timeout=10, message="put back")

    time.sleep(0.3)
    assert receiver.types("warehouse", order_id) == SCRIPT
    assert carrier.shipments == {} and receiver.of("carrier") == []


# ---- redelivery and signatures -----------------------------------------------------------------------
def test_an_unacknowledged_webhook_is_redelivered_re_signed_until_acknowledged(
    manual: tuple[Warehouse, Carrier], receiver: Receiver
) -> None:
    warehouse, _ = manual
    receiver.answers["dispatch.accepted"] = [503, 404, 200]
    order_id = placed(warehouse)

    assert warehouse.advance(order_id, "accepted") == 503

    until(lambda: len(receiver.of("warehouse")) == 3, timeout=10, message="redeliveries")
    time.sleep(0.3)
    events = receiver.of("warehouse")
    assert len(events) == 3 and len({e["event_id"] for e in events}) == 1  # the same event, three times
    assert [d.status for d in warehouse.deliveries] == [503, 404, 200]
    assert [d.attempt for d in warehouse.deliveries] == [1, 2, 3]


def test_the_hand_over_waits_for_its_redelivery_before_the_carrier_takes_the_parcel(
    manual: tuple[Warehouse, Carrier], receiver: Receiver
) -> None:
    warehouse, carrier = manual
    receiver.answers["dispatch.handed_to_carrier"] = [404, 200]  # the platform had not caught up yet
    order_id = placed(warehouse)

    assert warehouse.advance(order_id, "handed_to_carrier") == 404
    assert carrier.shipments == {}

    until(lambda: warehouse.dispatches[order_id].status == "handed_to_carrier", timeout=10, message="hand-over")
    assert carrier.shipment_for(order_id).tracking_number == warehouse.dispatches[order_id].tracking_number


def test_final_refusals_are_not_redelivered(manual: tuple[Warehouse, Carrier], receiver: Receiver) -> None:
    warehouse, _ = manual
    receiver.answers["dispatch.accepted"] = [422]
    order_id = placed(warehouse)

    assert warehouse.advance(order_id, "accepted") == 422

    time.sleep(0.5)
    assert len(receiver.of("warehouse")) == 1


def test_delivery_to_nobody_is_retried_then_given_up(manual: tuple[Warehouse, Carrier]) -> None:
    warehouse, carrier = manual
    warehouse.webhook_url, warehouse.attempts = "http://127.0.0.1:9/webhooks/warehouse", 3
    order_id = placed(warehouse)

    assert warehouse.advance(order_id, "handed_to_carrier") == 0  # no answer

    until(lambda: warehouse.dispatches[order_id].status == "held", timeout=10, message="held")
    assert [d.status for d in warehouse.deliveries] == [None, None, None]
    assert carrier.shipments == {}


def test_duplicates_forgeries_and_replays_go_through_send_and_signed(
    manual: tuple[Warehouse, Carrier], receiver: Receiver
) -> None:
    warehouse, carrier = manual
    order_id = placed(warehouse)
    event = warehouse.event(order_id, "accepted")

    assert warehouse.send(event).status == warehouse.send(event).status == 200  # a duplicate, re-signed
    assert [e["event_id"] for e in receiver.of("warehouse")] == [event["event_id"]] * 2
    headers, body = warehouse.signed(event, timestamp=int(time.time()) - 3600)  # stale
    assert (
        requests.post(f"{receiver.url}/webhooks/warehouse", data=body, headers=headers, timeout=10).status_code == 401
    )
    headers, body = carrier.signed(event)  # the wrong partner's key
    assert (
        requests.post(f"{receiver.url}/webhooks/warehouse", data=body, headers=headers, timeout=10).status_code == 401
    )
    assert warehouse.event("ord_unknown", "picking")["dispatch_id"] == "dsp_unknown"


# ---- the local cloud runs them -----------------------------------------------------------------------
def test_the_local_cloud_runs_the_simulators_in_manual_mode(cloud: LocalCloud) -> None:
    assert cloud.warehouse is not None and cloud.carrier is not None
    assert cloud.endpoint_urls["warehouse-system"] == cloud.warehouse.url
    assert cloud.warehouse.webhook_url == f"{cloud.api_url}/webhooks/warehouse"
    assert cloud.carrier.webhook_url == f"{cloud.api_url}/webhooks/carrier"
    assert cloud.warehouse.signing_key == bytes.fromhex(cloud.signing_keys["warehouse"])
    assert cloud.carrier.signing_key == bytes.fromhex(cloud.signing_keys["carrier"])
    assert cloud.warehouse.carrier is cloud.carrier
    assert not cloud.warehouse.auto and not cloud.carrier.auto
