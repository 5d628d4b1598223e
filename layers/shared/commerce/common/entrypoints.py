"""Lambda entry points for non-HTTP triggers, with the same decorator order as ``api.api_handler``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.common.errors import TemporarilyUnavailable, is_throttling
from commerce.common.observability import logger, metrics, tracer

Handler = Callable[[dict[str, Any], LambdaContext], Any]


def task_handler(use_case: Callable[[dict[str, Any]], Any]) -> Handler:
    """A Step Functions task: the state's input in, a JSON-able result out; exceptions fail the task.
    A throttled AWS call (past the SDK's retries) fails it as ``TemporarilyUnavailable``, which every
    task's ASL Retry names, whatever the adapter it came from."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> Any:
        try:
            return use_case(event)
        except Exception as error:
            if is_throttling(error):
                raise TemporarilyUnavailable("Throttled; nothing was written.") from error
            raise

    return handler


def eventbridge_sqs_handler(on_event: Callable[[dict[str, Any]], None]) -> Handler:
    """An SQS consumer whose messages are EventBridge events (a rule targets the queue).

    Each record is processed on its own; failures are reported per item (ReportBatchItemFailures),
    so only they are retried and, after the queue's max receives, land in its DLQ."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        on_event(json.loads(record.body))

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> Any:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    return handler


def stream_handler(on_records: Callable[[list[dict[str, Any]]], list[str]]) -> Handler:
    """A DynamoDB stream consumer that handles its batch as a whole (so it can batch its own calls
    downstream) and answers the ``SequenceNumber`` of each record that failed.

    Those become ``batchItemFailures`` (the mapping's ReportBatchItemFailures): the records before
    the first one named are checkpointed and the retry starts there, so records that did go through
    may be sent again (at least once). An exception fails, and retries, the whole batch."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> Any:
        failed = on_records(list(event.get("Records") or []))
        return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}

    return handler


def scheduled_handler(job: Callable[[], Any]) -> Handler:
    """A scheduled job (EventBridge Scheduler / a ``rate()`` rule): the event carries nothing the job
    needs; the result is returned for the logs and tests; an exception fails the run."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> Any:
        return job()

    return handler
