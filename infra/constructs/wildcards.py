"""The one allowlist of IAM wildcards, each with its reason (docs/security.md, "IAM wildcards").

``tests/infra/test_security_posture.py`` walks every policy of the synthesised template (identity
policies and resource policies: key, queue, bucket, topic) and fails on an Allow statement whose
Action contains ``*`` unless the action is in ``WILDCARD_ACTIONS``, or whose Resource is ``"*"`` in an
identity policy unless every action is in ``RESOURCE_STAR_ACTIONS``. The cdk-nag acknowledgements of
the same findings (``acknowledge_wildcard_actions``) take their reasons from here.
"""

from __future__ import annotations

from constructs import IConstruct

from infra.constructs.nag import acknowledge

_KMS_GRANT = (
    "CDK's grant for an encrypted table or queue (grant_read_write_data, grant_send_messages, the "
    "stream on-failure destination) adds the key's encrypt actions as {}; the statement names only the "
    "platform key's ARN, and aws-cdk-lib offers no narrower grant for a customer-managed key."
)

# Action wildcards: action -> why it is allowed.
WILDCARD_ACTIONS: dict[str, str] = {
    "kms:GenerateDataKey*": _KMS_GRANT.format(
        "kms:GenerateDataKey* (GenerateDataKey, ...WithoutPlaintext, ...Pair: data keys under this key only)"
    ),
    "kms:ReEncrypt*": _KMS_GRANT.format(
        "kms:ReEncrypt* (ReEncryptFrom/ReEncryptTo: moving ciphertext between keys both policies allow)"
    ),
    "kms:*": "The key policy's account statement (CDK's default): it lets IAM policies in this account "
    "grant the key at all, and keeps the key administrable (without it the key is unmanageable).",
    "s3:GetObject*": "CDK's BucketDeployment handler reads the staged admin SPA from the CDK asset bucket "
    "(grant_read, one asset prefix).",
    "s3:GetBucket*": "CDK's BucketDeployment handler: grant_read/grant_read_write on the asset and site buckets.",
    "s3:List*": "CDK's BucketDeployment handler lists the asset and site buckets (grant_read).",
    "s3:DeleteObject*": "CDK's BucketDeployment handler prunes old SPA files from the site bucket (prune=True).",
    "s3:Abort*": "CDK's BucketDeployment handler aborts failed multipart uploads into the site bucket.",
}

# Actions that may have Resource "*" in an identity policy, because AWS offers no resource-level
# permission for them (or, for task tokens, no resource at all): action -> why.
RESOURCE_STAR_ACTIONS: dict[str, str] = {
    "xray:PutTraceSegments": "X-Ray supports no resource-level permissions (tracing=ACTIVE).",
    "xray:PutTelemetryRecords": "X-Ray supports no resource-level permissions (tracing=ACTIVE).",
    "xray:GetSamplingRules": "X-Ray supports no resource-level permissions (state machine tracing).",
    "xray:GetSamplingTargets": "X-Ray supports no resource-level permissions (state machine tracing).",
    "states:SendTaskSuccess": "Task tokens are not resources: the token itself is the capability.",
    "states:SendTaskFailure": "Task tokens are not resources: the token itself is the capability.",
    "dynamodb:ListStreams": "ListStreams supports no resource-level permissions (stream event sources).",
    "logs:CreateLogDelivery": "CloudWatch Logs vended-log delivery (state machine logging) takes no resource.",
    "logs:GetLogDelivery": "CloudWatch Logs vended-log delivery (state machine logging) takes no resource.",
    "logs:UpdateLogDelivery": "CloudWatch Logs vended-log delivery (state machine logging) takes no resource.",
    "logs:DeleteLogDelivery": "CloudWatch Logs vended-log delivery (state machine logging) takes no resource.",
    "logs:ListLogDeliveries": "CloudWatch Logs vended-log delivery (state machine logging) takes no resource.",
    "logs:PutResourcePolicy": "CloudWatch Logs vended-log delivery (state machine logging) takes no resource.",
    "logs:DescribeResourcePolicies": "CloudWatch Logs vended-log delivery (state machine logging) takes no resource.",
    "logs:DescribeLogGroups": "CloudWatch Logs vended-log delivery (state machine logging) takes no resource.",
    "cloudfront:CreateInvalidation": "CDK's BucketDeployment handler invalidates the admin distribution "
    "(CDK grants it on *).",
    "cloudfront:GetInvalidation": "CDK's BucketDeployment handler waits for its invalidation (CDK grants it on *).",
}


def acknowledge_wildcard_actions(scope: IConstruct, *actions: str) -> None:
    """Acknowledge cdk-nag's IAM5 finding for each allowlisted wildcard action, with its reason."""
    for action in actions:
        acknowledge(scope, f"AwsSolutions-IAM5[Action::{action}]", WILDCARD_ACTIONS[action])
