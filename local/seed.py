"""Demo data for the local cloud: the demo catalogue goes in through the real catalogue-import
workflow (Step Functions -> Lambda -> DynamoDB -> EventBridge -> SQS -> search index), so a fresh
`make dev` exercises the whole path before it prints its URLs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

DEMO_CATALOGUE = Path(__file__).parent / "demo" / "catalogue.json"
EXECUTION_NAME = "demo-catalogue"


def demo_products() -> list[dict[str, Any]]:
    return list(json.loads(DEMO_CATALOGUE.read_text())["products"])


def seed_demo(cloud: Any, timeout: float = 120.0) -> dict[str, Any]:
    """Import the demo catalogue and wait until the workflow succeeded and the index caught up."""
    sfn = cloud.client("stepfunctions")
    name = cloud.physical("catalogue-import")
    arn = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name)
    products = demo_products()
    payload = {"import_id": EXECUTION_NAME, "products": products}
    execution = sfn.start_execution(stateMachineArn=arn, name=EXECUTION_NAME, input=json.dumps(payload))
    deadline = time.monotonic() + timeout
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
    if hasattr(cloud, "wait_for_idle"):
        cloud.wait_for_idle(timeout=max(1.0, deadline - time.monotonic()))
    return {"products": imported}
