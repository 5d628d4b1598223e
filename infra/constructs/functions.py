"""Every Lambda function of the topology, built by ONE factory, with least-privilege grants derived from
what each function declares (tables, publishes, sends_to, starts, secrets, sends_email) and its
non-HTTP triggers (SQS, DynamoDB streams, bus rules, schedules). HTTP routes are wired by ``api.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.constructs.wildcards import acknowledge_wildcard_actions
from infra.layer import BOOKKEEPING, Bundle
from infra.model import AUDIT_TABLE, Access, Function, StreamTrigger, Topology, function_env

# What managing users of a pool takes (staff invitations and groups, disabling customers)
COGNITO_ADMIN_ACTIONS = (
    "cognito-idp:ListUsers",
    "cognito-idp:ListUsersInGroup",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminDeleteUser",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminEnableUser",
    "cognito-idp:AdminUserGlobalSignOut",
)
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64


@dataclass(frozen=True)
class Dependencies:
    """The already-built resources functions are wired to."""

    tables: dict[str, dynamodb.Table]
    bus: events.EventBus
    queues: dict[str, sqs.Queue]
    rules: dict[str, events.Rule]
    secrets: dict[str, secretsmanager.Secret]
    pools: dict[str, cognito.UserPool]
    clients: dict[str, cognito.UserPoolClient]
    email: ses.EmailIdentity
    stream_dlqs: dict[str, sqs.Queue]  # function name -> on-failure queue of its stream trigger
    dlqs: dict[str, sqs.Queue]  # queue name -> its DLQ
    key: kms.IKey  # the platform key: the function's log group is encrypted with it


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        stage: str,
        deps: Dependencies,
        layer_bundle: Bundle,
        code_bundle: Bundle,
    ) -> None:
        super().__init__(scope, id)
        self._topology = topology
        self._stage = stage
        self._deps = deps
        self.layer = lambda_.LayerVersion(
            self,
            "SharedLayer",
            layer_version_name=topology.physical(stage, "shared"),
            description="Domain package (commerce) and runtime dependencies from pyproject.toml",
            code=lambda_.Code.from_asset(str(layer_bundle.path), asset_hash=layer_bundle.hash),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )
        self._code = lambda_.Code.from_asset(str(code_bundle.path), asset_hash=code_bundle.hash, exclude=BOOKKEEPING)
        # State machines are referenced by their deterministic physical name, not by a construct
        # reference: a machine's definition names function ARNs, so a function that starts the machine
        # it is a task of would otherwise form a dependency cycle.
        self.machines: dict[str, sfn.IStateMachine] = {
            m.name: sfn.StateMachine.from_state_machine_name(
                self, f"Machine-{m.name}", topology.physical(stage, m.name)
            )
            for m in topology.state_machines
        }
        self.functions: dict[str, lambda_.Function] = {fn.name: self._function(fn) for fn in topology.functions}

    def _resolve(self, kind: str, name: str) -> str:
        deps = self._deps
        match kind:
            case "bus":
                return deps.bus.event_bus_name
            case "table":
                return deps.tables[name].table_name
            case "queue":
                return deps.queues[name].queue_url
            case "state_machine":
                return self.machines[name].state_machine_arn
            case "secret":  # its deterministic physical name (secret_name would parse the ARN at deploy time)
                deps.secrets[name]  # declared and built
                return self._topology.physical(self._stage, name)
            case "user_pool":
                return deps.pools[name].user_pool_id
            case "user_pool_client":
                return deps.clients[name].user_pool_client_id
            case "endpoint":
                endpoint = self._topology.endpoint(name)
                url = self.node.try_get_context(endpoint.context_key)
                if not url:
                    raise ValueError(f"endpoint {name}: set the {endpoint.context_key!r} context (cdk.json)")
                return str(url)
        raise ValueError(f"unknown resource kind {kind!r}")

    def _function(self, spec: Function) -> lambda_.Function:
        """The one function factory."""
        topology, deps = self._topology, self._deps
        physical_name = topology.physical(self._stage, spec.name)
        log_group = logs.LogGroup(
            self,
            f"{spec.name}-logs",
            log_group_name=f"/aws/lambda/{physical_name}",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=deps.key,
        )
        fn = lambda_.Function(
            self,
            spec.name,
            function_name=physical_name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=self._code,
            layers=[self.layer],
            memory_size=spec.memory,
            timeout=Duration.seconds(spec.timeout),
            environment=function_env(topology, spec, self._resolve),
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=log_group,
        )
        # ---- least privilege, from the declaration ------------------------------------------------
        for table_name, access in spec.tables:
            table = deps.tables[table_name]
            if access is Access.WRITE:
                table.grant_read_write_data(fn)
            else:
                table.grant_read_data(fn)
        if spec.audits:  # append-only: it may write audit entries, never read or change them
            fn.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:BatchWriteItem", "dynamodb:PutItem"],
                    resources=[deps.tables[AUDIT_TABLE].table_arn],  # the table only, not its indexes
                )
            )
            audit_key = deps.tables[AUDIT_TABLE].encryption_key
            assert audit_key is not None  # the platform key; what grant_read_write_data would grant on it
            audit_key.grant(
                fn, "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"
            )
        if spec.publishes:
            deps.bus.grant_put_events_to(fn)
        for queue in spec.sends_to:
            deps.queues[queue].grant_send_messages(fn)
        for queue in spec.redrives:
            deps.queues[queue].grant_send_messages(fn)
            deps.dlqs[queue].grant_consume_messages(fn)
        for machine in spec.starts:
            self.machines[machine].grant_start_execution(fn)
            # Status polling and finding an order's execution; not grant_read, which adds Describe/List
            # actions on "*" that the adapter (commerce.adapters.workflows) never calls.
            self.machines[machine].grant(fn, "states:ListExecutions")
            self.machines[machine].grant_execution(fn, "states:DescribeExecution")
        for secret in spec.secrets:
            deps.secrets[secret].grant_read(fn)
        if spec.sends_email:
            deps.email.grant_send_email(fn)
        for pool in spec.administers_pools:  # the public APIs (sign-in, sign-up) need no IAM grant
            deps.pools[pool].grant(fn, *COGNITO_ADMIN_ACTIONS)
        for pool in spec.reads_pools:  # who is in a group (and enabled), nothing more
            deps.pools[pool].grant(fn, "cognito-idp:ListUsersInGroup")
        if spec.completes_tasks:
            fn.add_to_role_policy(
                iam.PolicyStatement(actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=["*"])
            )
        # ---- triggers (HTTP is api.py's) ----------------------------------------------------------
        if spec.sqs:
            fn.add_event_source(
                sources.SqsEventSource(
                    deps.queues[spec.sqs.queue],
                    batch_size=spec.sqs.batch_size,
                    max_batching_window=Duration.seconds(spec.sqs.max_batching_window)
                    if spec.sqs.max_batching_window
                    else None,
                    report_batch_item_failures=spec.sqs.partial_failures,
                )
            )
        if spec.stream:
            # Grants the role stream read (DescribeStream/GetRecords/GetShardIterator on the stream
            # ARN, ListStreams) and SendMessage on the on-failure queue.
            fn.add_event_source(
                sources.DynamoEventSource(
                    deps.tables[spec.stream.table],
                    starting_position=lambda_.StartingPosition(spec.stream.starting_position),
                    batch_size=spec.stream.batch_size,
                    bisect_batch_on_error=spec.stream.bisect_on_error,
                    retry_attempts=spec.stream.max_retries,
                    report_batch_item_failures=spec.stream.partial_failures,
                    on_failure=sources.SqsDlq(deps.stream_dlqs[spec.name]),
                    filters=_stream_filters(spec.stream),
                )
            )
        for rule in spec.rules:
            deps.rules[rule].add_target(targets.LambdaFunction(fn))
        if spec.schedule:
            events.Rule(
                self,
                f"{spec.name}-schedule",
                rule_name=topology.physical(self._stage, f"{spec.name}-schedule"),
                schedule=events.Schedule.rate(Duration.minutes(spec.schedule.rate_minutes)),
                targets=[targets.LambdaFunction(fn)],
            )
        self._acknowledge(fn, spec)
        return fn

    def _acknowledge(self, fn: lambda_.Function, spec: Function) -> None:
        acknowledge(
            fn,
            "AwsSolutions-L1",
            f"Pinned to {RUNTIME.name}: the shared layer's compiled wheels (pydantic-core) are built for "
            "exactly this runtime; moving to a newer one is a deliberate, tested upgrade.",
        )
        assert fn.role is not None
        policy = fn.role.node.try_find_child("DefaultPolicy")
        acknowledge(
            fn.role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "The AWS-managed basic execution role only allows writing to the function's own log streams.",
        )
        if policy is None:
            return
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions "
            "(added by tracing=ACTIVE); Step Functions ListStateMachines/ListActivities likewise; "
            "SendTaskSuccess/SendTaskFailure act on task tokens, which are not resources.",
        )
        writes_encrypted = (
            any(access is Access.WRITE for _table, access in spec.tables)
            or spec.audits
            or spec.sends_to
            or spec.redrives
            or spec.stream  # its on-failure queue
        )
        if writes_encrypted:
            acknowledge_wildcard_actions(policy, "kms:GenerateDataKey*", "kms:ReEncrypt*")
        stack = Stack.of(self)
        for table_name, _access in spec.tables:
            if not self._topology.table(table_name).indexes:
                continue  # grants name the index ARNs only when the table has indexes
            table = self._deps.tables[table_name]
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(table.node.default_child)}.Arn>/index/*]",  # type: ignore[arg-type]
                "Grants cover the table's own indexes (table ARN + /index/*), nothing else.",
            )
        for machine in spec.starts:
            physical = self._topology.physical(self._stage, machine)
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:{stack.region}:<AWS::AccountId>:execution:{physical}:*]",
                "Describing executions of the one state machine this function starts (execution ids are "
                "generated per order/import).",
            )


def _stream_filters(trigger: StreamTrigger) -> list[dict[str, Any]] | None:
    """The mapping's FilterCriteria (StreamTrigger.accepts is the same rule, for the local cloud)."""
    if trigger.inserts_with_sk_prefix is None:
        return None
    return [
        lambda_.FilterCriteria.filter(
            {
                "eventName": lambda_.FilterRule.is_equal("INSERT"),
                "dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with(trigger.inserts_with_sk_prefix)}}},
            }
        )
    ]
