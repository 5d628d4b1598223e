"""The REST API: one resource+method per topology route, proxied to its function, behind the Cognito
authoriser its AuthKind names. CORS preflight, request validation, throttling and access logs on the stage,
and the WAF web ACL (``firewall.py``) associated with it.

A nested stack of its own: each route costs a method, its CORS preflight, path resources and a
Lambda permission, and one stack may hold at most 500 resources (the functions, data and workflows
live in the parent; the permissions stay with their functions there).
"""

from __future__ import annotations

from aws_cdk import NestedStack, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.firewall import Firewall
from infra.constructs.nag import acknowledge
from infra.model import GATEWAY_RESPONSES, AuthKind, Topology

# Which user pool authorises which kind of route (PUBLIC and WEBHOOK routes have no authoriser:
# webhooks are verified in the handler by HMAC signature).
POOL_FOR_AUTH = {AuthKind.CUSTOMER: "customers", AuthKind.STAFF: "staff"}

THROTTLE_RATE = 100  # requests/s steady state per stage (raise per deployment)
THROTTLE_BURST = 200


class Api(NestedStack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        stage: str,
        functions: dict[str, lambda_.Function],
        pools: dict[str, cognito.UserPool],
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, id)
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{topology.physical(stage, 'api')}/access",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=key,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=topology.physical(stage, "api"),
            description="Storefront, back-office and webhook API",
            # Execution logging needs the account-level API Gateway logging role. Retained: it is shared
            # by every stage/stack in the account, deleting one stack must not break the others.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=stage,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=list(topology.cors_origins),
                allow_methods=apigw.Cors.ALL_METHODS,
                allow_headers=[*apigw.Cors.DEFAULT_HEADERS, "Idempotency-Key"],
            ),
        )
        for response in GATEWAY_RESPONSES:  # the gateway's own answers are problem+json too
            self.rest_api.add_gateway_response(
                response.type,
                type=apigw.ResponseType.of(response.type),
                status_code=str(response.status),
                response_headers={
                    "Access-Control-Allow-Origin": "'*'",
                    "Content-Type": "'application/problem+json'",
                    **{name: f"'{value}'" for name, value in response.headers},
                },
                templates={"application/json": response.template},
            )
        self.validator = self.rest_api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        self._pools = pools
        self.authorizers: dict[AuthKind, apigw.CognitoUserPoolsAuthorizer] = {}
        integrations: dict[str, apigw.Integration] = {}
        for route, fn in topology.routes():
            if fn.name not in integrations:
                integrations[fn.name] = self._integration(fn.name, functions[fn.name])
            resource = self.rest_api.root.resource_for_path(route.path)
            method = resource.add_method(
                route.method,
                integrations[fn.name],
                request_validator=self.validator,
                **self._auth(route.auth),
            )
            if route.auth in (AuthKind.PUBLIC, AuthKind.WEBHOOK):
                acknowledge(
                    method,
                    "AwsSolutions-APIG4",
                    f"{route.auth.value} route by design: storefront reads are anonymous, webhooks are "
                    "authenticated in the handler by HMAC signature over timestamp and body.",
                    "AwsSolutions-COG4",
                )
        self._acknowledge_api()
        # Here, in the API's own stack, where the stage (and so its ARN) is.
        self.firewall = Firewall(
            self, "Firewall", name=topology.physical(stage, "api"), stage_arn=self.rest_api.deployment_stage.stage_arn
        )

    def _integration(self, name: str, fn: lambda_.Function) -> apigw.Integration:
        """A Lambda proxy integration, and ONE permission for the function to be invoked by this API
        (LambdaIntegration adds one per method: a function with ten routes would cost ten)."""
        lambda_.CfnPermission(
            self,
            f"Invoke-{name}",
            action="lambda:InvokeFunction",
            function_name=fn.function_arn,
            principal="apigateway.amazonaws.com",
            source_arn=self.rest_api.arn_for_execute_api(method="*", path="/*", stage="*"),
        )
        return apigw.Integration(
            type=apigw.IntegrationType.AWS_PROXY,
            integration_http_method="POST",
            uri=f"arn:{self.partition}:apigateway:{self.region}:lambda:path/2015-03-31/functions/"
            f"{fn.function_arn}/invocations",
        )

    def _auth(self, kind: AuthKind) -> dict[str, object]:
        pool = POOL_FOR_AUTH.get(kind)
        if pool is None:
            return {"authorization_type": apigw.AuthorizationType.NONE}
        if kind not in self.authorizers:  # created on first use: an unattached authoriser fails synth
            self.authorizers[kind] = apigw.CognitoUserPoolsAuthorizer(
                self,
                f"{pool}-authorizer",
                authorizer_name=f"{pool}-pool",
                cognito_user_pools=[self._pools[pool]],
            )
        return {
            "authorization_type": apigw.AuthorizationType.COGNITO,
            "authorizer": self.authorizers[kind],
        }

    def _acknowledge_api(self) -> None:
        # CORS preflight (OPTIONS) methods must be anonymous: browsers send them without credentials.
        for child in self.rest_api.node.find_all():
            if isinstance(child, apigw.Method) and child.http_method == "OPTIONS":
                acknowledge(
                    child,
                    "AwsSolutions-APIG4",
                    "CORS preflight must be answered without credentials.",
                    "AwsSolutions-COG4",
                )
        role = self.rest_api.node.try_find_child("CloudWatchRole")
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "The account-level API Gateway logging role needs exactly the AWS-managed push-to-logs policy.",
            )
