"""Lazily created, cached boto3 clients (created on first use, reused across warm invocations).
Locally AWS_ENDPOINT_URL points them at the local cloud."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=10)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)
