"""Carts: anonymous carts by id (``/carts/{cart_id}``, the id is a bearer capability) and the
signed-in customer's cart (``/me/cart``), merged on sign-in. Every response re-prices the cart from
the catalogue and re-checks stock; ``notices`` say what changed."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from commerce.carts.models import AddItem, CartView, MergeRequest, SetQuantity
from commerce.carts.service import Owner
from commerce.common.api import api_handler, customer_id, make_resolver
from commerce.common.observability import logger, metrics
from commerce.wiring.carts import cart_service

app = make_resolver()

CartIdPath = Annotated[str, Path(min_length=1, max_length=100)]
SkuPath = Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9-]{1,47}$")]


def _me() -> Owner:
    sub = customer_id(app)
    logger.append_keys(customer_id=sub)
    return Owner.customer(sub)


def _anonymous(cart_id: str) -> Owner:
    logger.append_keys(cart_id=cart_id[:6])  # a prefix: the full id is a bearer secret
    return Owner.anonymous(cart_id)


# ---- anonymous carts ---------------------------------------------------------------------------
@app.post("/carts", status_code=201)
def create_cart() -> Response[CartView]:
    cart = cart_service().create()
    metrics.add_metric(name="CartsCreated", unit="Count", value=1)
    return Response(status_code=201, body=cart, content_type="application/json")


@app.get("/carts/<cart_id>")
def get_cart(cart_id: CartIdPath) -> CartView:
    return cart_service().view(_anonymous(cart_id))


@app.post("/carts/<cart_id>/items")
def add_item(cart_id: CartIdPath, item: Annotated[AddItem, Body()]) -> CartView:
    metrics.add_metric(name="CartItemsAdded", unit="Count", value=1)
    return cart_service().add(_anonymous(cart_id), item.sku, item.quantity)


@app.put("/carts/<cart_id>/items/<sku>")
def set_quantity(cart_id: CartIdPath, sku: SkuPath, change: Annotated[SetQuantity, Body()]) -> CartView:
    return cart_service().set_quantity(_anonymous(cart_id), sku, change.quantity)


@app.delete("/carts/<cart_id>/items/<sku>")
def remove_item(cart_id: CartIdPath, sku: SkuPath) -> CartView:
    return cart_service().remove(_anonymous(cart_id), sku)


# ---- the signed-in customer's cart -------------------------------------------------------------
@app.get("/me/cart")
def get_my_cart() -> CartView:
    return cart_service().view(_me())


@app.post("/me/cart/items")
def add_my_item(item: Annotated[AddItem, Body()]) -> CartView:
    metrics.add_metric(name="CartItemsAdded", unit="Count", value=1)
    return cart_service().add(_me(), item.sku, item.quantity)


@app.put("/me/cart/items/<sku>")
def set_my_quantity(sku: SkuPath, change: Annotated[SetQuantity, Body()]) -> CartView:
    return cart_service().set_quantity(_me(), sku, change.quantity)


@app.delete("/me/cart/items/<sku>")
def remove_my_item(sku: SkuPath) -> CartView:
    return cart_service().remove(_me(), sku)


@app.post("/me/cart/merge")
def merge_cart(request: Annotated[MergeRequest, Body()]) -> CartView:
    owner = _me()
    assert owner.customer_id is not None
    cart = cart_service().merge(owner.customer_id, request.cart_id)
    metrics.add_metric(name="CartsMerged", unit="Count", value=1)
    return cart


handler = api_handler(app)
