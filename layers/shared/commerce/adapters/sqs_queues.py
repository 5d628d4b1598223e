"""SQS for operations: queue depth, and moving messages from one queue to another (a redrive)."""

from __future__ import annotations

from commerce.adapters.aws import client

BATCH = 10


class SqsQueues:
    def depth(self, url: str) -> int:
        attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"
        ]
        return int(attributes.get("ApproximateNumberOfMessages", 0))

    def move(self, source_url: str, target_url: str, limit: int) -> int:
        sqs = client("sqs")
        moved = 0
        while moved < limit:
            messages = sqs.receive_message(
                QueueUrl=source_url,
                MaxNumberOfMessages=min(BATCH, limit - moved),
                WaitTimeSeconds=0,
                VisibilityTimeout=60,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            entries = [
                {"Id": str(i), "MessageBody": m["Body"]}
                | ({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {})
                for i, m in enumerate(messages)
            ]
            sent = sqs.send_message_batch(QueueUrl=target_url, Entries=entries)
            done = {entry["Id"] for entry in sent.get("Successful", [])}
            acknowledged = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages) if str(i) in done
            ]
            if acknowledged:  # sent first, then deleted: at least once, never lost
                sqs.delete_message_batch(QueueUrl=source_url, Entries=acknowledged)
            moved += len(acknowledged)
            if len(acknowledged) < len(messages):
                break  # the rest become visible again in the DLQ; try again later
        return moved
