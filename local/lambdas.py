"""In-process Lambda: every invocation path ends here and calls our handler in this process.

moto 5.2.5 without Docker answers Lambda ``Invoke`` from ``LambdaSimpleBackend.invoke`` with a canned
payload. We replace that method (see :func:`install`) so the Lambda API, Step Functions tasks and
anything else calling ``lambda:Invoke`` on the moto endpoint runs the real handler, with errors
surfaced as ``FunctionError: Unhandled`` exactly as AWS does (so ASL Retry/Catch behave).

The gateway, the SQS pollers, EventBridge delivery and the scheduler call :meth:`Dispatcher.invoke`
directly (no HTTP hop), with the same context object and error shape.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.model import INIT_ENV, Function

log = logging.getLogger("local.lambdas")

Handler = Callable[[Any, Any], Any]


@dataclass
class LambdaContext:
    """What a Python handler may read from its ``context`` argument (Powertools reads these)."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """The outcome of one invocation: the handler's result or the AWS-shaped error payload."""

    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def payload(self) -> bytes:
        body = self.error if self.error is not None else self.result
        return json.dumps(body, default=str).encode()


@dataclass(frozen=True)
class Deployed:
    function: Function
    physical: str
    arn: str
    handler: str  # dotted path: module.attribute
    init_env: dict[str, str] = field(default_factory=dict)  # per-function values read at import (init)


class Dispatcher:
    """Maps physical function names (and ARNs) to their handler and calls it in this process."""

    def __init__(self) -> None:
        self._functions: dict[str, Deployed] = {}
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.invocations: list[tuple[str, float]] = []  # (physical name, monotonic time) for tests

    def register(self, deployed: Deployed) -> None:
        self._functions[deployed.physical] = deployed

    def unregister_all(self) -> None:
        self._functions.clear()

    def deployed(self, name_or_arn: str) -> Deployed | None:
        name = name_or_arn
        if name.startswith("arn:"):
            # arn:aws:lambda:region:account:function:name[:qualifier]
            name = name.split(":")[6]
        return self._functions.get(name)

    def names(self) -> set[str]:
        return set(self._functions)

    def _handler(self, deployed: Deployed) -> Handler:
        """Import the handler once (its init phase), with the function's own per-function environment
        (INIT_ENV) in place, as its Lambda container would have it."""
        dotted = deployed.handler
        with self._lock:
            found = self._handlers.get(dotted)
            if found is None:
                saved = {key: os.environ.get(key) for key in INIT_ENV}
                try:
                    for key in INIT_ENV:
                        os.environ.pop(key, None)
                    os.environ.update(deployed.init_env)
                    module, _, attribute = dotted.rpartition(".")
                    found = getattr(importlib.import_module(module), attribute)
                finally:
                    for key, value in saved.items():
                        if value is None:
                            os.environ.pop(key, None)
                        else:
                            os.environ[key] = value
                self._handlers[dotted] = found
            return found

    def invoke(self, name_or_arn: str, event: Any) -> Invocation:
        deployed = self.deployed(name_or_arn)
        if deployed is None:
            raise KeyError(f"no local function {name_or_arn!r}")
        context = LambdaContext(
            function_name=deployed.physical,
            memory_limit_in_mb=deployed.function.memory,
            invoked_function_arn=deployed.arn,
            timeout=deployed.function.timeout,
        )
        self.invocations.append((deployed.physical, time.monotonic()))
        try:
            handler = self._handler(deployed)
            return Invocation(result=handler(event, context))
        except Exception as exc:  # the handler's failure is the invocation's result
            log.warning("%s failed: %s: %s", deployed.physical, type(exc).__name__, exc)
            return Invocation(
                error={
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_tb(exc.__traceback__.tb_next if exc.__traceback__ else None),
                    "requestId": context.aws_request_id,
                }
            )

    def invoke_async(self, name_or_arn: str, event: Any) -> threading.Thread:
        thread = threading.Thread(
            target=self.invoke, args=(name_or_arn, event), name=f"invoke-{name_or_arn}", daemon=True
        )
        thread.start()
        return thread


# ---- the moto patch -------------------------------------------------------------------------------

_dispatchers: list[Dispatcher] = []
_original_invoke: Any = None


def _patched_invoke(
    self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
) -> bytes | None:
    dispatcher = next((d for d in reversed(_dispatchers) if d.deployed(function_name)), None)
    if dispatcher is None:
        return _original_invoke(self, function_name, qualifier, body, headers, response_headers)  # type: ignore[no-any-return]
    if isinstance(body, bytes):
        body = body.decode()
    event = json.loads(body) if body else {}
    invocation_type = (headers or {}).get("X-Amz-Invocation-Type", "RequestResponse")
    if invocation_type == "Event":
        dispatcher.invoke_async(function_name, event)
        return b""
    if invocation_type == "DryRun":
        return b""
    invocation = dispatcher.invoke(function_name, event)
    if invocation.failed:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-executed-version"] = "$LATEST"
    return invocation.payload()


def install(dispatcher: Dispatcher) -> None:
    """Route moto's Lambda ``Invoke`` to ``dispatcher`` (idempotent; several clouds may share it)."""
    global _original_invoke
    from moto.awslambda_simple.models import LambdaSimpleBackend

    if _original_invoke is None:
        _original_invoke = LambdaSimpleBackend.invoke
        LambdaSimpleBackend.invoke = _patched_invoke  # type: ignore[method-assign]
    if dispatcher not in _dispatchers:
        _dispatchers.append(dispatcher)


def uninstall(dispatcher: Dispatcher) -> None:
    if dispatcher in _dispatchers:
        _dispatchers.remove(dispatcher)
