"""Keyset cursors over DynamoDB queries whose keys are all strings: a page's last key, opaque to
the client (base64url JSON), checked on the way back so a cursor can only start a page inside the
listing it came from."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any


def encode(key: dict[str, Any]) -> str:
    """A cursor from a DynamoDB key (``LastEvaluatedKey``, or an item's key attributes)."""
    plain = {name: value["S"] if isinstance(value, dict) else value for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


def decode(cursor: str, attributes: frozenset[str], belongs: Callable[[dict[str, str]], bool]) -> dict[str, Any]:
    """The ``ExclusiveStartKey`` of a cursor that names exactly ``attributes`` (strings) and that
    ``belongs`` to this listing; ValueError otherwise."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as error:
        raise ValueError("not a cursor") from error
    if not isinstance(plain, dict) or set(plain) != attributes or not all(isinstance(v, str) for v in plain.values()):
        raise ValueError("not a cursor of this listing")
    if not belongs(plain):
        raise ValueError("a cursor of another listing")
    return {name: {"S": value} for name, value in plain.items()}
