"""The synthesised template renders every resource of the topology, with the declared settings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from cdksynth import Synth

from infra.model import AUDIT_TABLE, Access, AuthKind, Function, Topology, cdk_json_context, function_env
from infra.topology import TOPOLOGY


@pytest.fixture(scope="module")
def template(cdk_synth: Synth) -> Template:
    return Template.from_json(cdk_synth.template)


def _get_att(lid: str, attr: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [lid, attr]}


def _function_lid(synth: Synth, fn: Function) -> str:
    return synth.logical_id(f"Functions/{fn.name}/Resource")


def _policy_statements(synth: Synth, role_path: str) -> list[dict[str, Any]]:
    role_lid = synth.logical_id(f"{role_path}/Resource")
    statements: list[dict[str, Any]] = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_lid} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statements: list[dict[str, Any]], resource_fragment: str) -> set[str]:
    """Actions of the statements whose resources mention ``resource_fragment`` (a logical id or name)."""
    found: set[str] = set()
    for st in statements:
        if resource_fragment in json.dumps(st.get("Resource")):
            actions = st["Action"]
            found |= {actions} if isinstance(actions, str) else set(actions)
    return found


# ---- functions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", TOPOLOGY.functions, ids=lambda f: f.name)
def test_function_runtime_and_settings(cdk_synth: Synth, template: Template, fn: Function) -> None:
    layer = cdk_synth.logical_id("Functions/SharedLayer/Resource")
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": cdk_synth.physical(fn.name),
            "Handler": fn.handler,
            "Runtime": "python3.13",
            "Architectures": ["arm64"],
            "TracingConfig": {"Mode": "Active"},
            "LoggingConfig": Match.object_like({"LogFormat": "JSON"}),
            "Layers": [{"Ref": layer}],
            "MemorySize": fn.memory,
            "Timeout": fn.timeout,
        },
    )


RESOLVED = "\x00resolved:"


@pytest.mark.parametrize("fn", TOPOLOGY.functions, ids=lambda f: f.name)
def test_function_environment_is_function_env(cdk_synth: Synth, fn: Function) -> None:
    s = cdk_synth

    def ref(path: str) -> dict[str, Any]:
        return {"Ref": s.logical_id(path)}

    def resolve(kind: str, name: str) -> str:
        expected: Any
        match kind:
            case "bus":
                expected = ref("Messaging/Bus/Resource")
            case "table":
                expected = ref(f"Data/{name}/Resource")
            case "queue":
                expected = ref(f"Messaging/Queue-{name}/Resource")
            case "user_pool":
                expected = ref(f"Auth/{name}/Resource")
            case "user_pool_client":
                expected = ref(f"Auth/{name}/client/Resource")
            case "state_machine":  # by deterministic name (see functions.py)
                expected = f":stateMachine:{s.physical(name)}"
            case "secret":
                expected = s.physical(name)
            case "endpoint":  # a literal from cdk.json context
                return str(cdk_json_context()[TOPOLOGY.endpoint(name).context_key])
            case _:
                raise AssertionError(kind)
        return RESOLVED + json.dumps(expected)

    env = s.resources[_function_lid(s, fn)]["Properties"]["Environment"]["Variables"]
    wanted = function_env(TOPOLOGY, fn, resolve)
    assert set(env) == set(wanted)
    for key, value in wanted.items():
        if not value.startswith(RESOLVED):  # a literal (service name, metrics namespace, sender address)
            assert env[key] == value, key
            continue
        expected = json.loads(value.removeprefix(RESOLVED))
        if isinstance(expected, str):
            assert expected in json.dumps(env[key]), key
        else:
            assert env[key] == expected, key


@pytest.mark.parametrize("fn", TOPOLOGY.functions, ids=lambda f: f.name)
def test_function_grants_follow_declaration(cdk_synth: Synth, fn: Function) -> None:
    s = cdk_synth
    statements = _policy_statements(s, f"Functions/{fn.name}/ServiceRole")
    for table, access in fn.tables:
        actions = _actions(statements, s.logical_id(f"Data/{table}/Resource"))
        assert "dynamodb:GetItem" in actions and "dynamodb:Query" in actions
        assert ("dynamodb:PutItem" in actions) is (access is Access.WRITE), table
    undeclared = {t.name for t in TOPOLOGY.tables} - {t for t, _ in fn.tables} - {AUDIT_TABLE}
    for table in undeclared:
        assert not _actions(statements, s.logical_id(f"Data/{table}/Resource")), table
    if AUDIT_TABLE not in {t for t, _ in fn.tables}:  # writers append; only the browse route reads
        audit = _actions(statements, s.logical_id(f"Data/{AUDIT_TABLE}/Resource"))
        assert audit == ({"dynamodb:BatchWriteItem", "dynamodb:PutItem"} if fn.audits else set())
    all_actions = {a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert ("events:PutEvents" in all_actions) is fn.publishes
    for queue in fn.sends_to:
        assert "sqs:SendMessage" in _actions(statements, s.logical_id(f"Messaging/Queue-{queue}/Resource"))
    for machine in fn.starts:
        actions = _actions(statements, s.physical(machine))
        assert {"states:StartExecution", "states:DescribeExecution"} <= actions
    if not fn.starts:
        assert "states:StartExecution" not in all_actions
    assert ("ses:SendEmail" in all_actions) is fn.sends_email
    for secret in fn.secrets:
        assert "secretsmanager:GetSecretValue" in all_actions, secret
    assert ("states:SendTaskSuccess" in all_actions) is fn.completes_tasks


def test_one_shared_layer_and_code_asset(cdk_synth: Synth) -> None:
    ours = {
        k: v
        for k, v in cdk_synth.of_type("AWS::Lambda::Function").items()
        if v["Properties"].get("FunctionName", "").startswith(cdk_synth.physical(""))
    }
    assert len(ours) == len(TOPOLOGY.functions)
    assert len({json.dumps(v["Properties"]["Code"]) for v in ours.values()}) == 1
    layer = cdk_synth.resources[cdk_synth.logical_id("Functions/SharedLayer/Resource")]["Properties"]
    assert layer["CompatibleRuntimes"] == ["python3.13"]
    assert layer["CompatibleArchitectures"] == ["arm64"]


# ---- API ------------------------------------------------------------------------------------------


def _resource_paths(s: Synth) -> dict[str, str]:
    """Logical id (or the root's GetAtt as JSON) -> full resource path."""
    resources = s.of_type("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(lid: str) -> str:
        if lid not in paths:
            props = resources[lid]["Properties"]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[lid] = f"{prefix}/{props['PathPart']}"
        return paths[lid]

    for lid in resources:
        path_of(lid)
    return paths


@pytest.mark.parametrize("route,fn", TOPOLOGY.routes(), ids=lambda x: getattr(x, "path", "") or x.name)
def test_route_method_integration_and_authoriser(cdk_synth: Synth, route: Any, fn: Function) -> None:
    s = cdk_synth
    paths = _resource_paths(s)
    matches = [
        m["Properties"]
        for m in s.of_type("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == route.method
        and "Ref" in m["Properties"]["ResourceId"]
        and paths[m["Properties"]["ResourceId"]["Ref"]] == route.path
    ]
    assert len(matches) == 1, (route.method, route.path)
    method = matches[0]
    assert method["Integration"]["Type"] == "AWS_PROXY"
    assert _get_att(_function_lid(s, fn)) in method["Integration"]["Uri"]["Fn::Join"][1]
    if route.auth in (AuthKind.PUBLIC, AuthKind.WEBHOOK):
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method
    else:
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
        authorizer = s.resources[method["AuthorizerId"]["Ref"]]["Properties"]
        pool = {AuthKind.CUSTOMER: "customers", AuthKind.STAFF: "staff"}[route.auth]
        assert authorizer["Type"] == "COGNITO_USER_POOLS"
        assert authorizer["ProviderARNs"] == [_get_att(s.logical_id(f"Auth/{pool}/Resource"))]


def test_no_unexpected_methods_and_cors_preflight_everywhere(cdk_synth: Synth) -> None:
    methods = [m["Properties"] for m in cdk_synth.of_type("AWS::ApiGateway::Method").values()]
    assert len([m for m in methods if m["HttpMethod"] != "OPTIONS"]) == len(TOPOLOGY.routes())
    preflight = {json.dumps(m["ResourceId"]) for m in methods if m["HttpMethod"] == "OPTIONS"}
    assert len(preflight) == len(cdk_synth.of_type("AWS::ApiGateway::Resource")) + 1  # + root


def test_stage_logging_tracing_throttling_and_validation(cdk_synth: Synth, template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": cdk_synth.stage,
            "TracingEnabled": True,
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {
                            "ThrottlingRateLimit": Match.any_value(),
                            "ThrottlingBurstLimit": Match.any_value(),
                            "LoggingLevel": Match.any_value(),
                        }
                    )
                ]
            ),
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True, "ValidateRequestParameters": True}
    )


# ---- data, messaging ------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TOPOLOGY.tables, ids=lambda t: t.name)
def test_tables(cdk_synth: Synth, table: Any) -> None:
    res = cdk_synth.resources[cdk_synth.logical_id(f"Data/{table.name}/Resource")]
    props = res["Properties"]
    assert res["DeletionPolicy"] == "Retain" and res["UpdateReplacePolicy"] == "Retain"
    assert props["TableName"] == cdk_synth.physical(table.name)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    keys = [{"AttributeName": table.pk, "KeyType": "HASH"}]
    if table.sk:
        keys.append({"AttributeName": table.sk, "KeyType": "RANGE"})
    assert props["KeySchema"] == keys
    gsis = {g["IndexName"]: g["KeySchema"] for g in props.get("GlobalSecondaryIndexes", [])}
    assert set(gsis) == {i.name for i in table.indexes}
    for index in table.indexes:
        assert gsis[index.name][0] == {"AttributeName": index.pk, "KeyType": "HASH"}
        if index.sk:
            assert gsis[index.name][1] == {"AttributeName": index.sk, "KeyType": "RANGE"}
    if table.ttl:
        assert props["TimeToLiveSpecification"] == {"AttributeName": table.ttl, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    if table.stream:
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    else:
        assert "StreamSpecification" not in props


@pytest.mark.parametrize("queue", TOPOLOGY.queues, ids=lambda q: q.name)
def test_queues_have_dlq_ssl_and_encryption(cdk_synth: Synth, queue: Any) -> None:
    s = cdk_synth
    props = s.resources[s.logical_id(f"Messaging/Queue-{queue.name}/Resource")]["Properties"]
    dlq_lid = s.logical_id(f"Messaging/Queue-{queue.dlq}/Resource")
    assert props["QueueName"] == s.physical(queue.name)
    assert props["VisibilityTimeout"] == queue.visibility_timeout
    assert props["RedrivePolicy"] == {"deadLetterTargetArn": _get_att(dlq_lid), "maxReceiveCount": queue.max_receives}
    key = {"Fn::GetAtt": [s.logical_id("Encryption/Key/Resource"), "Arn"]}
    assert props["KmsMasterKeyId"] == key  # the platform key (test_security_posture covers every queue)
    assert s.resources[dlq_lid]["Properties"]["QueueName"] == s.physical(queue.dlq)
    for lid in (s.logical_id(f"Messaging/Queue-{queue.name}/Resource"), dlq_lid):
        policies = [
            p["Properties"]["PolicyDocument"]
            for p in s.of_type("AWS::SQS::QueuePolicy").values()
            if {"Ref": lid} in p["Properties"]["Queues"]
        ]
        assert any(
            st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for doc in policies
            for st in doc["Statement"]
        ), lid


@pytest.mark.parametrize("rule", TOPOLOGY.rules, ids=lambda r: r.name)
def test_rules_render_pattern_and_targets(cdk_synth: Synth, rule: Any) -> None:
    s = cdk_synth
    props = s.resources[s.logical_id(f"Messaging/Rule-{rule.name}/Resource")]["Properties"]
    assert props["Name"] == s.physical(rule.name)
    assert props["EventBusName"] == {"Ref": s.logical_id("Messaging/Bus/Resource")}
    assert props["EventPattern"] == rule.pattern
    target_arns = [t["Arn"] for t in props.get("Targets", [])]
    expected = []
    if rule.queue:
        expected.append(_get_att(s.logical_id(f"Messaging/Queue-{rule.queue}/Resource")))
    expected += [_get_att(_function_lid(s, fn)) for fn in TOPOLOGY.functions if rule.name in fn.rules]
    assert sorted(map(json.dumps, target_arns)) == sorted(map(json.dumps, expected))


def test_schedules(cdk_synth: Synth, template: Template) -> None:
    # (test_rendering_paths.py covers a schedule even while the product topology has none)
    for fn in (f for f in TOPOLOGY.functions if f.schedule):
        template.has_resource_properties(
            "AWS::Events::Rule",
            {
                "ScheduleExpression": Match.string_like_regexp(r"^rate\("),
                "Targets": [Match.object_like({"Arn": _get_att(_function_lid(cdk_synth, fn))})],
            },
        )


@pytest.mark.parametrize("fn", [f for f in TOPOLOGY.functions if f.sqs], ids=lambda f: f.name)
def test_sqs_event_sources(cdk_synth: Synth, template: Template, fn: Function) -> None:
    assert fn.sqs is not None
    s = cdk_synth
    expected: dict[str, Any] = {
        "FunctionName": {"Ref": _function_lid(s, fn)},
        "EventSourceArn": _get_att(s.logical_id(f"Messaging/Queue-{fn.sqs.queue}/Resource")),
        "BatchSize": fn.sqs.batch_size,
        "FunctionResponseTypes": ["ReportBatchItemFailures"] if fn.sqs.partial_failures else Match.absent(),
        "MaximumBatchingWindowInSeconds": fn.sqs.max_batching_window or Match.absent(),
    }
    template.has_resource_properties("AWS::Lambda::EventSourceMapping", expected)


def test_bus_and_archive(cdk_synth: Synth, template: Template) -> None:
    bus = cdk_synth.logical_id("Messaging/Bus/Resource")
    assert cdk_synth.resources[bus]["Properties"]["Name"] == cdk_synth.physical(TOPOLOGY.bus)
    template.has_resource_properties("AWS::Events::Archive", {"SourceArn": _get_att(bus)})


# ---- workflows ------------------------------------------------------------------------------------


@pytest.mark.parametrize("machine", TOPOLOGY.state_machines, ids=lambda m: m.name)
def test_state_machines(cdk_synth: Synth, machine: Any) -> None:
    s = cdk_synth
    props = s.resources[s.logical_id(f"Workflows/{machine.name}/Resource")]["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == s.physical(machine.name)
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert "DefinitionS3Location" in props
    assert set(props["DefinitionSubstitutions"]) == {key for key, _ in machine.substitutions}
    statements = _policy_statements(s, f"Workflows/{machine.name}/Role")
    for placeholder, target in machine.substitutions:
        kind, _, name = target.partition(":")
        value = props["DefinitionSubstitutions"][placeholder]
        if kind == "function":
            lid = _function_lid(s, TOPOLOGY.function(name))
            assert value == _get_att(lid)
            assert "lambda:InvokeFunction" in _actions(statements, lid)
        elif kind == "bus":
            lid = s.logical_id("Messaging/Bus/Resource")
            assert value == {"Ref": lid}
            assert "events:PutEvents" in _actions(statements, lid)
        elif kind == "table":
            lid = s.logical_id(f"Data/{name}/Resource")
            assert value == {"Ref": lid}
            assert "dynamodb:PutItem" in _actions(statements, lid)
        elif kind == "queue":
            lid = s.logical_id(f"Messaging/Queue-{name}/Resource")
            assert value == {"Ref": lid}
            assert "sqs:SendMessage" in _actions(statements, lid)
        else:
            raise AssertionError(target)


# ---- identity, secrets, email ---------------------------------------------------------------------


@pytest.mark.parametrize("pool", TOPOLOGY.user_pools, ids=lambda p: p.name)
def test_user_pools_and_groups(cdk_synth: Synth, pool: Any) -> None:
    s = cdk_synth
    lid = s.logical_id(f"Auth/{pool.name}/Resource")
    props = s.resources[lid]["Properties"]
    assert props["UserPoolName"] == s.physical(pool.name)
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is (not pool.self_sign_up)
    groups = {
        g["Properties"]["GroupName"]
        for g in s.of_type("AWS::Cognito::UserPoolGroup").values()
        if g["Properties"]["UserPoolId"] == {"Ref": lid}
    }
    assert groups == {str(g) for g in pool.groups}
    if not pool.self_sign_up:
        assert props["MfaConfiguration"] == "ON"


def test_secrets_and_email_identity(cdk_synth: Synth, template: Template) -> None:
    for secret in TOPOLOGY.secrets:
        template.has_resource_properties(
            "AWS::SecretsManager::Secret",
            {"Name": cdk_synth.physical(secret.name), "GenerateSecretString": Match.any_value()},
        )
    template.has_resource_properties("AWS::SES::EmailIdentity", {"EmailIdentity": TOPOLOGY.email.address})


# ---- admin site, observability --------------------------------------------------------------------


def test_admin_site_behind_cloudfront_with_oac(cdk_synth: Synth, template: Template) -> None:
    s = cdk_synth
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    oac = s.of_type("AWS::CloudFront::OriginAccessControl")
    (oac_lid,) = oac
    assert oac[oac_lid]["Properties"]["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": Match.object_like(
                {
                    "DefaultRootObject": "index.html",
                    "Origins": [Match.object_like({"OriginAccessControlId": _get_att(oac_lid, "Id")})],
                    "DefaultCacheBehavior": Match.object_like({"ViewerProtocolPolicy": "redirect-to-https"}),
                }
            )
        },
    )
    bucket = s.resources[s.logical_id("AdminSite/Bucket/Resource")]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    deployments = s.of_type("Custom::CDKBucketDeployment")
    assert len(deployments) == 1
    (deployment,) = deployments.values()
    assert deployment["Properties"]["DestinationBucketName"] == {"Ref": s.logical_id("AdminSite/Bucket/Resource")}


def test_admin_config_json_carries_api_region_and_pool(cdk_synth: Synth) -> None:
    (deployment,) = cdk_synth.of_type("Custom::CDKBucketDeployment").values()
    markers = json.dumps(deployment["Properties"].get("SourceMarkers", []))
    assert "ApiNestedStack" in markers and "RestApi" in markers  # the API's URL, from its nested stack
    assert cdk_synth.logical_id("Auth/staff/Resource") in markers


def _alarm_dims(s: Synth) -> list[tuple[str, str, str]]:
    return [
        (
            a["Properties"]["MetricName"],
            json.dumps(a["Properties"].get("Dimensions", [])),
            a["Properties"]["ComparisonOperator"],
        )
        for a in s.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Threshold"] == 0
    ]


def test_alarms_on_every_dlq_api_5xx_and_machine_failures(cdk_synth: Synth) -> None:
    s = cdk_synth
    alarms = _alarm_dims(s)
    for queue in TOPOLOGY.queues:
        dlq = _get_att(s.logical_id(f"Messaging/Queue-{queue.dlq}/Resource"), "QueueName")
        assert any(m == "ApproximateNumberOfMessagesVisible" and json.dumps(dlq) in d for m, d, _ in alarms), queue
    assert any(m == "5XXError" for m, _, _ in alarms)
    for machine in TOPOLOGY.state_machines:
        lid = s.logical_id(f"Workflows/{machine.name}/Resource")
        assert any(m == "ExecutionsFailed" and lid in d for m, d, _ in alarms), machine
    assert all(op == "GreaterThanThreshold" for _, _, op in alarms)
    assert len(s.of_type("AWS::CloudWatch::Dashboard")) == 1


def test_physical_names_follow_the_one_rule(cdk_synth: Synth) -> None:
    assert cdk_synth.physical("x") == Topology.physical(cdk_synth.stage, "x") == f"commerce-{cdk_synth.stage}-x"
