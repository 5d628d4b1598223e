"""The triggers moto does not run for us: SQS and DynamoDB stream event source mappings, EventBridge
rules that target functions, and schedules.

* :class:`SqsPoller` is an SQS -> Lambda event source mapping as AWS runs it: long-polls the queue,
  gathers a batch of at most ``batch_size`` messages within ``max_batching_window`` seconds, invokes
  the function once with the AWS-shaped event, and deletes the messages that succeeded. A handler
  error leaves the whole batch; a ``{"batchItemFailures": [...]}`` answer (when the mapping reports
  batch item failures) leaves only those. Left messages reappear after the queue's visibility
  timeout and moto's RedrivePolicy moves them to the DLQ after ``maxReceiveCount`` receives.
* EventBridge rules that target a function get an extra hidden queue target; an
  :class:`SqsPoller` in ``eventbridge`` mode hands each event to the function, one at a time
  (as EventBridge does), retrying failures via the visibility timeout.
* :class:`StreamPoller` is a DynamoDB stream -> Lambda event source mapping (retries, bisection,
  partial batch failures, an on-failure queue), reading moto's DynamoDB Streams API.
* :class:`Scheduler` fires ``rate(N minutes)`` schedules and lets tests fire one now.
"""

from __future__ import annotations

import base64
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


class StreamPoller:
    """A DynamoDB stream -> Lambda event source mapping as AWS runs it, on moto's DynamoDB Streams API.

        Reads each shard in order (moto keeps one shard per table), ``batch_size`` records at a time, and
        invokes the function with the AWS-shaped event. A failed batch is retried in place, first split
        in two when ``bisect_on_error`` (each failed invocation counts as one retry; progress, a half
    or the records before a partial failure done, starts the count again); after
        ``max_retries`` the failing records' description (the AWS on-failure record,
        ``DDBStreamBatchInfo``) goes to ``dlq_url`` and the stream moves on. With ``partial_failures``
        a ``{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}]}`` answer checkpoints the
        records before the lowest one named and retries from it; an unknown or empty identifier fails
        the whole batch. Checkpoints live in memory (``checkpoints``: shard id -> last sequence number
        done); a shard is never read past a batch that is still being retried, so order is kept.
    """

    def __init__(
        self,
        streams: Any,
        sqs: Any,
        dispatcher: Dispatcher,
        *,
        stream_arn: str,
        table: str,
        function: str,
        function_arn: str,
        region: str,
        dlq_url: str,
        batch_size: int = 100,
        starting_position: str = "TRIM_HORIZON",
        max_retries: int = 5,
        bisect_on_error: bool = True,
        partial_failures: bool = True,
        accepts: Callable[[dict[str, Any]], bool] = lambda record: True,
        interval: float = 0.1,
    ) -> None:
        self.accepts = accepts  # the mapping's event filter: records it drops never invoke the function
        self.streams = streams
        self.sqs = sqs
        self.dispatcher = dispatcher
        self.stream_arn = stream_arn
        self.table = table
        self.function = function
        self.function_arn = function_arn
        self.region = region
        self.dlq_url = dlq_url
        self.batch_size = batch_size
        self.starting_position = starting_position
        self.max_retries = max_retries
        self.bisect_on_error = bisect_on_error
        self.partial_failures = partial_failures
        self.interval = interval
        self.batches: list[int] = []  # sizes of the invocations made, retries included (for tests)
        self.checkpoints: dict[str, str] = {}  # shard id -> sequence number of the last record done
        self.in_flight = 0
        # monotonic start time of the latest pass over every shard that found nothing new: whatever
        # was written before it has been handled (``LocalCloud.wait_for_idle`` relies on it)
        self.caught_up_at = 0.0
        self._iterators: dict[str, str | None] = {}  # shard id -> next shard iterator
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{function}", daemon=True)

    def start(self) -> None:
        # Position every shard now (LATEST means "from when the mapping was created").
        for shard in self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]:
            self._iterators[shard["ShardId"]] = self._iterator(shard["ShardId"])
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 5) -> None:
        self._thread.join(timeout)

    def _iterator(self, shard_id: str) -> str:
        done = self.checkpoints.get(shard_id)
        params: dict[str, Any] = {"ShardIteratorType": self.starting_position}
        if done is not None:
            params = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": done}
        got = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **params)
        return str(got["ShardIterator"])

    # ---- the loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                found = False
                for shard_id in list(self._iterators):
                    records = self._fetch(shard_id)
                    if records and not self._stop.is_set():
                        found = True
                        self.in_flight = len(records)
                        try:
                            self._process(shard_id, records)
                        finally:
                            self.in_flight = 0
                if not found:
                    self.caught_up_at = started
                    self._stop.wait(self.interval)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("stream poller for %s failed; retrying", self.function)
                for shard_id in self._iterators:
                    self._iterators[shard_id] = None  # re-position from the checkpoints
                self._stop.wait(1)

    def _fetch(self, shard_id: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        while len(records) < self.batch_size:
            iterator = self._iterators.get(shard_id) or self._iterator(shard_id)
            got = self.streams.get_records(ShardIterator=iterator, Limit=min(1000, self.batch_size - len(records)))
            self._iterators[shard_id] = got.get("NextShardIterator")
            if not got.get("Records"):
                break
            records.extend(got["Records"])
        return records

    def _process(self, shard_id: str, fetched: list[dict[str, Any]]) -> None:
        records = [self._record(r) for r in fetched]
        kept = [r for r in records if self.accepts(r)]
        if len(kept) < len(records):  # filtered out: dropped, as Lambda does (checkpointed once the kept are done)
            self._process_records(shard_id, kept)
            if not self._stop.is_set():
                self._checkpoint(shard_id, records[-1])
            return
        self._process_records(shard_id, records)

    def _process_records(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        start, end, attempts = 0, len(records), 0
        while start < len(records) and not self._stop.is_set():
            batch = records[start:end]
            self.batches.append(len(batch))
            attempts += 1
            invocation = self.dispatcher.invoke(self.function, {"Records": batch})
            failed_at = self._failed_at(invocation, batch)
            if failed_at is None:  # the whole batch succeeded
                self._checkpoint(shard_id, batch[-1])
                start, end, attempts = end, len(records), 0
                continue
            if failed_at > 0:  # the records before the first failure are done: a new batch starts
                self._checkpoint(shard_id, batch[failed_at - 1])
                start, attempts = start + failed_at, 0
                continue
            if attempts > self.max_retries:
                self._give_up(shard_id, records[start:end], attempts, invocation)
                self._checkpoint(shard_id, records[end - 1])
                start, end, attempts = end, len(records), 0
            elif self.bisect_on_error and end - start > 1:  # an error, or the first record named
                end = start + (end - start + 1) // 2

    def _failed_at(self, invocation: Any, batch: list[dict[str, Any]]) -> int | None:
        """None: all succeeded; otherwise the index of the first record to retry from."""
        if invocation.failed:
            return 0
        result = invocation.result
        if not (self.partial_failures and isinstance(result, dict) and result.get("batchItemFailures")):
            return None
        sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
        named = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in result["batchItemFailures"]]
        if any(not name or str(name) not in sequence for name in named):
            return 0  # AWS treats an unknown or empty identifier as a failure of the whole batch
        return min(sequence.index(str(name)) for name in named)

    def _checkpoint(self, shard_id: str, record: dict[str, Any]) -> None:
        self.checkpoints[shard_id] = record["dynamodb"]["SequenceNumber"]

    def _give_up(self, shard_id: str, batch: list[dict[str, Any]], attempts: int, invocation: Any) -> None:
        """Send the AWS on-failure record for ``batch`` to the DLQ (it describes, not carries, the records)."""
        log.warning("%s: giving up on %d stream record(s) after %d attempt(s)", self.function, len(batch), attempts)
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if invocation.failed:
            response["functionError"] = "Unhandled"
        arrivals = [_iso(r["dynamodb"]["ApproximateCreationDateTime"]) for r in (batch[0], batch[-1])]
        failure = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrivals[0],
                "approximateArrivalOfLastRecord": arrivals[1],
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        self.sqs.send_message(QueueUrl=self.dlq_url, MessageBody=json.dumps(failure))

    def _record(self, raw: dict[str, Any]) -> dict[str, Any]:
        """A record as Lambda hands it over: moto's, with this region, the stream ARN, epoch-second
        ``ApproximateCreationDateTime`` and binary attributes base64-encoded (boto3 decoded them)."""
        data = _wire(raw["dynamodb"])
        created = raw["dynamodb"].get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            data["ApproximateCreationDateTime"] = int(created.timestamp())
        elif created is not None:
            data["ApproximateCreationDateTime"] = int(float(created))
        return {
            "eventID": raw["eventID"],
            "eventName": raw["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,
            "dynamodb": data,
            "eventSourceARN": self.stream_arn,
        }


def _wire(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire(item) for item in value]
    return value


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
