"""Back office, inventory (MANAGE_INVENTORY, checked before this code runs):

    GET  /admin/inventory                           stock per SKU (sku_prefix, low_stock, cursor)
    GET  /admin/inventory/{sku}                     per warehouse, reserved, available, the change log
    POST /admin/inventory/{sku}/adjustments         {warehouse, delta, reason}
    POST /admin/inventory/transfers                 {sku, from_warehouse, to_warehouse, quantity, reason}
    PUT  /admin/inventory/{sku}/low-stock-threshold {threshold}
    PUT  /admin/inventory/{sku}/hot                 {shards}: shard a hot SKU's stock (or rebalance it)
    DELETE /admin/inventory/{sku}/hot               merge its shards back

Each change is one transaction with its change log entry (who, why, when); an Idempotency-Key
makes a retried adjustment or transfer apply once (docs/back-office.md, "Inventory")."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from commerce.audit import log as audit_log
from commerce.common.api import api_handler, caller_email, make_resolver, staff_id
from commerce.common.observability import logger, metrics
from commerce.inventory.admin import Actor
from commerce.inventory.hot import HotRequest
from commerce.inventory.models import (
    AdjustmentRequest,
    StockChangeResult,
    StockDetail,
    StockPage,
    StockView,
    ThresholdRequest,
    TransferRequest,
)
from commerce.wiring.inventory_admin import stock_admin

app = make_resolver()
SkuParam = Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9-]{1,47}$")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=128, description="A retry with it applies once"),
]


def actor() -> Actor:
    return Actor(id=f"staff:{staff_id(app)}", email=caller_email(app))


def changed(sku: str, before: StockView | None, result: StockChangeResult) -> Response[StockChangeResult]:
    if not result.replayed:
        after = {**result.stock.model_dump(mode="json"), "change": result.change.model_dump(mode="json")}
        audit_log.changed("inventory", sku, before=before.model_dump(mode="json") if before else None, after=after)
        logger.info(f"stock {result.change.kind}", extra={"sku": sku, "delta": result.change.delta})
        metrics.add_metric(name="StockChangesByStaff", unit="Count", value=1)
    return Response(status_code=200 if result.replayed else 201, body=result, content_type="application/json")


@app.get("/admin/inventory", summary="Stock per SKU (SKU order): totals and per warehouse")
def list_stock(
    sku_prefix: Annotated[str | None, Query(pattern=r"^[A-Z0-9-]{1,48}$", description="SKUs starting so")] = None,
    low_stock: Annotated[bool, Query(description="true: only SKUs at or below their threshold")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024, description="next_cursor from the previous page")] = None,
) -> StockPage:
    return stock_admin().page(sku_prefix, low_stock, limit, cursor)


@app.get("/admin/inventory/<sku>", summary="One SKU's stock per warehouse and its change log (newest first)")
def get_stock(
    sku: SkuParam,
    changes_limit: Annotated[int, Query(ge=1, le=100)] = 50,
    changes_cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> StockDetail:
    return stock_admin().detail(sku, changes_limit, changes_cursor)


@app.post(
    "/admin/inventory/<sku>/adjustments",
    summary="Add or remove units in a warehouse (reason required)",
    responses={201: {"description": "Adjusted"}, 200: {"description": "The change this key already made"}},
)
def adjust(
    sku: SkuParam, request: Annotated[AdjustmentRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[StockChangeResult]:
    before, result = stock_admin().adjust(sku, request, actor(), idempotency_key)
    return changed(sku, before, result)


@app.post(
    "/admin/inventory/transfers",
    summary="Move units between two warehouses in one transaction",
    responses={201: {"description": "Moved"}, 200: {"description": "The transfer this key already made"}},
)
def transfer(
    request: Annotated[TransferRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[StockChangeResult]:
    before, result = stock_admin().transfer(request, actor(), idempotency_key)
    return changed(request.sku, before, result)


@app.put("/admin/inventory/<sku>/low-stock-threshold", summary="Set the SKU's low-stock threshold")
def set_threshold(sku: SkuParam, request: Annotated[ThresholdRequest, Body()]) -> StockView:
    before, after = stock_admin().set_threshold(sku, request.threshold, actor())
    audit_log.changed(
        "inventory",
        sku,
        before={"low_stock_threshold": before.low_stock_threshold},
        after={"low_stock_threshold": after.low_stock_threshold},
    )
    return after


@app.put("/admin/inventory/<sku>/hot", summary="Mark a SKU hot: spread its available units over N shards")
def set_hot(sku: SkuParam, request: Annotated[HotRequest, Body()]) -> StockView:
    before, after = stock_admin().set_hot(sku, request.shards, actor())
    return hot_changed(sku, before, after)


@app.delete("/admin/inventory/<sku>/hot", summary="No longer hot: merge the shards' available units back")
def merge_hot(sku: SkuParam) -> StockView:
    before, after = stock_admin().merge(sku, actor())
    return hot_changed(sku, before, after)


def hot_changed(sku: str, before: StockView, after: StockView) -> StockView:
    fields = ("hot_shards", "on_hand", "reserved", "available", "pools")
    audit_log.changed(
        "inventory",
        sku,
        before=before.model_dump(mode="json", include=set(fields)),
        after=after.model_dump(mode="json", include=set(fields)),
    )
    logger.info("stock sharding", extra={"sku": sku, "hot_shards": after.hot_shards})
    return after


handler = api_handler(app)
