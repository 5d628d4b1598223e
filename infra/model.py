"""The vocabulary of the topology: typed, immutable declarations of the system's resources.

Pure Python (no CDK, no boto3) so that both renderers import it cheaply:
``infra/app.py`` (CloudFormation through CDK) and ``local/`` (the local cloud on moto).
Every physical name, ARN reference and environment variable is derived here, once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol

from commerce.common.constants import METRICS_NAMESPACE

ROOT = Path(__file__).resolve().parent.parent
APP = "commerce"


def cdk_json_context(path: Path = ROOT / "cdk.json") -> dict[str, Any]:
    """cdk.json's context (stage, region): the CDK CLI passes it to the app; the local cloud and a
    plain ``python -m infra.app`` read it from here."""
    return dict(json.loads(path.read_text()).get("context", {}))


def env_key(name: str, suffix: str) -> str:
    """``catalog`` + ``TABLE`` -> ``CATALOG_TABLE``: the one rule for environment variable names."""
    return f"{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}_{suffix}"


class AuthKind(StrEnum):
    PUBLIC = "public"
    CUSTOMER = "customer"  # Cognito customer pool JWT
    STAFF = "staff"  # Cognito staff pool JWT; the handler checks the route's permission
    WEBHOOK = "webhook"  # no authoriser; HMAC signature checked in the handler


class Access(StrEnum):
    READ = "read"
    WRITE = "write"  # read and write


@dataclass(frozen=True)
class Index:
    name: str
    pk: str
    sk: str | None = None
    sk_numeric: bool = False  # a number sort key (a time, a rank); DynamoDB refuses writes of the wrong type


@dataclass(frozen=True)
class Table:
    name: str
    pk: str = "pk"
    sk: str | None = "sk"
    indexes: tuple[Index, ...] = ()
    ttl: str | None = None
    stream: bool = False

    def key_types(self) -> dict[str, str]:
        """Every key attribute of the table and its indexes with its DynamoDB type ("S" or "N")."""
        types = {self.pk: "S", **({self.sk: "S"} if self.sk else {})}
        for index in self.indexes:
            types.setdefault(index.pk, "S")
            if index.sk:
                types.setdefault(index.sk, "N" if index.sk_numeric else "S")
        return types

    @property
    def env(self) -> str:
        return env_key(self.name, "TABLE")


@dataclass(frozen=True)
class Queue:
    name: str
    visibility_timeout: int = 60  # seconds; at least 6x the consumer's timeout on AWS
    max_receives: int = 3  # then redriven to the DLQ
    retention_days: int = 4

    @property
    def dlq(self) -> str:
        return f"{self.name}-dlq"

    @property
    def env(self) -> str:
        return env_key(self.name, "QUEUE_URL")


@dataclass(frozen=True)
class Http:
    method: str
    path: str  # API Gateway style: /products/{product_id}
    auth: AuthKind = AuthKind.PUBLIC
    permission: str | None = None  # required staff permission (STAFF routes)

    def __post_init__(self) -> None:
        if (self.auth is AuthKind.STAFF) != (self.permission is not None):
            raise ValueError(f"{self.method} {self.path}: staff routes, and only they, name a permission")

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsTrigger:
    queue: str
    batch_size: int = 10
    max_batching_window: int = 0  # seconds
    partial_failures: bool = True  # ReportBatchItemFailures


StartingPosition = Literal["TRIM_HORIZON", "LATEST"]


@dataclass(frozen=True)
class StreamTrigger:
    """A DynamoDB stream -> Lambda event source mapping. The table must declare ``stream=True``.

    A batch the function fails is retried (split in two first when ``bisect_on_error``) up to
    ``max_retries`` times; then its description goes to the function's ``<function>-stream-dlq``
    (the mapping's on-failure destination) and the stream moves on. With ``partial_failures`` the
    function may answer ``{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}]}``: the
    records before the first one named are checkpointed and the retry starts there.
    """

    table: str
    batch_size: int = 100
    starting_position: StartingPosition = "TRIM_HORIZON"
    max_retries: int = 5  # 0..10000 (AWS also allows -1, "until the record expires": not offered)
    bisect_on_error: bool = True  # BisectBatchOnFunctionError
    partial_failures: bool = True  # ReportBatchItemFailures
    # An event filter (the mapping's FilterCriteria): only INSERTs of items whose sort key starts
    # with this reach the function; the rest are dropped by Lambda and never invoke it (nor bill).
    inserts_with_sk_prefix: str | None = None

    def accepts(self, record: dict[str, Any]) -> bool:
        """What the filter lets through, as Lambda applies it (the local cloud uses this)."""
        if self.inserts_with_sk_prefix is None:
            return True
        keys = (record.get("dynamodb") or {}).get("Keys") or {}
        sort_key = str((keys.get("sk") or {}).get("S", ""))
        return record.get("eventName") == "INSERT" and sort_key.startswith(self.inserts_with_sk_prefix)

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 10000:
            raise ValueError(f"stream trigger on {self.table}: batch_size must be 1..10000")
        if not 0 <= self.max_retries <= 10000:
            raise ValueError(f"stream trigger on {self.table}: max_retries must be 0..10000")
        if self.starting_position not in ("TRIM_HORIZON", "LATEST"):
            raise ValueError(f"stream trigger on {self.table}: starting_position is TRIM_HORIZON or LATEST")


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule on the platform bus. Targets: queues or functions (a function names its rules)."""

    name: str
    detail_types: tuple[str, ...]
    source: tuple[str, ...] = ()
    queue: str | None = None  # deliver matching events to this queue

    @property
    def pattern(self) -> dict[str, list[str]]:
        pattern: dict[str, list[str]] = {"detail-type": list(self.detail_types)}
        if self.source:
            pattern["source"] = list(self.source)
        return pattern


@dataclass(frozen=True)
class Schedule:
    rate_minutes: int


@dataclass(frozen=True)
class StateMachine:
    name: str
    asl: str  # file in statemachines/
    # ${Placeholder} -> what it resolves to: "function:<name>", "bus", "table:<name>", "queue:<name>"
    substitutions: tuple[tuple[str, str], ...] = ()

    @property
    def env(self) -> str:
        return env_key(self.name, "STATE_MACHINE_ARN")

    @property
    def path(self) -> Path:
        return ROOT / "statemachines" / self.asl


@dataclass(frozen=True)
class Secret:
    name: str
    description: str

    @property
    def env(self) -> str:
        return env_key(self.name, "SECRET_NAME")


@dataclass(frozen=True)
class Endpoint:
    """An external system's base URL (a partner API such as the payment gateway). The CDK reads it
    from cdk.json context (``context_key``); the local cloud points it at its simulator."""

    name: str
    context_key: str
    description: str = ""

    @property
    def env(self) -> str:
        return env_key(self.name, "URL")


@dataclass(frozen=True)
class EmailIdentity:
    address: str
    env: str = "SENDER_EMAIL"


@dataclass(frozen=True)
class UserPool:
    name: str
    groups: tuple[str, ...] = ()
    self_sign_up: bool = False

    @property
    def env(self) -> str:
        return env_key(self.name, "USER_POOL_ID")

    @property
    def client_env(self) -> str:
        return env_key(self.name, "USER_POOL_CLIENT_ID")


@dataclass(frozen=True)
class GatewayResponse:
    """An answer API Gateway gives itself (no handler ran), made problem+json like every other error."""

    type: str  # API Gateway ResponseType
    status: int
    code: str
    title: str
    headers: tuple[tuple[str, str], ...] = ()  # fixed response headers besides Content-Type and CORS

    def problem(self, detail: str, request_id: str) -> dict[str, Any]:
        """The body, as the local gateway sends it (the CDK renders ``template`` to the same)."""
        return {
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": detail,
            "request_id": request_id,
        }

    @property
    def template(self) -> str:
        """The API Gateway mapping template producing ``problem`` (``$context`` filled in by AWS)."""
        body = self.problem("$context.error.messageString", "$context.requestId")
        return json.dumps(body).replace('"$context.error.messageString"', "$context.error.messageString")


RETRY_SHORTLY = (("Retry-After", "1"),)  # the header of the gateway's answers a client should retry

# What the gateway answers without a handler. Unknown routes and unknown methods both answer 404:
# that is API Gateway's MISSING_AUTHENTICATION_TOKEN, which it sends for either.
GATEWAY_RESPONSES = (
    GatewayResponse("UNAUTHORIZED", 401, "UNAUTHORIZED", "Authentication required"),
    GatewayResponse("ACCESS_DENIED", 403, "FORBIDDEN", "Not allowed"),
    GatewayResponse("MISSING_AUTHENTICATION_TOKEN", 404, "ROUTE_NOT_FOUND", "Not found"),
    GatewayResponse("REQUEST_TOO_LARGE", 413, "BODY_TOO_LARGE", "Body too large"),
    GatewayResponse("THROTTLED", 429, "THROTTLED", "Too many requests", RETRY_SHORTLY),
    # A function at its concurrency limit: Lambda refuses the invocation (TooManyRequestsException)
    # and API Gateway answers INTEGRATION_FAILURE. The same code as a throttled table: retry later,
    # with the same Idempotency-Key.
    GatewayResponse(
        "INTEGRATION_FAILURE",
        503,
        "TEMPORARILY_UNAVAILABLE",
        "Temporarily unavailable",
        RETRY_SHORTLY,
    ),
    GatewayResponse("DEFAULT_4XX", 400, "BAD_REQUEST", "Bad request"),
    GatewayResponse("DEFAULT_5XX", 502, "GATEWAY_ERROR", "The gateway could not complete the request"),
)


def gateway_response(type_: str) -> GatewayResponse:
    return _one(GATEWAY_RESPONSES, type_, lambda r: r.type)


@dataclass(frozen=True)
class Function:
    context: str  # bounded context: functions/<context>/<operation>.py
    operation: str
    description: str
    http: tuple[Http, ...] = ()
    sqs: SqsTrigger | None = None
    stream: StreamTrigger | None = None  # a DynamoDB stream (its on-failure queue: ``stream_dlq``)
    rules: tuple[str, ...] = ()  # EventBridge rules that invoke this function directly
    schedule: Schedule | None = None
    tables: tuple[tuple[str, Access], ...] = ()
    publishes: bool = False  # puts events on the bus
    sends_to: tuple[str, ...] = ()  # queues
    redrives: tuple[str, ...] = ()  # queues whose DLQ it moves back into them (operations)
    starts: tuple[str, ...] = ()  # state machines it starts or describes
    secrets: tuple[str, ...] = ()
    sends_email: bool = False
    user_pools: tuple[str, ...] = ()  # pools it calls Cognito on (sign-up, sign-in, ...)
    administers_pools: tuple[str, ...] = ()  # pools it calls Cognito's admin APIs on (IAM-granted)
    reads_pools: tuple[str, ...] = ()  # pools whose group members it lists (ListUsersInGroup only)
    endpoints: tuple[str, ...] = ()  # external systems it calls (base URL in its environment)
    completes_tasks: bool = False  # SendTaskSuccess/Failure on Step Functions task tokens
    memory: int = 512
    timeout: int = 10

    @property
    def name(self) -> str:
        return f"{self.context}-{self.operation.replace('_', '-')}"

    @property
    def handler(self) -> str:
        return f"functions.{self.context}.{self.operation}.handler"

    @property
    def audits(self) -> bool:
        """It has staff routes that change things: each success is written to the audit log."""
        return any(route.auth is AuthKind.STAFF and route.method != "GET" for route in self.http)

    @property
    def stream_dlq(self) -> str | None:
        """The stream trigger's on-failure destination: an implicit queue, named after the function."""
        return f"{self.name}-stream-dlq" if self.stream else None


@dataclass(frozen=True)
class Topology:
    tables: tuple[Table, ...]
    queues: tuple[Queue, ...]
    rules: tuple[Rule, ...]
    state_machines: tuple[StateMachine, ...]
    functions: tuple[Function, ...]
    secrets: tuple[Secret, ...]
    user_pools: tuple[UserPool, ...]
    email: EmailIdentity
    endpoints: tuple[Endpoint, ...] = ()
    bus: str = "events"
    metrics_namespace: str = METRICS_NAMESPACE
    cors_origins: tuple[str, ...] = ("*",)

    def __post_init__(self) -> None:
        declared = {table.name: table for table in self.tables}
        queue_names = {q.name for q in self.queues} | {q.dlq for q in self.queues}
        for fn in self.functions:
            if fn.stream is None:
                continue
            table = declared.get(fn.stream.table)
            if table is None:
                raise ValueError(f"{fn.name}: stream trigger on undeclared table {fn.stream.table!r}")
            if not table.stream:
                raise ValueError(f"{fn.name}: table {table.name!r} has no stream (declare stream=True)")
            if fn.stream_dlq in queue_names:
                raise ValueError(f"{fn.name}: {fn.stream_dlq!r} is implicit; do not declare it as a queue")

    # ---- look-ups -------------------------------------------------------------------------
    def function(self, name: str) -> Function:
        return _one(self.functions, name, lambda f: f.name)

    def table(self, name: str) -> Table:
        return _one(self.tables, name, lambda t: t.name)

    def queue(self, name: str) -> Queue:
        return _one(self.queues, name, lambda q: q.name)

    def rule(self, name: str) -> Rule:
        return _one(self.rules, name, lambda r: r.name)

    def state_machine(self, name: str) -> StateMachine:
        return _one(self.state_machines, name, lambda s: s.name)

    def secret(self, name: str) -> Secret:
        return _one(self.secrets, name, lambda s: s.name)

    def user_pool(self, name: str) -> UserPool:
        return _one(self.user_pools, name, lambda p: p.name)

    def endpoint(self, name: str) -> Endpoint:
        return _one(self.endpoints, name, lambda e: e.name)

    def stream_functions(self) -> list[Function]:
        """The functions a DynamoDB stream triggers (each has an implicit ``stream_dlq``)."""
        return [fn for fn in self.functions if fn.stream is not None]

    def routes(self) -> list[tuple[Http, Function]]:
        return [(route, fn) for fn in self.functions for route in fn.http]

    # ---- physical names: one rule, used by CDK and the local cloud alike ---------------------
    @staticmethod
    def physical(stage: str, name: str) -> str:
        return f"{APP}-{stage}-{name}"


def _one(items: tuple[Any, ...], name: str, key: Callable[[Any], str]) -> Any:
    for item in items:
        if key(item) == name:
            return item
    raise KeyError(name)


AUDIT_TABLE = "audit"  # every function with staff write routes appends to it (Function.audits)

# Environment values that differ between functions by design. The local cloud runs every handler in
# one process: it keeps these out of the shared environment and applies INIT_ENV while it imports a
# handler (its init phase, when handlers read them).
PER_FUNCTION_ENV = frozenset({"POWERTOOLS_SERVICE_NAME", "ROUTE_PERMISSIONS"})
INIT_ENV = frozenset({"ROUTE_PERMISSIONS"})


class Resolve(Protocol):
    """Turns a declared resource into the value a function's environment needs (a name, URL or ARN)."""

    def __call__(self, kind: str, name: str) -> str: ...


def function_env(topology: Topology, fn: Function, resolve: Resolve) -> dict[str, str]:
    """The environment of one function, for both renderers: only what the function declares it uses."""
    env = {
        "POWERTOOLS_SERVICE_NAME": fn.context,
        "POWERTOOLS_METRICS_NAMESPACE": topology.metrics_namespace,
        # Traces never record what a traced function returns (orders, profiles: personal data), even
        # where a decorator forgets capture_response=False (docs/security.md).
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        "EVENT_BUS_NAME": resolve("bus", topology.bus),
    }
    for table, _access in fn.tables:
        env[topology.table(table).env] = resolve("table", table)
    if fn.audits:
        env[topology.table(AUDIT_TABLE).env] = resolve("table", AUDIT_TABLE)
    for queue in fn.sends_to:
        env[topology.queue(queue).env] = resolve("queue", queue)
    for machine in fn.starts:
        env[topology.state_machine(machine).env] = resolve("state_machine", machine)
    for secret in fn.secrets:
        env[topology.secret(secret).env] = resolve("secret", secret)
    for endpoint in fn.endpoints:
        env[topology.endpoint(endpoint).env] = resolve("endpoint", endpoint)
    if fn.redrives:
        # the names; each queue's URL is in its own variable; a DLQ's URL is its queue's + "-dlq"
        env["REDRIVE_QUEUES"] = ",".join(fn.redrives)
        for queue in fn.redrives:
            env[topology.queue(queue).env] = resolve("queue", queue)
    if fn.sends_email:
        env[topology.email.env] = topology.email.address
    for pool_name in dict.fromkeys((*fn.user_pools, *fn.administers_pools, *fn.reads_pools)):
        pool = topology.user_pool(pool_name)
        env[pool.env] = resolve("user_pool", pool_name)
        env[pool.client_env] = resolve("user_pool_client", pool_name)
    staff_routes = {route.key: str(route.permission) for route in fn.http if route.auth is AuthKind.STAFF}
    if staff_routes:
        # enforced by commerce.common.api.api_handler before the request is even parsed
        env["ROUTE_PERMISSIONS"] = json.dumps(staff_routes, sort_keys=True)
    return env
