"""A product checked against the reference data, for the back office's writes (the routes and the
CSV import; the catalogue-import workflow itself only checks a product's shape).

- ``brand``: an active brand, named by its name (any case) or slug; stored as the brand's name.
- ``category``: the path of an active category.
- attributes (the product's and each variant's): defined codes, values of the attribute's type:
  a number for ``number``; one of the options (any case) for ``option``, stored as the option is
  written, or as a boolean when the options are ``true``/``false``; text for ``text``.
"""

from __future__ import annotations

import re
from typing import Any

from commerce.catalog.models import AttributeValue
from commerce.catalog.reference import AttributeDef, ReferenceData
from commerce.search.text import slugify

Location = tuple[str | int, ...]
Problem = tuple[Location, str]
_INTEGER = re.compile(r"^[+-]?\d{1,15}$")
_DECIMAL = re.compile(r"^[+-]?\d{1,15}(\.\d{1,6})?$")
MAX_TEXT = 200


def coerce(definition: AttributeDef, value: Any) -> AttributeValue:
    """The value as stored for this attribute, or ValueError with the reason."""
    if definition.type == "number":
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, int | float):
            return int(value) if float(value).is_integer() else float(value)
        text = str(value).strip()
        if _INTEGER.match(text):
            return int(text)
        if _DECIMAL.match(text):
            number = float(text)
            return int(number) if number.is_integer() else number
        raise ValueError(f"must be a number, not '{text}'")
    if definition.type == "option":
        options = definition.options or []
        wanted = str(value).strip().lower()
        match = next((o for o in options if o.lower() == wanted), None)
        if match is None:
            raise ValueError(f"must be one of {', '.join(options)}")
        if {o.lower() for o in options} == {"true", "false"}:
            return match.lower() == "true"
        return match
    if isinstance(value, bool) or not str(value).strip():
        raise ValueError("must be text")
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters")
    return text


def _attributes(
    values: dict[str, Any], definitions: dict[str, AttributeDef], at: Location, problems: list[Problem]
) -> dict[str, AttributeValue]:
    typed: dict[str, AttributeValue] = {}
    for code, value in values.items():
        definition = definitions.get(code)
        if definition is None:
            problems.append(((*at, code), f"'{code}' is not a defined attribute"))
            continue
        try:
            typed[code] = coerce(definition, value)
        except ValueError as error:
            problems.append(((*at, code), f"{code} {error}"))
    return typed


def conform(product: dict[str, Any], reference: ReferenceData) -> tuple[dict[str, Any], list[Problem]]:
    """``product`` (a ProductInput's fields) with its brand named as stored and its attribute values
    typed, and every problem found (location, reason); the product is only usable without problems."""
    problems: list[Problem] = []
    result = dict(product)
    brand = str(product.get("brand", ""))
    found = next(
        (b for b in reference.brands if b.name.lower() == brand.strip().lower() or b.slug == slugify(brand)), None
    )
    if found is None:
        problems.append((("brand",), f"'{brand}' is not an active brand"))
    else:
        result["brand"] = found.name
    category = str(product.get("category", ""))
    if category not in {c.path for c in reference.categories}:
        problems.append((("category",), f"'{category}' is not an active category"))
    definitions = {a.code: a for a in reference.attributes}
    result["attributes"] = _attributes(product.get("attributes") or {}, definitions, ("attributes",), problems)
    variants = []
    for index, variant in enumerate(product.get("variants") or []):
        attributes = _attributes(
            variant.get("attributes") or {}, definitions, ("variants", index, "attributes"), problems
        )
        variants.append({**variant, "attributes": attributes})
    result["variants"] = variants
    return result, problems
