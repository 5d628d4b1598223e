"""The security posture, on the synthesised template (docs/security.md): one customer-managed key
(rotated, retained) encrypts every table, queue, the bus and its archive, every secret and log group,
and every role and service that touches them may use it; a WAF web ACL with a per-IP rate limit and
AWS managed rules guards the API stage; no IAM wildcard outside the one allowlist; no secret value in
any function's environment, and secrets are read through Powertools Parameters with caching."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cdksynth import Synth

from infra.constructs.firewall import COMMON_RULE_OVERRIDES, RATE_LIMIT, RATE_WINDOW_SECONDS, WEBHOOK_RATE_LIMIT
from infra.constructs.wildcards import RESOURCE_STAR_ACTIONS, WILDCARD_ACTIONS
from infra.model import ROOT
from infra.topology import TOPOLOGY

IDENTITY_POLICIES = {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"}
ENCRYPTED_TYPES = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SecretsManager::Secret"}
# data-plane actions that make the caller (or the service acting for it) use the key
WRITES = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "sqs:SendMessage",
}
READS = {
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:BatchGetItem",
    "dynamodb:GetRecords",
    "sqs:ReceiveMessage",
    "secretsmanager:GetSecretValue",
}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _refs(value: Any) -> set[str]:
    """Every logical id a value refers to (Ref, Fn::GetAtt; not pseudo parameters), however deeply nested."""
    if isinstance(value, dict):
        found = set()
        if "Ref" in value and not str(value["Ref"]).startswith("AWS::"):
            found.add(str(value["Ref"]))
        if "Fn::GetAtt" in value:
            found.add(str(value["Fn::GetAtt"][0]))
        for item in value.values():
            found |= _refs(item)
        return found
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value)) if value else set()
    return set()


def policy_documents(resources: dict[str, dict[str, Any]]) -> Iterator[tuple[str, bool, dict[str, Any]]]:
    """(logical id, is an identity policy, document) of every policy: IAM policies and inline role
    policies, and the resource policies (key, queue, bucket, topic, ...)."""
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] in IDENTITY_POLICIES:
            if "PolicyDocument" in props:
                yield logical_id, True, props["PolicyDocument"]
            for inline in props.get("Policies", []):
                yield logical_id, True, inline["PolicyDocument"]
        elif resource["Type"] == "AWS::KMS::Key":
            yield logical_id, False, props["KeyPolicy"]
        elif isinstance(props.get("PolicyDocument"), dict):
            yield logical_id, False, props["PolicyDocument"]


def wildcard_findings(resources: dict[str, dict[str, Any]]) -> list[str]:
    """Allow statements with an Action wildcard outside WILDCARD_ACTIONS, or (identity policies) with
    Resource "*" for an action outside RESOURCE_STAR_ACTIONS. Deny statements may be broad."""
    findings = []
    for logical_id, identity, document in policy_documents(resources):
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            actions = _list(statement.get("Action", []))
            findings += [f"{logical_id}: {a}" for a in actions if "*" in a and a not in WILDCARD_ACTIONS]
            if identity and "*" in _list(statement.get("Resource")):
                findings += [f"{logical_id}: {a} on *" for a in actions if a not in RESOURCE_STAR_ACTIONS]
    return findings


@pytest.fixture(scope="module")
def key(cdk_synth: Synth) -> str:
    keys = cdk_synth.of_type("AWS::KMS::Key")
    assert len(keys) == 1, "one customer-managed key (docs/security.md explains why one)"
    return next(iter(keys))


def _key_arn(key: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [key, "Arn"]}


# ---- encryption at rest ---------------------------------------------------------------------------
def test_the_key_rotates_and_outlives_the_stack(cdk_synth: Synth, key: str) -> None:
    resource = cdk_synth.resources[key]
    assert resource["Properties"]["EnableKeyRotation"] is True
    assert resource["DeletionPolicy"] == "Retain" and resource["UpdateReplacePolicy"] == "Retain"
    aliases = [a["Properties"] for a in cdk_synth.of_type("AWS::KMS::Alias").values()]
    assert aliases == [{"AliasName": f"alias/{cdk_synth.physical('data')}", "TargetKeyId": _key_arn(key)}]


def test_every_table_is_encrypted_with_the_key(cdk_synth: Synth, key: str) -> None:
    tables = cdk_synth.of_type("AWS::DynamoDB::Table")
    assert len(tables) == len(TOPOLOGY.tables)
    for logical_id, table in tables.items():
        sse = table["Properties"]["SSESpecification"]
        assert sse == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": _key_arn(key)}, logical_id


def test_every_queue_and_dlq_is_encrypted_with_the_key(cdk_synth: Synth, key: str) -> None:
    queues = cdk_synth.of_type("AWS::SQS::Queue")
    assert len(queues) == 2 * len(TOPOLOGY.queues) + len(TOPOLOGY.stream_functions())
    for logical_id, queue in queues.items():
        assert queue["Properties"]["KmsMasterKeyId"] == _key_arn(key), logical_id
        assert "SqsManagedSseEnabled" not in queue["Properties"], logical_id


def test_the_bus_its_archive_and_the_secrets_are_encrypted_with_the_key(cdk_synth: Synth, key: str) -> None:
    (bus,) = cdk_synth.of_type("AWS::Events::EventBus").values()
    assert bus["Properties"]["KmsKeyIdentifier"] == _key_arn(key)
    (archive,) = cdk_synth.of_type("AWS::Events::Archive").values()
    assert archive["Properties"]["KmsKeyIdentifier"] == _key_arn(key)
    secrets = cdk_synth.of_type("AWS::SecretsManager::Secret")
    assert len(secrets) == len(TOPOLOGY.secrets)
    assert all(s["Properties"]["KmsKeyId"] == _key_arn(key) for s in secrets.values())


def _key_statements(cdk_synth: Synth, key: str, service: str) -> list[dict[str, Any]]:
    statements = cdk_synth.resources[key]["Properties"]["KeyPolicy"]["Statement"]
    return [s for s in statements if service in _list(s.get("Principal", {}).get("Service"))]


def test_every_log_group_is_encrypted_and_cloudwatch_logs_may_use_the_key_for_them(cdk_synth: Synth, key: str) -> None:
    groups = cdk_synth.of_type("AWS::Logs::LogGroup")
    assert len(groups) >= len(TOPOLOGY.functions) + len(TOPOLOGY.state_machines) + 1  # + API access logs
    (logs,) = _key_statements(cdk_synth, key, f"logs.{cdk_synth.region}.amazonaws.com")
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"} <= set(logs["Action"])
    patterns = [
        "".join(p if isinstance(p, str) else "" for p in arn["Fn::Join"][1]).split(":log-group:")[1]
        for arn in logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    ]
    for logical_id, group in groups.items():
        props = group["Properties"]
        assert props["KmsKeyId"] == _key_arn(key), logical_id
        name = props["LogGroupName"]
        assert any(fnmatch.fnmatchcase(name, p) for p in patterns), (name, patterns)


def test_eventbridge_may_use_the_key_for_the_bus_and_for_its_queue_targets(cdk_synth: Synth, key: str) -> None:
    statements = _key_statements(cdk_synth, key, "events.amazonaws.com")
    bus_arn = f":event-bus/{cdk_synth.physical(TOPOLOGY.bus)}"
    for_bus = [s for s in statements if bus_arn in json.dumps(s.get("Condition"))]
    assert any({"kms:GenerateDataKey", "kms:Decrypt"} <= set(_list(s["Action"])) for s in for_bus)
    assert any(s["Condition"]["StringEquals"].get("aws:SourceArn") for s in for_bus)  # only for our bus
    # rule -> encrypted queue: EventBridge sends, so it needs a data key (CDK's SqsQueue target)
    assert any({"kms:GenerateDataKey*", "kms:Decrypt"} <= set(_list(s["Action"])) for s in statements), (
        "an SQS rule target is encrypted: events.amazonaws.com needs GenerateDataKey and Decrypt"
    )


def _roles_using_encrypted_resources(cdk_synth: Synth) -> Iterator[tuple[str, set[str], set[str]]]:
    """(role, data-plane actions on encrypted resources, key actions on the key) per IAM policy."""
    resources = cdk_synth.resources
    encrypted = {lid for lid, r in resources.items() if r["Type"] in ENCRYPTED_TYPES}
    keys = set(cdk_synth.of_type("AWS::KMS::Key"))
    for policy in cdk_synth.of_type("AWS::IAM::Policy").values():
        data, kms = set(), set()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            targets = _refs(statement.get("Resource"))
            if targets & encrypted:
                data |= set(_list(statement["Action"])) & (READS | WRITES)
            if targets & keys:
                kms |= set(_list(statement["Action"]))
        for role in _refs(policy["Properties"]["Roles"]):
            yield role, data, kms


def test_every_role_that_uses_an_encrypted_resource_may_use_the_key(cdk_synth: Synth, key: str) -> None:
    # secrets: Secrets Manager decrypts for the role, granted in the key policy (kms:ViaService)
    via_secrets = set()
    for statement in cdk_synth.resources[key]["Properties"]["KeyPolicy"]["Statement"]:
        if "secretsmanager" in json.dumps(statement.get("Condition")) and "kms:Decrypt" in _list(statement["Action"]):
            via_secrets |= _refs(statement["Principal"])
    checked = 0
    for role, data, kms in _roles_using_encrypted_resources(cdk_synth):
        if not data:
            continue
        checked += 1
        if data & (READS - {"secretsmanager:GetSecretValue"}) or data & WRITES:
            assert "kms:Decrypt" in kms, (role, sorted(data))
        if data & WRITES:
            assert {"kms:GenerateDataKey*", "kms:Encrypt"} <= kms, (role, sorted(data))
        if "secretsmanager:GetSecretValue" in data:
            assert role in via_secrets or "kms:Decrypt" in kms, role
    users = {fn.name for fn in TOPOLOGY.functions if fn.tables or fn.sends_to or fn.sqs or fn.stream or fn.secrets}
    assert checked >= len(users)  # every such function's role was looked at (and the state machines')


# ---- WAF ------------------------------------------------------------------------------------------
def _web_acl(cdk_synth: Synth) -> tuple[str, dict[str, Any]]:
    (acl,) = cdk_synth.of_type("AWS::WAFv2::WebACL").items()
    return acl[0], acl[1]["Properties"]


def test_the_api_has_a_regional_web_acl_with_a_rate_limit_per_ip(cdk_synth: Synth) -> None:
    _, acl = _web_acl(cdk_synth)
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in acl["Rules"]}
    for name, limit in (("rate-per-ip", RATE_LIMIT), ("webhook-rate-per-ip", WEBHOOK_RATE_LIMIT)):
        rate = rules[name]["Statement"]["RateBasedStatement"]
        assert rate["Limit"] == limit and rate["AggregateKeyType"] == "IP"
        assert rate["EvaluationWindowSec"] == RATE_WINDOW_SECONDS == 300
        assert rules[name]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    # the general limit covers everything but the webhooks; the webhooks have their own
    general = rules["rate-per-ip"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    webhooks = rules["webhook-rate-per-ip"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    assert general == {"NotStatement": {"Statement": webhooks}}
    assert webhooks["ByteMatchStatement"]["SearchString"] == "/webhooks/"
    assert all(r.path.startswith("/webhooks/") for r, fn in TOPOLOGY.routes() if r.auth.value == "webhook")
    body = json.loads(acl["CustomResponseBodies"]["throttled"]["Content"])
    assert body["status"] == 429 and body["code"] == "THROTTLED"


def test_aws_managed_rules_with_the_documented_overrides(cdk_synth: Synth) -> None:
    _, acl = _web_acl(cdk_synth)
    groups = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r
        for r in acl["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert set(groups) == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    common = groups["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    counted = {o["Name"]: o["ActionToUse"] for o in common["RuleActionOverrides"]}
    assert counted == {name: {"Count": {}} for name in COMMON_RULE_OVERRIDES}
    assert "SizeRestrictions_BODY" in counted  # catalogue and CSV imports are larger than 8 KB
    assert all(r["OverrideAction"] == {"None": {}} for r in groups.values())
    assert len({r["Priority"] for r in acl["Rules"]}) == len(acl["Rules"])


def test_the_web_acl_is_associated_with_the_api_stage(cdk_synth: Synth) -> None:
    acl_id, _ = _web_acl(cdk_synth)
    (association,) = cdk_synth.of_type("AWS::WAFv2::WebACLAssociation").values()
    props = association["Properties"]
    assert props["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (stage,) = cdk_synth.of_type("AWS::ApiGateway::Stage")
    (api,) = cdk_synth.of_type("AWS::ApiGateway::RestApi")
    assert _refs(props["ResourceArn"]) == {stage, api}
    assert ":apigateway:" in json.dumps(props["ResourceArn"]) and "/stages/" in json.dumps(props["ResourceArn"])


def test_the_rate_limits_come_from_the_context(tmp_path: Path) -> None:
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from infra.constructs.firewall import Firewall

    app = App(outdir=str(tmp_path), context={"wafRateLimit": 300, "wafWebhookRateLimit": 5000})
    stack = Stack(app, "Waf")
    Firewall(stack, "Firewall", name="waf", stage_arn="arn:aws:apigateway:eu-west-1::/restapis/x/stages/dev")
    rules = Template.from_stack(stack).to_json()["Resources"]
    (acl,) = [r for r in rules.values() if r["Type"] == "AWS::WAFv2::WebACL"]
    limits = {r["Name"]: r["Statement"].get("RateBasedStatement", {}).get("Limit") for r in acl["Properties"]["Rules"]}
    assert limits["rate-per-ip"] == 300 and limits["webhook-rate-per-ip"] == 5000


# ---- IAM wildcards ----------------------------------------------------------------------------------
def test_no_iam_wildcard_outside_the_allowlist(cdk_synth: Synth) -> None:
    assert wildcard_findings(cdk_synth.resources) == []


def test_the_wildcard_check_is_live() -> None:
    """Negative control: CDK-style grants with wildcards are caught, Deny statements are not."""

    def policy(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": list(statements)}}}

    resources = {
        "Grant": policy({"Effect": "Allow", "Action": ["dynamodb:*", "s3:Get*"], "Resource": "arn:table"}),
        "Star": policy({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}),
        "Xray": policy({"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"}),
        "Deny": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {"PolicyDocument": {"Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": "q"}]}},
        },
    }
    assert wildcard_findings(resources) == ["Grant: dynamodb:*", "Grant: s3:Get*", "Star: dynamodb:GetItem on *"]


def test_every_allowlisted_wildcard_is_used_and_documented(cdk_synth: Synth) -> None:
    used_actions, used_on_star = set(), set()
    for _, identity, document in policy_documents(cdk_synth.resources):
        for statement in document["Statement"]:
            actions = set(_list(statement.get("Action", [])))
            used_actions |= actions
            if identity and "*" in _list(statement.get("Resource")):
                used_on_star |= actions
    assert set(WILDCARD_ACTIONS) <= used_actions, "stale allowlist entries"
    assert set(RESOURCE_STAR_ACTIONS) <= used_on_star, "stale allowlist entries"
    security = (ROOT / "docs" / "security.md").read_text()
    for action in (*WILDCARD_ACTIONS, *RESOURCE_STAR_ACTIONS):
        assert f"`{action}`" in security, f"{action} is not in docs/security.md"
    assert all(len(reason) > 30 for reason in (*WILDCARD_ACTIONS.values(), *RESOURCE_STAR_ACTIONS.values()))


# ---- secrets ----------------------------------------------------------------------------------------
SECRET_LOOKING = (
    re.compile(r"^[0-9a-fA-F]{32,}$"),  # a hex key
    re.compile(r"^[A-Za-z0-9+/]{40,}={0,2}$"),  # a base64 key or token
    re.compile(r"-----BEGIN"),  # a PEM private key
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # an access key id
    re.compile(r"^eyJ[A-Za-z0-9_-]+\.eyJ"),  # a JWT
    re.compile(r"resolve:secretsmanager|resolve:ssm-secure"),  # a dynamic reference: the value, inlined
)
SECRET_NAMED = re.compile(r"PASSWORD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|SECRET", re.IGNORECASE)


def test_no_function_environment_holds_a_secret_value(cdk_synth: Synth) -> None:
    secret_names = {cdk_synth.physical(s.name) for s in TOPOLOGY.secrets}
    functions = cdk_synth.of_type("AWS::Lambda::Function")
    checked = 0
    for logical_id, function in functions.items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        for name, value in variables.items():
            checked += 1
            rendered = value if isinstance(value, str) else json.dumps(value)
            assert not any(p.search(rendered) for p in SECRET_LOOKING), (logical_id, name)
            if SECRET_NAMED.search(name):  # only a secret's name, never its value
                assert name.endswith("_SECRET_NAME") and value in secret_names, (logical_id, name, value)
    assert checked > len(functions)


def test_secrets_are_read_only_through_powertools_parameters_with_caching() -> None:
    readers = []
    for path in [*(ROOT / "layers" / "shared" / "commerce").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        text = path.read_text()
        if re.search(r"[\"']secretsmanager[\"']|get_secret_value|SecretsProvider|get_secret\(", text):
            readers.append(path.relative_to(ROOT).as_posix())
    assert readers == ["layers/shared/commerce/adapters/secrets.py"]
    source = (ROOT / readers[0]).read_text()
    assert "SecretsProvider" in source and "max_age=MAX_AGE_SECONDS" in source


def test_the_secret_is_fetched_once_per_max_age(monkeypatch: pytest.MonkeyPatch) -> None:
    from commerce.adapters import secrets

    calls: list[str] = []

    class SecretsManager:
        def get_secret_value(self, SecretId: str, **_: Any) -> dict[str, Any]:
            calls.append(SecretId)
            return {"SecretString": json.dumps({"quotes": "ab" * 32, "payments": "cd" * 32})}

    monkeypatch.setattr(secrets, "client", lambda service: SecretsManager())
    keys = secrets.SecretSigningKeys("commerce-test-platform-signing-keys")
    assert keys.key("quotes") == bytes.fromhex("ab" * 32)
    assert keys.key("payments") == bytes.fromhex("cd" * 32)
    assert keys.key("quotes") == bytes.fromhex("ab" * 32)
    assert calls == ["commerce-test-platform-signing-keys"]  # one call: cached for MAX_AGE_SECONDS
    assert secrets.MAX_AGE_SECONDS >= 60


def test_tracing_never_records_handler_responses(cdk_synth: Synth) -> None:
    for logical_id, function in cdk_synth.of_type("AWS::Lambda::Function").items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        if "POWERTOOLS_SERVICE_NAME" in variables:  # ours (not CDK's own handlers)
            assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false", logical_id


def test_workflow_logs_record_states_but_not_the_orders_personal_data(cdk_synth: Synth) -> None:
    machines = cdk_synth.of_type("AWS::StepFunctions::StateMachine")
    assert len(machines) == len(TOPOLOGY.state_machines)
    for logical_id, machine in machines.items():
        logging = machine["Properties"]["LoggingConfiguration"]
        assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False, logical_id
