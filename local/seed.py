"""Demo data for the local cloud.

1. The demo catalogue goes in through the real catalogue-import workflow (Step Functions ->
   Lambda -> DynamoDB -> EventBridge -> SQS -> search documents), so a fresh `make dev` exercises
   the whole path before it prints its URLs.
2. Reference data (a 3-level category tree with display names, brands with their manufacturers,
   suppliers, typed attribute definitions) and two landing-page collections, through the
   catalogue service in-process (the same use cases as PUT /admin/catalogue/reference and
   PUT /admin/collections/{slug}, minus a Cognito sign-in at every start).
3. Stock per SKU (in-process, through the inventory service: a few low-stock, out-of-stock and
   back-order SKUs) and best-seller sales counts (later fed by OrderPlaced events).
   Steps 2-3 (except collections, which name products) run before the import.
4. The catalogue snapshot is published, so listing and search serve the demo at once.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEMO = Path(__file__).parent / "demo"
DEMO_CATALOGUE = DEMO / "catalogue.json"
DEMO_REFERENCE = DEMO / "reference.json"
EXECUTION_NAME = "demo-catalogue"


def demo_products() -> list[dict[str, Any]]:
    return list(json.loads(DEMO_CATALOGUE.read_text())["products"])


def demo_reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_REFERENCE.read_text())
    return data


def seed_demo(cloud: Any, timeout: float = 120.0) -> dict[str, Any]:
    """Import the demo catalogue, add reference data, stock and sales, publish the snapshot."""
    deadline = time.monotonic() + timeout
    demo = demo_reference()
    _reference_stock_and_sales(demo)  # before the import: collections name products, these do not
    imported = _import_catalogue(cloud, deadline)
    _collections(demo)
    if hasattr(cloud, "wait_for_idle"):
        cloud.wait_for_idle(timeout=max(1.0, deadline - time.monotonic()))
    if hasattr(cloud, "run_schedule"):
        cloud.run_schedule("search-publish-snapshot")
    return {"products": imported}


def _import_catalogue(cloud: Any, deadline: float) -> int:
    sfn = cloud.client("stepfunctions")
    name = cloud.physical("catalogue-import")
    arn = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name)
    products = demo_products()
    payload = {"import_id": EXECUTION_NAME, "products": products}
    execution = sfn.start_execution(stateMachineArn=arn, name=EXECUTION_NAME, input=json.dumps(payload))
    while True:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            raise TimeoutError("the demo catalogue import did not finish")
        time.sleep(0.2)
    if described["status"] != "SUCCEEDED":
        raise RuntimeError(
            f"demo catalogue import {described['status']}: {described.get('error')} {described.get('cause')}"
        )
    results = json.loads(described["output"])["results"]
    imported = sum(r["status"] == "imported" for r in results)
    if imported != len(products):
        raise RuntimeError(f"demo catalogue: {imported}/{len(products)} imported: {results}")
    return imported


def _reference_stock_and_sales(demo: dict[str, Any]) -> None:
    """In-process, through the catalogue, inventory and search services (the local cloud set their
    environment); the staff routes for the same data are exercised by the integration tests."""
    from commerce.catalog.reference import ReferenceData
    from commerce.wiring.catalog import catalog_service, document_store
    from commerce.wiring.inventory import inventory_service

    catalog_service().update_reference(ReferenceData.model_validate(demo["reference"]))
    stock, inventory = demo["stock"], inventory_service()
    today = datetime.now(UTC).date()
    for product in demo_products():
        for variant in product["variants"]:
            sku = variant["sku"]
            if sku in stock["backorder"]:
                inventory.plan_restock(sku, today + timedelta(days=stock["backorder"][sku]))
            elif sku not in stock["out_of_stock"]:
                inventory.adjust(sku, "main", stock["low"].get(sku, stock["default_units"]))
    documents = document_store()
    for product_id, units in demo["sales"].items():
        documents.add_sales(product_id, units)


def _collections(demo: dict[str, Any]) -> None:
    from commerce.catalog.reference import CollectionInput
    from commerce.wiring.catalog import catalog_service

    for slug, collection in demo["collections"].items():
        catalog_service().put_collection(slug, CollectionInput.model_validate(collection))
