"""Query-string syntax shared by the storefront's listing and search routes (unknown parameter
names are refused centrally, by ``commerce.common.api``).

- Lists are comma-separated: ``brand=sonora,lumina``.
- Attribute filters are one parameter, ``attr=<code>:<value>[,<code>:<value>...]``: values of the
  same attribute are alternatives, different attributes must all match
  (``attr=colour:black,colour:navy,wireless:true`` = (black OR navy) AND wireless). Values are
  compared case-insensitively; booleans are ``true``/``false``; numbers as written (``15.6``).
"""

from __future__ import annotations

import re

from commerce.common.errors import Unprocessable
from commerce.search.engine import Query

ATTR_PAIR = re.compile(r"^(?P<code>[a-z][a-z0-9_]{0,39}):(?P<value>[^,:]{1,60})$")
MAX_ATTRIBUTE_FILTERS = 10
MAX_VALUES = 20


class InvalidParameter(Unprocessable):
    code = "INVALID_PARAMETER"


def split_list(value: str | None, name: str) -> tuple[str, ...]:
    if not value:
        return ()
    items = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if len(items) > MAX_VALUES:
        raise InvalidParameter(f"{name} takes at most {MAX_VALUES} values.", parameter=name)
    return items


def attribute_filters(value: str | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``"colour:black,colour:navy,wireless:true"`` -> (("colour", ("black", "navy")), ("wireless", ("true",)))."""
    wanted: dict[str, list[str]] = {}
    for pair in split_list(value, "attr"):
        match = ATTR_PAIR.match(pair)
        if match is None:
            raise InvalidParameter(
                f"attr takes <code>:<value> pairs separated by commas; '{pair}' is not one.", parameter="attr"
            )
        values = wanted.setdefault(match["code"], [])
        if match["value"].strip() not in values:
            values.append(match["value"].strip())
    if len(wanted) > MAX_ATTRIBUTE_FILTERS:
        raise InvalidParameter(f"At most {MAX_ATTRIBUTE_FILTERS} attributes can be filtered on.", parameter="attr")
    return tuple((code, tuple(values)) for code, values in sorted(wanted.items()))


def price_range(price_min: int | None, price_max: int | None) -> None:
    if price_min is not None and price_max is not None and price_min > price_max:
        raise InvalidParameter("price_min must not be greater than price_max.", parameter="price_min")


def listing_query(
    *,
    category: str | None,
    brand: str | None,
    attr: str | None,
    price_min: int | None,
    price_max: int | None,
    in_stock: bool | None,
    sort: str,
    text: str | None = None,
) -> Query:
    """The engine query for the storefront's listing and search parameters (the same filters on both)."""
    price_range(price_min, price_max)
    return Query(
        text=text,
        category=category,
        brands=split_list(brand, "brand"),
        attributes=attribute_filters(attr),
        price_min=price_min,
        price_max=price_max,
        in_stock=in_stock,
        sort=sort,
    )
