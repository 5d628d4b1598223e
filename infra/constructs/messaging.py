"""The event bus (with an archive), SQS queues (each with a DLQ), the bus rules that feed them, and the
on-failure queue of each DynamoDB stream trigger (``<function>-stream-dlq``)."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.model import Queue, Topology

DLQ_RETENTION = Duration.days(14)


class Messaging(Construct):
    def __init__(self, scope: Construct, id: str, *, topology: Topology, stage: str) -> None:
        super().__init__(scope, id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=topology.physical(stage, topology.bus))
        self.archive = self.bus.archive(
            "Archive",
            archive_name=topology.physical(stage, f"{topology.bus}-archive"),
            description="Every event on the platform bus, for replay",
            event_pattern=events.EventPattern(account=[Stack.of(self).account]),
            retention=Duration.days(365),
        )
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for queue in topology.queues:
            self._queue(queue, topology, stage)
        # function name -> the on-failure destination of its stream trigger; also in ``dlqs`` (keyed
        # "<function>-stream", so its alarm is "<function>-stream-dlq-not-empty").
        self.stream_dlqs: dict[str, sqs.Queue] = {}
        for fn in topology.stream_functions():
            assert fn.stream_dlq is not None
            dlq = sqs.Queue(
                self,
                f"Queue-{fn.stream_dlq}",
                queue_name=topology.physical(stage, fn.stream_dlq),
                retention_period=DLQ_RETENTION,
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
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
        dlq = sqs.Queue(
            self,
            f"Queue-{spec.dlq}",
            queue_name=topology.physical(stage, spec.dlq),
            retention_period=DLQ_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        self.dlqs[spec.name] = dlq
        self.queues[spec.name] = sqs.Queue(
            self,
            f"Queue-{spec.name}",
            queue_name=topology.physical(stage, spec.name),
            visibility_timeout=Duration.seconds(spec.visibility_timeout),
            retention_period=Duration.days(spec.retention_days),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=spec.max_receives, queue=dlq),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
