"""The local cloud: the topology rendered into moto (5.2.5, in this process), with every Lambda
handler running in-process on every trigger, and a local API Gateway in front.

    with LocalCloud() as cloud:
        requests.get(cloud.api_url + "/health")
        cloud.client("dynamodb").list_tables()

See docs/local-cloud.md for what is real, what is emulated and which moto internals are patched.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import logging
import os
import re
import secrets
import socket
import sys
import threading
import time
import zipfile
from typing import Any

import boto3
from botocore.config import Config

from infra.admin_config import admin_config
from infra.model import (
    INIT_ENV,
    PER_FUNCTION_ENV,
    ROOT,
    AuthKind,
    Function,
    Topology,
    cdk_json_context,
    function_env,
)
from local import faults, patches
from local.auth import CognitoAuthorizer, PoolKeys
from local.gateway import Gateway
from local.lambdas import Deployed, Dispatcher, Invocation
from local.outbox import Outbox
from local.pollers import Scheduler, SqsPoller, StreamPoller, scheduled_event
from local.simulators.bank import Bank
from local.simulators.carrier import Carrier
from local.simulators.warehouse import Warehouse

log = logging.getLogger("local.cloud")

REGION = str(cdk_json_context()["region"])  # the same region the CDK app deploys to
ACCOUNT = "123456789012"  # moto's default account
LAMBDA_ROLE = "local-lambda-role"
SFN_ROLE = "local-states-role"
RUNTIME = "python3.13"
# How many of the API's invocations the local gateway runs at once; a request beyond them waits for
# a slot (at most API Gateway's 29 s integration timeout, then 503 TEMPORARILY_UNAVAILABLE with
# Retry-After, as AWS answers a throttled function). On AWS each invocation has its own container;
# here they share two cores and one DynamoDB lock, and 500 simultaneous handler threads made every
# call slower until boto3's 2 s connect and 10 s read timeouts failed them (docs/local-cloud.md).
API_CONCURRENCY = 8
EB_QUEUE_MARK = "eb-to-"  # hidden queues carrying rule events to functions
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_ENV_KEYS = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID")
_ENV_KEYS += ("AWS_SECRET_ACCESS_KEY", "MOTO_PORT")


def _default_topology() -> Topology:
    from infra.topology import TOPOLOGY

    return TOPOLOGY


class LocalCloud:
    def __init__(
        self,
        topology: Topology | None = None,
        stage: str = "local",
        host: str = "127.0.0.1",
        moto_port: int = 0,
        api_port: int = 0,
        seed: bool = True,
        handler_modules: dict[str, str] | None = None,
        region: str = REGION,
        bank_delay: float = 0.2,
        fulfilment_auto: bool = False,
        fulfilment_step_delay: float = 0.2,
        api_concurrency: int | None = API_CONCURRENCY,
    ) -> None:
        self.topology = topology or _default_topology()
        self.stage = stage
        self.host = host
        self.region = region
        self.seed = seed
        self._moto_port = moto_port
        self._api_port = api_port
        # function name -> dotted path of its handler (a module with ``handler`` or module.attribute)
        self.handler_modules = dict(handler_modules or {})
        self.dispatcher = Dispatcher()
        self.authorizer = CognitoAuthorizer()
        self.pollers: list[SqsPoller] = []
        self.stream_pollers: list[StreamPoller] = []  # one per stream trigger
        self.scheduler: Scheduler | None = None
        self.gateway: Gateway | None = None
        self.staff_credentials: dict[str, tuple[str, str]] = {}
        self.customer_credentials: tuple[str, str] | None = None
        self.pools: dict[str, str] = {}  # pool name -> pool id
        self.clients: dict[str, str] = {}  # pool name -> app client id
        self.queue_urls: dict[str, str] = {}  # queue (and DLQ) name -> URL
        self.environment: dict[str, str] = {}
        self.schedules: dict[str, str] = {}  # function physical name -> schedule rule arn
        self._hidden_queues: set[str] = set()
        self.signing_keys: dict[str, str] = {}  # partner -> hex key (the webhook-signing-keys secret)
        self.bank: Bank | None = None  # the sandbox bank, when the topology declares the payment gateway
        self.bank_delay = bank_delay
        # the warehouse system and the carrier (docs/fulfilment.md): auto plays every order to
        # delivered, step_delay seconds a step; manual (tests) waits for warehouse/carrier.advance()
        self.warehouse: Warehouse | None = None
        self.carrier: Carrier | None = None
        self.fulfilment_auto = fulfilment_auto
        self.fulfilment_step_delay = fulfilment_step_delay
        self.api_concurrency = api_concurrency
        self.endpoint_urls: dict[str, str] = {}  # endpoint name -> local simulator URL
        self.outbox = Outbox()  # the emails sent through SES: .local/outbox/*.eml, emails()
        self._server: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._started = False
        self._stopping = threading.Event()

    # ---- names ------------------------------------------------------------------------------------
    def physical(self, name: str) -> str:
        return Topology.physical(self.stage, name)

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{self.physical(name)}"

    def state_machine_arn(self, name: str) -> str:
        return f"arn:aws:states:{self.region}:{ACCOUNT}:stateMachine:{self.physical(name)}"

    def queue_arn(self, physical_name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{ACCOUNT}:{physical_name}"

    @property
    def bus_name(self) -> str:
        return self.physical(self.topology.bus)

    def resolve(self, kind: str, name: str) -> str:
        """The local value of a declared resource, for function environments and ASL substitutions."""
        match kind:
            case "bus":
                return self.physical(name)
            case "table" | "secret":
                return self.physical(name)
            case "queue":
                return self.queue_urls[name]
            case "state_machine":
                return self.state_machine_arn(name)
            case "user_pool":
                return self.pools[name]
            case "user_pool_client":
                return self.clients[name]
            case "function":
                return self.function_arn(name)
            case "endpoint":
                return self.endpoint_urls[name]
        raise ValueError(f"unknown resource kind {kind!r}")

    # ---- endpoints --------------------------------------------------------------------------------
    @property
    def moto_port(self) -> int:
        return int(self._server.get_host_and_port()[1])

    @property
    def moto_url(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    @property
    def api_url(self) -> str:
        assert self.gateway is not None, "start() first"
        return self.gateway.url

    @property
    def bank_url(self) -> str:
        assert self.bank is not None, "the topology declares no payment-gateway endpoint"
        return self.bank.url

    @property
    def admin_url(self) -> str:
        return f"{self.api_url}/admin/"

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.moto_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        )

    # ---- life cycle -------------------------------------------------------------------------------
    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        cold_containers()
        patches.configure_moto()
        patches.unsigned_calls_in(self.region)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
        patches.serialise_dynamodb()
        patches.prune_stream_iterators()
        patches.cache_moto_service_lookup()
        patches.deeper_moto_listen_backlog()
        patches.parse_each_state_machine_once()
        patches.one_invocation_per_resolver()
        patches.stop_wakes_task_token_waits()
        patches.install_lambda(self.dispatcher)
        _check_port_free(self.host, self._moto_port, "moto")
        _check_port_free(self.host, self._api_port, "API")
        self._server = ThreadedMotoServer(ip_address=self.host, port=self._moto_port, verbose=False)
        self._server.start()
        self._started = True
        self.outbox.start(ACCOUNT, self.region)
        try:
            self._set_env(
                {
                    "MOTO_PORT": str(self.moto_port),
                    "AWS_ENDPOINT_URL": self.moto_url,
                    "AWS_DEFAULT_REGION": self.region,
                    "AWS_REGION": self.region,
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",
                    # moto checks TOTP codes (one secret for every user) only when told to
                    "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
                }
            )
            self._provision()
            self._serve()
            self.faults = faults.Faults.install(self)  # fault injection (local/faults.py), inert until armed
            if self.seed:
                self._seed()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self._stopping.set()
        cold_containers()
        for poller in self.pollers:
            poller.stop()
        for stream_poller in self.stream_pollers:
            stream_poller.stop()
        if self.scheduler:
            self.scheduler.stop()
        if self.gateway:
            self.gateway.stop()
        if self.bank is not None:
            self.bank.stop()
            self.bank = None
        if self.warehouse is not None:
            self.warehouse.stop()
            self.warehouse = None
        if self.carrier is not None:
            self.carrier.stop()
            self.carrier = None
        for poller in self.pollers:
            poller.join(timeout=5)
        for stream_poller in self.stream_pollers:
            stream_poller.join(timeout=5)
        patches.uninstall_lambda(self.dispatcher)
        self.outbox.stop()
        if self._server is not None:
            self._server.stop()
        self._restore_env()
        cold_containers()  # what the pollers' last invocations cached points at this cloud's endpoint

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _restore_env(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    # ---- provisioning -----------------------------------------------------------------------------
    def _provision(self) -> None:
        iam = self.client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        for role in (LAMBDA_ROLE, SFN_ROLE):
            with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
                iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        self._tables()
        self._queues()
        self._bus()
        self._user_pools()
        self._secrets()
        self._simulators()
        self.client("ses").verify_email_identity(EmailAddress=self.topology.email.address)
        self._functions()
        self._state_machines()
        self._rules()

    def _tables(self) -> None:
        ddb = self.client("dynamodb")
        for table in self.topology.tables:
            types = table.key_types()
            params: dict[str, Any] = {
                "TableName": self.physical(table.name),
                "AttributeDefinitions": [{"AttributeName": k, "AttributeType": types[k]} for k in sorted(types)],
                "KeySchema": _key_schema(table.pk, table.sk),
                "BillingMode": "PAY_PER_REQUEST",
            }
            if table.indexes:
                params["GlobalSecondaryIndexes"] = [
                    {
                        "IndexName": index.name,
                        "KeySchema": _key_schema(index.pk, index.sk),
                        "Projection": {"ProjectionType": "ALL"},
                    }
                    for index in table.indexes
                ]
            if table.stream:
                params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            ddb.create_table(**params)
            if table.ttl:
                ddb.update_time_to_live(
                    TableName=params["TableName"],
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl},
                )

    def _create_queue(self, physical_name: str, attributes: dict[str, str]) -> str:
        url: str = self.client("sqs").create_queue(QueueName=physical_name, Attributes=attributes)["QueueUrl"]
        return url

    def _queues(self) -> None:
        for queue in self.topology.queues:
            retention = str(min(queue.retention_days * 86400, 1209600))
            dlq = self.physical(queue.dlq)
            self.queue_urls[queue.dlq] = self._create_queue(dlq, {"MessageRetentionPeriod": "1209600"})
            redrive = {"deadLetterTargetArn": self.queue_arn(dlq), "maxReceiveCount": queue.max_receives}
            self.queue_urls[queue.name] = self._create_queue(
                self.physical(queue.name),
                {
                    "VisibilityTimeout": str(queue.visibility_timeout),
                    "MessageRetentionPeriod": retention,
                    "RedrivePolicy": json.dumps(redrive),
                },
            )
        for fn in self.topology.stream_functions():
            assert fn.stream_dlq is not None  # the on-failure destination of its stream trigger
            self.queue_urls[fn.stream_dlq] = self._create_queue(
                self.physical(fn.stream_dlq), {"MessageRetentionPeriod": "1209600"}
            )

    def _bus(self) -> None:
        events = self.client("events")
        arn = events.create_event_bus(Name=self.bus_name)["EventBusArn"]
        events.create_archive(
            ArchiveName=self.physical(f"{self.topology.bus}-archive")[:48],
            EventSourceArn=arn,
            RetentionDays=7,
        )

    def _user_pools(self) -> None:
        idp = self.client("cognito-idp")
        for pool in self.topology.user_pools:
            pool_id = idp.create_user_pool(
                PoolName=self.physical(pool.name),
                Policies={
                    "PasswordPolicy": {
                        "MinimumLength": 8,
                        "RequireUppercase": True,
                        "RequireLowercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": False,
                    }
                },
                AutoVerifiedAttributes=["email"],
                Schema=[{"Name": "email", "AttributeDataType": "String", "Mutable": True, "Required": False}],
                AdminCreateUserConfig={"AllowAdminCreateUserOnly": not pool.self_sign_up},
            )["UserPool"]["Id"]
            client_id = idp.create_user_pool_client(
                UserPoolId=pool_id,
                ClientName=self.physical(f"{pool.name}-app"),
                GenerateSecret=False,
                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
                # Cognito puts every readable standard attribute in ID tokens when a client names
                # none (the CDK's clients name none); moto puts only those named.
                ReadAttributes=["email", "email_verified", "name"],
            )["UserPoolClient"]["ClientId"]
            for group in pool.groups:
                idp.create_group(GroupName=str(group), UserPoolId=pool_id)
            if not pool.self_sign_up:  # the staff pool requires TOTP MFA, as infra/constructs/auth.py
                idp.set_user_pool_mfa_config(
                    UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
                )
            self.pools[pool.name] = pool_id
            self.clients[pool.name] = client_id
            self.authorizer.add_pool(
                pool.name,
                PoolKeys(
                    pool_id=pool_id,
                    issuer=f"https://cognito-idp.{self.region}.amazonaws.com/{pool_id}",
                    client_ids=frozenset({client_id}),
                    jwks_url=f"{self.moto_url}/{pool_id}/.well-known/jwks.json",
                ),
            )

    def _secrets(self) -> None:
        sm = self.client("secretsmanager")
        self.signing_keys = {partner: secrets.token_hex(32) for partner in ("payments", "warehouse", "carrier")}
        for secret in self.topology.secrets:
            value = {"key": secrets.token_hex(32)}
            if secret.name == "webhook-signing-keys":
                value = dict(self.signing_keys)  # one HMAC key per partner
            elif secret.name == "platform-signing-keys":
                value = {"quotes": secrets.token_hex(32)}  # the platform's own HMAC keys, by purpose
            sm.create_secret(
                Name=self.physical(secret.name), Description=secret.description, SecretString=json.dumps(value)
            )

    def _simulators(self) -> None:
        """Partner systems the topology declares endpoints for, run locally (port 0: a free one)."""
        for endpoint in self.topology.endpoints:
            if endpoint.name == "payment-gateway":
                self.bank = Bank(bytes.fromhex(self.signing_keys["payments"]), delay=self.bank_delay, host=self.host)
                self.bank.start()
                self.endpoint_urls[endpoint.name] = self.bank.url
            elif endpoint.name == "warehouse-system":  # the carrier takes parcels from the warehouse
                auto, step_delay = self.fulfilment_auto, self.fulfilment_step_delay
                self.carrier = Carrier(bytes.fromhex(self.signing_keys["carrier"]), auto=auto, step_delay=step_delay)
                self.warehouse = Warehouse(
                    bytes.fromhex(self.signing_keys["warehouse"]),
                    carrier=self.carrier,
                    auto=auto,
                    step_delay=step_delay,
                    host=self.host,
                )
                self.warehouse.start()
                self.endpoint_urls[endpoint.name] = self.warehouse.url
            else:
                raise ValueError(f"no local simulator for endpoint {endpoint.name!r}")

    def _handler_path(self, fn: Function) -> str:
        override = self.handler_modules.get(fn.name)
        if override is None:
            return fn.handler
        try:
            is_module = importlib.util.find_spec(override) is not None
        except (ModuleNotFoundError, ValueError):
            is_module = False
        return f"{override}.handler" if is_module else override

    def _functions(self) -> None:
        lam = self.client("lambda")
        role = f"arn:aws:iam::{ACCOUNT}:role/{LAMBDA_ROLE}"
        union: dict[str, str] = {}
        for fn in self.topology.functions:
            env = function_env(self.topology, fn, self.resolve)
            for key, value in env.items():
                if key in PER_FUNCTION_ENV:
                    continue
                if union.setdefault(key, value) != value:
                    raise ValueError(f"functions disagree on {key}: {union[key]!r} vs {value!r}")
            lam.create_function(
                FunctionName=self.physical(fn.name),
                Runtime=RUNTIME,
                Role=role,
                Handler=fn.handler,
                Code={"ZipFile": _dummy_zip()},
                Description=fn.description[:256],
                Timeout=fn.timeout,
                MemorySize=fn.memory,
                Environment={"Variables": env},
                Architectures=["arm64"],
            )
            self.dispatcher.register(
                Deployed(
                    fn,
                    self.physical(fn.name),
                    self.function_arn(fn.name),
                    self._handler_path(fn),
                    init_env={key: env[key] for key in INIT_ENV if key in env},
                )
            )
        self.environment = union
        self._set_env(union)

    def _state_machines(self) -> None:
        sfn = self.client("stepfunctions")
        for machine in self.topology.state_machines:
            if not machine.path.is_file():
                log.warning("state machine %s: %s does not exist yet; skipped", machine.name, machine.path)
                continue
            values: dict[str, str] = {}
            for key, target in machine.substitutions:
                kind, _, name = target.partition(":")
                values[key] = self.resolve(kind, name or self.topology.bus)

            def substitute(match: re.Match[str], values: dict[str, str] = values, m: Any = machine) -> str:
                if match.group(1) not in values:
                    raise KeyError(f"{m.asl}: no substitution for ${{{match.group(1)}}}")
                return values[match.group(1)]

            definition = PLACEHOLDER.sub(substitute, machine.path.read_text())
            json.loads(definition)
            sfn.create_state_machine(
                name=self.physical(machine.name),
                definition=definition,
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/{SFN_ROLE}",
                type="STANDARD",
            )

    def _rules(self) -> None:
        events = self.client("events")
        by_rule: dict[str, list[Function]] = {}
        for fn in self.topology.functions:
            for rule_name in fn.rules:
                self.topology.rule(rule_name)  # must be declared
                by_rule.setdefault(rule_name, []).append(fn)
        for rule in self.topology.rules:
            name = self.physical(rule.name)
            events.put_rule(Name=name, EventBusName=self.bus_name, EventPattern=json.dumps(rule.pattern))
            targets: list[dict[str, str]] = []
            if rule.queue:
                targets.append({"Id": "queue", "Arn": self.queue_arn(self.physical(rule.queue))})
            for fn in by_rule.get(rule.name, []):
                hidden = self.physical(f"{EB_QUEUE_MARK}{fn.name}")[:80]
                if hidden not in self._hidden_queues:
                    url = self._create_queue(hidden, {"VisibilityTimeout": str(max(fn.timeout, 1))})
                    self._hidden_queues.add(hidden)
                    self.pollers.append(
                        SqsPoller(
                            self.client("sqs"),
                            self.dispatcher,
                            queue_url=url,
                            queue_arn=self.queue_arn(hidden),
                            function=self.physical(fn.name),
                            region=self.region,
                            eventbridge=True,
                            account=ACCOUNT,
                        )
                    )
                targets.append({"Id": f"fn-{fn.name}"[:64], "Arn": self.queue_arn(hidden)})
            if targets:
                events.put_targets(Rule=name, EventBusName=self.bus_name, Targets=targets)
        for fn in self.topology.functions:
            if fn.schedule is None:
                continue
            rate = fn.schedule.rate_minutes
            expression = f"rate({rate} minute{'s' if rate != 1 else ''})"
            arn = events.put_rule(Name=self.physical(f"{fn.name}-schedule"), ScheduleExpression=expression)["RuleArn"]
            self.schedules[self.physical(fn.name)] = arn

    # ---- serving ----------------------------------------------------------------------------------
    def _serve(self) -> None:
        sqs = self.client("sqs")
        for fn in self.topology.functions:
            if fn.sqs is None:
                continue
            queue = self.topology.queue(fn.sqs.queue)
            self.pollers.append(
                SqsPoller(
                    sqs,
                    self.dispatcher,
                    queue_url=self.queue_urls[queue.name],
                    queue_arn=self.queue_arn(self.physical(queue.name)),
                    function=self.physical(fn.name),
                    region=self.region,
                    batch_size=fn.sqs.batch_size,
                    max_batching_window=fn.sqs.max_batching_window,
                    partial_failures=fn.sqs.partial_failures,
                )
            )
        for fn in self.topology.stream_functions():
            assert fn.stream is not None and fn.stream_dlq is not None
            table = self.physical(fn.stream.table)
            stream_arn = self.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
            self.stream_pollers.append(
                StreamPoller(
                    self.client("dynamodbstreams"),
                    sqs,
                    self.dispatcher,
                    stream_arn=stream_arn,
                    table=table,
                    function=self.physical(fn.name),
                    function_arn=self.function_arn(fn.name),
                    region=self.region,
                    dlq_url=self.queue_urls[fn.stream_dlq],
                    batch_size=fn.stream.batch_size,
                    starting_position=fn.stream.starting_position,
                    max_retries=fn.stream.max_retries,
                    bisect_on_error=fn.stream.bisect_on_error,
                    partial_failures=fn.stream.partial_failures,
                    accepts=fn.stream.accepts,
                )
            )
        for poller in self.pollers:
            poller.start()
        for stream_poller in self.stream_pollers:
            stream_poller.start()
        self.scheduler = Scheduler(self.run_schedule)
        for fn in self.topology.functions:
            if fn.schedule is not None:
                self.scheduler.add(self.physical(fn.name), fn.schedule.rate_minutes)
        self.scheduler.start()
        self.gateway = Gateway(
            self.dispatcher,
            self.authorizer,
            stage=self.stage,
            cors_origins=self.topology.cors_origins,
            admin_dist=ROOT / "admin" / "dist",
            admin_config=self.admin_config,
            host=self.host,
            port=self._api_port,
            local_routes={"/_local/emails": lambda query: self.emails(to=query.get("to"))},
            concurrency=self.api_concurrency,
        )
        for route, fn in self.topology.routes():
            if route.auth in (AuthKind.CUSTOMER, AuthKind.STAFF):
                pool = "customers" if route.auth is AuthKind.CUSTOMER else "staff"
                self.topology.user_pool(pool)  # the authoriser's pool must be declared
            self.gateway.add_route(route, self.physical(fn.name))
        self.gateway.start()
        if self.bank is not None:
            self.bank.webhook_url = f"{self.api_url}/webhooks/payments"
        if self.warehouse is not None and self.carrier is not None:
            self.warehouse.webhook_url = f"{self.api_url}/webhooks/warehouse"
            self.carrier.webhook_url = f"{self.api_url}/webhooks/carrier"

    def admin_config(self) -> dict[str, Any]:
        """The SPA's config.json: the same shape the CDK stack deploys (infra/admin_config.py)."""
        return admin_config(
            api_url=self.api_url,
            region=self.region,
            staff_pool_id=self.pools.get("staff", ""),
            staff_client_id=self.clients.get("staff", ""),
        )

    # ---- users ------------------------------------------------------------------------------------
    def create_user(
        self, pool_name: str, username: str, password: str | None = None, groups: tuple[str, ...] = ()
    ) -> tuple[str, str]:
        """A confirmed user with a permanent password (generated when not given)."""
        idp = self.client("cognito-idp")
        password = password or f"Local-{secrets.token_hex(4)}-Pw1"
        pool_id = self.pools[pool_name]
        attributes = [{"Name": "email", "Value": username}] if "@" in username else []
        attributes += [{"Name": "email_verified", "Value": "true"}] if attributes else []
        idp.admin_create_user(
            UserPoolId=pool_id, Username=username, UserAttributes=attributes, MessageAction="SUPPRESS"
        )
        idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
        for group in groups:
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        return username, password

    def sign_in(self, pool_name: str, username: str, password: str) -> str:
        """The ID token for this user: what API Gateway's Cognito authoriser accepts."""
        result = self.client("cognito-idp").initiate_auth(
            ClientId=self.clients[pool_name],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        token: str = result["AuthenticationResult"]["IdToken"]
        return token

    def _seed(self) -> None:
        for pool in self.topology.user_pools:
            if pool.groups:
                for group in pool.groups:
                    self.staff_credentials[str(group)] = self.create_user(
                        pool.name, f"{group}@{pool.name}.local", groups=(str(group),)
                    )
            elif pool.self_sign_up and self.customer_credentials is None:
                self.customer_credentials = self.create_user(pool.name, "customer@example.com")
        if importlib.util.find_spec("local.seed") is not None:
            importlib.import_module("local.seed").seed_demo(self)

    # ---- operating --------------------------------------------------------------------------------
    def invoke(self, function: str, event: Any) -> Invocation:
        """Invoke a function in-process (logical or physical name)."""
        name = function if self.dispatcher.deployed(function) else self.physical(function)
        return self.dispatcher.invoke(name, event)

    def run_schedule(self, function: str) -> Invocation:
        """Fire a function's schedule now, as EventBridge Scheduler would."""
        name = function if function in self.schedules else self.physical(function)
        if name not in self.schedules:
            raise KeyError(f"{function} has no schedule")
        return self.dispatcher.invoke(name, scheduled_event(self.schedules[name], ACCOUNT, self.region))

    def emails(self, to: str | None = None) -> list[dict[str, Any]]:
        """The emails sent since start, newest first (``to``: only to this address); local/outbox.py."""
        return self.outbox.emails(to)

    def wait_for_idle(self, timeout: float = 30, include_invisible: bool = True) -> bool:
        """Wait until every polled queue is empty, every stream poller has caught up with its stream
        and no batch is being handled; False on timeout."""
        sqs = self.client("sqs")
        attributes = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        deadline = time.monotonic() + timeout
        quiet = 0
        checked = time.monotonic()
        while time.monotonic() < deadline:
            # A stream poller is caught up when a pass over its stream that began after the previous
            # check found nothing: anything written before that check (by a handler that had finished
            # by then) has been read and handled.
            busy = any(p.in_flight or p.caught_up_at <= checked for p in self.stream_pollers)
            busy = busy or any(p.in_flight for p in self.pollers)
            for poller in self.pollers:
                if busy:
                    break
                got = sqs.get_queue_attributes(QueueUrl=poller.queue_url, AttributeNames=attributes)
                counts = got["Attributes"]
                busy = int(counts["ApproximateNumberOfMessages"]) > 0 or (
                    include_invisible and int(counts["ApproximateNumberOfMessagesNotVisible"]) > 0
                )
            checked = time.monotonic()
            quiet = 0 if busy else quiet + 1
            if quiet >= 2:
                return True
            time.sleep(0.1)
        return False

    def inventory(self) -> dict[str, set[Any]]:
        """What was actually created in moto and the gateway (only this stage's resources)."""
        prefix = self.physical("")
        mine = lambda names: {n for n in names if n.startswith(prefix)}  # noqa: E731
        lam, ddb, sqs, events = (self.client(s) for s in ("lambda", "dynamodb", "sqs", "events"))
        functions = mine(
            f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]
        )
        tables = mine(n for page in ddb.get_paginator("list_tables").paginate() for n in page["TableNames"])
        queue_urls = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=1000).get("QueueUrls", [])
        queues = mine(url.rsplit("/", 1)[-1] for url in queue_urls) - self._hidden_queues
        rules = mine(r["Name"] for r in events.list_rules(EventBusName=self.bus_name)["Rules"])
        schedule_rules = {r["Name"]: r.get("ScheduleExpression") for r in events.list_rules(NamePrefix=prefix)["Rules"]}
        machines = mine(m["name"] for m in self.client("stepfunctions").list_state_machines()["stateMachines"])
        pools = mine(p["Name"] for p in self.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"])
        secret_names = mine(s["Name"] for s in self.client("secretsmanager").list_secrets()["SecretList"])
        identities = set(self.client("ses").list_identities()["Identities"])
        return {
            "functions": functions,
            "routes": {(r.method, r.template) for r in (self.gateway.routes if self.gateway else [])},
            "tables": tables,
            "queues": queues,
            "rules": rules,
            "state_machines": machines,
            "event_source_mappings": {
                (p.queue_url.rsplit("/", 1)[-1], p.function) for p in self.pollers if not p.eventbridge
            },
            "schedules": {
                (fn, schedule_rules.get(arn.rsplit("/", 1)[-1]))
                for fn, arn in self.schedules.items()
                if arn.rsplit("/", 1)[-1] in schedule_rules
            },
            "rule_functions": {(p.queue_url.rsplit("/", 1)[-1], p.function) for p in self.pollers if p.eventbridge},
            # (table, function, on-failure queue), the table read back from the stream ARN
            "stream_mappings": {
                (
                    self.client("dynamodbstreams").describe_stream(StreamArn=p.stream_arn)["StreamDescription"][
                        "TableName"
                    ],
                    p.function,
                    p.dlq_url.rsplit("/", 1)[-1],
                )
                for p in self.stream_pollers
            },
            "secrets": secret_names,
            "user_pools": pools,
            "email_identities": identities,
            "buses": {self.bus_name} & {b["Name"] for b in events.list_event_buses()["EventBuses"]},
        }

    def banner(self) -> str:
        lines = [
            "Local cloud is up.",
            f"  API:        {self.api_url}",
            f"  API docs:   {self.api_url}/docs  (Swagger UI; OpenAPI at {self.api_url}/openapi.json)",
            f"  Admin SPA:  {self.admin_url}",
            f"  Emails:     {self.api_url}/_local/emails  (and {self.outbox.directory}/*.eml)",
            f"  AWS (moto): {self.moto_url}   e.g. aws --endpoint-url {self.moto_url} dynamodb list-tables",
            f"  Region:     {self.region}  (credentials: testing/testing)",
            f"  Staff pool: {self.pools.get('staff')}  client {self.clients.get('staff')}",
            f"  Customers:  {self.pools.get('customers')}  client {self.clients.get('customers')}",
        ]
        if self.staff_credentials:
            lines.append("  Staff users (username / password):")
            lines += [f"    {group:<18} {user} / {pw}" for group, (user, pw) in self.staff_credentials.items()]
        if self.customer_credentials:
            lines.append(f"  Demo customer: {self.customer_credentials[0]} / {self.customer_credentials[1]}")
        lines.append("Press Ctrl-C to stop.")
        return "\n".join(lines)


def _check_port_free(host: str, port: int, what: str) -> None:
    """Fail fast: ThreadedMotoServer would wait forever if its port were taken."""
    if port == 0:
        return
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is fine
        try:
            sock.bind((host, port))
        except OSError as error:
            raise OSError(f"cannot serve {what} on {host}:{port}: {error.strerror}") from error


def cold_containers() -> None:
    """Forget what warm containers keep between invocations: the cached services of
    ``commerce.wiring`` and the cached boto3 clients. A process may start several local clouds
    (tests do, with other stages and ports); each must see its own tables and endpoint, as fresh
    containers would."""
    for name, module in list(sys.modules.items()):
        if name == "commerce.adapters.aws" or name.startswith("commerce.wiring."):
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def _key_schema(pk: str, sk: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk, "KeyType": "HASH"}]
    if sk:
        schema.append({"AttributeName": sk, "KeyType": "RANGE"})
    return schema


def _dummy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Runs in-process in the local cloud; see docs/local-cloud.md\n")
    return buffer.getvalue()
