"""Renders a small synthetic topology that exercises what the product topology does not use yet
(customer and webhook routes, schedules, rule -> function targets, secrets, email, TTL, queue/table/bus
substitutions, a function that starts the machine it is a task of) and checks those paths, including a
clean cdk-nag run. One extra synth, no layer rebuild."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Validations
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks
from cdksynth import stream_mappings, with_nested_stacks

from infra.model import (
    Access,
    AuthKind,
    EmailIdentity,
    Function,
    Http,
    Queue,
    Rule,
    Schedule,
    Secret,
    SqsTrigger,
    StateMachine,
    StreamTrigger,
    Table,
    Topology,
    UserPool,
    cdk_json_context,
)
from infra.stack import CommerceStack
from local.cloud import LocalCloud

R, W = Access.READ, Access.WRITE

SYNTHETIC = Topology(
    tables=(Table("carts", ttl="expires_at"), Table("orders", stream=True)),
    queues=(Queue("payments", visibility_timeout=30, max_receives=5), Queue("tasks")),
    rules=(
        Rule("order-placed", detail_types=("OrderPlaced",)),
        Rule("payments-in", detail_types=("PaymentAuthorized",), source=("commerce.payments",), queue="payments"),
    ),
    state_machines=(
        StateMachine(
            "order",
            asl="order.asl.json",
            substitutions=(
                ("ReserveArn", "function:orders-reserve"),
                ("Bus", "bus"),
                ("OrdersTable", "table:orders"),
                ("TasksQueue", "queue:tasks"),
            ),
        ),
    ),
    functions=(
        Function(
            "carts",
            "add_item",
            "customer route",
            http=(Http("POST", "/cart/items", AuthKind.CUSTOMER),),
            tables=(("carts", W),),
        ),
        Function(
            "payments",
            "webhook",
            "webhook route",
            http=(Http("POST", "/webhooks/payments", AuthKind.WEBHOOK),),
            secrets=("webhook-keys",),
            sends_to=("payments",),
        ),
        Function(
            "orders",
            "reserve",
            "task of the order machine that also starts/describes it",
            starts=("order",),
            tables=(("orders", W),),
        ),
        Function("notifications", "on_order", "rule target", rules=("order-placed",), sends_email=True),
        Function("reports", "nightly", "scheduled", schedule=Schedule(rate_minutes=60)),
        Function(
            "payments", "settle", "queue consumer", sqs=SqsTrigger("payments", batch_size=5, max_batching_window=2)
        ),
        Function(
            "orders",
            "outbox",
            "stream consumer",
            stream=StreamTrigger("orders", batch_size=50, max_retries=3),
            publishes=True,
        ),
        Function(
            "orders",
            "audit",
            "stream consumer, no bisect, whole-batch answers, latest",
            stream=StreamTrigger(
                "orders", starting_position="LATEST", max_retries=0, bisect_on_error=False, partial_failures=False
            ),
        ),
    ),
    secrets=(Secret("webhook-keys", "test keys"),),
    user_pools=(UserPool("customers", self_sign_up=True), UserPool("staff", groups=("admin",))),
    email=EmailIdentity("shop@example.com"),
)

ASL = {
    "StartAt": "Reserve",
    "States": {
        "Reserve": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${ReserveArn}", "Payload.$": "$"},
            "Next": "Save",
        },
        "Save": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "${OrdersTable}", "Item": {"pk": {"S.$": "$.id"}}},
            "Next": "Wait",
        },
        "Wait": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "${TasksQueue}", "MessageBody": {"token.$": "$$.Task.Token"}},
            "Next": "Announce",
        },
        "Announce": {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {"Entries": [{"EventBusName": "${Bus}", "Source": "x", "DetailType": "y", "Detail": {}}]},
            "End": True,
        },
    },
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("synthetic")
    (tmp / "order.asl.json").write_text(json.dumps(ASL))
    (tmp / "dist").mkdir()
    (tmp / "dist" / "index.html").write_text("<!doctype html><title>admin</title>")
    context = cdk_json_context()
    app = App(context=context, outdir=str(tmp / "cdk.out"))
    CommerceStack(
        app,
        "Synthetic",
        topology=SYNTHETIC,
        stage="t",
        asl_dir=tmp,
        admin_dist=tmp / "dist",
        env=Environment(region=context["region"]),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises if cdk-nag has an unacknowledged finding
    out = Path(tmp / "cdk.out")
    return (
        with_nested_stacks(out, json.loads((out / "Synthetic.template.json").read_text())),
        json.loads((out / "Synthetic.metadata.json").read_text()),
    )


def _lid(metadata: dict[str, Any], path: str) -> str:
    return next(e["data"] for e in metadata[f"/Synthetic/{path}"] if e["type"] == "aws:cdk:logicalId")


def test_customer_and_webhook_authorisation(synthetic: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, metadata = synthetic
    t = Template.from_json(template)
    t.has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {
            "Type": "COGNITO_USER_POOLS",
            "ProviderARNs": [{"Fn::GetAtt": [_lid(metadata, "Auth/customers/Resource"), "Arn"]}],
        },
    )
    t.resource_count_is("AWS::ApiGateway::Authorizer", 1)  # no staff route: no staff authoriser
    methods = {
        m["Properties"]["HttpMethod"] + str(m["Properties"]["AuthorizationType"])
        for m in template["Resources"].values()
        if m["Type"] == "AWS::ApiGateway::Method"
    }
    assert {"POSTCOGNITO_USER_POOLS", "POSTNONE"} <= methods


def test_schedule_rule_target_ttl_secret_email(synthetic: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, metadata = synthetic
    t = Template.from_json(template)
    nightly = _lid(metadata, "Functions/reports-nightly/Resource")
    t.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(1 hour)",
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [nightly, "Arn"]}})],
        },
    )
    on_order = _lid(metadata, "Functions/notifications-on-order/Resource")
    rule = template["Resources"][_lid(metadata, "Messaging/Rule-order-placed/Resource")]["Properties"]
    assert rule["EventPattern"] == {"detail-type": ["OrderPlaced"]}
    assert [tg["Arn"] for tg in rule["Targets"]] == [{"Fn::GetAtt": [on_order, "Arn"]}]
    carts = template["Resources"][_lid(metadata, "Data/carts/Resource")]["Properties"]
    assert carts["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    webhook = template["Resources"][_lid(metadata, "Functions/payments-webhook/Resource")]["Properties"]
    assert "WEBHOOK_KEYS_SECRET_NAME" in webhook["Environment"]["Variables"]
    assert "PAYMENTS_QUEUE_URL" in webhook["Environment"]["Variables"]
    policies = json.dumps([r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"])
    assert "ses:SendEmail" in policies and "secretsmanager:GetSecretValue" in policies
    t.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"BatchSize": 5, "MaximumBatchingWindowInSeconds": 2, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
    )


def test_machine_substitutions_and_explicit_grants(synthetic: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, metadata = synthetic
    machine = template["Resources"][_lid(metadata, "Workflows/order/Resource")]["Properties"]
    assert set(machine["DefinitionSubstitutions"]) == {"ReserveArn", "Bus", "OrdersTable", "TasksQueue"}
    role = _lid(metadata, "Workflows/order/Role/Resource")
    statements = [
        st
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
        for st in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    text = json.dumps(statements)
    for action in ("lambda:InvokeFunction", "events:PutEvents", "dynamodb:PutItem", "sqs:SendMessage"):
        assert action in text, action


def test_admin_dist_deployed_with_config_when_present(synthetic: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, _ = synthetic
    (deployment,) = (r for r in template["Resources"].values() if r["Type"] == "Custom::CDKBucketDeployment")
    assert len(deployment["Properties"]["SourceObjectKeys"]) == 2  # admin/dist + config.json


def test_stream_triggers(synthetic: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Each stream trigger: an event source mapping on the table's stream ARN with the declared
    retry/bisect/partial-failure settings, its own on-failure queue, stream read grants and an alarm."""
    template, metadata = synthetic
    t = Template.from_json(template)
    table = _lid(metadata, "Data/orders/Resource")
    stream_arn = {"Fn::GetAtt": [table, "StreamArn"]}
    for fn, props in {
        "orders-outbox": {
            "BatchSize": 50,
            "StartingPosition": "TRIM_HORIZON",
            "MaximumRetryAttempts": 3,
            "BisectBatchOnFunctionError": True,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
        "orders-audit": {
            "BatchSize": 100,
            "StartingPosition": "LATEST",
            "MaximumRetryAttempts": 0,
            "BisectBatchOnFunctionError": False,
            "FunctionResponseTypes": Match.absent(),
        },
    }.items():
        dlq = _lid(metadata, f"Messaging/Queue-{fn}-stream-dlq/Resource")
        t.has_resource_properties(
            "AWS::Lambda::EventSourceMapping",
            {
                "EventSourceArn": stream_arn,
                "FunctionName": {"Ref": _lid(metadata, f"Functions/{fn}/Resource")},
                "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [dlq, "Arn"]}}},
                **props,
            },
        )
        queue = template["Resources"][dlq]["Properties"]
        assert queue["QueueName"] == f"commerce-t-{fn}-stream-dlq"
        assert queue["MessageRetentionPeriod"] == 14 * 86400
        role = {"Ref": _lid(metadata, f"Functions/{fn}/ServiceRole/Resource")}
        statements = json.dumps(
            [
                st
                for r in template["Resources"].values()
                if r["Type"] == "AWS::IAM::Policy" and role in r["Properties"]["Roles"]
                for st in r["Properties"]["PolicyDocument"]["Statement"]
            ]
        )
        for action in (
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:DescribeStream",
            "sqs:SendMessage",
        ):
            assert action in statements, (fn, action)
        alarm = template["Resources"][_lid(metadata, f"Observability/{fn}-stream-dlq-not-empty/Resource")]
        assert alarm["Properties"]["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}]
    t.resource_count_is("AWS::Lambda::EventSourceMapping", 3)  # two streams + the SQS consumer


def test_stream_trigger_needs_a_stream_enabled_table() -> None:
    fn = Function("orders", "outbox", "x", stream=StreamTrigger("orders"))
    base = {"queues": (), "rules": (), "state_machines": (), "secrets": (), "user_pools": ()}
    email = EmailIdentity("a@example.com")
    with pytest.raises(ValueError, match="declare stream=True"):
        Topology(tables=(Table("orders"),), functions=(fn,), email=email, **base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="undeclared table"):
        Topology(tables=(), functions=(fn,), email=email, **base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="implicit"):
        Topology(
            tables=(Table("orders", stream=True),),
            queues=(Queue("orders-outbox-stream-dlq"),),
            functions=(fn,),
            email=email,
            **{k: v for k, v in base.items() if k != "queues"},  # type: ignore[arg-type]
        )
    assert Topology(tables=(Table("orders", stream=True),), functions=(fn,), email=email, **base).stream_functions()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size"):
        StreamTrigger("orders", batch_size=0)
    with pytest.raises(ValueError, match="starting_position"):
        StreamTrigger("orders", starting_position="AT_TIMESTAMP")  # type: ignore[arg-type]


def test_stream_mappings_match_the_local_cloud(synthetic: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Parity for stream triggers (the product topology has none yet): the same (table, function,
    on-failure queue) triples in the template and in the local cloud, and the same stream DLQs."""
    template, _ = synthetic
    deployed = stream_mappings(template["Resources"])
    assert deployed == {
        ("commerce-t-orders", "commerce-t-orders-outbox", "commerce-t-orders-outbox-stream-dlq"),
        ("commerce-t-orders", "commerce-t-orders-audit", "commerce-t-orders-audit-stream-dlq"),
    }
    # the machine's ASL exists only in this test's tmp dir: point it nowhere, the local cloud skips it
    machines = tuple(dataclasses.replace(m, asl="absent-in-this-test.asl.json") for m in SYNTHETIC.state_machines)
    with LocalCloud(dataclasses.replace(SYNTHETIC, state_machines=machines), stage="t", seed=False) as cloud:
        local = cloud.inventory()
        # moto's backends outlive the cloud and SES identities carry no stage: leave none for test_parity
        cloud.client("ses").delete_identity(Identity=SYNTHETIC.email.address)
    assert local["stream_mappings"] == deployed
    queues = {r["Properties"]["QueueName"] for r in template["Resources"].values() if r["Type"] == "AWS::SQS::Queue"}
    assert {q for q in queues if q.endswith("-stream-dlq")} == {q for q in local["queues"] if q.endswith("-stream-dlq")}
