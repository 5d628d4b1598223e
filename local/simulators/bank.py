"""The sandbox bank: the merchant system the platform talks to locally and in tests.

A small REST API (``Idempotency-Key`` on every POST: the same key returns the same answer and never
charges twice) that reports results by signed webhook to ``{webhook_url}`` after ``delay`` seconds,
as a real gateway does. Deterministic test tokens (docs/payments.md):

    tok_approve              accepted, then webhook payment.authorised
    tok_decline              accepted, then webhook payment.declined (decline_code card_declined)
    tok_insufficient_funds   declined at once (decline_code insufficient_funds), no webhook
    tok_challenge            challenge_required; POST /v1/challenges/{id}/complete {"result": "pass"|"fail"}
                             then webhook payment.authorised | payment.challenge_failed
    tok_timeout              the bank sleeps past the client's timeout, then answers 504
    tok_5xx                  500 on the first ``fail_first`` calls of a key, then as tok_approve

Captures (partial allowed, at most what is left), voids and refunds (at most what is captured)
answer at once and also send payment.captured / payment.voided / payment.refunded webhooks.

The HTTP server and the webhooks (signing, redelivery, the ``deliveries`` log, ``send`` and
``signed`` for tests) are shared with the warehouse and the carrier (``local.simulators.webhooks``);
the bank redelivers every non-2xx answer.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from local.simulators.webhooks import Delivery, HttpSimulator

__all__ = ["Bank", "Delivery"]


@dataclass
class _Authorisation:
    reference: str
    order_id: str
    amount: int
    currency: str
    idempotency_key: str
    captured: int = 0
    refunded: int = 0
    voided: bool = False


@dataclass
class Bank(HttpSimulator):
    delay: float = 0.2
    timeout_sleep: float = 3.0
    fail_first: int = 2
    _answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _failures: dict[str, int] = field(default_factory=dict)
    _auths: dict[str, _Authorisation] = field(default_factory=dict)
    _challenges: dict[str, _Authorisation] = field(default_factory=dict)
    _capture_requests: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    LOGGER: ClassVar[str] = "local.bank"
    SERVER_NAME: ClassVar[str] = "sandbox-bank"

    # ---- the API -----------------------------------------------------------------------------------
    def handle(self, path: str, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        if path.startswith("/v1/challenges/") and path.endswith("/complete"):
            return self._complete_challenge(path.split("/")[3], str(body.get("result")))
        if not key:
            return 400, {"error": "Idempotency-Key required"}
        if body.get("token") == "tok_timeout":
            time.sleep(self.timeout_sleep)
            return 504, {"error": "upstream timeout"}
        with self._lock:
            if path == "/v1/captures":
                auth = self._auths.get(str(body.get("authorisation")))
                self._capture_requests.append((auth.order_id if auth else "", key))
            if key in self._answers:
                return self._answers[key]  # same key, same answer, never charged twice
            if body.get("token") == "tok_5xx" and self._failures.get(key, 0) < self.fail_first:
                self._failures[key] = self._failures.get(key, 0) + 1
                return 500, {"error": "internal error"}
            routes: dict[str, Callable[[dict[str, Any], str], tuple[int, dict[str, Any]]]] = {
                "/v1/authorisations": self._authorise,
                "/v1/captures": self._capture,
                "/v1/voids": self._void,
                "/v1/refunds": self._refund,
            }
            if path not in routes:
                return 404, {"error": "not found"}
            answer = routes[path](body, key)
            if answer[0] < 500:
                self._answers[key] = answer
            return answer

    def _authorise(self, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        token = str(body.get("token"))
        auth = _Authorisation(
            f"auth_{secrets.token_hex(6)}", str(body["order_id"]), int(body["amount"]), str(body["currency"]), key
        )
        self._auths[auth.reference] = auth
        match token:
            case "tok_approve" | "tok_5xx":
                self._later(auth, "payment.authorised", auth.amount, key)
            case "tok_decline":
                self._later(auth, "payment.declined", auth.amount, key, decline_code="card_declined")
            case "tok_insufficient_funds":
                return 402, {"reference": auth.reference, "status": "declined", "decline_code": "insufficient_funds"}
            case "tok_challenge":
                challenge = f"ch_{secrets.token_hex(6)}"
                self._challenges[challenge] = auth
                return 201, {
                    "reference": auth.reference,
                    "status": "challenge_required",
                    "challenge_id": challenge,
                    "challenge_url": f"{self.url}/v1/challenges/{challenge}",
                }
            case _:
                return 402, {"reference": auth.reference, "status": "declined", "decline_code": "invalid_token"}
        return 201, {"reference": auth.reference, "status": "accepted"}

    def _complete_challenge(self, challenge: str, result: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            auth = self._challenges.pop(challenge, None)
        if auth is None:
            return 404, {"error": "no such challenge"}
        if result == "pass":
            self._later(auth, "payment.authorised", auth.amount, auth.idempotency_key)
        else:
            self._later(auth, "payment.challenge_failed", auth.amount, auth.idempotency_key, "challenge_failed")
        return 200, {"challenge_id": challenge, "result": result}

    def _capture(self, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        auth = self._auths.get(str(body.get("authorisation")))
        amount = int(body.get("amount") or 0)
        if auth is None or auth.voided:
            return 404, {"status": "declined", "decline_code": "no_such_authorisation"}
        if amount <= 0 or amount > auth.amount - auth.captured:
            return 422, {"status": "declined", "decline_code": "amount_exceeds_authorisation"}
        auth.captured += amount
        reference = f"cap_{secrets.token_hex(6)}"
        self._later(auth, "payment.captured", amount, key, reference=reference)
        return 201, {"reference": reference, "status": "accepted"}

    def _void(self, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        auth = self._auths.get(str(body.get("authorisation")))
        if auth is None or auth.captured:
            return 422, {"status": "declined", "decline_code": "not_voidable"}
        auth.voided = True
        reference = f"void_{secrets.token_hex(6)}"
        self._later(auth, "payment.voided", auth.amount, key, reference=reference)
        return 201, {"reference": reference, "status": "accepted"}

    def _refund(self, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        auth = self._auths.get(str(body.get("authorisation")))
        amount = int(body.get("amount") or 0)
        if auth is None or amount <= 0 or amount > auth.captured - auth.refunded:
            return 422, {"status": "declined", "decline_code": "amount_exceeds_captured"}
        auth.refunded += amount
        reference = f"ref_{secrets.token_hex(6)}"
        self._later(auth, "payment.refunded", amount, key, reference=reference)
        return 201, {"reference": reference, "status": "accepted"}

    def capture_requests(self, order_id: str) -> list[str]:
        """The idempotency key of every capture request the bank received for the order, in order,
        replays included (the webhook telling the platform of a capture comes later)."""
        with self._lock:
            return [key for order, key in self._capture_requests if order == order_id]

    # ---- webhooks ----------------------------------------------------------------------------------
    def _later(
        self,
        auth: _Authorisation,
        type_: str,
        amount: int,
        key: str,
        decline_code: str | None = None,
        reference: str | None = None,
    ) -> None:
        event = {
            "event_id": f"evt_{secrets.token_hex(8)}",
            "type": type_,
            "order_id": auth.order_id,
            "reference": reference or auth.reference,
            "amount": amount,
            "currency": auth.currency,
            "idempotency_key": key,
        }
        if decline_code:
            event["decline_code"] = decline_code
        self._schedule(self.delay, self.send, event)

    def should_redeliver(self, status: int | None) -> bool:
        """Like real card gateways: every unacknowledged delivery (no 2xx: the platform may not have
        stored the payment yet, or was unreachable) is sent again, re-signed, with backoff."""
        return not 200 <= (status or 0) < 300
