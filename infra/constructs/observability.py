"""Alarms (each DLQ not empty, API 5xx, state machine failures) to one SNS topic, and a dashboard."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.model import Topology

PERIOD = Duration.minutes(5)


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        stage: str,
        api: apigw.RestApi,
        functions: dict[str, lambda_.Function],
        dlqs: dict[str, sqs.Queue],
        machines: dict[str, sfn.StateMachine],
    ) -> None:
        super().__init__(scope, id)
        self.topic = sns.Topic(self, "Alarms", topic_name=topology.physical(stage, "alarms"), enforce_ssl=True)
        acknowledge(
            self.topic,
            "AwsSolutions-SNS2",
            "CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key; the "
            "messages carry alarm metadata only, no customer data.",
        )
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(name: str, metric: cloudwatch.IMetric, description: str) -> None:
            created = cloudwatch.Alarm(
                self,
                name,
                alarm_name=topology.physical(stage, name),
                alarm_description=description,
                metric=metric,
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(actions.SnsAction(self.topic))
            self.alarms.append(created)

        for queue, dlq in dlqs.items():
            alarm(
                f"{queue}-dlq-not-empty",
                dlq.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                f"Messages from {queue} were dead-lettered: inspect and redrive.",
            )
        alarm("api-5xx", api.metric_server_error(period=PERIOD, statistic="Sum"), "The API returned 5xx errors.")
        for name, machine in machines.items():
            alarm(
                f"{name}-failed",
                machine.metric_failed(period=PERIOD, statistic="Sum"),
                f"{name} executions failed.",
            )

        def fn_metrics(metric: str) -> list[cloudwatch.IMetric]:
            return [f.metric(metric, period=PERIOD, statistic="Sum", label=n) for n, f in functions.items()]

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=topology.physical(stage, "operations"))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[api.metric_count(period=PERIOD)],
                right=[api.metric_client_error(period=PERIOD), api.metric_server_error(period=PERIOD)],
            ),
            cloudwatch.GraphWidget(title="API latency p99", left=[api.metric_latency(period=PERIOD, statistic="p99")]),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Function errors", left=fn_metrics("Errors"), width=12),
            cloudwatch.GraphWidget(title="Function throttles", left=fn_metrics("Throttles"), width=12),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Dead-letter queues",
                left=[q.metric_approximate_number_of_messages_visible(period=PERIOD, label=n) for n, q in dlqs.items()],
            ),
            cloudwatch.GraphWidget(
                title="Workflows",
                left=[m.metric_started(period=PERIOD, label=f"{n} started") for n, m in machines.items()],
                right=[m.metric_failed(period=PERIOD, label=f"{n} failed") for n, m in machines.items()],
            ),
        )
