"""Every place the local cloud touches moto internals (moto==5.2.5, pinned exactly).

tests/integration/test_local_cloud_moto_patches.py guards each one, so a moto upgrade that moves
them fails loudly instead of silently running canned Lambda responses or racy DynamoDB.

1. ``moto.core.config.default_user_config``: Step Functions executes ASL
   (``stepfunctions.execute_state_machine``) and Lambda uses the simple backend
   (``lambda.use_docker = False``).
2. ``moto.dynamodb.responses.DynamoHandler.call_action`` and
   ``moto.dynamodbstreams.responses.DynamoDBStreamsHandler.call_action``: wrapped in one
   process-wide lock, because moto's DynamoDB is not thread-safe (oversold conditional decrements,
   "dictionary changed size during iteration" in TransactWriteItems under concurrency), and so that
   a stream reader never sees the records of a transaction still running (it may yet be cancelled).
3. ``moto.awslambda_simple.models.LambdaSimpleBackend.invoke``: replaced to run our handlers
   in-process (see local/lambdas.py).
4. ``moto.cognitoidp.responses.CognitoIdpResponse.default_region``: the region moto assumes for
   unsigned Cognito calls (GlobalSignOut, SignUp, ...). It is us-east-1, so with the pools in the
   cloud's region every sign-out failed; it is set to the cloud's region.
5. ``moto.dynamodbstreams.models.DynamoDBStreamsBackend.get_records``: moto keeps every shard
   iterator it ever issued (each ``GetRecords`` issues one), so a stream poller asking ten times a
   second would grow it without bound; the wrapper forgets the iterator just read (AWS lets one be
   reused for 15 minutes; the pollers never reuse one, always following ``NextShardIterator``).
6. ``moto.dynamodb.models.DynamoDBBackend.transact_write_items``: a cancelled transaction is rolled
   back by putting a deep copy of each table it touched (taken before it started) in place of the
   table, stream shard included. Every shard iterator already issued holds the old shard, which
   keeps the cancelled writes' records and never gets another one: a stream poller would deliver
   writes that never happened and then nothing more from that table. The wrapper keeps the shard
   object the iterators hold: it takes the copy's records (the stream as it was before the
   transaction) and becomes the restored table's shard.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from local import lambdas

MOTO_VERSION = "5.2.5"
DYNAMODB_LOCK = threading.RLock()
_serialised = False
_pruned = False
_shards_kept = False


def check_version() -> None:
    import moto

    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(f"the local cloud patches moto {MOTO_VERSION}; found {moto.__version__}")


def configure_moto() -> None:
    from moto.core.config import default_user_config

    check_version()
    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    default_user_config.setdefault("lambda", {})["use_docker"] = False


def unsigned_calls_in(region: str) -> None:
    from moto.cognitoidp.responses import CognitoIdpResponse

    CognitoIdpResponse.default_region = region


def serialise_dynamodb() -> None:
    global _serialised
    if _serialised:
        return
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        handler.call_action = _locked(handler.call_action)  # type: ignore[method-assign]
    _serialised = True
    keep_stream_shards_across_rollbacks()  # what a stream reader sees is consistent after a rollback too


def _locked(original: Any) -> Any:
    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        with DYNAMODB_LOCK:
            return original(self)

    call_action.__local_cloud_lock__ = True  # type: ignore[attr-defined]
    return call_action


def install_lambda(dispatcher: lambdas.Dispatcher) -> None:
    lambdas.install(dispatcher)


def uninstall_lambda(dispatcher: lambdas.Dispatcher) -> None:
    lambdas.uninstall(dispatcher)


def prune_stream_iterators() -> None:
    global _pruned
    if _pruned:
        return
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    original = DynamoDBStreamsBackend.get_records

    @functools.wraps(original)
    def get_records(self: Any, iterator_arn: str, limit: int) -> Any:
        try:
            return original(self, iterator_arn, limit)
        finally:
            self.shard_iterators.pop(iterator_arn, None)

    get_records.__local_cloud_prune__ = True  # type: ignore[attr-defined]
    DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign]
    _pruned = True


def keep_stream_shards_across_rollbacks() -> None:
    global _shards_kept
    if _shards_kept:
        return
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        tables = dict(self.tables)
        try:
            return original(self, transact_items)
        finally:  # a rollback replaced the tables it touched with their copies
            for name, table in tables.items():
                restored, shard = self.tables.get(name), table.stream_shard
                if restored is None or restored is table or shard is None or restored.stream_shard is None:
                    continue
                shard.items = restored.stream_shard.items
                shard.table = restored
                restored.stream_shard = shard

    transact_write_items.__local_cloud_keeps_shards__ = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _shards_kept = True


def one_invocation_per_resolver() -> None:
    """Powertools' resolver keeps the request being handled on itself (``app.current_event``): a
    Lambda container handles one invocation at a time, so that is safe on AWS. Here every handler
    module runs in one process and the gateway serves requests on threads, so two requests to the
    same function would overwrite each other's event (seen: a staff request read another request's
    claims). The resolver's per-request state is made thread-local; nothing else changes."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if getattr(BaseRouter, "__local_cloud_thread_local__", False):
        return
    state = threading.local()

    def slot(name: str) -> property:
        def get(self: Any) -> Any:
            return getattr(state, f"{id(self)}.{name}", None)

        def put(self: Any, value: Any) -> None:
            setattr(state, f"{id(self)}.{name}", value)

        return property(get, put)

    for name in ("current_event", "lambda_context"):
        setattr(BaseRouter, name, slot(name))
    BaseRouter.__local_cloud_thread_local__ = True  # type: ignore[attr-defined]
