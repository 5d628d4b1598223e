"""Cognito user pools (customers, staff) with their groups and the app clients the SPA and shop use."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.model import Topology, UserPool


class Auth(Construct):
    def __init__(self, scope: Construct, id: str, *, topology: Topology, stage: str) -> None:
        super().__init__(scope, id)
        self.pools: dict[str, cognito.UserPool] = {}
        self.clients: dict[str, cognito.UserPoolClient] = {}
        for spec in topology.user_pools:
            self._pool(spec, topology.physical(stage, spec.name))

    def _pool(self, spec: UserPool, physical_name: str) -> None:
        # Self sign-up pools are shoppers: MFA is optional for them. Staff pools require it.
        staff = not spec.self_sign_up
        pool = cognito.UserPool(
            self,
            spec.name,
            user_pool_name=physical_name,
            self_sign_up_enabled=spec.self_sign_up,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12 if staff else 8,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED if staff else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for group in spec.groups:
            cognito.CfnUserPoolGroup(
                self, f"{spec.name}-group-{group}", user_pool_id=pool.user_pool_id, group_name=str(group)
            )
        self.clients[spec.name] = pool.add_client(
            "client",
            user_pool_client_name=f"{physical_name}-web",
            generate_secret=False,
            # Shoppers sign in through the storefront API (/auth/sign-in, over TLS); staff use SRP.
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),  # both apps sign in through the API
            prevent_user_existence_errors=True,
        )
        acknowledge(
            pool,
            "AwsSolutions-COG3",
            "Threat protection (advanced security) needs the Cognito Plus feature plan; the platform "
            "uses Essentials, compromised-credential checks are a per-deployment cost decision.",
            "AwsSolutions-COG8",
        )
        if not staff:
            acknowledge(
                pool,
                "AwsSolutions-COG2",
                "Shoppers may opt in to MFA (TOTP); requiring it at checkout would lose customers. "
                "The staff pool requires MFA.",
            )
        self.pools[spec.name] = pool
