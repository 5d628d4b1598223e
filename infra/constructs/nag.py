"""cdk-nag 3 acknowledgements.

cdk-nag 3 uses CDK's native ``Validations.of(scope).acknowledge(...)``; each finding is acknowledged
individually (``AwsSolutions-IAM5[Resource::*]``), with a reason, on the narrowest construct that
produces it (an acknowledgement covers the construct and everything below it).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

PLUGIN = "AwsSolutions"  # cdk-nag's plugin name: acknowledgement ids are "<plugin>::<finding>"


def acknowledge(scope: IConstruct, rule_id: str, reason: str, *more_ids: str) -> None:
    """Acknowledge one or more findings (same reason) on ``scope`` and below."""
    Validations.of(scope).acknowledge(
        *(Acknowledgment(id=f"{PLUGIN}::{finding}", reason=reason) for finding in (rule_id, *more_ids))
    )
