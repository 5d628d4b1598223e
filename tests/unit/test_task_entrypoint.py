"""Step Functions task entry point: a throttled AWS call fails the task with the error name every
task's ASL Retry names (TemporarilyUnavailable), whichever adapter it came from."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from commerce.common.entrypoints import task_handler
from commerce.common.errors import TemporarilyUnavailable


class Context:
    function_name = "task"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:task"
    aws_request_id = "req-1"


def cancelled(*reasons: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": reason} for reason in reasons],
        },
        "TransactWriteItems",
    )


def failing(error: Exception) -> Any:
    def use_case(event: dict[str, Any]) -> Any:
        raise error

    return task_handler(use_case)


@pytest.mark.parametrize(
    "error",
    [
        cancelled("None", "ThrottlingError"),
        ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "PutItem"),
    ],
    ids=["transaction-cancelled-for-throughput", "throughput-exceeded"],
)
def test_a_throttled_call_fails_the_task_as_temporarily_unavailable(error: ClientError) -> None:
    with pytest.raises(TemporarilyUnavailable) as raised:
        failing(error)({}, Context())
    assert raised.value.__cause__ is error


def test_a_failed_condition_is_not_throttling_and_fails_the_task_as_it_is() -> None:
    error = cancelled("ConditionalCheckFailed", "ThrottlingError")
    with pytest.raises(ClientError) as raised:
        failing(error)({}, Context())
    assert raised.value is error


def test_a_task_that_succeeds_answers_its_result() -> None:
    assert task_handler(lambda event: {"seen": event["n"]})({"n": 3}, Context()) == {"seen": 3}
