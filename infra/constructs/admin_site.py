"""The admin SPA: a private S3 bucket behind CloudFront (origin access control), its build deployed
when ``admin/dist`` holds one (``make admin``), and a ``config.json`` telling the SPA where the API and
staff pool are."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import DefaultStackSynthesizer, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.constructs.nag import acknowledge


class AdminSite(Construct):
    def __init__(self, scope: Construct, id: str, *, dist: Path, config: dict[str, str]) -> None:
        super().__init__(scope, id)
        self.logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront standard logging writes with ACLs.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.logs,
            "AwsSolutions-S1",
            "This is the access-log destination of the site bucket and CloudFront; logging it into itself would loop.",
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{Stack.of(self).stack_name} admin SPA",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
            ),
            # Client-side routing: unknown paths serve the SPA shell.
            error_responses=[
                cloudfront.ErrorResponse(http_status=code, response_http_status=200, response_page_path="/index.html")
                for code in (403, 404)
            ],
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The back office is used by staff wherever they are; access is controlled by Cognito, not geography.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "The distribution serves only the SPA's static files; the data surface is the API (Cognito "
            "authoriser, throttling). A WAF web ACL is an account-level add-on (Firewall Manager).",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "The default *.cloudfront.net certificate cannot pin TLSv1.2; a custom domain and ACM "
            "certificate (then minimum_protocol_version TLSv1.2_2021) are a per-deployment addition.",
        )
        # The SPA reads config.json beside index.html at start-up: one build serves every stage.
        # Synth works without a build (a fresh clone, the infra tests): then only config.json goes.
        sources = [s3deploy.Source.json_data("config.json", config)]
        if (dist / "index.html").is_file():
            sources.insert(0, s3deploy.Source.asset(str(dist), exclude=["**/__pycache__", ".venv"]))
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            sources=sources,
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=512,
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"
        self._acknowledge_deployment_handler()

    def _acknowledge_deployment_handler(self) -> None:
        """BucketDeployment's singleton handler is CDK-owned and lives at stack level."""
        stack = Stack.of(self)
        handler = next(c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment"))
        bucket_id = stack.get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        qualifier = DefaultStackSynthesizer.DEFAULT_QUALIFIER
        reason = (
            "CDK's BucketDeployment handler (runtime and policy chosen by aws-cdk-lib): it copies the "
            "staged SPA assets from the CDK asset bucket into the site bucket and invalidates CloudFront."
        )
        acknowledge(
            handler,
            "AwsSolutions-L1",
            reason,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            *(
                f"AwsSolutions-IAM5[Action::s3:{action}]"
                for action in ("GetBucket*", "GetObject*", "List*", "Abort*", "DeleteObject*")
            ),
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-{qualifier}-assets-<AWS::AccountId>-{stack.region}/*]",
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]",
            "AwsSolutions-IAM5[Resource::*]",
        )
