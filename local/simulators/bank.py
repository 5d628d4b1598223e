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
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from commerce.common.signatures import sign

log = logging.getLogger("local.bank")
REDELIVERY_ATTEMPTS = 6  # first delivery + 5 retries
REDELIVERY_BACKOFF = 0.25  # seconds, doubling: 0.25, 0.5, 1, 2, 4


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
class Delivery:
    headers: dict[str, str]
    body: bytes
    status: int | None = None


@dataclass
class Bank:
    signing_key: bytes
    webhook_url: str = ""
    delay: float = 0.2
    timeout_sleep: float = 3.0
    fail_first: int = 2
    host: str = "127.0.0.1"
    port: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    _answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _failures: dict[str, int] = field(default_factory=dict)
    _auths: dict[str, _Authorisation] = field(default_factory=dict)
    _challenges: dict[str, _Authorisation] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _timers: list[threading.Timer] = field(default_factory=list)

    # ---- life cycle --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> Bank:
        bank = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = bank.handle(self.path, body, self.headers.get("Idempotency-Key") or "")
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (tok_timeout)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug(format, *args)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="sandbox-bank", daemon=True).start()
        return self

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

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
        timer = threading.Timer(self.delay, self.send, args=(event,))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def signed(self, event: dict[str, Any], timestamp: int | None = None) -> tuple[dict[str, str], bytes]:
        body = json.dumps(event).encode()
        header = sign(self.signing_key, int(time.time()) if timestamp is None else timestamp, body)
        return {"Content-Type": "application/json", "X-Signature": header}, body

    def send(self, event: dict[str, Any], attempt: int = 1) -> Delivery:
        """Deliver one webhook. Like real gateways, an unacknowledged delivery (no 2xx: the platform
        may not have stored the payment yet, or was unreachable) is sent again, re-signed, with
        backoff, a few times; the platform de-duplicates by event id."""
        delivery = self._deliver(event)
        if not 200 <= (delivery.status or 0) < 300 and attempt < REDELIVERY_ATTEMPTS:
            timer = threading.Timer(REDELIVERY_BACKOFF * 2 ** (attempt - 1), self.send, args=(event, attempt + 1))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        return delivery

    def _deliver(self, event: dict[str, Any]) -> Delivery:
        headers, body = self.signed(event)
        delivery = Delivery(headers, body)
        request = urllib.request.Request(self.webhook_url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                delivery.status = response.status
        except urllib.error.HTTPError as error:
            delivery.status = error.code
        except OSError as error:
            log.warning("webhook delivery failed: %s", error)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery
