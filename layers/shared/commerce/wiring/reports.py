"""Reports services: the event consumer (reports-record-order-events) and the dashboard
(reports-dashboard: the counters, the flagged orders through the orders' staff adapter, the
low-stock SKUs through the inventory context's stock service)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.reports.models import LowStockSku
    from commerce.reports.service import ReportsService

LOW_STOCK_PAGE = 100
LOW_STOCK_PAGES = 10  # the dashboard reads at most 1,000 low-stock SKUs


class ReportsEnv(EnvModel):
    reports_table: str


class DashboardEnv(EnvModel):
    orders_table: str
    inventory_table: str


class ReadOnlyCatalogue:
    """The stock service asks the catalogue only before creating stock: never, here."""

    def known(self, sku: str) -> bool:
        raise RuntimeError("read-only")


class InventoryLowStock:
    """The inventory context's low-stock list (``StockAdmin.page(low_only=True)``: the list its
    stream watcher keeps, re-checked against the live totals)."""

    def __init__(self, stock: Any) -> None:
        self._stock = stock

    def low_stock(self) -> list[LowStockSku]:
        from commerce.reports.models import LowStockSku

        found: list[LowStockSku] = []
        cursor = None
        for _ in range(LOW_STOCK_PAGES):
            page = self._stock.page(None, True, LOW_STOCK_PAGE, cursor)
            found += [LowStockSku.model_validate(view.model_dump()) for view in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        return found


@cache
def record_service() -> ReportsService:
    from commerce.adapters.reports_dynamo import DynamoCounters
    from commerce.reports.service import ReportsService

    return ReportsService(DynamoCounters(from_env(ReportsEnv).reports_table))


@cache
def dashboard_service() -> ReportsService:
    from commerce.adapters.backoffice_orders_dynamo import DynamoStaffOrders
    from commerce.adapters.inventory_dynamo import DynamoStockRepository
    from commerce.adapters.orders_dynamo import DynamoOrderRepository
    from commerce.adapters.reports_dynamo import DynamoCounters
    from commerce.inventory.admin import StockAdmin
    from commerce.reports.service import ReportsService
    from commerce.wiring.orders import NoStock

    env = from_env(DashboardEnv)
    flagged = DynamoStaffOrders(env.orders_table, DynamoOrderRepository(env.orders_table, "", NoStock()))
    stock = StockAdmin(DynamoStockRepository(env.inventory_table), ReadOnlyCatalogue())
    return ReportsService(
        DynamoCounters(from_env(ReportsEnv).reports_table), flagged=flagged, stock=InventoryLowStock(stock)
    )
