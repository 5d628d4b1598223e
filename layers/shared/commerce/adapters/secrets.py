"""Webhook signing keys from Secrets Manager, through Powertools Parameters (cached, never logged).

The secret is JSON with one hex key per partner: {"payments": "...", "warehouse": ..., "carrier": ...}."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from commerce.adapters.aws import client

MAX_AGE_SECONDS = 300


class SecretSigningKeys:
    def __init__(self, secret_name: str) -> None:
        self._name = secret_name
        self._provider = SecretsProvider(boto3_client=client("secretsmanager"))

    def key(self, partner: str) -> bytes:
        keys: Any = self._provider.get(self._name, transform="json", max_age=MAX_AGE_SECONDS)
        value = keys.get(partner) if isinstance(keys, dict) else None
        if not value:
            raise KeyError(f"no signing key for {partner}")
        return bytes.fromhex(value) if _is_hex(value) else str(value).encode()


def _is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True
