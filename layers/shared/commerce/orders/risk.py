"""The risk check after authorisation: rules that send an order to staff review. Pure: no I/O.

Thresholds come from configuration (orders-transition's environment, read per invocation; the
defaults apply when unset): ``ORDER_REVIEW_AMOUNT_THRESHOLD`` (minor units, default 100000),
``ORDER_REVIEW_MAX_ORDERS_PER_HOUR`` (default 5)."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.orders.models import Order

DEFAULT_AMOUNT_THRESHOLD = 100_000  # 1,000.00 in the currency's minor units
DEFAULT_MAX_ORDERS_PER_HOUR = 5
VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}  # VAT prefixes that are not the ISO country code


@dataclass(frozen=True)
class RiskRules:
    amount_threshold: int = DEFAULT_AMOUNT_THRESHOLD
    max_orders_per_hour: int = DEFAULT_MAX_ORDERS_PER_HOUR


def billing_country(order: Order) -> str | None:
    """The billing country: the invoice's VAT number prefix when an invoice was asked for; none
    otherwise (the quote carries no separate billing address)."""
    if order.invoice is None:
        return None
    prefix = order.invoice.tax_id[:2].upper()
    return VAT_PREFIX_COUNTRY.get(prefix, prefix)


def reasons(order: Order, orders_last_hour: int, rules: RiskRules) -> list[str]:
    """Why the order needs a review; empty when it is approved automatically. ``orders_last_hour``
    counts this order too."""
    found: list[str] = []
    if order.total > rules.amount_threshold:
        found.append("amount_above_threshold")
    billing = billing_country(order)
    if billing is not None and billing != order.shipping_address.country.upper():
        found.append("billing_country_differs")
    if orders_last_hour > rules.max_orders_per_hour:
        found.append("too_many_orders_in_an_hour")
    return found
