"""Storefront read use cases: listing, best sellers, product detail with live stock, similar
products, the category tree, brands, attribute definitions and collections.

Listing-type reads are served from the catalogue index (the in-memory snapshot behind the
``CatalogueIndex`` port); product detail reads the catalogue and inventory live, so a product page
is never stale."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from commerce.catalog.errors import CollectionNotFound
from commerce.catalog.models import Product, Variant
from commerce.catalog.reference import AttributeDef, BrandDef, ReferenceData
from commerce.catalog.service import CatalogService
from commerce.inventory.models import Availability
from commerce.search.documents import document_of
from commerce.search.engine import Query
from commerce.search.errors import CategoryNotFound
from commerce.search.models import ListingPage, ProductCard, RankedProducts, StockStatusName, card
from commerce.search.ports import CatalogueIndex, StockSource
from commerce.search.snapshot import stock_summary


class VariantDetail(Variant):
    stock_status: StockStatusName
    backorder_eta: date | None = None


class Breadcrumb(BaseModel):
    path: str
    name: str


class ProductDetail(Product):
    variants: list[VariantDetail]  # type: ignore[assignment]
    stock_status: StockStatusName = Field(description="Best status over the variants, live")
    backorder_eta: date | None = None
    breadcrumbs: list[Breadcrumb]


class CategoryNode(BaseModel):
    path: str
    name: str
    position: int
    product_count: int = Field(description="Active products in this category and below")
    children: list[CategoryNode]


class CategoryTree(BaseModel):
    categories: list[CategoryNode]
    snapshot: str


class BrandOut(BrandDef):
    manufacturer_name: str | None = None
    product_count: int


class Brands(BaseModel):
    brands: list[BrandOut]


class Attributes(BaseModel):
    attributes: list[AttributeDef]


class CollectionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    slug: str
    title: str
    description: str
    starts_at: datetime | None
    ends_at: datetime | None
    items: list[ProductCard] = Field(description="In the collection's order; retired products are left out")


def _title(segment: str) -> str:
    return segment.replace("-", " ").capitalize()


class StorefrontService:
    def __init__(
        self,
        index: Callable[[], CatalogueIndex],
        catalogue: CatalogService | None = None,
        stock: StockSource | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._index, self._catalogue, self._stock, self._now = index, catalogue, stock, now

    @property
    def _catalogue_service(self) -> CatalogService:
        assert self._catalogue is not None, "this function has no access to the catalogue table"
        return self._catalogue

    # ---- from the index -------------------------------------------------------------------------
    def list_products(self, query: Query, limit: int, cursor: str | None) -> ListingPage:
        index = self._index()
        page = index.query(query, limit, cursor)
        return ListingPage(
            items=[card(d) for d in page.items],
            next_cursor=page.next_cursor,
            total=page.total,
            facets=page.facets,
            snapshot=index.generation,
        )

    def best_sellers(self, category: str | None, limit: int) -> RankedProducts:
        index = self._index()
        return RankedProducts(items=[card(d) for d in index.best_sellers(category, limit)], snapshot=index.generation)

    def similar(self, product_id: str, limit: int) -> RankedProducts:
        product = self._catalogue_service.get_product(product_id)  # 404 for unknown or retired products
        index = self._index()
        found = index.get([product_id])
        target: dict[str, Any] = found[0] if found else document_of(product).model_dump()
        return RankedProducts(items=[card(d) for d in index.similar(target, limit)], snapshot=index.generation)

    # ---- live ----------------------------------------------------------------------------------
    def product_detail(self, product_id: str) -> ProductDetail:
        product = self._catalogue_service.get_product(product_id)
        availability = self._stock.availability(v.sku for v in product.variants) if self._stock else {}

        def stock(sku: str) -> tuple[str, str | None]:
            a: Availability | None = availability.get(sku)
            if a is None:
                return "out_of_stock", None
            return a.status.value, a.backorder_eta.isoformat() if a.backorder_eta else None

        variants = [
            VariantDetail(**v.model_dump(), stock_status=stock(v.sku)[0], backorder_eta=stock(v.sku)[1])
            for v in product.variants
        ]
        status, eta = stock_summary(stock(v.sku) for v in product.variants)
        names = self._category_names(self._catalogue_service.reference())
        parts = product.category.split("/")
        paths = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return ProductDetail(
            **{**product.model_dump(), "variants": variants},
            stock_status=status,
            backorder_eta=date.fromisoformat(eta) if eta else None,
            breadcrumbs=[Breadcrumb(path=p, name=names.get(p, _title(p.rpartition("/")[2]))) for p in paths],
        )

    # ---- reference data with counts ----------------------------------------------------------------
    @staticmethod
    def _category_names(reference: ReferenceData) -> dict[str, str]:
        return {c.path: c.name for c in reference.categories}

    def categories(self, root: str | None = None) -> CategoryTree:
        index = self._index()
        reference = self._catalogue_service.reference()
        counts: dict[str, int] = dict(index.categories)
        defined = {c.path: c for c in reference.categories}
        paths = set(defined) | set(counts)
        if root is not None and root not in paths:
            raise CategoryNotFound(f"There is no category '{root}'.", category=root)
        nodes: dict[str, CategoryNode] = {}
        for path in sorted(paths, key=lambda p: p.count("/")):
            definition = defined.get(path)
            nodes[path] = CategoryNode(
                path=path,
                name=definition.name if definition else _title(path.rpartition("/")[2]),
                position=definition.position if definition else 10_000,
                product_count=counts.get(path, 0),
                children=[],
            )
        tops: list[CategoryNode] = []
        for path, node in nodes.items():
            parent = path.rpartition("/")[0]
            (nodes[parent].children if parent in nodes else tops).append(node)

        def order(items: list[CategoryNode]) -> list[CategoryNode]:
            items.sort(key=lambda n: (n.position, n.name))
            for item in items:
                order(item.children)
            return items

        chosen = [nodes[root]] if root is not None else tops
        return CategoryTree(categories=order(chosen), snapshot=index.generation)

    def brands(self) -> Brands:
        index = self._index()
        reference = self._catalogue_service.reference()
        manufacturers = {m.slug: m.name for m in reference.manufacturers}
        seen: dict[str, BrandOut] = {}
        for brand in reference.brands:
            seen[brand.slug] = BrandOut(
                **brand.model_dump(),
                manufacturer_name=manufacturers.get(brand.manufacturer or ""),
                product_count=index.brands.get(brand.slug, ("", 0))[1],
            )
        for slug, (name, count) in index.brands.items():
            if slug not in seen:
                seen[slug] = BrandOut(slug=slug, name=name, product_count=count)
        return Brands(brands=sorted(seen.values(), key=lambda b: b.name.lower()))

    def attributes(self) -> Attributes:
        return Attributes(attributes=sorted(self._catalogue_service.reference().attributes, key=lambda a: a.code))

    def collection(self, slug: str) -> CollectionView:
        collection = self._catalogue_service.collection(slug)
        if not collection.live(self._now()):
            raise CollectionNotFound(f"The collection '{slug}' is not running now.", slug=slug)
        items: Iterable[dict[str, Any]] = self._index().get(collection.product_ids)
        return CollectionView(
            slug=collection.slug,
            title=collection.title,
            description=collection.description,
            starts_at=collection.starts_at,
            ends_at=collection.ends_at,
            items=[card(d) for d in items],
        )
