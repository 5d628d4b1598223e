"""The event bus (with an archive), SQS queues (each with a DLQ), the bus rules that feed them, and the
on-failure queue of each DynamoDB stream trigger (``<function>-stream-dlq``); all of them encrypted with
the platform key (``encryption.py``)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.model import Queue, Topology

DLQ_RETENTION = Duration.days(14)


class Messaging(Construct):
    def __init__(self, scope: Construct, id: str, *, topology: Topology, stage: str, key: kms.IKey) -> None:
        super().__init__(scope, id)
        self._key = key
        # kms_key: CDK adds the key policy statement for events.amazonaws.com (conditioned on this bus).
        bus_name = topology.physical(stage, topology.bus)
        self.bus = events.EventBus(self, "Bus", event_bus_name=bus_name, kms_key=key)
        # The archive's key policy statement names the bus ARN: built from the bus's name, not its
        # GetAtt, or the key and the bus would depend on each other (the bus is encrypted with the key).
        bus_arn = Stack.of(self).format_arn(service="events", resource="event-bus", resource_name=bus_name)
        self.archive = events.Archive(
            self.bus,  # the construct path EventBus.archive() would give it
            "Archive",
            source_event_bus=events.EventBus.from_event_bus_arn(self, "BusByName", bus_arn),
            archive_name=topology.physical(stage, f"{topology.bus}-archive"),
            description="Every event on the platform bus, for replay",
            event_pattern=events.EventPattern(account=[Stack.of(self).account]),
            retention=Duration.days(365),
            kms_key=key,
        )
        cfn_archive = self.archive.node.default_child
        assert isinstance(cfn_archive, events.CfnArchive)
        cfn_archive.source_arn = self.bus.event_bus_arn  # the real reference: created after the bus
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for queue in topology.queues:
            self._queue(queue, topology, stage)
        # function name -> the on-failure destination of its stream trigger; also in ``dlqs`` (keyed
        # "<function>-stream", so its alarm is "<function>-stream-dlq-not-empty").
        self.stream_dlqs: dict[str, sqs.Queue] = {}
        for fn in topology.stream_functions():
            assert fn.stream_dlq is not None
            dlq = self._new(topology.physical(stage, fn.stream_dlq), fn.stream_dlq, retention_period=DLQ_RETENTION)
            acknowledge(
                dlq,
                "AwsSolutions-SQS3",
                "This queue is itself a dead-letter destination: the on-failure destination of a DynamoDB "
                "stream event source mapping (cdk-nag only recognises queues named in a RedrivePolicy).",
            )
            self.stream_dlqs[fn.name] = dlq
            self.dlqs[f"{fn.name}-stream"] = dlq
        self.rules: dict[str, events.Rule] = {}
        for rule in topology.rules:
            self.rules[rule.name] = events.Rule(
                self,
                f"Rule-{rule.name}",
                rule_name=topology.physical(stage, rule.name),
                event_bus=self.bus,
                # Rule.pattern is the one source of the pattern; its keys are EventBridge's.
                event_pattern=events.EventPattern(
                    **{key.replace("-", "_"): value for key, value in rule.pattern.items()}
                ),
            )
            if rule.queue:
                self.rules[rule.name].add_target(targets.SqsQueue(self.queues[rule.queue]))

    def _queue(self, spec: Queue, topology: Topology, stage: str) -> None:
        dlq = self._new(topology.physical(stage, spec.dlq), spec.dlq, retention_period=DLQ_RETENTION)
        self.dlqs[spec.name] = dlq
        self.queues[spec.name] = self._new(
            topology.physical(stage, spec.name),
            spec.name,
            visibility_timeout=Duration.seconds(spec.visibility_timeout),
            retention_period=Duration.days(spec.retention_days),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=spec.max_receives, queue=dlq),
        )

    def _new(self, physical_name: str, name: str, **props: Any) -> sqs.Queue:
        """Every queue and DLQ: encrypted with the platform key, TLS-only."""
        return sqs.Queue(
            self,
            f"Queue-{name}",
            queue_name=physical_name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self._key,
            enforce_ssl=True,
            **props,
        )
