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
6. ``moto.dynamodb.models.DynamoDBBackend.transact_write_items``: moto backs a transaction up by
   deep-copying every table it touches (items and stream shard included) and rolls a cancelled one
   back by putting the copies in place. That is O(table) per transaction, so the suite slowed as
   its tables grew (a placement behind others took over 30 s late in a run), and the swapped-in
   copy left every stream iterator on the old shard, which kept the cancelled writes' records and
   never saw another one. The module's ``copy`` no longer copies tables; the wrapper keeps an undo
   log of the items the transaction names (their before-images) and the length of each stream
   shard, and on any failure puts those items back and drops the records the transaction added.
   The table and shard objects never change. Atomic under patch 2's lock, so no reader sees the
   records in between.
7. ``moto.backends.list_of_moto_modules``: the moto server lists moto's package directory (about
   170 ``isdir`` calls) on every request to find the service; the listing is cached.
8. ``werkzeug.serving.BaseWSGIServer.request_queue_size``: the moto server's listen backlog is
   werkzeug's 128; hundreds of handler threads opening connections at once overflowed it, and
   boto3's 2 s connect timeout turned the dropped SYNs into 500s. It is raised to 1,024.
9. ``moto.stepfunctions.parser.backend.execution_worker.ExecutionWorker._get_evaluation_entrypoint``:
   every execution parsed its state machine's ASL again (ANTLR in pure Python: about 130 ms of CPU
   for the order workflow, per order). The parsed program is cached per definition. It holds no
   execution's state: the interpreter keeps that in each execution's ``Environment`` (its heap is
   keyed by each component's ``heap_key``, which is drawn here once, before the program is shared).
10. ``aws_lambda_powertools.event_handler.api_gateway.BaseRouter``: the request and routing context
   per thread (see ``one_invocation_per_resolver``).
11. ``moto.stepfunctions.parser.asl.eval.environment.Environment.set_stop``: on AWS StopExecution
   ends an execution at once, whatever it is waiting for. moto's stop only flags the program, and a
   task waiting for its token (``.waitForTaskToken``) sleeps on its callback endpoint until the token
   comes or the task's timeout passes (the order workflow's Authorise: the payment window, 30
   minutes), so a stopped order stayed RUNNING that long. The wrapper also wakes every callback
   endpoint of the execution; the woken task sees the program stopped and goes no further.
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
_undo_logged = False


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
    undo_only_what_transactions_touch()  # a cancelled transaction undoes its items and stream records


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


def undo_only_what_transactions_touch() -> None:
    global _undo_logged
    if _undo_logged:
        return
    import copy
    import types

    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[attr-defined]
    original = DynamoDBBackend.transact_write_items

    def named(backend: Any, entry: dict[str, Any]) -> tuple[Any, DynamoType, DynamoType | None] | None:
        """The table and key an operation names, or None where moto will refuse it anyway."""
        try:
            kind, operation = next(iter(entry.items()))
            table = backend.tables[operation["TableName"]]
            key = operation["Item"] if kind == "Put" else operation["Key"]
            sort = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            return table, DynamoType(key[table.hash_key_attr]), sort
        except (KeyError, TypeError, AttributeError, StopIteration):
            return None

    def put_back(table: Any, hash_key: DynamoType, sort_key: DynamoType | None, before: Any) -> None:
        if sort_key is None:
            if before is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = before
        elif before is None:
            table.items.get(hash_key, {}).pop(sort_key, None)
        else:
            table.items[hash_key][sort_key] = before

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        undo, shards = [], {}
        for entry in transact_items if len(transact_items) <= 100 else ():
            found = named(self, entry)
            if found is not None:
                table, hash_key, sort_key = found
                undo.append((table, hash_key, sort_key, copy.deepcopy(table.get_item(hash_key, sort_key))))
                if table.stream_shard is not None:
                    shards[id(table)] = (table.stream_shard, len(table.stream_shard.items))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, sort_key, before in reversed(undo):
                put_back(table, hash_key, sort_key, before)
            for shard, length in shards.values():
                del shard.items[length:]
            raise

    transact_write_items.__local_cloud_undo_log__ = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _undo_logged = True


def cache_moto_service_lookup() -> None:
    from moto import backends

    if not getattr(backends.list_of_moto_modules, "__local_cloud_cached__", False):
        listing = tuple(backends.list_of_moto_modules())
        cached = functools.wraps(backends.list_of_moto_modules)(lambda: listing)
        cached.__local_cloud_cached__ = True  # type: ignore[attr-defined]
        backends.list_of_moto_modules = cached  # type: ignore[assignment]


MOTO_LISTEN_BACKLOG = 1024
_PARSED: dict[str, Any] = {}
_PARSED_LOCK = threading.Lock()


def parse_each_state_machine_once() -> None:
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    if getattr(ExecutionWorker._get_evaluation_entrypoint, "__local_cloud_cached__", False):
        return

    def draw_heap_keys(component: Any, seen: set[int]) -> None:
        if id(component) in seen:
            return
        seen.add(id(component))
        if isinstance(component, EvalComponent):
            component.heap_key  # noqa: B018  # drawn now, not by two executions racing to draw it
        for child in vars(component).values():
            items = (
                child.values() if isinstance(child, dict) else child if isinstance(child, list | tuple) else (child,)
            )
            for item in items:
                if hasattr(item, "__dict__") and type(item).__module__.startswith("moto.stepfunctions.parser"):
                    draw_heap_keys(item, seen)

    def entrypoint(self: Any) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        with _PARSED_LOCK:
            program = _PARSED.get(definition)
            if program is None:
                program = AmazonStateLanguageParser.parse(definition)[0]
                draw_heap_keys(program, set())
                _PARSED[definition] = program
        return program

    entrypoint.__local_cloud_cached__ = True  # type: ignore[attr-defined]
    entrypoint.__wrapped__ = ExecutionWorker._get_evaluation_entrypoint  # type: ignore[attr-defined]
    ExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign]


def deeper_moto_listen_backlog() -> None:
    from werkzeug.serving import BaseWSGIServer

    BaseWSGIServer.request_queue_size = max(BaseWSGIServer.request_queue_size, MOTO_LISTEN_BACKLOG)


def one_invocation_per_resolver() -> None:
    """Powertools keeps the request being handled on the router itself: the event on the class
    (``BaseRouter.current_event = ...`` in ``resolve``) and the routing context on the instance
    (``app.context``: the matched route, the path parameters, and, once the OpenAPI validation
    middleware has run, the validated body and headers the route function is called with). One value
    per process is right on Lambda, where a container handles one invocation at a time. Here every
    handler runs in one process and the gateway serves requests on threads, so two requests to one
    function overwrote each other's: a staff route read a webhook's claims; a placement ran with
    another buyer's body (its quote token "not issued to you"), and a request finishing cleared the
    context of one still running (a 500). Each value is made per thread: the event for class-level
    and instance access (a descriptor on a metaclass and on the class), the context per thread and
    per resolver (a fresh dict in each thread); nothing else changes."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if getattr(BaseRouter, "__local_cloud_thread_local__", False):
        return
    state = threading.local()

    class PerThread:
        def __init__(self, name: str) -> None:
            self.name = name

        def __get__(self, instance: Any, owner: Any = None) -> Any:
            return getattr(state, self.name, None)

        def __set__(self, instance: Any, value: Any) -> None:
            setattr(state, self.name, value)

    class PerThreadPerInstance:
        def __init__(self, name: str) -> None:
            self.name = name

        def _values(self) -> dict[int, Any]:
            values: dict[int, Any] | None = getattr(state, self.name, None)
            if values is None:
                values = {}
                setattr(state, self.name, values)
            return values

        def __get__(self, instance: Any, owner: Any = None) -> Any:
            if instance is None:
                return self
            return self._values().setdefault(id(instance), {})

        def __set__(self, instance: Any, value: Any) -> None:
            self._values()[id(instance)] = value

    names = ("current_event", "lambda_context")
    for name in names:
        setattr(BaseRouter, name, PerThread(name))  # instance access: resolver.current_event
    meta = type(BaseRouter)
    BaseRouter.__class__ = type(  # class access: BaseRouter.current_event = ... / BaseRouter.current_event
        "PerThreadRouterState", (meta,), {name: PerThread(name) for name in names}
    )
    BaseRouter.context = PerThreadPerInstance("context")  # type: ignore[assignment]  # self.context = {} in __init__
    BaseRouter.__local_cloud_thread_local__ = True  # type: ignore[attr-defined]


def stop_wakes_task_token_waits() -> None:
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    original = Environment.set_stop
    if getattr(original, "__local_cloud_wakes__", False):
        return

    @functools.wraps(original)
    def set_stop(self: Any, stop_date: Any, cause: str | None, error: str | None) -> None:
        original(self, stop_date, cause, error)
        if not self.is_running():
            for endpoint in list(self.callback_pool_manager._pool.values()):
                endpoint.interrupt_all()

    set_stop.__local_cloud_wakes__ = True  # type: ignore[attr-defined]
    Environment.set_stop = set_stop  # type: ignore[method-assign]
