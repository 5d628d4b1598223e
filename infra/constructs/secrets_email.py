"""Secrets Manager secrets (generated values, encrypted with the platform key) and the SES sender identity."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.model import Topology


class SecretsAndEmail(Construct):
    def __init__(self, scope: Construct, id: str, *, topology: Topology, stage: str, key: kms.IKey) -> None:
        super().__init__(scope, id)
        self.secrets: dict[str, secretsmanager.Secret] = {}
        for spec in topology.secrets:
            secret = secretsmanager.Secret(
                self,
                spec.name,
                secret_name=topology.physical(stage, spec.name),
                description=spec.description,
                encryption_key=key,  # grant_read adds kms:Decrypt via Secrets Manager
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=64, exclude_punctuation=True
                ),
            )
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                "Partner HMAC keys are shared with the payment gateway, warehouse and carriers; rotation is "
                "coordinated with each partner out of band, so automatic rotation would break webhooks.",
            )
            self.secrets[spec.name] = secret
        self.email = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(topology.email.address))
