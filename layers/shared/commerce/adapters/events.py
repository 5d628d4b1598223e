"""EventBridge publisher: every event goes on the platform bus with a schema in events/schemas."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from commerce.adapters.aws import client


class PublishFailed(Exception):
    pass


class EventBridgePublisher:
    def __init__(self, bus_name: str) -> None:
        self._bus = bus_name

    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> None:
        response = client("events").put_events(
            Entries=[
                {
                    "EventBusName": self._bus,
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, default=str),
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise PublishFailed(f"{detail_type} was not accepted: {response['Entries']}")


MAX_ENTRIES = 10  # PutEvents takes at most 10 entries per call


class EventBridgeBatchPublisher:
    """Puts many events in as few PutEvents calls as the 10-entry limit allows and says which failed."""

    def __init__(self, bus_name: str) -> None:
        self._bus = bus_name

    def put(self, source: str, events: list[tuple[str, dict[str, Any]]]) -> list[bool]:
        """One flag per event, in order: True when EventBridge accepted it. A call that fails as a
        whole (throttled, unavailable) marks its entries failed; later chunks are still tried."""
        accepted: list[bool] = []
        for start in range(0, len(events), MAX_ENTRIES):
            chunk = events[start : start + MAX_ENTRIES]
            entries = [
                {
                    "EventBusName": self._bus,
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, default=str, sort_keys=True),
                }
                for detail_type, detail in chunk
            ]
            try:
                response = client("events").put_events(Entries=entries)
            except (ClientError, BotoCoreError):  # the caller retries these records; later chunks may go through
                accepted += [False] * len(chunk)
                continue
            results = response.get("Entries") or []
            if not response.get("FailedEntryCount"):
                accepted += [True] * len(chunk)
            else:
                accepted += [
                    index < len(results) and not results[index].get("ErrorCode") for index in range(len(chunk))
                ]
        return accepted
