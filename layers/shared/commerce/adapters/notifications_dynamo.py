"""The emails sent, in DynamoDB (table ``notifications``): one item per order event's email,
``ORDER#<order_id>``/``EMAIL#<event_id>``, so an order's emails are one query (the back office's
resend log). The item is first the claim (``status`` ``claimed``, the claimant's ``claim_token``
and its ``lease_until``), then the record (``status`` ``sent``: recipient, subject, template,
message id, sent_at). ``expires_at`` (TTL) removes it after the retention period."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.adapters.dynamo import marshal, unmarshal, values
from commerce.notifications.models import Claim, SentEmail

CLAIMED, SENT = "claimed", "sent"
SENT_FIELDS = frozenset(SentEmail.model_fields)


def _key(order_id: str, event_id: str) -> dict[str, Any]:
    return marshal({"pk": f"ORDER#{order_id}", "sk": f"EMAIL#{event_id}"})


def _check_failed(error: ClientError) -> bool:
    return str(error.response["Error"]["Code"]) == "ConditionalCheckFailedException"


class DynamoSentLog:
    def __init__(self, table: str) -> None:
        self._table = table

    def claim(self, order_id: str, event_id: str, token: str, now: int, lease_until: int, expires_at: int) -> Claim:
        item = {
            "pk": f"ORDER#{order_id}",
            "sk": f"EMAIL#{event_id}",
            "event_id": event_id,
            "order_id": order_id,
            "status": CLAIMED,
            "claim_token": token,
            "claimed_at": now,
            "lease_until": lease_until,
            "expires_at": expires_at,
        }
        try:
            client("dynamodb").put_item(
                TableName=self._table,
                Item=marshal(item),
                # nobody has it, or a claimant ran out of its lease before sending
                ConditionExpression="attribute_not_exists(pk) OR (#s = :claimed AND lease_until < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values(claimed=CLAIMED, now=now),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _check_failed(error):
                raise
            held = unmarshal(error.response.get("Item") or {})
            return Claim.SENT if held.get("status") == SENT else Claim.IN_FLIGHT
        return Claim.TAKEN

    def release(self, order_id: str, event_id: str, token: str) -> None:
        try:
            client("dynamodb").delete_item(
                TableName=self._table,
                Key=_key(order_id, event_id),
                ConditionExpression="#s = :claimed AND claim_token = :token",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values(claimed=CLAIMED, token=token),
            )
        except ClientError as error:
            if not _check_failed(error):  # not ours any more: nothing to give back
                raise

    def record(self, sent: SentEmail, token: str) -> bool:
        try:
            client("dynamodb").update_item(
                TableName=self._table,
                Key=_key(sent.order_id, sent.event_id),
                UpdateExpression=(
                    "SET #s = :sent, recipient = :recipient, subject = :subject, template = :template, "
                    "message_id = :message_id, sent_at = :sent_at REMOVE lease_until"
                ),
                ConditionExpression="#s = :claimed AND claim_token = :token",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values(
                    sent=SENT,
                    claimed=CLAIMED,
                    token=token,
                    recipient=sent.recipient,
                    subject=sent.subject,
                    template=sent.template,
                    message_id=sent.message_id,
                    sent_at=sent.sent_at,
                ),
            )
        except ClientError as error:
            if _check_failed(error):
                return False
            raise
        return True

    def sent(self, order_id: str) -> list[SentEmail]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :email)",
            "ExpressionAttributeValues": values(pk=f"ORDER#{order_id}", email="EMAIL#"),
            "ConsistentRead": True,
        }
        emails: list[SentEmail] = []
        while True:
            response = client("dynamodb").query(**request)
            for raw in response.get("Items", []):
                item = unmarshal(raw)
                if item.get("status") == SENT:
                    emails.append(SentEmail.model_validate({k: v for k, v in item.items() if k in SENT_FIELDS}))
            if not response.get("LastEvaluatedKey"):
                return sorted(emails, key=lambda email: _seq(email.event_id))
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _seq(event_id: str) -> int:
    """``<order_id>:<seq>`` -> seq (0 when the id has another shape)."""
    tail = event_id.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0
