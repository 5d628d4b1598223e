"""The local outbox: what the platform emailed, for a developer to read. Nothing leaves the machine.

Every email sent through moto's SES (``SendEmail``, and ``SendRawEmail`` for anyone using it) while
a local cloud runs is
- written as a file, ``.local/outbox/<sent at, UTC>-<message id>.eml`` (RFC 5322, built with the
  standard library's ``email`` package; open it in any mail client), as it is sent;
- listed, newest first, by ``LocalCloud.emails()`` and ``GET /_local/emails`` on the local API
  (``?to=<address>`` filters): ``message_id``, ``sent_at``, ``from``, ``to``, ``subject``,
  ``text``, ``html``, ``eml`` (the file).

The messages come from moto's SES backend (``sent_messages``). moto 5.2.5 keeps one body per
``SendEmail`` message (the HTML part when there is one), so the text part would be lost:
:func:`capture_bodies` wraps ``moto.ses.responses.EmailResponse.send_email`` to keep both parts
(and the time) by message id. That wrapper is the only moto internal touched here.
"""

from __future__ import annotations

import email.policy
import email.utils
import functools
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from infra.model import ROOT

log = logging.getLogger("local.outbox")

# LOCAL_OUTBOX_DIR moves it (the test suite points it at a temporary folder)
OUTBOX_DIR = Path(os.environ.get("LOCAL_OUTBOX_DIR") or ROOT / ".local" / "outbox")


@dataclass(frozen=True)
class Bodies:
    text: str | None
    html: str | None
    sent_at: datetime


_bodies: dict[str, Bodies] = {}  # SES message id -> what SendEmail was given
_listeners: list[Callable[[], None]] = []
_lock = threading.Lock()
_captured = False


def capture_bodies() -> None:
    """Keep both parts of every SendEmail (moto keeps one) and tell the outboxes a mail went out."""
    global _captured
    if _captured:
        return
    from moto.ses.responses import EmailResponse

    original = EmailResponse.send_email

    @functools.wraps(original)
    def send_email(self: Any) -> Any:
        result = original(self)
        bodies = Bodies(
            text=self._get_param("Message.Body.Text.Data"),
            html=self._get_param("Message.Body.Html.Data"),
            sent_at=datetime.now(UTC),
        )
        with _lock:
            _bodies[str(result.result["MessageId"])] = bodies
        _notify()
        return result

    send_email.__local_cloud_outbox__ = True  # type: ignore[attr-defined]
    EmailResponse.send_email = send_email  # type: ignore[method-assign]

    raw_original = EmailResponse.send_raw_email

    @functools.wraps(raw_original)
    def send_raw_email(self: Any) -> Any:
        result = raw_original(self)
        _notify()
        return result

    EmailResponse.send_raw_email = send_raw_email  # type: ignore[method-assign]
    _captured = True


def _notify() -> None:
    for listener in list(_listeners):
        try:
            listener()
        except Exception:  # the outbox must never fail the send
            log.exception("the local outbox could not write an email")


class Outbox:
    def __init__(self, directory: Path = OUTBOX_DIR) -> None:
        self.directory = directory
        self._account = ""
        self._region = ""
        self._before: set[str] = set()  # messages sent before this cloud started (same process)
        self._seen: dict[str, datetime] = {}  # when the outbox first saw a message it has no time for
        self._written: dict[str, Path] = {}
        self._write_lock = threading.Lock()

    def start(self, account: str, region: str) -> None:
        capture_bodies()
        self._account, self._region = account, region
        self._before = {str(message.id) for message in self._sent()}
        _listeners.append(self.flush)

    def stop(self) -> None:
        if self.flush in _listeners:
            _listeners.remove(self.flush)

    def emails(self, to: str | None = None) -> list[dict[str, Any]]:
        """The emails sent since start, newest first (``to``: only those to this address)."""
        self.flush()
        found = [self._describe(message) for message in self._mine()]
        if to:
            found = [item for item in found if to.lower() in (address.lower() for address in item["to"])]
        return sorted(found, key=lambda item: item["sent_at"], reverse=True)

    def flush(self) -> None:
        """Write the .eml file of every email not written yet."""
        with self._write_lock:
            for message in self._mine():
                message_id = str(message.id)
                if message_id in self._written:
                    continue
                sent_at = self._sent_at(message_id)
                safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", message_id)
                path = self.directory / f"{sent_at:%Y%m%dT%H%M%S}{sent_at.microsecond // 1000:03d}Z-{safe_id}.eml"
                self.directory.mkdir(parents=True, exist_ok=True)
                path.write_bytes(self._eml(message, sent_at))
                self._written[message_id] = path

    # ---- moto's messages ------------------------------------------------------------------------------
    def _sent(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return list(ses_backends[self._account][self._region].sent_messages)

    def _mine(self) -> list[Any]:
        return [message for message in self._sent() if str(message.id) not in self._before]

    def _sent_at(self, message_id: str) -> datetime:
        with _lock:
            bodies = _bodies.get(message_id)
        return bodies.sent_at if bodies else self._seen.setdefault(message_id, datetime.now(UTC))

    def _describe(self, message: Any) -> dict[str, Any]:
        message_id = str(message.id)
        raw = getattr(message, "raw_data", None)
        if raw is not None:
            parsed = email.message_from_string(raw, policy=email.policy.default)
            to = [address for _, address in email.utils.getaddresses(parsed.get_all("To", []))]
            subject, text, html = str(parsed.get("Subject", "")), _part(parsed, "plain"), _part(parsed, "html")
        else:
            destinations = getattr(message, "destinations", {}) or {}
            to = list(destinations.get("ToAddresses", []))
            with _lock:
                bodies = _bodies.get(message_id)
            subject = str(getattr(message, "subject", "") or "")
            text = bodies.text if bodies else None
            html = bodies.html if bodies else getattr(message, "body", None)
        written = self._written.get(message_id)
        return {
            "message_id": message_id,
            "sent_at": self._sent_at(message_id).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "from": str(getattr(message, "source", "")),
            "to": to,
            "subject": subject,
            "text": text,
            "html": html,
            "eml": str(written) if written else None,
        }

    def _eml(self, message: Any, sent_at: datetime) -> bytes:
        raw = getattr(message, "raw_data", None)
        if raw is not None:
            return str(raw).encode()
        described = self._describe(message)
        destinations = getattr(message, "destinations", {}) or {}
        mail = EmailMessage()
        mail["Message-ID"] = f"<{described['message_id']}@{self._region}.amazonses.com>"
        mail["Date"] = email.utils.format_datetime(sent_at)
        mail["From"] = described["from"]
        mail["To"] = ", ".join(described["to"])
        if destinations.get("CcAddresses"):
            mail["Cc"] = ", ".join(destinations["CcAddresses"])
        mail["Subject"] = described["subject"]
        text, html = described["text"], described["html"]
        mail.set_content(text if text is not None else "")
        if html is not None:
            mail.add_alternative(html, subtype="html")
        return mail.as_bytes(policy=email.policy.default)


def _part(message: Any, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    return str(part.get_content()) if part is not None else None
