"""Catalogue snapshot benchmark: size, build, cold-start decode and in-memory query latency for
the demo catalogue and synthetic catalogues (default 10k and 50k products).

Run: .venv/bin/python bench/search_snapshot.py            (about a minute)
     .venv/bin/python bench/search_snapshot.py --sizes 10000 --queries 20
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from commerce.catalog.models import Product
from commerce.search.documents import document_of
from commerce.search.engine import CatalogueEngine, Query
from commerce.search.snapshot import chunk, decode, encode, stock_summary
from local.seed import demo_products

WORDS = [
    "aurora",
    "pulse",
    "studio",
    "quiet",
    "ride",
    "boom",
    "room",
    "trail",
    "feather",
    "work",
    "horse",
    "ergo",
    "mech",
    "dock",
    "sleeve",
    "barista",
    "pour",
    "burr",
    "cold",
    "brew",
    "cast",
    "iron",
    "nonstick",
    "chef",
    "arc",
    "halo",
    "linen",
    "wool",
    "storm",
    "shell",
    "down",
    "puffer",
    "city",
    "runner",
    "nova",
    "vertex",
    "summit",
    "harbor",
    "coastal",
    "urban",
    "alpine",
    "nordic",
    "classic",
    "pro",
    "max",
    "mini",
    "ultra",
    "smart",
    "compact",
    "travel",
    "premium",
    "essential",
    "everyday",
    "heritage",
    "modern",
    "vintage",
    "hybrid",
    "active",
    "outdoor",
    "indoor",
    "portable",
    "wireless",
]
NOUNS = [
    "headphones",
    "earbuds",
    "speaker",
    "laptop",
    "mouse",
    "keyboard",
    "monitor",
    "lamp",
    "throw",
    "cushion",
    "skillet",
    "pan",
    "knife",
    "grinder",
    "kettle",
    "jacket",
    "sneaker",
    "boot",
    "shirt",
    "backpack",
    "tent",
    "bottle",
    "mug",
    "chair",
    "desk",
    "rug",
    "blanket",
    "watch",
    "camera",
    "charger",
]
COLOURS = ["black", "white", "navy", "red", "green", "sage", "sand", "charcoal", "brass", "grey", "blue", "pink"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
MATERIALS = ["cotton", "wool", "linen", "steel", "aluminium", "leather", "polyester", "bamboo"]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def synthetic(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """n search documents with stock and sales, shaped like the real ones: 3-level categories
    (10 x 8 x 6 = 480 leaves), 400 brands, 1-5 variants with colour/size, a few typed attributes."""
    rng = random.Random(seed)
    brands = [f"{rng.choice(WORDS).capitalize()}{rng.choice(['', 'ly', 'ix', 'on', 'a'])} {i}" for i in range(400)]
    leaves = [f"dept-{a}/aisle-{b}/shelf-{c}" for a in range(10) for b in range(8) for c in range(6)]
    docs = []
    for i in range(n):
        name = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS).capitalize()} {rng.choice(NOUNS).capitalize()} {i % 97}"
        variants = []
        base = rng.randrange(500, 200_000)
        for v in range(rng.randint(1, 5)):
            variants.append(
                {
                    "sku": f"SKU-{i}-{v}",
                    "name": f"{rng.choice(COLOURS)} {rng.choice(SIZES)}",
                    "price": base + v * 500,
                    "weight_grams": rng.randrange(100, 5000),
                    "attributes": {"colour": rng.choice(COLOURS), "size": rng.choice(SIZES)},
                }
            )
        raw = {
            "product_id": f"product-{i}",
            "name": name,
            "description": "",
            "brand": rng.choice(brands),
            "category": rng.choice(leaves),
            "currency": "EUR",
            "images": [f"https://img.example.com/{i}/0.jpg"],
            "attributes": {
                "material": rng.choice(MATERIALS),
                "weight_kg": round(rng.uniform(0.1, 20), 1),
                "waterproof": rng.random() < 0.3,
            },
            "variants": variants,
            "status": "active",
        }
        product = Product(
            **raw,
            price_from=min(v["price"] for v in variants),
            created_at=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00.000Z",
            updated_at="2026-01-01T00:00:00.000Z",
            version=1,
        )
        doc = document_of(product).model_dump()
        statuses = [
            (rng.choices(["in_stock", "low_stock", "out_of_stock", "backorder"], [80, 10, 7, 3])[0], "2026-05-01")
            for _ in variants
        ]
        doc["stock_status"], doc["backorder_eta"] = stock_summary(statuses)
        doc["sales_count"] = int(rng.paretovariate(1.2) * 10)
        doc["rating"] = None
        docs.append(doc)
    return docs


def demo() -> list[dict[str, Any]]:
    docs = []
    for raw in demo_products():
        product = Product(
            **({"status": "active"} | raw),
            price_from=min(v["price"] for v in raw["variants"]),
            created_at="2026-01-01T00:00:00.000Z",
            updated_at="2026-01-01T00:00:00.000Z",
            version=1,
        )
        doc = document_of(product).model_dump() | {"stock_status": "in_stock", "backorder_eta": None}
        docs.append(doc | {"sales_count": 1, "rating": None})
    return docs


def timed(fn: Callable[[], Any], runs: int = 1) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def latency(fn: Callable[[int], Any], runs: int) -> str:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"p50 {statistics.median(samples):7.2f} ms  p95 {p95:7.2f} ms"


def bench(label: str, docs: list[dict[str, Any]], queries: int) -> None:
    n = len(docs)
    encode_ms, blob = timed(lambda: encode(docs, "g", "t"))
    raw_bytes = len(__import__("gzip").decompress(blob))
    parts = chunk(blob)
    del docs
    gc.collect()
    before = rss_mb()
    decode_ms, data = timed(lambda: decode(b"".join(parts)))
    build_ms, engine = timed(lambda decoded=data["docs"]: CatalogueEngine(decoded, "g", "t"))
    docs = engine.docs
    del data
    gc.collect()
    gc.freeze()  # as SnapshotCache does
    grown = rss_mb() - before
    print(f"\n== {label}: {n:,} products, {sum(len(d['skus']) for d in docs):,} SKUs")
    print(
        f"snapshot: raw JSON {raw_bytes / 1e6:7.2f} MB, gzip {len(blob) / 1e6:6.2f} MB "
        f"({len(blob) / n:,.0f} B/product), {len(parts)} parts of <= 350 KB"
    )
    print(f"build (JSON + gzip):        {encode_ms:8.0f} ms")
    print(f"cold start: gunzip + JSON   {decode_ms:8.0f} ms, index build {build_ms:8.0f} ms, memory +{grown:,.0f} MB")
    rng = random.Random(1)
    categories = sorted({d["category"].rsplit("/", 1)[0] for d in docs})
    brands = sorted({d["brand_slug"] for d in docs})
    sorts = ["newest", "price_asc", "price_desc", "best_selling"]

    def listing(i: int) -> None:  # a distinct query each time: no result cache hits
        q = Query(
            category=rng.choice(categories),
            brands=(rng.choice(brands),) if i % 3 == 0 else (),
            price_max=rng.randrange(5_000, 200_000),
            in_stock=bool(i % 2),
            sort=sorts[i % 4],
        )
        engine.query(q, 24)

    def unfiltered(i: int) -> None:
        engine._cache.clear()
        engine.query(Query(sort=sorts[i % 4], attributes=(("colour", (COLOURS[i % 12],)),)), 24)

    def next_page(i: int) -> None:  # a cursor on a cached result
        first = engine.query(Query(sort="price_asc"), 24)
        engine.query(Query(sort="price_asc"), 24, first.next_cursor)

    texts = [f"{rng.choice(WORDS)} {rng.choice(NOUNS)}" for _ in range(queries)]
    typos = [t[:-3] + t[-2] + t[-3] + t[-1] for t in texts]

    def search(i: int) -> None:
        engine._cache.clear()
        engine.search(Query(text=texts[i % len(texts)], sort="relevance"), 24)

    def no_result(i: int) -> None:
        engine.did_you_mean(typos[i % len(typos)])

    def suggest(i: int) -> None:
        engine._cache.clear()
        engine.suggest(texts[i % len(texts)][: 3 + i % 5])

    def suggest_typo(i: int) -> None:
        engine._cache.clear()
        engine.suggest(typos[i % len(typos)][:7])

    for name, fn in [
        ("list: category+filters, sorted, page 1", listing),
        ("list: whole catalogue + attribute, facets", unfiltered),
        ("list: next page (cached query)", next_page),
        ("search: two words, relevance", search),
        ("search: no-result did_you_mean", no_result),
        ("suggest: prefix", suggest),
        ("suggest: prefix with a typo", suggest_typo),
    ]:
        print(f"  {name:44s} {latency(fn, queries)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000])
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()
    started = time.perf_counter()
    bench("demo", demo(), args.queries)
    for size in args.sizes:
        generate_ms, docs = timed(lambda size=size: synthetic(size))
        print(f"\n(generated {size:,} synthetic documents in {generate_ms / 1000:.1f} s)")
        bench(f"synthetic {size:,}", docs, args.queries)
        del docs
        gc.unfreeze()
        gc.collect()
    print(f"\nbench took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
