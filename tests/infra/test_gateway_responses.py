"""API Gateway's own answers (no handler ran) are problem+json on AWS and locally alike."""

from __future__ import annotations

import json

import pytest
from cdksynth import Synth

from infra.model import GATEWAY_RESPONSES, GatewayResponse


@pytest.mark.parametrize("response", GATEWAY_RESPONSES, ids=lambda r: r.type)
def test_the_template_declares_each_gateway_response(cdk_synth: Synth, response: GatewayResponse):
    declared = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in cdk_synth.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    props = declared[response.type]
    assert props["StatusCode"] == str(response.status)
    assert props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    assert props["ResponseTemplates"]["application/json"] == response.template
    for name, value in response.headers:
        assert props["ResponseParameters"][f"gatewayresponse.header.{name}"] == f"'{value}'"


@pytest.mark.parametrize("response", GATEWAY_RESPONSES, ids=lambda r: r.type)
def test_aws_and_the_local_gateway_send_the_same_body(response: GatewayResponse):
    # API Gateway substitutes $context values into the template; the local gateway builds the body directly.
    rendered = response.template.replace("$context.error.messageString", '"Unauthorized"').replace(
        "$context.requestId", "req-1"
    )
    assert json.loads(rendered) == response.problem("Unauthorized", "req-1")
