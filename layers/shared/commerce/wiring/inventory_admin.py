"""The inventory back office (commerce.inventory.admin) and the stock watcher on the inventory
table's stream (commerce.inventory.watch). Each builder asks only for what its function declares."""

from __future__ import annotations

from functools import cache

from commerce.common.settings import EnvModel, from_env


class StockAdminEnv(EnvModel):
    inventory_table: str
    catalog_table: str  # is a SKU new to stock one the catalogue has?


class WatchEnv(EnvModel):
    inventory_table: str
    event_bus_name: str


class CatalogueSkus:
    """The catalogue's SKU claims, as the inventory's SkuCatalogue (a retired SKU is still known)."""

    def __init__(self, table: str) -> None:
        self._table = table

    def known(self, sku: str) -> bool:
        from commerce.adapters.catalog_dynamo import DynamoProductRepository

        return sku in DynamoProductRepository(self._table).claims([sku])


@cache
def stock_admin():  # type: ignore[no-untyped-def]
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.inventory.admin import StockAdmin

    env = from_env(StockAdminEnv)
    return StockAdmin(DynamoStockRepository(env.inventory_table), CatalogueSkus(env.catalog_table))


@cache
def stock_watcher():  # type: ignore[no-untyped-def]
    from commerce.adapters.events import EventBridgePublisher
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.inventory.watch import StockWatcher

    env = from_env(WatchEnv)
    return StockWatcher(DynamoStockRepository(env.inventory_table), EventBridgePublisher(env.event_bus_name))
