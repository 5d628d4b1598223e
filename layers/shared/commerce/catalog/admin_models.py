"""What the back office reads and writes for the catalogue (docs/back-office.md, "Catalogue
management"): each reference entity kind (categories, brands, manufacturers, suppliers, attributes)
with its state, products, and SKUs.

Reference entries keep their definition (``CategoryDef``, ``BrandDef``, ...) and gain a lifecycle:
``status`` (active or retired), ``version`` (starts at 1, +1 on every change: what an edit's
``If-Match``/``version`` names) and timestamps. A category's key is its path; in URLs it is written
with dots (``electronics.audio``) because API Gateway does not route encoded slashes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from commerce.catalog.models import AttributeValue, Product, ProductInput, Strict, Variant
from commerce.catalog.reference import AttributeDef, BrandDef, CategoryDef, ManufacturerDef, SupplierDef

EntryStatus = Literal["active", "retired"]
MAX_PAGE = 100


class EntryState(BaseModel):
    """The lifecycle every reference entry has in the back office."""

    status: EntryStatus = "active"
    version: int = Field(default=1, ge=1, description="Name it in If-Match (or `version`) to edit safely")
    updated_at: str | None = None
    retired_at: str | None = None


class StoredEntry(BaseModel):
    """A reference entry as stored: its definition (``data``) and its state."""

    model_config = ConfigDict(frozen=True)

    kind: str
    key: str
    data: dict[str, Any]
    state: EntryState

    def view(self) -> dict[str, Any]:
        return {**self.data, **self.state.model_dump()}


class Versioned(BaseModel):
    version: int | None = Field(
        default=None, ge=1, description="The version you read; refused (412) if it changed since. Or use If-Match."
    )


@dataclass(frozen=True)
class EntityKind:
    """One kind of reference entry: its admin collection (``/admin/catalogue/<name>``), definition
    model, key field, the models the routes read and write, and how its key appears in a URL."""

    name: str  # the admin collection and the ReferenceData field
    definition: type[Strict]
    key: str  # the definition's key field
    label: str
    view: type[BaseModel]  # definition + state (responses)
    edit: type[BaseModel]  # definition + optional version (PUT bodies)

    def url_key(self, key: str) -> str:
        return key.replace("/", ".") if self.name == "categories" else key

    def stored_key(self, url_key: str) -> str:
        return url_key.replace(".", "/") if self.name == "categories" else url_key


def _kind(name: str, definition: type[Strict], key: str, label: str) -> EntityKind:
    base = definition.__name__.removesuffix("Def")
    view = create_model(f"{base}Entry", __base__=(definition, EntryState))
    edit = create_model(f"{base}Edit", __base__=(definition, Versioned))
    return EntityKind(name, definition, key, label, view, edit)


KINDS: dict[str, EntityKind] = {
    kind.name: kind
    for kind in (
        _kind("categories", CategoryDef, "path", "category"),
        _kind("brands", BrandDef, "slug", "brand"),
        _kind("manufacturers", ManufacturerDef, "slug", "manufacturer"),
        _kind("suppliers", SupplierDef, "slug", "supplier"),
        _kind("attributes", AttributeDef, "code", "attribute"),
    )
}


class Reference(BaseModel):
    """Who still uses an entry (why a retire is refused)."""

    type: str = Field(description="products, categories, brands or reservations")
    count: int
    ids: list[str] = Field(description="The first few")


# ---- products and SKUs ----------------------------------------------------------------------------
class ProductEdit(ProductInput):
    version: int | None = Field(
        default=None, ge=1, description="The version you read; refused (412) if it changed since. Or use If-Match."
    )


class ProductAdminView(Product):
    retired_variants: list[Variant] = Field(
        default_factory=list, description="SKUs taken off this product, as they were (kept claimed, never reused)"
    )


class ProductPage(BaseModel):
    items: list[Product]
    next_cursor: str | None


class SkuClaim(BaseModel):
    """Which product owns a SKU (a SKU is never reused by another product); ``variant`` keeps a
    retired SKU's last data."""

    model_config = ConfigDict(frozen=True)

    sku: str
    product_id: str
    status: EntryStatus = "active"
    variant: dict[str, Any] | None = None
    retired_at: str | None = None


class SkuView(BaseModel):
    sku: str
    product_id: str
    product_name: str | None
    product_status: str | None
    status: EntryStatus = Field(description="retired: taken off its product (kept, never reused)")
    name: str | None
    price: int | None = Field(description="Minor units")
    currency: str | None
    weight_grams: int | None
    barcode: str | None
    attributes: dict[str, AttributeValue]
    version: int | None = Field(description="The owning product's version (SKU edits change the product)")


class SkuPage(BaseModel):
    items: list[SkuView]
    next_cursor: str | None


class SkuCreate(Variant):
    product_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$", description="The product the SKU is added to")
    version: int | None = Field(default=None, ge=1, description="The product's version you read")


class SkuEdit(Variant):
    version: int | None = Field(default=None, ge=1, description="The product's version you read")


def sku_view(claim: SkuClaim, product: Product | None) -> SkuView:
    variant: dict[str, Any] | None = None
    listed = False
    if product is not None:
        found = next((v for v in product.variants if v.sku == claim.sku), None)
        if found is not None:
            variant, listed = found.model_dump(), True
    if variant is None:
        variant = claim.variant or {}
    return SkuView(
        sku=claim.sku,
        product_id=claim.product_id,
        product_name=product.name if product else None,
        product_status=product.status if product else None,
        status="active" if listed else "retired",
        name=variant.get("name"),
        price=variant.get("price"),
        currency=product.currency if product else None,
        weight_grams=variant.get("weight_grams"),
        barcode=variant.get("barcode"),
        attributes=variant.get("attributes") or {},
        version=product.version if product else None,
    )
