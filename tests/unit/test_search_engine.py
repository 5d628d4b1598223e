"""The in-memory catalogue query engine over the demo catalogue: what a shopper would notice when
filtering, sorting, paging, searching and typing into the search box."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.catalog.models import Product
from commerce.search.documents import document_of, value_key
from commerce.search.engine import CatalogueEngine, Query, decode_cursor, encode_cursor
from commerce.search.errors import CategoryNotFound, InvalidCursor, UnknownAttribute
from commerce.search.text import fold, normalise, prefix_within_one_edit, slugify, within_one_edit
from local.seed import demo_products

OUT_OF_STOCK = {"cold-brew-jar"}
BACKORDER = {"barista-espresso-machine": "2030-01-15"}
BEST_SELLER = "pour-over-set"


def product(raw: dict[str, Any], day: int = 1) -> Product:
    return Product(
        **({"status": "active"} | raw),
        price_from=min(v["price"] for v in raw["variants"]),
        created_at=f"2026-01-{day:02d}T10:00:00.000Z",
        updated_at="2026-01-01T10:00:00.000Z",
        version=1,
    )


def demo_docs() -> list[dict[str, Any]]:
    """The demo catalogue as snapshot documents, with deterministic dates, sales and stock."""
    docs = []
    for i, raw in enumerate(demo_products()):
        doc = document_of(product(raw, day=i % 28 + 1)).model_dump()
        doc["sales_count"] = 1000 if raw["product_id"] == BEST_SELLER else (i * 37) % 50
        pid = raw["product_id"]
        doc["stock_status"] = "out_of_stock" if pid in OUT_OF_STOCK else "backorder" if pid in BACKORDER else "in_stock"
        doc["backorder_eta"] = BACKORDER.get(pid)
        docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def engine() -> CatalogueEngine:
    return CatalogueEngine(demo_docs(), generation="g1")


def ids(page_items: list[dict[str, Any]]) -> list[str]:
    return [d["product_id"] for d in page_items]


def walk(engine: CatalogueEngine, query: Query, limit: int) -> list[str]:
    seen, cursor = [], None
    while True:
        page = engine.query(query, limit, cursor)
        seen += ids(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return seen


# ---- text --------------------------------------------------------------------------------------
def test_text_is_folded_and_tokenised():
    assert fold("Café Crème") == "cafe creme"
    assert normalise("Café Crème, 2-in-1!") == ["cafe", "creme", "in"]
    assert slugify("Lumen & Co") == "lumen-co"
    assert value_key(True) == "true" and value_key(15.0) == "15" and value_key(" Black ") == "black"


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("headphones", "headphones", True),
        ("hedphones", "headphones", True),  # deletion
        ("headphonnes", "headphones", True),  # insertion
        ("heaphones", "headphones", True),
        ("haedphones", "headphones", True),  # adjacent swap
        ("hxadphones", "headphones", True),  # substitution
        ("hdaephones", "headphones", False),
        ("speaker", "headphones", False),
    ],
)
def test_one_typo_is_tolerated_and_two_are_not(a, b, close):
    assert within_one_edit(a, b) is close


def test_a_typo_in_a_prefix_still_completes():
    assert prefix_within_one_edit("hedph", "headphones")
    assert prefix_within_one_edit("wirl", "wireless")
    assert not prefix_within_one_edit("xyzq", "wireless")


# ---- filters -----------------------------------------------------------------------------------
def test_a_category_includes_its_sub_categories(engine):
    audio = engine.query(Query(category="electronics/audio"), 100)
    assert audio.total == 7
    assert {d["category"] for d in audio.items} == {"electronics/audio/headphones", "electronics/audio/speakers"}
    assert engine.query(Query(category="electronics"), 100).total == 14
    assert engine.query(Query(category="electronics/audio/headphones"), 100).total == 4


def test_an_unknown_category_is_refused(engine):
    with pytest.raises(CategoryNotFound):
        engine.query(Query(category="electronics/aud"), 10)


def test_brands_are_filtered_by_slug_and_several_are_alternatives(engine):
    page = engine.query(Query(brands=("sonora", "lumen-co")), 100)
    assert {d["brand"] for d in page.items} == {"Sonora", "Lumen & Co"} and page.total == 5


def test_attribute_values_match_product_and_variant_attributes(engine):
    black = engine.query(Query(attributes=(("colour", ("black",)),)), 100)
    assert black.total > 0 and all("black" in d["_attr"]["colour"] for d in black.items)
    wireless_black = engine.query(Query(attributes=(("colour", ("black",)), ("wireless", ("true",)))), 100)
    assert set(ids(wireless_black.items)) < set(ids(black.items))
    either = engine.query(Query(attributes=(("colour", ("black", "sage")),)), 100)
    assert either.total > black.total
    assert engine.query(Query(attributes=(("battery_hours", ("30",)),)), 100).total >= 1


def test_an_attribute_no_product_has_is_refused(engine):
    with pytest.raises(UnknownAttribute):
        engine.query(Query(attributes=(("flavour", ("mint",)),)), 10)


def test_price_range_and_in_stock(engine):
    cheap = engine.query(Query(price_max=5000), 100)
    assert cheap.total and all(d["price_from"] <= 5000 for d in cheap.items)
    band = engine.query(Query(price_min=10000, price_max=20000), 100)
    assert all(10000 <= d["price_from"] <= 20000 for d in band.items)
    stocked = engine.query(Query(in_stock=True), 100)
    assert stocked.total == 33 - 2 and not {"cold-brew-jar", "barista-espresso-machine"} & set(ids(stocked.items))
    assert set(ids(engine.query(Query(in_stock=False), 100).items)) == {"cold-brew-jar", "barista-espresso-machine"}


# ---- sorting and paging ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("price_asc", lambda d: (d["price_from"], d["product_id"])),
        ("price_desc", lambda d: (-d["price_from"], d["product_id"])),
        ("best_selling", lambda d: (-d["sales_count"], d["product_id"])),
        ("newest", lambda d: (-d["_created"], d["product_id"])),
    ],
)
def test_sorts_order_the_whole_result(engine, sort, key):
    items = engine.query(Query(sort=sort), 100).items
    assert items == sorted(items, key=key)


def test_rating_is_a_stable_placeholder_that_falls_back_to_best_selling(engine):
    assert ids(engine.query(Query(sort="rating"), 100).items) == ids(
        engine.query(Query(sort="best_selling"), 100).items
    )


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "best_selling", "rating"])
def test_pages_walk_the_result_once_without_gaps_or_repeats(engine, sort):
    seen = walk(engine, Query(sort=sort), 4)
    assert seen == ids(engine.query(Query(sort=sort), 100).items)


def test_a_cursor_survives_a_new_snapshot_generation(engine):
    first = engine.query(Query(sort="price_asc"), 5)
    newer = CatalogueEngine(demo_docs(), generation="g2")
    second = newer.query(Query(sort="price_asc"), 5, first.next_cursor)
    assert ids(first.items + second.items) == ids(newer.query(Query(sort="price_asc"), 10).items)


def test_a_cursor_from_another_query_or_forged_is_refused(engine):
    cursor = engine.query(Query(sort="price_asc"), 5).next_cursor
    with pytest.raises(InvalidCursor):
        engine.query(Query(sort="price_desc"), 5, cursor)
    with pytest.raises(InvalidCursor):
        engine.query(Query(sort="price_asc", brands=("sonora",)), 5, cursor)
    fingerprint = Query(sort="price_asc").fingerprint()
    for forged in ("garbage!", encode_cursor(fingerprint, "g1", ("x", "y")), "eyJwayI6IngifQ"):
        with pytest.raises(InvalidCursor):
            engine.query(Query(sort="price_asc"), 5, forged)
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor(fingerprint, "g1", (True, "a")), fingerprint, (1, "a"))


def test_facets_count_brands_categories_attributes_prices_and_stock(engine):
    page = engine.query(Query(category="electronics/audio"), 2)
    facets = page.facets
    brands = {b["slug"]: b["count"] for b in facets["brands"]}
    assert sum(brands.values()) == 7 and brands["sonora"] == 3
    categories = {c["path"]: c["count"] for c in facets["categories"]}
    assert categories == {
        "electronics": 7,
        "electronics/audio": 7,
        "electronics/audio/headphones": 4,
        "electronics/audio/speakers": 3,
    }
    colours = {v["value"]: v["count"] for v in facets["attributes"]["colour"]}
    assert colours["black"] == 7
    assert facets["price"]["min"] <= facets["price"]["max"] and facets["in_stock"] == 7


# ---- search -------------------------------------------------------------------------------------
def test_name_matches_rank_above_brand_category_and_attribute_matches(engine):
    results = ids(engine.search(Query(text="headphones", sort="relevance"), 10).items)
    assert set(results) == {
        "aurora-anc-headphones",
        "pulse-sport-earbuds",
        "studio-monitor-headphones",
        "quietride-travel-headphones",
    }
    # "Pulse Sport Earbuds" is a headphone by category only: it ranks last
    assert results[-1] == "pulse-sport-earbuds"


def test_every_word_must_match_and_the_last_may_be_a_prefix(engine):
    assert ids(engine.search(Query(text="sonora wirel", sort="relevance"), 10).items) == ["aurora-anc-headphones"]
    assert engine.search(Query(text="SONORA Headphónes", sort="relevance"), 10).total == 2
    assert engine.search(Query(text="lumina featherbook", sort="relevance"), 10).total == 2


def test_search_combines_with_filters_and_other_sorts(engine):
    page = engine.search(Query(text="jacket", brands=("fjellsted",), sort="price_asc"), 10)
    assert page.total and all(d["brand_slug"] == "fjellsted" for d in page.items)
    assert page.items == sorted(page.items, key=lambda d: (d["price_from"], d["product_id"]))


def test_search_is_found_by_attribute_values_and_skus(engine):
    assert "linen-throw" in ids(engine.search(Query(text="linen", sort="relevance"), 10).items)
    assert ids(engine.search(Query(text="FE13-16-512", sort="relevance"), 10).items)[0] == "featherbook-13"


def test_search_pages_with_relevance_cursors(engine):
    assert walk(engine, Query(text="e", sort="relevance"), 3) == ids(
        engine.search(Query(text="e", sort="relevance"), 100).items
    )


def test_no_result_offers_close_queries_that_find_something(engine):
    assert engine.search(Query(text="hedphones", sort="relevance"), 10).total == 0
    assert engine.did_you_mean("hedphones") == ["headphones"]
    assert engine.did_you_mean("sonora hedphones")[0] == "sonora headphones"
    assert engine.did_you_mean("qqqqqq") == []


def test_popular_products_are_the_best_sellers(engine):
    assert ids(engine.popular(3))[0] == BEST_SELLER


# ---- suggestions ---------------------------------------------------------------------------------
def test_suggestions_complete_the_word_being_typed(engine):
    suggestions = engine.suggest("headph")
    assert suggestions[0].text == "headphones" and suggestions[0].kind == "term"
    assert any(s.kind == "product" and s.product_id == "aurora-anc-headphones" for s in suggestions)


def test_suggestions_tolerate_one_typo(engine):
    assert engine.suggest("hedph")[0].text == "headphones"
    assert engine.suggest("wirles")[0].text == "wireless"
    assert engine.suggest("sonora hedph")[0].text == "sonora headphones"


def test_suggestions_keep_the_words_already_typed_as_context(engine):
    terms = [s.text for s in engine.suggest("trail w") if s.kind == "term"]
    assert terms and all(t.startswith("trail w") for t in terms)


def test_nothing_to_suggest_for_noise(engine):
    assert engine.suggest("") == [] and [s for s in engine.suggest("zzzzqqq") if s.kind == "term"] == []


# ---- merchandising --------------------------------------------------------------------------------
def test_best_sellers_per_category(engine):
    assert ids(engine.best_sellers(None, 1)) == [BEST_SELLER]
    kitchen = engine.best_sellers("home/kitchen", 10)
    assert kitchen[0]["product_id"] == BEST_SELLER and all(d["category"].startswith("home/kitchen/") for d in kitchen)
    assert all(d["sales_count"] > 0 for d in kitchen)


def test_similar_products_share_the_category_first_then_the_parent_then_nearest_price(engine):
    target = engine.by_id["featherbook-13"]
    similar = engine.similar(target, 6)
    assert "featherbook-13" not in ids(similar)
    assert [d["category"] for d in similar[:2]] == ["electronics/computers/laptops"] * 2
    assert similar[2]["category"] == "electronics/computers/accessories"
    laptops = similar[:2]
    assert abs(laptops[0]["price_from"] - target["price_from"]) <= abs(laptops[1]["price_from"] - target["price_from"])
    assert all(d["category"].startswith("electronics/") for d in similar)
