"""Catalogue use cases over in-memory fakes: what a shop owner and a storefront would notice."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from commerce.catalog.errors import ImportKeyReused, ProductNotFound, SkuTaken
from commerce.catalog.models import Product, ProductInput
from commerce.catalog.service import CatalogService
from commerce.common.errors import InvalidInput
from local.seed import demo_products

SCHEMAS = Path(__file__).resolve().parents[2] / "events" / "schemas"


class FakeProducts:
    def __init__(self) -> None:
        self.items: dict[str, Product] = {}
        self.sku_owner: dict[str, str] = {}

    def get(self, product_id: str) -> Product | None:
        return self.items.get(product_id)

    def save(self, product: ProductInput, now: str) -> Product:
        taken = [v.sku for v in product.variants if self.sku_owner.get(v.sku, product.product_id) != product.product_id]
        if taken:
            raise SkuTaken(f"SKU {', '.join(taken)} already belongs to another product.", skus=taken)
        previous = self.items.get(product.product_id)
        stored = Product(
            **product.model_dump(mode="json"),
            price_from=min(v.price for v in product.variants),
            created_at=previous.created_at if previous else now,
            updated_at=now,
            version=previous.version + 1 if previous else 1,
        )
        self.items[product.product_id] = stored
        self.sku_owner.update({v.sku: product.product_id for v in product.variants})
        return stored


class FakeEvents:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any]]] = []

    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> None:
        self.published.append((source, detail_type, detail))


class FakeWorkflow:
    def __init__(self) -> None:
        self.executions: dict[str, dict[str, Any]] = {}

    def start(self, name: str, payload: dict[str, Any]) -> bool:
        if name in self.executions:
            return self.executions[name] == payload
        self.executions[name] = payload
        return True

    def describe(self, name: str) -> dict[str, Any] | None:
        return None


@pytest.fixture
def parts() -> tuple[CatalogService, FakeProducts, FakeEvents, FakeWorkflow]:
    products, events, workflow = FakeProducts(), FakeEvents(), FakeWorkflow()
    return CatalogService(products, events, workflow), products, events, workflow


def a_product(**changes: Any) -> dict[str, Any]:
    product = copy.deepcopy(demo_products()[0])
    product.update(changes)
    return product


def test_a_valid_product_is_stored_and_announced_with_an_event_matching_its_schema(parts):
    service, products, events, _ = parts
    outcome = service.upsert_product(a_product())
    assert outcome.status == "imported"
    assert products.get(outcome.product_id) is not None
    ((source, detail_type, detail),) = events.published
    assert (source, detail_type) == ("commerce.catalog", "ProductUpserted")
    jsonschema.validate(detail, json.loads((SCHEMAS / "ProductUpserted.json").read_text()))


def test_retiring_a_product_hides_it_from_the_storefront_and_says_so_on_the_bus(parts):
    service, _, events, _ = parts
    service.upsert_product(a_product())
    service.upsert_product(a_product(status="retired"))
    assert events.published[-1][1] == "ProductRetired"
    jsonschema.validate(events.published[-1][2], json.loads((SCHEMAS / "ProductRetired.json").read_text()))
    with pytest.raises(ProductNotFound):
        service.get_product(a_product()["product_id"])


@pytest.mark.parametrize(
    ("change", "reason_fragment"),
    [
        ({"variants": []}, "variants"),
        ({"name": ""}, "name"),
        ({"product_id": "Not An Id"}, "product_id"),
        ({"currency": "euro"}, "currency"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_an_invalid_product_is_rejected_with_its_reason_and_nothing_is_stored(parts, change, reason_fragment):
    service, products, events, _ = parts
    outcome = service.upsert_product(a_product(**change))
    assert outcome.status == "rejected"
    assert reason_fragment in (outcome.reason or "")
    assert products.items == {} and events.published == []


def test_negative_price_and_duplicate_skus_are_rejected(parts):
    service, _, _, _ = parts
    product = a_product()
    product["variants"][0]["price"] = -1
    assert service.upsert_product(product).status == "rejected"
    product = a_product()
    product["variants"][1]["sku"] = product["variants"][0]["sku"]
    assert "own SKU" in (service.upsert_product(product).reason or "")


def test_a_sku_cannot_belong_to_two_products(parts):
    service, _, _, _ = parts
    service.upsert_product(a_product())
    thief = a_product(product_id="another-product")
    outcome = service.upsert_product(thief)
    assert outcome.status == "rejected" and "already belongs" in (outcome.reason or "")


def test_reimporting_keeps_created_at_and_bumps_the_version(parts):
    service, products, _, _ = parts
    service.upsert_product(a_product())
    first = products.get(a_product()["product_id"])
    service.upsert_product(a_product(name="Renamed"))
    second = products.get(a_product()["product_id"])
    assert first and second and second.version == first.version + 1 and second.created_at == first.created_at


def test_an_idempotency_key_returns_the_same_import_and_refuses_a_different_body(parts):
    service, _, _, workflow = parts
    first = service.start_import([a_product()], "key-123456")
    again = service.start_import([a_product()], "key-123456")
    assert first == again and len(workflow.executions) == 1
    with pytest.raises(ImportKeyReused):
        service.start_import([a_product(name="Other")], "key-123456")


def test_an_empty_import_is_refused(parts):
    with pytest.raises(InvalidInput):
        parts[0].start_import([], None)
