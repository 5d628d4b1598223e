"""The search document: one compact, denormalised record per active product, built from the
catalogue by the indexer and served (joined with stock and sales) from the snapshot."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from commerce.catalog.models import AttributeValue, Product
from commerce.search.text import normalise, slugify

FIELDS = ("name", "brand", "category", "attributes")


class SearchDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    product_id: str
    name: str
    brand: str
    brand_slug: str
    category: str
    currency: str
    price_from: int
    price_to: int
    created_at: str
    image: str | None
    attributes: dict[str, list[AttributeValue]] = Field(
        description="Product attributes and every variant's attribute values, per attribute code"
    )
    skus: list[str]
    terms: dict[str, list[str]] = Field(
        description="Normalised search terms per field (name, brand, category, attributes)"
    )


def value_key(value: Any) -> str:
    """How an attribute value is compared in filters and counted in facets: ``true``, ``42``, ``black``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def document_of(product: Product) -> SearchDocument:
    attributes: dict[str, list[AttributeValue]] = {}

    def add(code: str, value: AttributeValue) -> None:
        values = attributes.setdefault(code, [])
        if value_key(value) not in {value_key(v) for v in values}:
            values.append(value)

    for code, value in product.attributes.items():
        add(code, value)
    for variant in product.variants:
        for code, value in variant.attributes.items():
            add(code, value)
    attribute_text = [str(v) for values in attributes.values() for v in values if not isinstance(v, bool)]
    attribute_text += [v.name for v in product.variants]
    prices = [v.price for v in product.variants]

    def terms(*texts: str) -> list[str]:
        return list(dict.fromkeys(t for text in texts for t in normalise(text)))

    return SearchDocument(
        product_id=product.product_id,
        name=product.name,
        brand=product.brand,
        brand_slug=slugify(product.brand),
        category=product.category,
        currency=product.currency,
        price_from=min(prices),
        price_to=max(prices),
        created_at=product.created_at,
        image=product.images[0] if product.images else None,
        attributes=attributes,
        skus=[v.sku for v in product.variants],
        terms={
            "name": terms(product.name),
            "brand": terms(product.brand),
            "category": terms(*product.category.split("/")),
            "attributes": terms(*attribute_text, *(v.sku for v in product.variants)),
        },
    )
