"""The order workflow's dispatch requests on SQS (``warehouse-dispatch``): the message the Dispatch
state sends, ``{"order_id", "task_token"}``, sent again by the back office when a held order is
released (fulfilment-dispatch then handles it like the workflow's own, retries and DLQ included)."""

from __future__ import annotations

import json

from commerce.adapters.aws import client


class SqsDispatchQueue:
    def __init__(self, url: str) -> None:
        self._url = url

    def send(self, order_id: str, task_token: str) -> None:
        client("sqs").send_message(
            QueueUrl=self._url, MessageBody=json.dumps({"order_id": order_id, "task_token": task_token})
        )
