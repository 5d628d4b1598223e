"""The API's web application firewall: a regional WAFv2 web ACL on the API stage (docs/security.md, "WAF").

Rules, in order:
1. ``rate-per-ip``: at most ``RATE_LIMIT`` requests per client IP in a 5-minute window on every route
   but the partner webhooks, then 429 (problem+json) until the address slows down.
2. ``webhook-rate-per-ip``: the partner webhooks (HMAC-signed, from few addresses that carry all of a
   partner's traffic) get their own, higher limit, ``WEBHOOK_RATE_LIMIT``.
3. AWS managed ``AWSManagedRulesCommonRuleSet`` (OWASP-style XSS, LFI/RFI, bad bots...), with two
   rules counted instead of blocking (``COMMON_RULE_OVERRIDES``, each with its reason).
4. AWS managed ``AWSManagedRulesKnownBadInputsRuleSet`` (Log4Shell, Java deserialisation, ...).

Both limits can be set per deployment from the CDK context (``-c wafRateLimit=...``,
``-c wafWebhookRateLimit=...``); AWS accepts 10 to 2,000,000,000 per window.
"""

from __future__ import annotations

import json

from aws_cdk import aws_wafv2 as waf
from constructs import Construct

from infra.model import gateway_response

RATE_LIMIT = 2000  # requests per client IP per 5 minutes (about 6.7/s sustained): far above a shopper's
WEBHOOK_RATE_LIMIT = 20000  # per partner address per 5 minutes: a payment gateway's flash-sale burst
RATE_WINDOW_SECONDS = 300
WEBHOOK_PATH = "/webhooks/"  # the partner routes (topology: AuthKind.WEBHOOK), whatever the stage prefix

# Managed rules set to COUNT (still visible in the metrics and sampled requests) rather than BLOCK.
COMMON_RULE_OVERRIDES = {
    # Blocks bodies over 8 KB. Staff post catalogue batches and CSV imports (POST
    # /admin/catalogue/imports[/csv]) of up to 256 KB; the handlers enforce that limit themselves
    # (commerce.common.api.MAX_BODY_BYTES, 413 BODY_TOO_LARGE).
    "SizeRestrictions_BODY": "catalogue and CSV imports are larger than 8 KB; the API limits bodies to 256 KB",
    # Blocks requests without a User-Agent. The payment gateway, warehouse and carriers call the
    # webhooks with HTTP clients we do not control; the HMAC signature authenticates them.
    "NoUserAgent_HEADER": "partner webhook clients may send no User-Agent; they are authenticated by HMAC",
}
THROTTLED_BODY = "throttled"


class Firewall(Construct):
    def __init__(self, scope: Construct, id: str, *, name: str, stage_arn: str) -> None:
        super().__init__(scope, id)
        rate_limit = int(self.node.try_get_context("wafRateLimit") or RATE_LIMIT)
        webhook_rate_limit = int(self.node.try_get_context("wafWebhookRateLimit") or WEBHOOK_RATE_LIMIT)
        throttled = gateway_response("THROTTLED")
        self.web_acl = waf.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            description="Rate limit per client IP and AWS managed rules for the commerce API",
            scope="REGIONAL",
            default_action=waf.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(name),
            custom_response_bodies={
                THROTTLED_BODY: waf.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON",
                    content=json.dumps(
                        throttled.problem("Too many requests from this address: slow down and retry.", "-")
                    ),
                )
            },
            rules=[
                _rate_rule("rate-per-ip", 0, rate_limit, _not(_webhooks())),
                _rate_rule("webhook-rate-per-ip", 1, webhook_rate_limit, _webhooks()),
                _managed_rule("AWSManagedRulesCommonRuleSet", 2, COMMON_RULE_OVERRIDES),
                _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 3, {}),
            ],
        )
        self.association = waf.CfnWebACLAssociation(
            self, "Association", resource_arn=stage_arn, web_acl_arn=self.web_acl.attr_arn
        )


def _visibility(metric: str) -> waf.CfnWebACL.VisibilityConfigProperty:
    return waf.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _webhooks() -> waf.CfnWebACL.StatementProperty:
    """Requests to the partner webhook routes."""
    return waf.CfnWebACL.StatementProperty(
        byte_match_statement=waf.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=waf.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="CONTAINS",
            search_string=WEBHOOK_PATH,
            text_transformations=[waf.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")],
        )
    )


def _not(statement: waf.CfnWebACL.StatementProperty) -> waf.CfnWebACL.StatementProperty:
    return waf.CfnWebACL.StatementProperty(not_statement=waf.CfnWebACL.NotStatementProperty(statement=statement))


def _rate_rule(
    name: str, priority: int, limit: int, scope: waf.CfnWebACL.StatementProperty
) -> waf.CfnWebACL.RuleProperty:
    return waf.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        statement=waf.CfnWebACL.StatementProperty(
            rate_based_statement=waf.CfnWebACL.RateBasedStatementProperty(
                limit=limit,
                aggregate_key_type="IP",
                evaluation_window_sec=RATE_WINDOW_SECONDS,
                scope_down_statement=scope,
            )
        ),
        action=waf.CfnWebACL.RuleActionProperty(
            block=waf.CfnWebACL.BlockActionProperty(
                custom_response=waf.CfnWebACL.CustomResponseProperty(
                    response_code=429, custom_response_body_key=THROTTLED_BODY
                )
            )
        ),
        visibility_config=_visibility(name),
    )


def _managed_rule(group: str, priority: int, counted: dict[str, str]) -> waf.CfnWebACL.RuleProperty:
    return waf.CfnWebACL.RuleProperty(
        name=group,
        priority=priority,
        statement=waf.CfnWebACL.StatementProperty(
            managed_rule_group_statement=waf.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=group,
                rule_action_overrides=[
                    waf.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=waf.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in counted
                ]
                or None,
            )
        ),
        override_action=waf.CfnWebACL.OverrideActionProperty(none={}),
        visibility_config=_visibility(group),
    )
