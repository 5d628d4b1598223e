"""Reference data (categories, brands, manufacturers, suppliers, attributes), collections, the
storefront's query-string rules and its read use cases, over in-memory fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from commerce.catalog.errors import (
    CollectionNotFound,
    InvalidReference,
    ProductNotFound,
    UnknownProducts,
)
from commerce.catalog.params import InvalidParameter, attribute_filters, price_range, split_list
from commerce.catalog.reference import (
    AttributeDef,
    Collection,
    CollectionInput,
    ReferenceData,
    merged,
    validate_change,
)
from commerce.catalog.service import CatalogService
from commerce.catalog.storefront import StorefrontService
from commerce.inventory.models import Availability, StockStatus
from commerce.search.engine import CatalogueEngine
from commerce.search.errors import CategoryNotFound
from local.seed import demo_products, demo_reference
from tests.unit.test_catalog_service import FakeProducts
from tests.unit.test_search_engine import demo_docs


class FakeReference:
    def __init__(self) -> None:
        self.data = ReferenceData()
        self.collections: dict[str, Collection] = {}

    def load(self) -> ReferenceData:
        return self.data

    def save(self, change: ReferenceData) -> None:
        self.data = merged(self.data, change)

    def get_collection(self, slug: str) -> Collection | None:
        return self.collections.get(slug)

    def put_collection(self, collection: Collection) -> None:
        self.collections[collection.slug] = collection


class FakeStock:
    def availability(self, skus):
        table = {
            "AUR-NAV": Availability(sku="AUR-NAV", available=2, status=StockStatus.LOW_STOCK),
            "AUR-WHI": Availability(
                sku="AUR-WHI", available=0, status=StockStatus.BACKORDER, backorder_eta=date(2026, 5, 1)
            ),
        }
        return {s: table.get(s, Availability(sku=s, available=9, status=StockStatus.IN_STOCK)) for s in skus}


@pytest.fixture
def catalogue() -> CatalogService:
    service = CatalogService(FakeProducts(), reference=FakeReference())
    for raw in demo_products():
        assert service.upsert_product(raw).status == "imported"
    service.update_reference(ReferenceData.model_validate(demo_reference()["reference"]))
    return service


@pytest.fixture
def storefront(catalogue: CatalogService) -> StorefrontService:
    engine = CatalogueEngine(demo_docs(), generation="g1")
    now = lambda: datetime(2026, 6, 1, tzinfo=UTC)  # noqa: E731
    return StorefrontService(lambda: engine, catalogue, FakeStock(), now=now)


def ref(**kinds: list[dict[str, Any]]) -> ReferenceData:
    return ReferenceData.model_validate(kinds)


# ---- reference data validation ----------------------------------------------------------------------
def test_a_category_needs_its_parent_in_the_store_or_the_same_payload():
    validate_change(ReferenceData(), ref(categories=[{"path": "a", "name": "A"}, {"path": "a/b", "name": "B"}]))
    with pytest.raises(InvalidReference) as refused:
        validate_change(ReferenceData(), ref(categories=[{"path": "a/b/c", "name": "C"}]))
    assert refused.value.extensions["errors"] == [
        {"field": "categories", "key": "a/b/c", "problem": "parent 'a/b' does not exist"}
    ]
    existing = ref(categories=[{"path": "a", "name": "A"}])
    validate_change(existing, ref(categories=[{"path": "a/b", "name": "B"}]))


def test_a_brand_needs_a_known_manufacturer_and_keys_are_unique_per_payload():
    with pytest.raises(InvalidReference) as refused:
        validate_change(
            ReferenceData(),
            ref(
                brands=[{"slug": "x", "name": "X", "manufacturer": "nobody"}],
                suppliers=[{"slug": "s", "name": "S"}, {"slug": "s", "name": "S2"}],
            ),
        )
    problems = {(e["field"], e["key"]) for e in refused.value.extensions["errors"]}
    assert problems == {("brands", "x"), ("suppliers", "s")}
    validate_change(
        ReferenceData(),
        ref(manufacturers=[{"slug": "m", "name": "M"}], brands=[{"slug": "x", "name": "X", "manufacturer": "m"}]),
    )


@pytest.mark.parametrize(
    "attribute",
    [
        {"code": "colour", "name": "Colour", "type": "option"},  # options missing
        {"code": "colour", "name": "Colour", "type": "option", "options": ["red", "Red"]},  # duplicate
        {"code": "colour", "name": "Colour", "type": "text", "options": ["red"]},  # options on text
        {"code": "colour", "name": "Colour", "type": "text", "unit": "cm"},  # unit on text
        {"code": "Colour", "name": "Colour", "type": "text"},  # bad code
        {"code": "colour", "name": "Colour", "type": "boolean"},  # unknown type
    ],
)
def test_attribute_definitions_are_typed(attribute):
    with pytest.raises(ValidationError):
        AttributeDef.model_validate(attribute)


def test_valid_attribute_definitions():
    assert AttributeDef(code="weight", name="Weight", type="number", unit="kg").unit == "kg"
    assert AttributeDef(code="size", name="Size", type="option", options=["S", "M"]).options == ["S", "M"]


def test_reference_updates_are_upserts(catalogue):
    before = catalogue.reference()
    after = catalogue.update_reference(ref(categories=[{"path": "electronics", "name": "Gadgets", "position": 5}]))
    assert len(after.categories) == len(before.categories)
    assert next(c for c in after.categories if c.path == "electronics").name == "Gadgets"


def test_the_demo_reference_data_is_consistent_and_a_three_level_tree():
    data = ReferenceData.model_validate(demo_reference()["reference"])
    validate_change(ReferenceData(), data)
    assert max(c.path.count("/") for c in data.categories) == 2
    assert {p["category"] for p in demo_products()} <= {c.path for c in data.categories}


# ---- collections ------------------------------------------------------------------------------------------
def test_a_collection_names_existing_products_once_in_a_valid_window(catalogue):
    with pytest.raises(UnknownProducts):
        catalogue.put_collection("x", CollectionInput(title="X", product_ids=["chef-knife", "no-such-product"]))
    with pytest.raises(ValidationError):
        CollectionInput(title="X", product_ids=["chef-knife", "chef-knife"])
    with pytest.raises(ValidationError):
        CollectionInput(
            title="X",
            product_ids=["chef-knife"],
            starts_at=datetime(2026, 2, 1, tzinfo=UTC),
            ends_at=datetime(2026, 1, 1, tzinfo=UTC),
        )


def test_a_collection_lists_its_products_in_order_and_skips_retired_ones(catalogue):
    catalogue.put_collection(
        "picks", CollectionInput(title="Picks", product_ids=["pour-over-set", "cold-brew-jar", "chef-knife"])
    )
    retired = CatalogueEngine([d for d in demo_docs() if d["product_id"] != "cold-brew-jar"], generation="g")
    view = StorefrontService(lambda: retired, catalogue).collection("picks")
    assert view.title == "Picks" and [i.product_id for i in view.items] == ["pour-over-set", "chef-knife"]


def test_a_collection_outside_its_window_or_unknown_is_not_found(catalogue, storefront):
    catalogue.put_collection(
        "summer",
        CollectionInput(title="Summer", product_ids=["chef-knife"], ends_at=datetime(2026, 1, 1, tzinfo=UTC)),
    )
    with pytest.raises(CollectionNotFound):
        storefront.collection("summer")
    with pytest.raises(CollectionNotFound):
        storefront.collection("nothing-here")


# ---- query-string rules -------------------------------------------------------------------------------------
def test_lists_and_attribute_filters_are_comma_separated():
    assert split_list("sonora, lumina,,sonora", "brand") == ("sonora", "lumina")
    assert attribute_filters("colour:black,wireless:true,colour:navy") == (
        ("colour", ("black", "navy")),
        ("wireless", ("true",)),
    )
    assert attribute_filters(None) == () and attribute_filters("screen_inches:15.6") == (("screen_inches", ("15.6",)),)
    for bad in ("colour", "colour:", "Colour:black", "colour:a:b", ":black"):
        with pytest.raises(InvalidParameter):
            attribute_filters(bad)
    with pytest.raises(InvalidParameter):
        split_list(",".join(str(i) for i in range(21)), "brand")
    with pytest.raises(InvalidParameter):
        price_range(500, 100)


# ---- storefront reads -----------------------------------------------------------------------------------------
def test_the_category_tree_has_names_positions_and_subtree_counts(storefront):
    tree = storefront.categories().categories
    assert [n.path for n in tree] == ["electronics", "home", "apparel"]
    electronics = tree[0]
    assert electronics.name == "Electronics" and electronics.product_count == 14
    audio = electronics.children[0]
    assert audio.name == "Audio" and [c.name for c in audio.children] == ["Headphones", "Speakers"]
    assert storefront.categories("home/kitchen").categories[0].product_count == 7
    with pytest.raises(CategoryNotFound):
        storefront.categories("nowhere")


def test_brands_carry_their_manufacturer_and_product_count(storefront):
    brands = {b.slug: b for b in storefront.brands().brands}
    assert brands["lumen-co"].name == "Lumen & Co" and brands["lumen-co"].product_count == 2
    assert brands["sonora"].manufacturer_name == "Sonora Audio GmbH"


def test_a_product_page_shows_live_stock_per_variant_and_breadcrumbs(storefront):
    detail = storefront.product_detail("aurora-anc-headphones")
    stock = {v.sku: (v.stock_status, v.backorder_eta) for v in detail.variants}
    assert stock == {
        "AUR-BLA": ("in_stock", None),
        "AUR-WHI": ("backorder", date(2026, 5, 1)),
        "AUR-NAV": ("low_stock", None),
    }
    assert detail.stock_status == "in_stock"
    assert [b.name for b in detail.breadcrumbs] == ["Electronics", "Audio", "Headphones"]
    with pytest.raises(ProductNotFound):
        storefront.product_detail("no-such-product")


def test_similar_products_work_for_a_product_not_yet_in_the_snapshot(catalogue):
    engine = CatalogueEngine([d for d in demo_docs() if d["product_id"] != "featherbook-13"], generation="g")
    storefront = StorefrontService(lambda: engine, catalogue)
    similar = storefront.similar("featherbook-13", 3)
    assert [i.category for i in similar.items[:2]] == ["electronics/computers/laptops"] * 2
