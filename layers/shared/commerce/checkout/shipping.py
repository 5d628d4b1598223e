"""Delivery zones, methods and fees: the configuration, and the fee rule. Pure.

Fees are by the parcel's weight band and the destination zone. Standard delivery is free when the
goods subtotal (tax included, after discounts) reaches the zone's threshold; express never is;
pickup (at the Amsterdam store) is domestic only and free."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Zone(StrEnum):
    DOMESTIC = "domestic"
    EU = "eu"
    WORLD = "world"


HOME_COUNTRY = "NL"
EU_COUNTRIES = frozenset(
    ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
     "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
)  # fmt: skip


def zone_of(country: str) -> Zone:
    if country == HOME_COUNTRY:
        return Zone.DOMESTIC
    return Zone.EU if country in EU_COUNTRIES else Zone.WORLD


# Weight bands: (up to and including grams, fee in cents); the last band has no upper limit.
Bands = tuple[tuple[int | None, int], ...]


@dataclass(frozen=True)
class MethodRates:
    bands: Bands
    free_above: int | None = None  # goods subtotal (cents) from which the fee is 0
    days: tuple[int, int] = (1, 2)


@dataclass(frozen=True)
class DeliveryMethod:
    method_id: str
    name: str
    zones: dict[Zone, MethodRates]


def _bands(*fees: int) -> Bands:
    limits: tuple[int | None, ...] = (2_000, 10_000, 30_000, None)
    return tuple(zip(limits, fees, strict=True))


METHODS: tuple[DeliveryMethod, ...] = (
    DeliveryMethod(
        "standard",
        "Standard delivery",
        {
            Zone.DOMESTIC: MethodRates(_bands(495, 695, 1295, 2495), free_above=5_000, days=(1, 2)),
            Zone.EU: MethodRates(_bands(995, 1495, 2495, 3995), free_above=10_000, days=(2, 5)),
            Zone.WORLD: MethodRates(_bands(1995, 2995, 4995, 7995), free_above=None, days=(5, 12)),
        },
    ),
    DeliveryMethod(
        "express",
        "Express delivery",
        {
            Zone.DOMESTIC: MethodRates(_bands(995, 1295, 1995, 2995), days=(1, 1)),
            Zone.EU: MethodRates(_bands(1995, 2495, 3995, 5995), days=(1, 2)),
            Zone.WORLD: MethodRates(_bands(3995, 5995, 8995, 12995), days=(2, 4)),
        },
    ),
    DeliveryMethod(
        "pickup",
        "Pick up at the Amsterdam store",
        {Zone.DOMESTIC: MethodRates(((None, 0),), days=(0, 1))},
    ),
)
METHOD_IDS = tuple(m.method_id for m in METHODS)


def methods_for(country: str) -> list[tuple[DeliveryMethod, MethodRates]]:
    zone = zone_of(country)
    return [(m, m.zones[zone]) for m in METHODS if zone in m.zones]


def rates_for(method_id: str, country: str) -> MethodRates | None:
    return next((rates for m, rates in methods_for(country) if m.method_id == method_id), None)


def shipping_fee(rates: MethodRates, weight_grams: int, goods_subtotal: int) -> int:
    if rates.free_above is not None and goods_subtotal >= rates.free_above:
        return 0
    for limit, fee in rates.bands:
        if limit is None or weight_grams <= limit:
            return fee
    raise AssertionError("the last band is unbounded")  # pragma: no cover - configuration invariant
