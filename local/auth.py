"""The local Cognito authoriser: verifies a user pool ID token as API Gateway's would.

moto signs every pool's tokens with one RS256 key and publishes it at
``/<pool_id>/.well-known/jwks.json``. A token is accepted for a route when its signature verifies
against that JWKS, ``iss`` is the route's pool, ``token_use`` is ``id``, ``aud`` is one of the
pool's app clients and it has not expired. Anything else is ``None`` (the gateway answers 401).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt


@dataclass(frozen=True)
class PoolKeys:
    pool_id: str
    issuer: str
    client_ids: frozenset[str]
    jwks_url: str


class CognitoAuthorizer:
    def __init__(self) -> None:
        self._pools: dict[str, PoolKeys] = {}
        self._keys: dict[str, dict[str, jwt.PyJWK]] = {}
        self._lock = threading.Lock()

    def add_pool(self, name: str, pool: PoolKeys) -> None:
        self._pools[name] = pool

    def pool(self, name: str) -> PoolKeys:
        return self._pools[name]

    def _jwks(self, pool: PoolKeys) -> dict[str, jwt.PyJWK]:
        with self._lock:
            keys = self._keys.get(pool.pool_id)
            if keys is None:
                with urllib.request.urlopen(pool.jwks_url, timeout=10) as response:
                    document = json.load(response)
                keys = {k["kid"]: jwt.PyJWK(k) for k in document["keys"]}
                self._keys[pool.pool_id] = keys
            return keys

    def verify(self, pool_name: str, authorization: str | None) -> dict[str, Any] | None:
        """The token's claims if it authorises a route of ``pool_name``, else None."""
        if not authorization:
            return None
        token = authorization.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        pool = self._pools.get(pool_name)
        if pool is None:
            return None
        try:
            header = jwt.get_unverified_header(token)
            key = self._jwks(pool).get(header.get("kid", ""))
            if key is None or header.get("alg") != "RS256":
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=pool.issuer,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError):
            return None
        if claims.get("token_use") != "id" or claims.get("aud") not in pool.client_ids:
            return None
        return claims


def claims_for_event(claims: dict[str, Any]) -> dict[str, str]:
    """API Gateway (REST, Cognito authoriser) hands claims to the handler as strings; lists are
    joined with commas (``cognito:groups``: ``"admin,finance"``)."""
    out: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out
