"""What the partner simulators share: signed webhooks with redelivery, and a small JSON API server.

A webhook is an event (a JSON object) POSTed to ``webhook_url`` with
``X-Signature: t=<unix>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>`` (``commerce.common.signatures``).
Every attempt is logged in ``deliveries`` (headers, body, the status answered, the attempt number).

Redelivery: an unacknowledged delivery is sent again, re-signed (so a fresh timestamp), with a
doubling backoff (0.25, 0.5, 1, 2, 4 s: six attempts at most); the platform de-duplicates by event
id. Which answers are *final* is ``should_redeliver``:

- here (the warehouse and the carrier): redelivered when there was no answer (connection refused,
  timeout), a 5xx, 404 (the platform may not have stored the order or shipment yet: section 2 of
  docs/fulfilment.md says the sender retries), 408, 425 and 429. Every other answer is final:
  2xx acknowledged it; 409 is the platform's decision (``ORDER_CANCELLED`` on the hand-over: put the
  goods back), and 400/401/403/422 say the event itself is refused, which the same bytes signed
  again would not change.
- the sandbox bank overrides it to redeliver every non-2xx, as card gateways do (and as it always
  has).

``send(event)`` delivers at once (the first attempt in the caller's thread, so its status is known
when it returns) and redelivers on timers; ``send_and_wait(event)`` does every attempt in the
caller's thread (the scripted simulators use it, so their webhooks arrive in order).
``signed(event, timestamp)`` gives the headers and body without sending, for tests that forge,
replay or send a stale signature themselves.

``HttpSimulator`` adds the partner's JSON API (the bank's, the warehouse's): a ThreadingHTTPServer
on ``host:port`` whose POSTs go to ``handle(path, body, idempotency_key)``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self

from commerce.common.signatures import HEADER, sign
from local.gateway import BurstServer

REDELIVERY_ATTEMPTS = 6  # first delivery + 5 retries
REDELIVERY_BACKOFF = 0.25  # seconds, doubling: 0.25, 0.5, 1, 2, 4
TRANSIENT_4XX = frozenset({404, 408, 425, 429})  # answers worth asking again

Answer = tuple[int, dict[str, Any]]  # (HTTP status, JSON body)


@dataclass
class Delivery:
    """One attempt to deliver one webhook; ``status`` is None when nothing answered."""

    headers: dict[str, str]
    body: bytes
    status: int | None = None
    attempt: int = 1

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def occurred_at() -> str:
    """Now, ISO 8601 UTC with milliseconds (``2026-11-22T10:00:00.123Z``): events sent within the same
    second still sort in the order they happened."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class WebhookSender:
    signing_key: bytes
    webhook_url: str = ""
    deliveries: list[Delivery] = field(default_factory=list, kw_only=True)
    attempts: int = field(default=REDELIVERY_ATTEMPTS, kw_only=True)
    backoff: float = field(default=REDELIVERY_BACKOFF, kw_only=True)
    _timers: list[threading.Timer] = field(default_factory=list, kw_only=True, repr=False)
    _scripts: dict[str, threading.Thread] = field(default_factory=dict, kw_only=True, repr=False)
    _sender_lock: threading.Lock = field(default_factory=threading.Lock, kw_only=True, repr=False)
    _closed: threading.Event = field(default_factory=threading.Event, kw_only=True, repr=False)

    LOGGER: ClassVar[str] = "local.webhooks"

    def should_redeliver(self, status: int | None) -> bool:
        """Whether an answer (None: no answer) asks for another attempt; see the module docstring."""
        return status is None or status >= 500 or status in TRANSIENT_4XX

    def signed(self, event: dict[str, Any], timestamp: int | None = None) -> tuple[dict[str, str], bytes]:
        body = json.dumps(event).encode()
        header = sign(self.signing_key, int(time.time()) if timestamp is None else timestamp, body)
        return {"Content-Type": "application/json", HEADER: header}, body

    def send(
        self, event: dict[str, Any], on_final: Callable[[Delivery], None] | None = None, attempt: int = 1
    ) -> Delivery:
        """Deliver one webhook now; redeliver it in the background while the answer asks for it.
        ``on_final`` is called once with the last delivery (acknowledged, refused, or the last
        attempt) — in this call when the first answer is already final."""
        delivery = self._deliver(event, attempt)
        if self._again(delivery):
            self._schedule(self.backoff * 2 ** (attempt - 1), self.send, event, on_final, attempt + 1)
        elif on_final is not None:
            on_final(delivery)
        return delivery

    def send_and_wait(self, event: dict[str, Any]) -> Delivery:
        """Deliver one webhook with every redelivery in this thread; the last delivery."""
        attempt = 1
        while True:
            delivery = self._deliver(event, attempt)
            if not self._again(delivery) or self._closed.wait(self.backoff * 2 ** (attempt - 1)):
                return delivery
            attempt += 1

    def stop(self) -> None:
        """No more redeliveries (and no more scripted steps in the simulators)."""
        self._closed.set()
        for timer in list(self._timers):
            timer.cancel()

    # ---- internals ---------------------------------------------------------------------------------
    def _script(self, name: str, run: Callable[[], None]) -> threading.Thread:
        """One scripted run (a simulator's ``play``) per name at a time: the one still running, or
        ``run`` started on a new thread."""
        with self._sender_lock:
            running = self._scripts.get(name)
            if running is not None and running.is_alive():
                return running
            thread = threading.Thread(target=run, name=name, daemon=True)
            self._scripts[name] = thread
        thread.start()
        return thread

    def _again(self, delivery: Delivery) -> bool:
        return delivery.attempt < self.attempts and not self._closed.is_set() and self.should_redeliver(delivery.status)

    def _schedule(self, delay: float, function: Callable[..., Any], *args: Any) -> None:
        if self._closed.is_set():
            return
        timer = threading.Timer(delay, function, args=args)
        timer.daemon = True
        self._timers[:] = [t for t in self._timers if t.is_alive()]
        self._timers.append(timer)
        timer.start()

    def _deliver(self, event: dict[str, Any], attempt: int) -> Delivery:
        headers, body = self.signed(event)
        delivery = Delivery(headers, body, attempt=attempt)
        request = urllib.request.Request(self.webhook_url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                delivery.status = response.status
        except urllib.error.HTTPError as error:
            delivery.status = error.code
        except (OSError, ValueError) as error:  # unreachable, or no webhook URL set yet
            logging.getLogger(self.LOGGER).warning("webhook delivery failed: %s", error)
        with self._sender_lock:
            self.deliveries.append(delivery)
        return delivery


def event_type(family: str, name: str, names: tuple[str, ...]) -> str:
    """``event_type("dispatch", "packed" or "dispatch.packed", names)`` -> ``"dispatch.packed"``;
    a name not in ``names`` is refused (ValueError)."""
    short = name.removeprefix(f"{family}.")
    if short not in names:
        raise ValueError(f"unknown {family} event {name!r}; one of {', '.join(names)}")
    return f"{family}.{short}"


@dataclass
class HttpSimulator(WebhookSender):
    """A partner with a JSON API as well (the bank, the warehouse): ``start()`` serves it on
    ``host:port`` (port 0: a free one, see ``url``) and every POST becomes
    ``handle(path, body, idempotency_key)`` and its ``(status, body)`` answer."""

    host: str = field(default="127.0.0.1", kw_only=True)
    port: int = field(default=0, kw_only=True)
    _server: ThreadingHTTPServer | None = field(default=None, kw_only=True, repr=False)

    SERVER_NAME: ClassVar[str] = "simulator"

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._server = _serve(self.handle, self.host, self.port, self.SERVER_NAME)
        return self

    def stop(self) -> None:
        super().stop()  # no more webhooks or redeliveries first
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, path: str, body: dict[str, Any], key: str) -> Answer:
        raise NotImplementedError


def _serve(
    handle: Callable[[str, dict[str, Any], str], Answer], host: str, port: int, name: str
) -> ThreadingHTTPServer:
    log = logging.getLogger(f"local.{name}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = None
            if isinstance(body, dict):
                status, answer = handle(self.path, body, self.headers.get("Idempotency-Key") or "")
            else:
                status, answer = 400, {"error": "the body must be a JSON object"}
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the bank's tok_timeout)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    server = BurstServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, args=(0.1,), name=name, daemon=True).start()  # stop() in 0.1 s
    return server
