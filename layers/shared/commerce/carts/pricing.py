"""Re-pricing a stored cart against the catalogue and stock, as every read does. Pure."""

from __future__ import annotations

from commerce.carts.models import CartView, LineView, Notice, NoticeCode, PricedSku, StoredCart, StoredLine
from commerce.inventory.models import Availability, StockStatus

DEFAULT_CURRENCY = "EUR"


def price_line(line: StoredLine, item: PricedSku | None, stock: Availability | None) -> tuple[LineView, list[Notice]]:
    notices: list[Notice] = []
    available = stock.available if stock else 0
    status = str(stock.status) if stock else str(StockStatus.OUT_OF_STOCK)
    if item is None or not item.active:
        notices.append(
            Notice(
                code=NoticeCode.PRODUCT_UNAVAILABLE,
                sku=line.sku,
                message=f"{line.sku} is no longer sold; remove it to continue.",
            )
        )
        view = LineView(
            sku=line.sku,
            product_id=item.product_id if item else None,
            name=item.name if item else None,
            variant_name=item.variant_name if item else None,
            image=item.image if item else None,
            quantity=line.quantity,
            unit_price=None,
            line_total=0,
            weight_grams=0,
            available=0,
            stock_status="unavailable",
            purchasable=False,
        )
        return view, notices
    if item.unit_price != line.seen_price:
        notices.append(
            Notice(
                code=NoticeCode.PRICE_CHANGED,
                sku=line.sku,
                message=f"The price of {item.name} changed from {line.seen_price} to {item.unit_price}.",
                old_price=line.seen_price,
                new_price=item.unit_price,
            )
        )
    if available == 0:
        notices.append(
            Notice(
                code=NoticeCode.OUT_OF_STOCK,
                sku=line.sku,
                message=f"{item.name} is out of stock.",
                requested=line.quantity,
                available=0,
            )
        )
    elif available < line.quantity:
        notices.append(
            Notice(
                code=NoticeCode.QUANTITY_REDUCED,
                sku=line.sku,
                message=f"Only {available} of {item.name} left; lower the quantity to continue.",
                requested=line.quantity,
                available=available,
            )
        )
    view = LineView(
        sku=line.sku,
        product_id=item.product_id,
        name=item.name,
        variant_name=item.variant_name,
        image=item.image,
        quantity=line.quantity,
        unit_price=item.unit_price,
        line_total=item.unit_price * line.quantity,
        weight_grams=item.weight_grams * line.quantity,
        available=available,
        stock_status=status,
        purchasable=available >= line.quantity,
    )
    return view, notices


def price_cart(cart: StoredCart, items: dict[str, PricedSku], stock: dict[str, Availability]) -> CartView:
    lines: list[LineView] = []
    notices: list[Notice] = []
    for line in cart.lines:
        view, line_notices = price_line(line, items.get(line.sku), stock.get(line.sku))
        lines.append(view)
        notices += line_notices
    return CartView(
        cart_id=cart.cart_id,
        currency=cart.currency or DEFAULT_CURRENCY,
        lines=lines,
        item_count=sum(line.quantity for line in lines),
        subtotal=sum(line.line_total for line in lines),
        weight_grams=sum(line.weight_grams for line in lines),
        notices=notices,
        expires_at=cart.expires_at,
    )
