"""Inventory service."""

from __future__ import annotations

from functools import cache

from commerce.common.settings import EnvModel, from_env


class InventoryEnv(EnvModel):
    inventory_table: str


@cache
def inventory_service():  # type: ignore[no-untyped-def]
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.inventory.service import InventoryService

    return InventoryService(DynamoStockRepository(from_env(InventoryEnv).inventory_table))
