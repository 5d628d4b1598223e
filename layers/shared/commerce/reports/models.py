"""The dashboard's figures and the counters behind them (docs/back-office.md, "The dashboard")."""

from __future__ import annotations

from pydantic import BaseModel, Field

# The order events the counters are kept from (bus rule ``order-events-to-reports``): every event
# that moves an order's status, and the staff refunds. infra/topology.py routes exactly these.
REPORTED_ORDER_EVENTS = (
    "OrderPlaced",
    "OrderPaymentAuthorised",
    "OrderPaymentDeclined",
    "OrderPaymentRetried",
    "OrderFlaggedForReview",
    "OrderApproved",
    "OrderRejected",
    "OrderReadyForFulfilment",
    "OrderFulfilmentException",
    "OrderHandedToCarrier",
    "OrderDispatched",
    "OrderDelivered",
    "OrderReturnedToSender",
    "OrderCompleted",
    "OrderCancellationRequested",
    "OrderCancelled",
    "OrderExpired",
    "OrderRefunded",
)
CHART_DAYS = 14


class OrderState(BaseModel):
    """What the counters know of one order: its latest status, and the events already counted."""

    order_id: str
    status: str | None = None
    seq: int = 0  # the timeline sequence number the status comes from
    seen: list[int] = Field(default_factory=list)  # sequence numbers counted (at-least-once delivery)
    version: int = 0


class DayFigures(BaseModel):
    date: str
    orders: int = Field(default=0, description="Orders placed")
    revenue: dict[str, int] = Field(default_factory=dict, description="Value of the orders placed, per currency")
    payment_declines: int = 0
    cancelled: int = 0
    refunds: dict[str, int] = Field(default_factory=dict, description="Staff refunds, per currency")


class HourFigures(BaseModel):
    hour: str = Field(description="00..23 (UTC)")
    orders: int = 0
    revenue: dict[str, int] = Field(default_factory=dict)


class FlaggedFigures(BaseModel):
    total: int
    in_review: int
    fulfilment_exception: int
    attention: int = Field(description="Raised by reconciliation (and in neither of the others)")


class LowStockSku(BaseModel):
    sku: str
    available: int
    low_stock_threshold: int
    on_hand: int
    reserved: int


class Charts(BaseModel):
    today_by_hour: list[HourFigures]
    last_14_days: list[DayFigures] = Field(description="Oldest first, today last")


class Dashboard(BaseModel):
    generated_at: str
    timezone: str = "UTC"
    today: DayFigures
    orders_by_status: dict[str, int] = Field(description="Orders whose latest status is this, every status")
    flagged_waiting: FlaggedFigures
    low_stock: list[LowStockSku] = Field(description="SKUs with available <= their low-stock threshold, fewest first")
    low_stock_count: int
    charts: Charts
