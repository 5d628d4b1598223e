"""DynamoDB stream triggers in the local cloud, proven on a small topology (tests/fixtures/streams.py)
with test-only handlers: the AWS record shape and order, batching, retries with bisection and the
on-failure queue, partial batch failures, starting positions, wait_for_idle and the inventory."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.cloud import ACCOUNT, LocalCloud
from local.pollers import StreamPoller
from tests.fixtures.handlers import streams as fx
from tests.fixtures.streams import HANDLERS, STAGE, STREAMS_TOPOLOGY
from tests.integration.support import until


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(STREAMS_TOPOLOGY, stage=STAGE, seed=False, handler_modules=HANDLERS) as running:
        yield running


def put_all(cloud: LocalCloud, table: str, keys: list[str]) -> None:
    """One BatchWriteItem: the records land on the stream together, in this order."""
    cloud.client("dynamodb").batch_write_item(
        RequestItems={cloud.physical(table): [{"PutRequest": {"Item": {"pk": {"S": k}}}} for k in keys]}
    )


def stream_arn(cloud: LocalCloud, table: str) -> str:
    return str(cloud.client("dynamodb").describe_table(TableName=cloud.physical(table))["Table"]["LatestStreamArn"])


def pks(batches: list[list[dict[str, Any]]]) -> list[list[str]]:
    return [[fx.pk(r) for r in batch] for batch in batches]


def test_inserts_modifies_and_removes_arrive_in_order_in_the_aws_shape(cloud: LocalCloud) -> None:
    ddb, table = cloud.client("dynamodb"), cloud.physical("st-ordered")
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": b"\x00\x01"}})
    ddb.update_item(
        TableName=table,
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "b"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    assert cloud.wait_for_idle(30)  # waits for the stream pollers too: no polling needed here
    records = [r for batch in fx.BATCHES["recorder"] for r in batch]
    assert [(r["eventName"], fx.pk(r)) for r in records] == [
        ("INSERT", "a"),
        ("MODIFY", "a"),
        ("INSERT", "b"),
        ("REMOVE", "a"),
    ]
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence) and len(set(sequence)) == 4
    arn = stream_arn(cloud, "st-ordered")
    for record in records:
        assert set(record) == {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        }
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert record["awsRegion"] == cloud.region
        assert record["eventSourceARN"] == arn
        data = record["dynamodb"]
        assert data["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(data["ApproximateCreationDateTime"], int)
        assert abs(data["ApproximateCreationDateTime"] - time.time()) < 60
        assert isinstance(data["SizeBytes"], int) and data["SizeBytes"] > 0
        assert data["Keys"] == {"pk": {"S": fx.pk(record)}}
        json.dumps(record)  # JSON all the way, as Lambda delivers it
    insert, modify, _, remove = (r["dynamodb"] for r in records)
    assert insert["NewImage"] == {"pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": "AAE="}} and "OldImage" not in insert
    assert modify["OldImage"]["n"] == {"N": "1"} and modify["NewImage"]["n"] == {"N": "2"}
    assert remove["OldImage"]["n"] == {"N": "2"} and "NewImage" not in remove


def test_records_are_batched_up_to_batch_size_in_order(cloud: LocalCloud) -> None:
    keys = [f"k{i}" for i in range(7)]
    put_all(cloud, "st-batch", keys)
    assert cloud.wait_for_idle(30)
    batches = pks(fx.BATCHES["batcher"])
    assert [k for batch in batches for k in batch] == keys  # each once, in order
    assert batches == [keys[0:3], keys[3:6], keys[6:7]]  # written together: full batches of 3


def test_a_failing_record_is_bisected_retried_then_dead_lettered_and_the_stream_moves_on(cloud: LocalCloud) -> None:
    put_all(cloud, "st-poison", ["ok-1", "ok-2", "poison-3", "ok-4", "ok-5"])
    dlq = cloud.queue_urls["st-poison-stream-dlq"]
    sqs = cloud.client("sqs")
    messages = until(
        lambda: sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages"), message="the failure record"
    )
    assert cloud.wait_for_idle(30)
    assert pks(fx.BATCHES["poison"]) == [
        ["ok-1", "ok-2", "poison-3", "ok-4", "ok-5"],  # fails
        ["ok-1", "ok-2", "poison-3"],  # bisected: fails
        ["ok-1", "ok-2"],  # bisected: succeeds (checkpoint)
        ["poison-3", "ok-4", "ok-5"],  # fails
        ["poison-3", "ok-4"],  # bisected: fails
        ["poison-3"],  # third attempt, max_retries=2 exhausted: to the on-failure queue
        ["ok-4", "ok-5"],  # the stream moves on
    ]
    poison = next(r for r in fx.BATCHES["poison"][-2])
    failure = json.loads(messages[0]["Body"])
    assert failure["requestContext"] == {
        "requestId": failure["requestContext"]["requestId"],
        "functionArn": f"arn:aws:lambda:{cloud.region}:{ACCOUNT}:function:{cloud.physical('st-poison')}",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 3,
    }
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert failure["version"] == "1.0" and failure["timestamp"].endswith("Z")
    shard = cloud.client("dynamodbstreams").describe_stream(StreamArn=stream_arn(cloud, "st-poison"))
    info = failure["DDBStreamBatchInfo"]
    assert info == {
        "shardId": shard["StreamDescription"]["Shards"][0]["ShardId"],
        "startSequenceNumber": poison["dynamodb"]["SequenceNumber"],
        "endSequenceNumber": poison["dynamodb"]["SequenceNumber"],
        "approximateArrivalOfFirstRecord": info["approximateArrivalOfFirstRecord"],
        "approximateArrivalOfLastRecord": info["approximateArrivalOfLastRecord"],
        "batchSize": 1,
        "streamArn": stream_arn(cloud, "st-poison"),
    }
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    # later writes still flow
    put_all(cloud, "st-poison", ["ok-6"])
    assert cloud.wait_for_idle(30)
    assert pks(fx.BATCHES["poison"])[-1] == ["ok-6"]
    assert not sqs.receive_message(QueueUrl=dlq).get("Messages")  # only the one failure record


def test_a_partial_batch_failure_resumes_from_the_failed_record(cloud: LocalCloud) -> None:
    put_all(cloud, "st-partial", ["a", "fail-once-b", "c"])
    assert cloud.wait_for_idle(30)
    # "a" is checkpointed; the retry starts at the record named (and carries those after it)
    assert pks(fx.BATCHES["partial"]) == [["a", "fail-once-b", "c"], ["fail-once-b", "c"]]
    assert dict(fx.SEEN) == {"a": 1, "fail-once-b": 2, "c": 2}
    poller = next(p for p in cloud.stream_pollers if p.function == cloud.physical("st-partial"))
    last = fx.BATCHES["partial"][-1][-1]["dynamodb"]["SequenceNumber"]
    assert list(poller.checkpoints.values()) == [last]
    assert not cloud.client("sqs").receive_message(QueueUrl=cloud.queue_urls["st-partial-stream-dlq"]).get("Messages")


def test_starting_positions(cloud: LocalCloud) -> None:
    put_all(cloud, "st-early", ["before-1", "before-2"])  # written before either poller exists
    pollers = [
        StreamPoller(
            cloud.client("dynamodbstreams"),
            cloud.client("sqs"),
            cloud.dispatcher,
            stream_arn=stream_arn(cloud, "st-early"),
            table=cloud.physical("st-early"),
            function=cloud.physical(f"st-{name.replace('_', '-')}"),
            function_arn=cloud.function_arn(f"st-{name.replace('_', '-')}"),
            region=cloud.region,
            dlq_url=cloud.queue_urls["st-poison-stream-dlq"],
            starting_position=position,
        )
        for name, position in (("trim_horizon", "TRIM_HORIZON"), ("latest", "LATEST"))
    ]
    for poller in pollers:
        poller.start()
    try:
        put_all(cloud, "st-early", ["after-3"])
        until(lambda: fx.BATCHES["latest"] and sum(map(len, fx.BATCHES["trim_horizon"])) == 3, message="both pollers")
        assert [k for batch in pks(fx.BATCHES["trim_horizon"]) for k in batch] == ["before-1", "before-2", "after-3"]
        assert pks(fx.BATCHES["latest"]) == [["after-3"]]
    finally:
        for poller in pollers:
            poller.stop()
            poller.join()


def test_inventory_lists_each_stream_mapping_with_its_on_failure_queue(cloud: LocalCloud) -> None:
    inventory = cloud.inventory()
    expected = {
        (cloud.physical(fn.stream.table), cloud.physical(fn.name), cloud.physical(f"{fn.name}-stream-dlq"))
        for fn in STREAMS_TOPOLOGY.functions
        if fn.stream
    }
    assert len(expected) == 4
    assert inventory["stream_mappings"] == expected
    assert {dlq for _, _, dlq in expected} <= inventory["queues"]


def test_writes_after_a_cancelled_transaction_still_reach_the_stream(cloud: LocalCloud) -> None:
    """moto 5.2.5 rolls a cancelled TransactWriteItems back by putting a copy of the table (and of
    its stream shard) in place of the table, stranding the poller's shard iterator; the undo log
    (local/patches.py, patch 6) keeps the table and shard and drops only the cancelled records.
    The cancelled write is not seen, and what comes next is."""
    ddb, table = cloud.client("dynamodb"), cloud.physical("st-ordered")
    ddb.put_item(TableName=table, Item={"pk": {"S": "tx-before"}})
    assert cloud.wait_for_idle(30)
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "tx-cancelled"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "tx-absent"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    ddb.put_item(TableName=table, Item={"pk": {"S": "tx-after"}})
    assert cloud.wait_for_idle(30)
    seen = [fx.pk(r) for batch in fx.BATCHES["recorder"] for r in batch if fx.pk(r).startswith("tx-")]
    assert seen == ["tx-before", "tx-after"]


def test_a_cancelled_transaction_puts_back_what_it_changed_and_nothing_else(cloud: LocalCloud) -> None:
    """The undo log (local/patches.py, patch 6): an update and a delete that ran before the failing
    check are undone, a put is removed, and a write made before the transaction is untouched."""
    ddb, table = cloud.client("dynamodb"), cloud.physical("st-ordered")
    ddb.put_item(TableName=table, Item={"pk": {"S": "undo-kept"}, "n": {"N": "1"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "undo-deleted"}, "n": {"N": "2"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "undo-other"}, "n": {"N": "3"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "undo-kept"}},
                        "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": {"pk": {"S": "undo-deleted"}}}},
                {"Put": {"TableName": table, "Item": {"pk": {"S": "undo-new"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "undo-absent"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    def read(pk: str) -> dict[str, Any] | None:
        got = ddb.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True)
        return got.get("Item")

    assert read("undo-kept") == {"pk": {"S": "undo-kept"}, "n": {"N": "1"}}
    assert read("undo-deleted") == {"pk": {"S": "undo-deleted"}, "n": {"N": "2"}}
    assert read("undo-new") is None
    assert read("undo-other") == {"pk": {"S": "undo-other"}, "n": {"N": "3"}}
    assert cloud.wait_for_idle(30)
    seen = [fx.pk(r) for batch in fx.BATCHES["recorder"] for r in batch if fx.pk(r).startswith("undo-")]
    assert seen == ["undo-kept", "undo-deleted", "undo-other"]  # the three puts; nothing cancelled
