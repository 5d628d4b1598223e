"""The platform's one customer-managed KMS key: every table, queue (and DLQ), the bus and its archive,
the secrets and the log groups are encrypted with it (docs/security.md, "Encryption at rest").

One key, not one per data class: every resource it protects lives in one account and one trust zone,
and who may decrypt what is already decided per resource by IAM (a function granted one table can
use the key only through that table's grant statements, scoped to the key ARN). Separate keys would
add key policies and cost without changing who can read what.

Lambda functions, state machines and Lambda event source mappings get the key through CDK's table,
queue, stream and secret grants (their roles). AWS services that act on their own behalf are named
in the key policy, each restricted by an encryption-context or source condition:
- ``events.amazonaws.com``: the encrypted bus and its archive (added by CDK's EventBus/Archive), and
  rule targets that are encrypted queues (added by CDK's SqsQueue target);
- ``logs.<region>.amazonaws.com``: the platform's log groups (added here).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.model import Topology

# What CloudWatch Logs needs to encrypt and read a log group's data (the AWS documentation lists them
# as wildcards, Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*/Describe*; these are what they expand to).
LOGS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
)


# Where the platform's log groups live (functions.py, workflows.py, api.py name them
# "<prefix>commerce-<stage>-..."): CloudWatch Logs may use the key for these, and only these.
LOG_GROUP_PREFIXES = ("/aws/lambda/", "/aws/vendedlogs/states/", "/aws/apigateway/")


class Encryption(Construct):
    def __init__(self, scope: Construct, id: str, *, topology: Topology, stage: str) -> None:
        super().__init__(scope, id)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{topology.physical(stage, 'data')}",
            description="Encrypts the commerce platform's tables, queues, event bus, secrets and logs",
            enable_key_rotation=True,
            # Retained: deleting the key would make every retained table and backup unreadable.
            removal_policy=RemovalPolicy.RETAIN,
            pending_window=Duration.days(30),
        )
        stack = Stack.of(self)
        log_groups = [
            stack.format_arn(
                service="logs",
                resource="log-group",
                resource_name=f"{prefix}{topology.physical(stage, '')}*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            for prefix in LOG_GROUP_PREFIXES
        ]
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsUseForPlatformLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            )
        )
