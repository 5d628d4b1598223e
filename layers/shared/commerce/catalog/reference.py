"""Catalogue reference data: the category tree, brands, manufacturers, suppliers, typed attribute
definitions, and landing-page collections.

Products keep referring to their category by path (``electronics/audio/headphones``) and to their
brand by name; a brand's slug is its name slugified (``Lumen & Co`` -> ``lumen-co``), which is what
storefront filters use."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from commerce.catalog.errors import InvalidReference
from commerce.catalog.models import Name, ProductId, Strict

CategoryPath = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+(/[a-z0-9-]+){0,5}$", max_length=200)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
AttributeCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
OptionValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class CategoryDef(Strict):
    path: CategoryPath
    name: Name
    position: int = Field(default=0, ge=0, le=10_000, description="Order among its siblings")

    @property
    def parent(self) -> str | None:
        return self.path.rpartition("/")[0] or None


class ManufacturerDef(Strict):
    slug: Slug
    name: Name
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None


class SupplierDef(Strict):
    slug: Slug
    name: Name
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", max_length=200)] | None = None
    lead_time_days: int | None = Field(default=None, ge=0, le=365)


class BrandDef(Strict):
    slug: Slug
    name: Name
    manufacturer: Slug | None = Field(default=None, description="A manufacturer's slug")


class AttributeDef(Strict):
    code: AttributeCode
    name: Name
    type: Literal["text", "number", "option"]
    options: list[OptionValue] | None = Field(default=None, max_length=200, description="Allowed values (option only)")
    unit: Annotated[str, StringConstraints(max_length=20)] | None = Field(default=None, description="number only")

    @model_validator(mode="after")
    def _typed(self) -> AttributeDef:
        if self.type == "option":
            if not self.options:
                raise ValueError("an option attribute needs a non-empty list of options")
            if len({o.lower() for o in self.options}) != len(self.options):
                raise ValueError("options must be unique")
        elif self.options is not None:
            raise ValueError(f"a {self.type} attribute takes no options")
        if self.unit is not None and self.type != "number":
            raise ValueError("only number attributes have a unit")
        return self


class ReferenceData(Strict):
    categories: list[CategoryDef] = Field(default_factory=list, max_length=2000)
    brands: list[BrandDef] = Field(default_factory=list, max_length=2000)
    manufacturers: list[ManufacturerDef] = Field(default_factory=list, max_length=2000)
    suppliers: list[SupplierDef] = Field(default_factory=list, max_length=2000)
    attributes: list[AttributeDef] = Field(default_factory=list, max_length=500)


class CollectionInput(Strict):
    title: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    product_ids: list[ProductId] = Field(min_length=1, max_length=200, description="In display order")
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @field_validator("product_ids")
    @classmethod
    def _unique(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("a product appears only once in a collection")
        return ids

    @model_validator(mode="after")
    def _window(self) -> CollectionInput:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class Collection(CollectionInput):
    slug: Slug
    updated_at: str

    def live(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (self.ends_at is None or now < self.ends_at)


def merged(existing: ReferenceData, change: ReferenceData) -> ReferenceData:
    """``change`` upserted over ``existing`` (by path, slug or code)."""

    def merge(old: list[Any], new: list[Any], key: str) -> list[Any]:
        by_key = {getattr(i, key): i for i in old}
        by_key.update({getattr(i, key): i for i in new})
        return list(by_key.values())

    return ReferenceData(
        categories=merge(existing.categories, change.categories, "path"),
        brands=merge(existing.brands, change.brands, "slug"),
        manufacturers=merge(existing.manufacturers, change.manufacturers, "slug"),
        suppliers=merge(existing.suppliers, change.suppliers, "slug"),
        attributes=merge(existing.attributes, change.attributes, "code"),
    )


def validate_change(existing: ReferenceData, change: ReferenceData) -> None:
    """Refuses a change that would leave the reference data inconsistent, listing every problem."""
    errors: list[dict[str, str]] = []
    for kind, key in (
        ("categories", "path"),
        ("brands", "slug"),
        ("manufacturers", "slug"),
        ("suppliers", "slug"),
        ("attributes", "code"),
    ):
        keys = [getattr(i, key) for i in getattr(change, kind)]
        for dup in sorted({k for k in keys if keys.count(k) > 1}):
            errors.append({"field": kind, "key": dup, "problem": "appears more than once"})
    after = merged(existing, change)
    paths = {c.path for c in after.categories}
    for category in change.categories:
        if category.parent and category.parent not in paths:
            errors.append(
                {"field": "categories", "key": category.path, "problem": f"parent '{category.parent}' does not exist"}
            )
    manufacturers = {m.slug for m in after.manufacturers}
    for brand in change.brands:
        if brand.manufacturer and brand.manufacturer not in manufacturers:
            errors.append(
                {"field": "brands", "key": brand.slug, "problem": f"manufacturer '{brand.manufacturer}' does not exist"}
            )
    if errors:
        raise InvalidReference("The reference data is not consistent; see 'errors'.", errors=errors)
