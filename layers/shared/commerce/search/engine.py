"""The in-memory catalogue query engine: filtering, sorting, keyset cursors, facets, relevance
search, typo-tolerant suggestions, best sellers and similar products over one snapshot.

Pure Python over plain dicts (no AWS): the snapshot loader builds one ``CatalogueEngine`` per
snapshot generation and every reader in a warm container queries it. It implements the
``CatalogueIndex`` port, so a managed engine (OpenSearch) can replace it without touching callers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import json
import math
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import chain
from typing import Any

from commerce.search.documents import value_key
from commerce.search.errors import CategoryNotFound, InvalidCursor, UnknownAttribute
from commerce.search.text import prefix_within_one_edit, tokens, within_one_edit

Doc = dict[str, Any]
Key = tuple[Any, ...]

FIELD_WEIGHTS = {"name": 4.0, "brand": 3.0, "category": 2.0, "attributes": 1.0}
PREFIX_FACTOR = 0.8
MAX_EXPANSIONS = 40
SORTS = ("newest", "price_asc", "price_desc", "best_selling", "rating", "relevance")
IN_STOCK = frozenset({"in_stock", "low_stock"})
FACET_VALUES = 20
CACHE_SIZE = 64
PRODUCT_SUGGESTIONS = 3
SEP = "\x00"


@dataclass(frozen=True)
class Query:
    """What a listing or search asks for. ``attributes`` is ((code, (value, ...)), ...): values of
    one attribute are alternatives (OR), different attributes must all match (AND)."""

    category: str | None = None
    brands: tuple[str, ...] = ()
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool | None = None
    text: str | None = None
    sort: str = "newest"

    def fingerprint(self) -> str:
        canonical = {
            "c": self.category,
            "b": sorted(self.brands),
            "a": sorted([code, sorted(value_key(v) for v in values)] for code, values in self.attributes),
            "p": [self.price_min, self.price_max],
            "s": self.in_stock,
            "t": " ".join(tokens(self.text or "")),
            "o": self.sort,
        }
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Result:
    keys: list[Key]
    docs: list[Doc]
    facets: dict[str, Any]


@dataclass(frozen=True)
class Page:
    items: list[Doc]
    next_cursor: str | None
    total: int
    facets: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # "term" (a completed query) or "product"
    product_id: str | None = None


def _epoch_ms(stamp: str) -> int:
    try:
        return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def _sort_key(sort: str) -> Callable[[Doc, float], Key]:
    keys: dict[str, Callable[[Doc, float], Key]] = {
        "newest": lambda d, s: (-d["_created"], d["product_id"]),
        "price_asc": lambda d, s: (d["price_from"], d["product_id"]),
        "price_desc": lambda d, s: (-d["price_from"], d["product_id"]),
        "best_selling": lambda d, s: (-d["sales_count"], d["product_id"]),
        # Ratings are a placeholder (every product null): unrated last, then best selling, then id.
        "rating": lambda d, s: (
            1 if d.get("rating") is None else 0,
            -(d.get("rating") or 0),
            -d["sales_count"],
            d["product_id"],
        ),
        "relevance": lambda d, s: (-round(s, 6), -d["sales_count"], d["product_id"]),
    }
    return keys[sort]


def encode_cursor(fingerprint: str, generation: str, key: Key) -> str:
    raw = json.dumps({"q": fingerprint, "g": generation, "k": list(key)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str, sample: Key) -> Key:
    """The position a cursor points after; refuses cursors of another query or of another shape."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor("The cursor is not one this API issued.") from error
    if not isinstance(data, dict) or set(data) != {"q", "g", "k"} or not isinstance(data["k"], list):
        raise InvalidCursor("The cursor is not one this API issued.")
    if data["q"] != fingerprint:
        raise InvalidCursor("The cursor belongs to a different query; start again without it.")
    key = tuple(data["k"])
    if len(key) != len(sample) or not all(_same_kind(a, b) for a, b in zip(key, sample, strict=True)):
        raise InvalidCursor("The cursor is not one this API issued.")
    return key


def _same_kind(value: Any, sample: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    return isinstance(value, str) == isinstance(sample, str)


class CatalogueEngine:
    def __init__(self, docs: Iterable[Doc], generation: str = "0", built_at: str = "") -> None:
        self.generation = generation
        self.built_at = built_at
        self.docs: list[Doc] = []
        self.by_id: dict[str, Doc] = {}
        self.postings: dict[str, dict[int, float]] = {}
        self.categories: Counter[str] = Counter()
        self.brands: dict[str, tuple[str, int]] = {}
        self.attribute_codes: set[str] = set()
        self.in_category: dict[str, list[Doc]] = {}
        for doc in docs:  # the engine takes the documents over (adds derived keys, drops terms)
            index = len(self.docs)
            doc["_i"] = index
            doc["_created"] = _epoch_ms(doc.get("created_at", ""))
            doc.setdefault("sales_count", 0)
            doc.setdefault("rating", None)
            doc["_attr"] = {code: {value_key(v) for v in values} for code, values in doc["attributes"].items()}
            self.attribute_codes.update(doc["_attr"])
            self.docs.append(doc)
            self.by_id[doc["product_id"]] = doc
            facet_keys = [f"b{SEP}{doc['brand_slug']}"]
            for path in _ancestors(doc["category"]):
                self.categories[path] += 1
                self.in_category.setdefault(path, []).append(doc)
                facet_keys.append(f"c{SEP}{path}")
            facet_keys += [f"a{SEP}{code}{SEP}{v}" for code, values in doc["_attr"].items() for v in values]
            if doc.get("stock_status") in IN_STOCK:
                facet_keys.append(f"s{SEP}in")
            doc["_f"] = tuple(facet_keys)
            name, count = self.brands.get(doc["brand_slug"], (doc["brand"], 0))
            self.brands[doc["brand_slug"]] = (name, count + 1)
            for field_name, weight in FIELD_WEIGHTS.items():
                for term in doc["terms"].get(field_name, ()):
                    posting = self.postings.setdefault(term, {})
                    posting[index] = posting.get(index, 0.0) + weight
        self.vocabulary = sorted(self.postings)
        # typo candidates: words (not numbers or codes) by their first and by their second letter
        self._by_first: dict[str, set[str]] = {}
        self._by_second: dict[str, set[str]] = {}
        for word in self.vocabulary:
            if len(word) >= 3 and word.isalpha():
                self._by_first.setdefault(word[0], set()).add(word)
                self._by_second.setdefault(word[1], set()).add(word)
        for doc in self.docs:
            del doc["terms"]  # only needed to build the postings
        self._cache: OrderedDict[str, Result] = OrderedDict()

    # ---- listing --------------------------------------------------------------------------------
    def query(self, query: Query, limit: int, cursor: str | None = None) -> Page:
        if query.sort not in SORTS:
            raise ValueError(f"unknown sort {query.sort}")
        result = self._result(query)
        fingerprint = query.fingerprint()
        start = 0
        if cursor:
            sample = result.keys[0] if result.keys else _sort_key(query.sort)(_SAMPLE, 0.0)
            start = bisect_right(result.keys, decode_cursor(cursor, fingerprint, sample))
        items = result.docs[start : start + limit]
        more = start + limit < len(result.docs)
        next_cursor = encode_cursor(fingerprint, self.generation, result.keys[start + limit - 1]) if more else None
        return Page(items=items, next_cursor=next_cursor, total=len(result.docs), facets=result.facets)

    def _result(self, query: Query) -> Result:
        fingerprint = query.fingerprint()
        cached = self._cache.get(fingerprint)
        if cached is not None:
            self._cache.move_to_end(fingerprint)
            return cached
        self._check(query)
        scores = self._scores(query.text) if query.text and query.text.strip() else None
        candidates: Iterable[Doc]
        if scores is not None:
            candidates = (self.docs[i] for i in scores)
            if query.category:
                candidates = (d for d in candidates if _in(d["category"], query.category))
        else:
            candidates = self.in_category.get(query.category, []) if query.category else self.docs
        narrowed = replace(query, category=None)
        if narrowed.brands or narrowed.attributes or narrowed.in_stock is not None or _priced(narrowed):
            matched = [d for d in candidates if self._matches(d, narrowed)]
        else:
            matched = list(candidates)
        key = _sort_key(query.sort)
        keyed = sorted(((key(d, scores[d["_i"]] if scores else 0.0), d) for d in matched), key=lambda kd: kd[0])
        result = Result(keys=[k for k, _ in keyed], docs=[d for _, d in keyed], facets=self.facets(matched))
        self._cache[fingerprint] = result
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return result

    def _check(self, query: Query) -> None:
        if query.category and query.category not in self.categories:
            raise CategoryNotFound(f"There is no category '{query.category}'.", category=query.category)
        unknown = sorted(code for code, _ in query.attributes if code not in self.attribute_codes)
        if unknown:
            raise UnknownAttribute(f"No product has the attribute(s) {', '.join(unknown)}.", attributes=unknown)

    @staticmethod
    def _matches(doc: Doc, q: Query) -> bool:
        if q.category and not _in(doc["category"], q.category):
            return False
        if q.brands and doc["brand_slug"] not in q.brands:
            return False
        if q.price_min is not None and doc["price_from"] < q.price_min:
            return False
        if q.price_max is not None and doc["price_from"] > q.price_max:
            return False
        if q.in_stock is not None and (doc.get("stock_status") in IN_STOCK) != q.in_stock:
            return False
        for code, wanted in q.attributes:
            have = doc["_attr"].get(code)
            if not have or not any(value_key(v) in have for v in wanted):
                return False
        return True

    def facets(self, docs: Sequence[Doc]) -> dict[str, Any]:
        counts = Counter(chain.from_iterable(d["_f"] for d in docs))
        brands: list[dict[str, Any]] = []
        categories: list[dict[str, Any]] = []
        attributes: dict[str, Counter[str]] = {}
        for key, n in counts.items():
            kind, _, rest = key.partition(SEP)
            if kind == "b":
                brands.append({"slug": rest, "name": self.brands[rest][0], "count": n})
            elif kind == "c":
                categories.append({"path": rest, "count": n})
            elif kind == "a":
                code, _, value = rest.partition(SEP)
                attributes.setdefault(code, Counter())[value] = n
        prices = [d["price_from"] for d in docs]
        return {
            "brands": sorted(brands, key=lambda b: b["slug"]),
            "categories": sorted(categories, key=lambda c: c["path"]),
            "attributes": {
                code: [
                    {"value": v, "count": n}
                    for v, n in sorted(counter.items(), key=lambda vn: (-vn[1], vn[0]))[:FACET_VALUES]
                ]
                for code, counter in sorted(attributes.items())
            },
            "price": {"min": min(prices), "max": max(prices)} if prices else None,
            "in_stock": counts.get(f"s{SEP}in", 0),
        }

    # ---- search ----------------------------------------------------------------------------------
    def _idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        n = len(self.docs)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _expansions(self, prefix: str) -> list[str]:
        start = bisect_left(self.vocabulary, prefix)
        end = bisect_left(self.vocabulary, prefix + "\uffff")
        words = self.vocabulary[start:end]
        if len(words) > MAX_EXPANSIONS:
            words = sorted(words, key=lambda w: -len(self.postings[w]))[:MAX_EXPANSIONS]
        return words

    def _scores(self, text: str) -> dict[int, float]:
        """Relevance per matching document: every query token must match (the last one may be a
        prefix); a token scores idf x the weight of the fields it is in (name > brand > category >
        attributes), BM25-style idf so rare words count more."""
        words = tokens(text)
        total: dict[int, float] | None = None
        for position, word in enumerate(words):
            last = position == len(words) - 1
            if len(word) < 2 and not last:
                continue
            token_scores: dict[int, float] = {}
            for term in self._expansions(word) if last else [word]:
                factor = 1.0 if term == word else PREFIX_FACTOR
                idf = self._idf(term)
                for index, weight in self.postings.get(term, {}).items():
                    score = weight * idf * factor
                    if score > token_scores.get(index, 0.0):
                        token_scores[index] = score
            if total is None:
                total = token_scores
            else:
                total = {i: s + token_scores[i] for i, s in total.items() if i in token_scores}
            if not total:
                return {}
        return total or {}

    def search(self, query: Query, limit: int, cursor: str | None = None) -> Page:
        return self.query(query, limit, cursor)

    def corrections(self, word: str, last: bool = False, limit: int = 3) -> list[str]:
        """Vocabulary words within one typo of ``word`` (or, for the word being typed, of a prefix
        of it), most frequent first."""
        if len(word) < 3:
            return []
        check = prefix_within_one_edit if last else within_one_edit
        low = len(word) - 1
        # One edit keeps the first letter, or moves the second into first place, or the first into
        # second: only words whose first or second letter is one of the typed first two can match.
        candidates: set[str] = set()
        for letter in {word[0], word[1]}:
            candidates |= self._by_first.get(letter, set()) | self._by_second.get(letter, set())
        found = [w for w in candidates if len(w) >= low and w != word and check(word, w)]
        return sorted(found, key=lambda w: (-len(self.postings[w]), w))[:limit]

    def did_you_mean(self, text: str, limit: int = 3) -> list[str]:
        """Queries close to one that found nothing and that do find something."""
        words = [w for w in tokens(text) if len(w) >= 2]
        if not words:
            return []
        options: list[list[str]] = []
        for position, word in enumerate(words):
            if word in self.postings:
                options.append([word])
                continue
            last = position == len(words) - 1
            fixes = self.corrections(word, last=False) or (self.corrections(word, last=True) if last else [])
            options.append(fixes or [word])
        found: list[str] = []
        candidates = [" ".join(choice[0] for choice in options)]
        candidates += [
            " ".join(o[0] if i != j else alt for i, o in enumerate(options))
            for j, opts in enumerate(options)
            for alt in opts[1:]
        ]
        candidates += [w for opts in options for w in opts]
        for candidate in dict.fromkeys(candidates):
            if candidate != " ".join(words) and self._scores(candidate):
                found.append(candidate)
            if len(found) == limit:
                break
        return found

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]:
        """Search-as-you-type: completions of the word being typed (one typo tolerated), then the
        best matching products."""
        words = tokens(text)
        if not words:
            return []
        head, typed = words[:-1], words[-1]
        head = [w if w in self.postings or len(w) < 3 else (self.corrections(w) or [w])[0] for w in head]
        completions = self._expansions(typed)
        if len(completions) < limit and len(typed) >= 3:
            completions += [w for w in self.corrections(typed, last=True, limit=limit) if w not in completions]
        context = self._scores(" ".join(head)) if head else None
        ranked: list[tuple[float, str]] = []
        for word in completions:
            posting = self.postings.get(word, {})
            hits = len(posting) if context is None else sum(1 for i in posting if i in context)
            if hits:
                ranked.append((-hits, word))
        ranked.sort()
        suggestions = [Suggestion(text=" ".join([*head, w]), kind="term") for _, w in ranked[: limit // 2 + 1]]
        scores = self._scores(" ".join([*head, ranked[0][1]]) if ranked else text)
        top = heapq.nsmallest(
            PRODUCT_SUGGESTIONS, scores.items(), key=lambda kv: _sort_key("relevance")(self.docs[kv[0]], kv[1])
        )
        suggestions += [
            Suggestion(text=self.docs[i]["name"], kind="product", product_id=self.docs[i]["product_id"]) for i, _ in top
        ]
        return suggestions[:limit]

    # ---- merchandising ---------------------------------------------------------------------------
    def best_sellers(self, category: str | None, limit: int) -> list[Doc]:
        page = self.query(Query(category=category, sort="best_selling"), limit)
        return [d for d in page.items if d["sales_count"] > 0]

    def popular(self, limit: int) -> list[Doc]:
        return self.query(Query(sort="best_selling"), limit).items

    def similar(self, target: Doc, limit: int) -> list[Doc]:
        """Same leaf category first, then the same parent, then the same department; within each,
        nearest price, then most shared attribute values. Never the product itself."""
        leaf = target["category"]
        parent = leaf.rpartition("/")[0]
        root = leaf.split("/")[0]
        price = math.log1p(target["price_from"])
        mine = {(code, v) for code, values in target["attributes"].items() for v in map(value_key, values)}
        ranked: list[tuple[Key, Doc]] = []
        for doc in self.docs:
            if doc["product_id"] == target["product_id"]:
                continue
            category = doc["category"]
            if category == leaf:
                closeness = 0
            elif parent and category.startswith(parent + "/"):
                closeness = 1
            elif category.split("/")[0] == root:
                closeness = 2
            else:
                continue
            shared = sum((code, v) in mine for code, values in doc["_attr"].items() for v in values)
            distance = round(abs(math.log1p(doc["price_from"]) - price), 4)
            ranked.append(((closeness, distance, -shared, doc["product_id"]), doc))
        ranked.sort(key=lambda kd: kd[0])
        return [d for _, d in ranked[:limit]]

    def get(self, product_ids: Iterable[str]) -> list[Doc]:
        return [self.by_id[i] for i in product_ids if i in self.by_id]


_SAMPLE: Doc = {"_created": 0, "price_from": 0, "sales_count": 0, "rating": None, "product_id": ""}


def _in(category: str, root: str) -> bool:
    return category == root or category.startswith(root + "/")


def _priced(query: Query) -> bool:
    return query.price_min is not None or query.price_max is not None


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
