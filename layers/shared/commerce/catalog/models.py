"""Catalogue models. Money is integer minor units (cents) with an ISO currency: never floats."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
    model_validator,
)

ProductId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,47}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
AttributeValue = str | int | float | bool
ProductStatus = Literal["active", "retired"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variant(Strict):
    sku: Sku
    name: Name
    price: int = Field(ge=0, le=100_000_000, description="Unit price in minor units (cents)")
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=30)
    weight_grams: int = Field(ge=0, le=1_000_000)
    barcode: Annotated[str, StringConstraints(pattern=r"^[0-9]{8,14}$")] | None = None


class ProductInput(Strict):
    """What a catalogue import (or, later, the back office) submits for one product."""

    product_id: ProductId
    name: Name
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    brand: Name
    category: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+(/[a-z0-9-]+)*$")]
    currency: Currency = "EUR"
    images: list[HttpUrl] = Field(default_factory=list, max_length=20)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=50)
    variants: list[Variant] = Field(min_length=1, max_length=100)
    status: ProductStatus = "active"

    @field_validator("variants")
    @classmethod
    def _unique_skus(cls, variants: list[Variant]) -> list[Variant]:
        skus = [v.sku for v in variants]
        if len(set(skus)) != len(skus):
            raise ValueError("each variant needs its own SKU")
        return variants


class Product(Strict):
    """A stored product, as the storefront reads it."""

    product_id: ProductId
    name: str
    description: str
    brand: str
    category: str
    currency: Currency
    images: list[str]
    attributes: dict[str, AttributeValue]
    variants: list[Variant]
    status: ProductStatus
    price_from: int = Field(description="Lowest variant price, minor units")
    created_at: str
    updated_at: str
    version: int = Field(ge=1)

    @model_validator(mode="after")
    def _price_from_matches(self) -> Product:
        if self.variants and self.price_from != min(v.price for v in self.variants):
            raise ValueError("price_from must be the lowest variant price")
        return self


class ProductSummary(Strict):
    product_id: ProductId
    name: str
    brand: str
    category: str
    currency: Currency
    price_from: int
    image: str | None


class ImportOutcome(Strict):
    product_id: str
    status: Literal["imported", "rejected", "failed"]
    reason: str | None = None
