"""Step Functions adapter: start named executions (the name makes a start idempotent) and read them."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client


class StepFunctionsWorkflow:
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn

    def _execution_arn(self, name: str) -> str:
        return self._arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def start(self, name: str, payload: dict[str, Any]) -> bool:
        body = json.dumps(payload, sort_keys=True)
        try:
            client("stepfunctions").start_execution(stateMachineArn=self._arn, name=name, input=body)
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
        existing = client("stepfunctions").describe_execution(executionArn=self._execution_arn(name))
        return bool(json.loads(existing["input"]) == payload)

    def describe(self, name: str) -> dict[str, Any] | None:
        try:
            execution = client("stepfunctions").describe_execution(executionArn=self._execution_arn(name))
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
                return None
            raise
        return {
            "status": execution["status"],
            "started_at": execution["startDate"].isoformat(),
            "output": json.loads(execution["output"]) if execution.get("output") else None,
        }

    def ended_badly(self, since: float) -> list[dict[str, Any]]:
        """Executions that FAILED, TIMED_OUT or were ABORTED and stopped at or after ``since``
        (epoch seconds): name, status, stopped_at, and the error and cause when it failed."""
        found: list[dict[str, Any]] = []
        for status in ("FAILED", "TIMED_OUT", "ABORTED"):
            pages = client("stepfunctions").get_paginator("list_executions")
            for page in pages.paginate(stateMachineArn=self._arn, statusFilter=status):
                for execution in page["executions"]:
                    stopped = execution.get("stopDate")
                    if stopped is None or stopped.timestamp() < since:
                        continue
                    found.append({"name": execution["name"], "status": status, "stopped_at": stopped.isoformat()})
        for execution in found:
            if execution["status"] == "FAILED":
                described = client("stepfunctions").describe_execution(
                    executionArn=self._execution_arn(execution["name"])
                )
                execution["error"] = described.get("error")
                execution["cause"] = (described.get("cause") or "")[:500] or None
        return found


class StepFunctionsCallback:
    """Completes a task waiting with ``.waitForTaskToken``."""

    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        try:
            client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output, default=str))
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
                return False
            raise

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        """Fails the waiting task with ``error`` (an ASL Catch names it); False when it is gone."""
        try:
            client("stepfunctions").send_task_failure(taskToken=task_token, error=error, cause=cause)
            return True
        except ClientError as failure:
            if failure.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
                return False
            raise
