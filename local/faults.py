"""Fault injection for the local cloud: explicit, scoped, and always cleaned up.

    with cloud.faults.throttle_dynamodb("orders", times=2, when=order_id) as rule:
        ...                          # the next 2 matching writes are throttled as DynamoDB does
    assert rule.fired == 2

Every fault is a context manager that arms one *rule* and disarms it on the way out (an exception
included); ``rule.fired`` counts what it did. Rules only ever touch what they match, so a test's
faults leave the other tests' traffic alone. See docs/local-cloud.md ("Fault injection").

- ``throttle_dynamodb(table, operations=WRITES, times=1, when=None, error=None)``: moto's DynamoDB
  answers a matching request as AWS does when it throttles: a single-item or batch operation gets
  ``ProvisionedThroughputExceededException`` (HTTP 400, with ``ThrottlingReasons``; ``error=
  "ThrottlingException"`` for the on-demand maximum instead), which the SDK retries; a
  ``TransactWriteItems`` is cancelled (``TransactionCanceledException`` with the reason
  ``ThrottlingError`` for each item of the table, ``None`` for the others), which the SDK does not
  retry. Nothing is written. ``table`` is the logical name; ``when`` a substring of the request's
  JSON (an order id) to throttle only one key's traffic; ``times=None`` until the block ends.
- ``crash(function, after=1, times=1, when=None, operations=None)``: the function's invocation
  dies right after its ``after``-th successful AWS write call (any call whose operation is not a
  read: Get*, List*, Describe*, Query, Scan, ...; or only ``operations``), as a process killed
  mid-way: the handler's own ``except Exception`` cannot catch it, the writes made so far stay, and
  the invocation fails with ``Runtime.ExitError`` (what Lambda reports for a runtime that exited).
  An HTTP function answers 502 through the gateway; a queue batch is left whole; a workflow task
  fails with that error name.
- ``http(url, status=503, timeout=False, reach=False, times=1, when=None)``: an outgoing HTTP
  call from a handler to a URL starting with ``url`` (a partner's API: the bank, the warehouse)
  fails with that status, or a timeout. ``reach=True``: the partner got the request and acted on it
  and only the answer was lost (a 504 from a proxy, a read timeout).
- ``pause(function)``: the function's SQS mapping takes no messages while the block runs (a
  consumer with no concurrency left); what queued meanwhile arrives together once it ends. The
  block starts once the mapping's poller is parked, so a receive already under way (a long poll)
  has been delivered by then, not in the block.
- ``quick_retries(queue, seconds=1)``: the queue's visibility timeout is ``seconds`` while the
  block runs, so a failed message comes back in seconds, not minutes. Changed while its consumers
  are paused: moto fixes a receive's visibility timeout when the receive starts, so a long poll
  under way would otherwise hide the next message for the old timeout.
- ``record(function)``: a list that receives ``(event, Invocation)`` for each invocation of the
  function while the block runs (batches and their partial failures).

Hooks (installed once, process-wide, inert without rules): ``DynamoHandler.call_action`` (outside
the lock of local/patches.py), ``botocore.client.BaseClient._make_api_call`` (counts a handler's
writes, on the invocation's thread), ``urllib.request.urlopen`` (the platform's partner calls),
the cloud's ``Dispatcher.invoke`` and its pollers' ``_gather``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING, Any

from local.lambdas import Invocation

if TYPE_CHECKING:
    from local.cloud import LocalCloud

PARK_SECONDS = 60  # a poller parks after its receive (1 s) and the delivery under way
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READ_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "TransactGet", "Receive", "Head")
DDB = "com.amazonaws.dynamodb.v20120810#"
THROTTLED_ITEM = (
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your "
    "table or index so please try again shortly. If exceptions persist, check if you have a hot key: "
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html."
)
PROVISIONED = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)


class Crash(BaseException):
    """The injected death of an invocation: a BaseException, so handler code cannot catch it."""


@dataclass
class Rule:
    """One armed fault. ``times`` None: until disarmed. ``fired``: how often it struck."""

    kind: str
    target: str = ""
    times: int | None = 1
    when: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    fired: int = 0
    armed: bool = True

    def available(self) -> bool:
        return self.armed and (self.times is None or self.fired < self.times)

    def matches(self, text: str) -> bool:
        return self.available() and (self.when is None or self.when in text)


_lock = threading.Lock()
_rules: list[Rule] = []
_frames = threading.local()  # the invocations running on this thread: [(function, [rules], [writes])]
_installed = False


def _take(kind: str, target: str, text: str, extra: Any = None, count: bool = True) -> Rule | None:
    """The first armed rule of this kind that matches, counted as fired (unless ``count`` is False)."""
    with _lock:
        for rule in _rules:
            if rule.kind == kind and rule.target == target and rule.matches(text):
                if extra is not None and not extra(rule):
                    continue
                rule.fired += count
                return rule
    return None


class Faults:
    """``cloud.faults``: the fault-injection rules of one local cloud (see the module docstring)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud

    @classmethod
    def install(cls, cloud: LocalCloud) -> Faults:
        """Hook moto, botocore and urllib once per process, and this cloud's dispatcher."""
        global _installed
        if not _installed:
            _hook_dynamodb()
            _hook_botocore()
            _hook_urlopen()
            _installed = True
        _hook_dispatcher(cloud)
        return cls(cloud)

    @contextlib.contextmanager
    def _armed(self, rule: Rule) -> Iterator[Rule]:
        with _lock:
            _rules.append(rule)
        try:
            yield rule
        finally:
            with _lock:
                rule.armed = False
                _rules.remove(rule)

    def throttle_dynamodb(
        self,
        table: str,
        operations: frozenset[str] | set[str] = WRITES,
        times: int | None = 1,
        when: str | None = None,
        error: str | None = None,
    ) -> contextlib.AbstractContextManager[Rule]:
        options = {"operations": frozenset(operations), "error": error}
        return self._armed(Rule("dynamodb", self.cloud.physical(table), times, when, options))

    def crash(
        self,
        function: str,
        after: int = 1,
        times: int | None = 1,
        when: str | None = None,
        operations: frozenset[str] | set[str] | None = None,
    ) -> contextlib.AbstractContextManager[Rule]:
        options = {"after": after, "operations": frozenset(operations) if operations else None}
        return self._armed(Rule("crash", self.cloud.physical(function), times, when, options))

    def http(
        self,
        url: str,
        status: int = 503,
        timeout: bool = False,
        reach: bool = False,
        times: int | None = 1,
        when: str | None = None,
    ) -> contextlib.AbstractContextManager[Rule]:
        options = {"status": status, "timeout": timeout, "reach": reach}
        return self._armed(Rule("http", url, times, when, options))

    @contextlib.contextmanager
    def pause(self, *functions: str) -> Iterator[Rule]:
        physical = {self.cloud.physical(f) for f in functions}
        with contextlib.ExitStack() as stack:
            rules = [stack.enter_context(self._armed(Rule("pause", name, None))) for name in sorted(physical)]
            for poller in self.cloud.pollers:
                if poller.function in physical and not poller.parked.wait(PARK_SECONDS):
                    raise TimeoutError(f"the poller of {poller.function} did not park in {PARK_SECONDS}s")
            yield rules[0]

    @contextlib.contextmanager
    def quick_retries(self, queue: str, seconds: int = 1) -> Iterator[None]:
        sqs, url = self.cloud.client("sqs"), self.cloud.queue_urls[queue]
        consumers = [p.function for p in self.cloud.pollers if p.queue_url == url]
        before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
        with self.pause(*consumers):
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(seconds)})
        try:
            yield
        finally:
            with self.pause(*consumers):
                sqs.set_queue_attributes(QueueUrl=url, Attributes=before)

    @contextlib.contextmanager
    def record(self, function: str) -> Iterator[list[tuple[Any, Invocation]]]:
        calls: list[tuple[Any, Invocation]] = []
        with self._armed(Rule("record", self.cloud.physical(function), None, options={"calls": calls})):
            yield calls


# ---- DynamoDB: moto answers a throttle -------------------------------------------------------------
def _hook_dynamodb() -> None:
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        if any(rule.kind == "dynamodb" for rule in _rules):
            answer = _throttled(self)
            if answer is not None:
                return answer
        return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def _throttled(handler: Any) -> tuple[int, dict[str, str], str] | None:
    operation = handler.get_endpoint_name(handler.headers) or ""
    raw = handler.body if isinstance(handler.body, str) else json.dumps(handler.body)
    try:
        request = json.loads(raw or "{}")
    except ValueError:
        return None
    tables = _tables(operation, request)
    for table in dict.fromkeys(tables):
        rule = _take("dynamodb", table, raw, lambda r, op=operation: op in r.options["operations"])
        if rule is None:
            continue
        headers = {**handler.response_headers, "Content-Type": "application/x-amz-json-1.0"}
        if operation == "TransactWriteItems":
            reasons = [
                {"Code": "ThrottlingError", "Message": THROTTLED_ITEM} if name == table else {"Code": "None"}
                for name in tables
            ]
            codes = ", ".join(r["Code"] for r in reasons)
            message = f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
            body = {"__type": f"{DDB}TransactionCanceledException", "Message": message, "CancellationReasons": reasons}
        elif rule.options["error"] == "ThrottlingException":
            body = {"__type": "com.amazon.coral.availability#ThrottlingException", "message": THROTTLED_ITEM}
        else:
            kind = "Write" if operation in WRITES else "Read"
            body = {
                "__type": f"{DDB}ProvisionedThroughputExceededException",
                "message": PROVISIONED,
                "ThrottlingReasons": [{"reason": f"Table{kind}KeyRangeThroughputExceeded", "resource": table}],
            }
        return 400, headers, json.dumps(body)
    return None


def _tables(operation: str, request: dict[str, Any]) -> list[str]:
    """The table each part of the request names (one per transaction item, in order)."""
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [str(next(iter(item.values())).get("TableName", "")) for item in request.get("TransactItems") or []]
    if operation in ("BatchWriteItem", "BatchGetItem"):
        return [str(name) for name in request.get("RequestItems") or {}]
    return [str(request.get("TableName", ""))]


# ---- crashes: count a handler's writes on its own thread -------------------------------------------
def _hook_botocore() -> None:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    @functools.wraps(original)
    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        result = original(self, operation_name, api_params)
        frames = getattr(_frames, "stack", None)
        if frames and not operation_name.startswith(READ_PREFIXES):
            _count_write(frames[-1], operation_name)
        return result

    BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


def _count_write(frame: tuple[str, list[Rule], list[str]], operation: str) -> None:
    function, rules, writes = frame
    for rule in rules:
        wanted = rule.options["operations"]
        if wanted is not None and operation not in wanted:
            continue
        writes.append(f"{id(rule)}:{operation}")
        if sum(1 for w in writes if w.startswith(f"{id(rule)}:")) != rule.options["after"]:
            continue
        with _lock:
            if not rule.available():  # disarmed, or another invocation used up its times meanwhile
                continue
            rule.fired += 1
        raise Crash(f"{function} killed after {operation} (write {rule.options['after']})")


def _hook_dispatcher(cloud: LocalCloud) -> None:
    dispatcher = cloud.dispatcher
    original = dispatcher.invoke  # the bound method; every trigger calls dispatcher.invoke

    def invoke(name_or_arn: str, event: Any) -> Invocation:
        deployed = dispatcher.deployed(name_or_arn)
        function = deployed.physical if deployed is not None else name_or_arn
        text = json.dumps(event, default=str)
        crash = _take("crash", function, text, count=False)  # counted when it strikes
        stack = _frames.__dict__.setdefault("stack", [])
        stack.append((function, [crash] if crash else [], []))
        try:
            invocation = original(name_or_arn, event)
        except Crash as died:
            invocation = Invocation(
                error={
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"Runtime exited with error: signal: killed ({died})",
                }
            )
        finally:
            stack.pop()
        with _lock:
            recorders = [r for r in _rules if r.kind == "record" and r.target == function]
        for rule in recorders:
            rule.options["calls"].append((event, invocation))
        return invocation

    dispatcher.invoke = invoke  # type: ignore[method-assign]
    for poller in cloud.pollers:
        _hook_poller(poller)


def _hook_poller(poller: Any) -> None:
    original = poller._gather
    poller.parked = threading.Event()  # waiting out a pause: nothing received, nothing in delivery

    def gather() -> list[dict[str, Any]]:
        while any(r.kind == "pause" and r.target == poller.function for r in list(_rules)):
            poller.parked.set()
            if poller._stop.wait(0.05):
                return []
        poller.parked.clear()
        return list(original())

    poller._gather = gather


# ---- outgoing HTTP: the platform's calls to partners -----------------------------------------------
def _hook_urlopen() -> None:
    original = urllib.request.urlopen

    @functools.wraps(original)
    def urlopen(request: Any, *args: Any, **kwargs: Any) -> Any:
        url = request.full_url if isinstance(request, urllib.request.Request) else str(request)
        data = request.data if isinstance(request, urllib.request.Request) else None
        text = url + " " + (data.decode(errors="replace") if isinstance(data, bytes) else "")
        rule = next((r for r in list(_rules) if r.kind == "http" and url.startswith(r.target)), None)
        rule = _take("http", rule.target, text) if rule is not None else None
        if rule is None:
            return original(request, *args, **kwargs)
        if rule.options["reach"]:  # the partner acts on it; the answer is lost on the way back
            with contextlib.suppress(urllib.error.HTTPError), original(request, *args, **kwargs) as answer:
                answer.read()
        if rule.options["timeout"]:
            raise TimeoutError("timed out (injected)")
        status = int(rule.options["status"])
        body = io.BytesIO(json.dumps({"error": f"injected {status}"}).encode())
        raise urllib.error.HTTPError(url, status, "injected fault", Message(), body)

    urllib.request.urlopen = urlopen
