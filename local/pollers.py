"""The triggers moto does not run for us: SQS event source mappings, EventBridge rules that target
functions, and schedules.

* :class:`SqsPoller` is an SQS -> Lambda event source mapping as AWS runs it: long-polls the queue,
  gathers a batch of at most ``batch_size`` messages within ``max_batching_window`` seconds, invokes
  the function once with the AWS-shaped event, and deletes the messages that succeeded. A handler
  error leaves the whole batch; a ``{"batchItemFailures": [...]}`` answer (when the mapping reports
  batch item failures) leaves only those. Left messages reappear after the queue's visibility
  timeout and moto's RedrivePolicy moves them to the DLQ after ``maxReceiveCount`` receives.
* EventBridge rules that target a function get an extra hidden queue target; an
  :class:`SqsPoller` in ``eventbridge`` mode hands each event to the function, one at a time
  (as EventBridge does), retrying failures via the visibility timeout.
* :class:`Scheduler` fires ``rate(N minutes)`` schedules and lets tests fire one now.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.lambdas import Dispatcher

log = logging.getLogger("local.pollers")


class SqsPoller:
    def __init__(
        self,
        sqs: Any,
        dispatcher: Dispatcher,
        *,
        queue_url: str,
        queue_arn: str,
        function: str,
        region: str,
        batch_size: int = 10,
        max_batching_window: float = 0,
        partial_failures: bool = True,
        eventbridge: bool = False,
        wait_seconds: int = 1,
        account: str = "",
    ) -> None:
        self.account = account
        self.sqs = sqs
        self.dispatcher = dispatcher
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.function = function
        self.region = region
        self.batch_size = batch_size
        self.max_batching_window = max_batching_window
        self.partial_failures = partial_failures
        self.eventbridge = eventbridge
        self.wait_seconds = wait_seconds
        self.batches: list[int] = []  # sizes of the batches delivered (for tests)
        self.in_flight = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poller-{function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 5) -> None:
        self._thread.join(timeout)

    # ---- the loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._gather()
                if batch and not self._stop.is_set():
                    self.in_flight = len(batch)
                    try:
                        self._deliver(batch)
                    finally:
                        self.in_flight = 0
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("poller for %s failed; retrying", self.function)
                self._stop.wait(1)

    def _receive(self, count: int, wait: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(10, count)),
            WaitTimeSeconds=wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def _gather(self) -> list[dict[str, Any]]:
        size = 1 if self.eventbridge else self.batch_size
        batch = self._receive(size, self.wait_seconds)
        if not batch:
            return []
        deadline = time.monotonic() + self.max_batching_window
        # Keep filling the batch until it is full or the batching window closes. With no window,
        # take what is already available without waiting (as Lambda does).
        while len(batch) < size and not self._stop.is_set():
            remaining = deadline - time.monotonic()
            more = self._receive(size - len(batch), 1 if remaining >= 1 else 0)
            if more:
                batch.extend(more)
            elif remaining <= 0:
                break
        return batch

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        if self.eventbridge:
            for message in batch:
                event = json.loads(message["Body"])
                if isinstance(event, dict) and self.account:
                    event.setdefault("account", self.account)
                invocation = self.dispatcher.invoke(self.function, event)
                if not invocation.failed:
                    self._delete([message])
            return
        self.batches.append(len(batch))
        event = {"Records": [self._record(m) for m in batch]}
        invocation = self.dispatcher.invoke(self.function, event)
        if invocation.failed:
            return  # the whole batch becomes visible again after the visibility timeout
        failed: set[str] = set()
        result = invocation.result
        if self.partial_failures and isinstance(result, dict) and result.get("batchItemFailures"):
            failures = result["batchItemFailures"]
            ids = {m["MessageId"] for m in batch}
            failed = {str(item.get("itemIdentifier")) for item in failures if isinstance(item, dict)}
            if not failed <= ids or any(not item.get("itemIdentifier") for item in failures):
                # AWS treats an unknown or empty identifier as a failure of the whole batch.
                return
        self._delete([m for m in batch if m["MessageId"] not in failed])

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            if chunk:
                self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
                )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = dict(message.get("Attributes", {}))
        record_attributes = {
            key: attributes[key]
            for key in (
                "ApproximateReceiveCount",
                "SentTimestamp",
                "SenderId",
                "ApproximateFirstReceiveTimestamp",
                "SequenceNumber",
                "MessageGroupId",
                "MessageDeduplicationId",
                "AWSTraceHeader",
            )
            if key in attributes
        }
        message_attributes = {}
        for name, value in (message.get("MessageAttributes") or {}).items():
            message_attributes[name] = {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value.get("DataType"),
            }
        body = message["Body"]
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": record_attributes,
            "messageAttributes": message_attributes,
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }


class Scheduler:
    """Fires each ``rate(N minutes)`` schedule every N minutes (first run one period after start)."""

    def __init__(self, fire: Callable[[str], Any]) -> None:
        self._fire = fire
        self._schedules: dict[str, float] = {}  # function -> period in seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def add(self, function: str, rate_minutes: int) -> None:
        self._schedules[function] = rate_minutes * 60.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        start = time.monotonic()
        next_run = {name: start + period for name, period in self._schedules.items()}
        while not self._stop.is_set():
            now = time.monotonic()
            for name, due in next_run.items():
                if now >= due:
                    next_run[name] = due + self._schedules[name]
                    threading.Thread(target=self._fire, args=(name,), daemon=True).start()
            wait = min(next_run.values(), default=now + 1) - now
            self._stop.wait(max(0.05, min(wait, 1.0)))


def scheduled_event(rule_arn: str, account: str, region: str) -> dict[str, Any]:
    """The event EventBridge sends a function for a schedule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
