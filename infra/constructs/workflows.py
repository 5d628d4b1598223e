"""Step Functions STANDARD state machines from the ASL files in statemachines/.

``DefinitionBody.from_file`` gives CDK no view of what the definition calls, so IAM is granted here
explicitly from each substitution's kind ("function:<name>", "bus", "table:<name>", "queue:<name>").
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.constructs.wildcards import acknowledge_wildcard_actions
from infra.model import StateMachine, Topology


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        stage: str,
        asl_dir: Path,
        functions: dict[str, lambda_.Function],
        bus: events.EventBus,
        tables: dict[str, dynamodb.Table],
        queues: dict[str, sqs.Queue],
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, id)
        self._functions, self._bus, self._tables, self._queues = functions, bus, tables, queues
        self._key = key
        self.machines: dict[str, sfn.StateMachine] = {
            spec.name: self._machine(spec, topology.physical(stage, spec.name), asl_dir)
            for spec in topology.state_machines
        }

    def _machine(self, spec: StateMachine, physical_name: str, asl_dir: Path) -> sfn.StateMachine:
        log_group = logs.LogGroup(
            self,
            f"{spec.name}-logs",
            log_group_name=f"/aws/vendedlogs/states/{physical_name}",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=self._key,
        )
        substitutions: dict[str, str] = {}
        grants: list[tuple[str, str]] = []
        for placeholder, target in spec.substitutions:
            kind, _, name = target.partition(":")
            substitutions[placeholder] = self._value(kind, name)
            grants.append((kind, name))
        machine = sfn.StateMachine(
            self,
            spec.name,
            state_machine_name=physical_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(str(asl_dir / spec.asl)),
            definition_substitutions=substitutions,
            tracing_enabled=True,
            # every state's event, without its input and output: those carry addresses and emails
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        for kind, name in grants:
            self._grant(machine, kind, name)
        policy = machine.role.node.try_find_child("DefaultPolicy")
        stack = Stack.of(self)
        acknowledge(
            policy or machine.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Log delivery (logs:CreateLogDelivery etc.) and X-Ray tracing actions support no "
            "resource-level permissions; CDK adds them for logging and tracing.",
            *(
                f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(self._functions[name].node.default_child)}.Arn>:*]"  # type: ignore[arg-type]
                for kind, name in grants
                if kind == "function"
            ),
        )
        if any(kind in ("table", "queue") for kind, _name in grants):  # encrypted with the platform key
            acknowledge_wildcard_actions(policy or machine.role, "kms:GenerateDataKey*", "kms:ReEncrypt*")
        return machine

    def _value(self, kind: str, name: str) -> str:
        match kind:
            case "function":
                return self._functions[name].function_arn
            case "bus":
                return self._bus.event_bus_name
            case "table":
                return self._tables[name].table_name
            case "queue":
                return self._queues[name].queue_url
        raise ValueError(f"unknown substitution kind {kind!r}")

    def _grant(self, machine: sfn.StateMachine, kind: str, name: str) -> None:
        match kind:
            case "function":
                self._functions[name].grant_invoke(machine)
            case "bus":
                self._bus.grant_put_events_to(machine)
            case "table":
                self._tables[name].grant_read_write_data(machine)
            case "queue":
                self._queues[name].grant_send_messages(machine)
