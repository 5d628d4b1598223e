"""VAT by destination. Prices are tax-inclusive (the shelf price is what a consumer pays); the
quote shows the VAT contained in each amount at the destination's rate (EU one-stop-shop rules for
distance sales). Exports outside the EU carry no VAT: the same price, nothing of it is tax.

Rounding: VAT is computed per line (and for shipping) from integer cents as
``gross * rate / (100 + rate)``, rounded half-up to a whole cent, then summed."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Standard VAT rates (percent) by destination country; absent countries are outside the EU: 0.
VAT_RATES: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in {
        "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
        "EE": "22", "ES": "21", "FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27",
        "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
        "PL": "23", "PT": "23", "RO": "19", "SE": "25", "SI": "22", "SK": "23",
    }.items()
}  # fmt: skip


def vat_rate(country: str) -> Decimal:
    return VAT_RATES.get(country, Decimal(0))


def included_vat(gross: int, rate: Decimal) -> int:
    """The VAT contained in a tax-inclusive amount of cents, rounded half-up to a cent."""
    if rate == 0 or gross == 0:
        return 0
    return int((Decimal(gross) * rate / (Decimal(100) + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
