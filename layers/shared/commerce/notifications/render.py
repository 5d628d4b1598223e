"""Rendering emails from the templates in ``templates/`` with the standard library.

Each template ``<name>`` has three files: ``<name>.subject.txt``, ``<name>.txt`` (the text part)
and ``<name>.html`` (the HTML part), each a ``string.Template`` (``$order_id``). The bodies are
wrapped in ``_layout.txt`` / ``_layout.html``. Every value substituted into the HTML part is
HTML-escaped; the few structured blocks (the items, the totals, the address, the tracking link)
are :class:`Fragment`\\ s built here with a text and an HTML form, their HTML from escaped values.
A template naming a value it is not given fails (``string.Template.substitute``)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from string import Template

from commerce.notifications.models import Email, OrderEvent, Parcel
from commerce.orders.models import Order

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
SHOP_NAME = "Serverless Commerce"

# ISO 4217 minor units that are not 2; symbols shown before the amount (others: "12.50 SEK")
MINOR_UNITS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "IQD": 3, "JOD": 3, "JPY": 0, "KMF": 0,
    "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0, "VND": 0, "VUV": 0,
    "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}

# the bank's decline code -> what the customer is told
DECLINE_REASONS = {
    "card_declined": "your bank declined the card",
    "insufficient_funds": "your bank reported insufficient funds",
    "expired_card": "the card has expired",
    "authentication_failed": "the card could not be verified",
    "timeout": "your bank did not answer in time",
}
DEFAULT_DECLINE_REASON = "the payment was not authorised"


@dataclass(frozen=True)
class Fragment:
    """A block with a text form and an HTML form; ``html`` is already escaped (built here)."""

    text: str
    html: str


Value = str | Fragment


def format_money(minor: int, currency: str) -> str:
    """Integer minor units with their currency: ``format_money(39800, "EUR") == "€398.00"``,
    ``format_money(1500, "JPY") == "1,500 JPY"``, negative amounts with a leading minus."""
    code = currency.upper()
    exponent = MINOR_UNITS.get(code, 2)
    amount = Decimal(abs(minor)).scaleb(-exponent)
    number = f"{amount:,.{exponent}f}"
    sign = "-" if minor < 0 else ""
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"


def format_date(value: str | int | None) -> str:
    """An ISO timestamp or epoch seconds as ``22 Nov 2026, 10:30 UTC`` (as given when unreadable)."""
    if value is None or value == "":
        return ""
    try:
        if isinstance(value, int):
            moment = datetime.fromtimestamp(value, UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return str(value)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def one_line(value: str) -> str:
    """Subjects (mail headers) are one line."""
    return " ".join(value.split())


@cache
def template(name: str) -> Template:
    return Template((TEMPLATE_DIR / name).read_text(encoding="utf-8"))


def render(name: str, to: str, values: Mapping[str, Value]) -> Email:
    """The email of template ``name`` for recipient ``to``."""
    text_values = {key: value.text if isinstance(value, Fragment) else value for key, value in values.items()}
    html_values = {
        key: value.html if isinstance(value, Fragment) else html.escape(value) for key, value in values.items()
    }
    subject = one_line(template(f"{name}.subject.txt").substitute(text_values))
    text = template("_layout.txt").substitute(
        content=template(f"{name}.txt").substitute(text_values).strip(), shop_name=SHOP_NAME
    )
    page = template("_layout.html").substitute(
        title=html.escape(subject),
        content=template(f"{name}.html").substitute(html_values).strip(),
        shop_name=html.escape(SHOP_NAME),
    )
    return Email(to=to, subject=subject, text=text, html=page, template=name)


# ---- the values an order's emails use ---------------------------------------------------------------
def order_values(order: Order, event: OrderEvent, parcel: Parcel | None = None) -> dict[str, Value]:
    """Everything any template may name, for this order and event."""
    values: dict[str, Value] = {
        "shop_name": SHOP_NAME,
        "order_id": order.order_id,
        "customer_name": order.shipping_address.name,
        "order_date": format_date(order.created_at),
        "event_date": format_date(event.occurred_at),
        "total": format_money(order.total, order.currency),
        "items": _items(order),
        "totals": _totals(order),
        "address": _address(order),
        "hold_until": format_date(order.reserved_until),
        "decline_reason": DECLINE_REASONS.get(str(event.detail.get("decline_code")), DEFAULT_DECLINE_REASON),
        "cancelled_by": "at your request"
        if str(event.detail.get("requested_by", "")).startswith("customer:")
        else "by our customer service team",
    }
    values |= _parcel(parcel or Parcel())
    return values


def _items(order: Order) -> Fragment:
    rows = [
        (f"{line.quantity} x {line.name}", line.sku, format_money(line.line_total, order.currency))
        for line in order.lines
    ]
    text = "\n".join(f"  {what} ({sku})  {amount}" for what, sku, amount in rows)
    cells = "".join(
        f'<tr><td>{html.escape(what)} <small style="color:#666">{html.escape(sku)}</small></td>'
        f'<td style="text-align:right">{html.escape(amount)}</td></tr>'
        for what, sku, amount in rows
    )
    return Fragment(text, f'<table role="presentation" width="100%" cellpadding="4">{cells}</table>')


def _totals(order: Order) -> Fragment:
    amounts = [("Subtotal", order.subtotal), ("Shipping", order.shipping)]
    if order.discount_total:
        amounts.append(("Discount", -abs(order.discount_total)))
    amounts += [("Total", order.total), ("of which VAT", order.tax)]
    rows = [(label, format_money(minor, order.currency)) for label, minor in amounts]
    width = max(len(label) for label, _ in rows)
    text = "\n".join(f"  {label:<{width}}  {amount}" for label, amount in rows)
    cells = "".join(
        f'<tr><td>{html.escape(label)}</td><td style="text-align:right">{html.escape(amount)}</td></tr>'
        for label, amount in rows
    )
    return Fragment(text, f'<table role="presentation" width="100%" cellpadding="4">{cells}</table>')


def _address(order: Order) -> Fragment:
    a = order.shipping_address
    place = " ".join(part for part in (a.postal_code, a.city) if part)
    lines = [a.name, a.line1, a.line2, place, a.region, a.country]
    lines = [line for line in lines if line]
    return Fragment("\n".join(f"  {line}" for line in lines), "<br>".join(html.escape(line) for line in lines))


def _parcel(parcel: Parcel) -> dict[str, Value]:
    carrier = (parcel.carrier or "").strip()
    number = (parcel.tracking_number or "").strip()
    url = (parcel.tracking_url or "").strip()
    if not url.startswith(("https://", "http://")):
        url = ""  # only web links become links
    if url:
        tracking = Fragment(
            f"Follow your parcel: {url}",
            f'<a href="{html.escape(url)}">Follow your parcel</a>',
        )
    else:
        tracking = Fragment("", "")
    signed = (parcel.signed_by or "").strip()
    return {
        "carrier": carrier.title() if carrier.islower() else carrier or "our carrier",
        "tracking_number": number or "not available yet",
        "tracking_url": url,
        "tracking": tracking,
        "signed_for": Fragment(f"Signed for by {signed}.", f"Signed for by {html.escape(signed)}.")
        if signed
        else Fragment("", ""),
    }
