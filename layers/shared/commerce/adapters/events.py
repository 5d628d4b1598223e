"""EventBridge publisher: every event goes on the platform bus with a schema in events/schemas."""

from __future__ import annotations

import json
from typing import Any

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
