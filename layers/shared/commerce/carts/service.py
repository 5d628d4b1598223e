"""Cart use cases. Pure logic over the ports; no AWS here.

Every change is optimistic: load the cart, compute the new cart, write it on condition that the
stored version is still the one loaded, and start again (a few times) when another request won.
Reads never write: they re-price from the catalogue and re-check stock each time."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from commerce.carts.errors import (
    CartBusy,
    CartNotFound,
    CurrencyMismatch,
    InsufficientStock,
    LineNotFound,
    ProductUnavailable,
    QuantityLimit,
    TooManyLines,
    UnknownSku,
    VersionConflict,
)
from commerce.carts.models import (
    ANONYMOUS_TTL_SECONDS,
    CUSTOMER_TTL_SECONDS,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    CartView,
    Notice,
    NoticeCode,
    PricedSku,
    StoredCart,
    StoredLine,
)
from commerce.carts.ports import CartRepository, SkuCatalogue, StockChecker
from commerce.carts.pricing import price_cart

MAX_ATTEMPTS = 5


def epoch_now() -> int:
    return int(time.time())


def customer_cart_id(customer_id: str) -> str:
    """A customer has one cart under a key derived from their id: no lookup, no duplicate on a race."""
    return f"cus_{customer_id}"


@dataclass(frozen=True)
class Owner:
    """Whose cart: an anonymous cart by its (bearer) id, or a signed-in customer's."""

    cart_id: str | None = None
    customer_id: str | None = None

    @staticmethod
    def anonymous(cart_id: str) -> Owner:
        return Owner(cart_id=cart_id)

    @staticmethod
    def customer(customer_id: str) -> Owner:
        return Owner(customer_id=customer_id)


class CartService:
    def __init__(
        self,
        carts: CartRepository,
        catalogue: SkuCatalogue,
        stock: StockChecker,
        now: Callable[[], int] = epoch_now,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._carts = carts
        self._catalogue = catalogue
        self._stock = stock
        self._now = now
        self._max_attempts = max_attempts

    # ---- reads --------------------------------------------------------------------------------
    def view(self, owner: Owner) -> CartView:
        return self.priced(owner)[1]

    def priced(self, owner: Owner) -> tuple[StoredCart, CartView]:
        cart = self._load(owner, self._now())
        return cart, self._price(cart)

    # ---- writes -------------------------------------------------------------------------------
    def create(self) -> CartView:
        now = self._now()
        cart = StoredCart(
            cart_id=secrets.token_urlsafe(24),
            created_at=now,
            updated_at=now,
            expires_at=now + ANONYMOUS_TTL_SECONDS,
            version=1,
        )
        self._carts.save(cart, 0)
        return self._price(cart)

    def add(self, owner: Owner, sku: str, quantity: int) -> CartView:
        item = self._sellable(sku)

        def change(cart: StoredCart, now: int) -> list[StoredLine]:
            _check_currency(cart, item)
            existing = cart.line(sku)
            total = quantity + (existing.quantity if existing else 0)
            if total > MAX_LINE_QUANTITY:
                raise QuantityLimit(
                    f"At most {MAX_LINE_QUANTITY} of one item per order.",
                    sku=sku,
                    max_quantity=MAX_LINE_QUANTITY,
                    in_cart=existing.quantity if existing else 0,
                )
            if existing is None and len(cart.lines) >= MAX_LINES:
                raise TooManyLines(f"A cart holds at most {MAX_LINES} different items.", max_lines=MAX_LINES)
            self._check_stock(sku, total)
            line = StoredLine(
                sku=sku, quantity=total, seen_price=item.unit_price, added_at=existing.added_at if existing else now
            )
            if existing is None:
                return [*cart.lines, line]
            return [line if other.sku == sku else other for other in cart.lines]

        return self._mutate(owner, change, currency=item.currency)

    def set_quantity(self, owner: Owner, sku: str, quantity: int) -> CartView:
        if quantity == 0:
            return self._remove(owner, sku, missing_ok=False)
        if quantity > MAX_LINE_QUANTITY:
            raise QuantityLimit(f"At most {MAX_LINE_QUANTITY} of one item per order.", max_quantity=MAX_LINE_QUANTITY)

        def change(cart: StoredCart, now: int) -> list[StoredLine]:
            existing = cart.line(sku)
            if existing is None:
                raise LineNotFound(f"{sku} is not in the cart.", sku=sku)
            item = self._sellable(sku)
            self._check_stock(sku, quantity)
            line = existing.model_copy(update={"quantity": quantity, "seen_price": item.unit_price})
            return [line if other.sku == sku else other for other in cart.lines]

        return self._mutate(owner, change)

    def remove(self, owner: Owner, sku: str) -> CartView:
        """Idempotent: removing a line that is not there returns the cart unchanged."""
        return self._remove(owner, sku, missing_ok=True)

    def merge(self, customer_id: str, cart_id: str) -> CartView:
        """Move an anonymous cart's lines into the customer's cart and mark it merged, in one
        transaction. Retrying a merge that happened is a no-op (no double add)."""
        target_id = customer_cart_id(customer_id)
        for _ in range(self._max_attempts):
            now = self._now()
            source = self._carts.get(cart_id)
            if source is None or source.customer_id is not None or source.expires_at <= now:
                raise CartNotFound("There is no such cart.", cart_id=cart_id)
            if source.status == "merged":
                if source.merged_into != target_id:
                    raise CartNotFound("There is no such cart.", cart_id=cart_id)
                return self.view(Owner.customer(customer_id))
            target = self._load(Owner.customer(customer_id), now)
            lines, notices = merge_lines(target, source)
            merged_target = self._next(target, lines, now, currency=target.currency or source.currency)
            merged_source = source.model_copy(
                update={
                    "status": "merged",
                    "merged_into": target_id,
                    "lines": [],
                    "version": source.version + 1,
                    "updated_at": now,
                }
            )
            try:
                self._carts.save_merge(merged_target, target.version, merged_source, source.version)
            except VersionConflict:
                continue
            view = self._price(merged_target)
            return view.model_copy(update={"notices": [*notices, *view.notices]})
        raise CartBusy("The cart is changing too often; try again.")

    # ---- internals ----------------------------------------------------------------------------
    def _load(self, owner: Owner, now: int) -> StoredCart:
        if owner.customer_id is not None:
            cart_id = customer_cart_id(owner.customer_id)
            cart = self._carts.get(cart_id)
            if cart is not None and cart.expires_at > now:
                return cart
            # None yet, or expired but not yet deleted by TTL: a fresh cart that continues the
            # stored version, so a writer holding the old one cannot overwrite it.
            return StoredCart(
                cart_id=cart_id,
                customer_id=owner.customer_id,
                created_at=now,
                updated_at=now,
                expires_at=now + CUSTOMER_TTL_SECONDS,
                version=cart.version if cart else 0,
            )
        assert owner.cart_id is not None
        cart = self._carts.get(owner.cart_id)
        if cart is None or cart.customer_id is not None or cart.status != "open" or cart.expires_at <= now:
            # A customer's cart is not reachable by id: same answer as a missing one, nothing leaks.
            raise CartNotFound("There is no such cart; it may have expired.", cart_id=owner.cart_id)
        return cart

    def _mutate(
        self,
        owner: Owner,
        change: Callable[[StoredCart, int], list[StoredLine]],
        currency: str | None = None,
    ) -> CartView:
        for _ in range(self._max_attempts):
            now = self._now()
            cart = self._load(owner, now)
            updated = self._next(cart, change(cart, now), now, currency=cart.currency or currency)
            try:
                self._carts.save(updated, cart.version)
            except VersionConflict:
                continue
            return self._price(updated)
        raise CartBusy("The cart is changing too often; try again.")

    def _next(self, cart: StoredCart, lines: list[StoredLine], now: int, currency: str | None) -> StoredCart:
        ttl = CUSTOMER_TTL_SECONDS if cart.customer_id else ANONYMOUS_TTL_SECONDS
        return cart.model_copy(
            update={
                "lines": lines,
                "currency": currency if lines else None,
                "version": cart.version + 1,
                "updated_at": now,
                "expires_at": now + ttl,
            }
        )

    def _remove(self, owner: Owner, sku: str, missing_ok: bool) -> CartView:
        def change(cart: StoredCart, now: int) -> list[StoredLine]:
            if cart.line(sku) is None and not missing_ok:
                raise LineNotFound(f"{sku} is not in the cart.", sku=sku)
            return [line for line in cart.lines if line.sku != sku]

        return self._mutate(owner, change)

    def _sellable(self, sku: str) -> PricedSku:
        item = self._catalogue.lookup([sku]).get(sku)
        if item is None:
            raise UnknownSku(f"There is no SKU '{sku}'.", sku=sku)
        if not item.active:
            raise ProductUnavailable(f"{sku} is no longer sold.", sku=sku)
        return item

    def _check_stock(self, sku: str, quantity: int) -> None:
        stock = self._stock.availability([sku]).get(sku)
        available = stock.available if stock else 0
        if available < quantity:
            raise InsufficientStock(
                f"Only {available} of {sku} available.", sku=sku, requested=quantity, available=available
            )

    def _price(self, cart: StoredCart) -> CartView:
        skus = [line.sku for line in cart.lines]
        items = self._catalogue.lookup(skus) if skus else {}
        stock = self._stock.availability(skus) if skus else {}
        return price_cart(cart, items, stock)


def _check_currency(cart: StoredCart, item: PricedSku) -> None:
    if cart.currency and cart.lines and item.currency != cart.currency:
        raise CurrencyMismatch(
            f"This cart is in {cart.currency}; {item.sku} is sold in {item.currency}.",
            sku=item.sku,
            currency=cart.currency,
        )


def merge_lines(target: StoredCart, source: StoredCart) -> tuple[list[StoredLine], list[Notice]]:
    """Quantities add up, capped at the per-line limit; lines beyond the line limit (or in another
    currency) stay behind, each with a notice."""
    lines = list(target.lines)
    notices: list[Notice] = []
    currency = target.currency if target.lines else source.currency
    for line in source.lines:
        existing = next((i for i, other in enumerate(lines) if other.sku == line.sku), None)
        if existing is not None:
            current = lines[existing]
            wanted = current.quantity + line.quantity
            quantity = min(wanted, MAX_LINE_QUANTITY)
            if quantity < wanted:
                notices.append(
                    Notice(
                        code=NoticeCode.QUANTITY_CAPPED,
                        sku=line.sku,
                        message=f"{line.sku}: at most {MAX_LINE_QUANTITY} per order; kept {quantity}.",
                        requested=wanted,
                        available=quantity,
                    )
                )
            lines[existing] = current.model_copy(update={"quantity": quantity})
        elif len(lines) >= MAX_LINES or (currency is not None and source.currency != currency):
            notices.append(
                Notice(
                    code=NoticeCode.LINE_NOT_MERGED,
                    sku=line.sku,
                    message=f"{line.sku} could not be moved into your cart.",
                    requested=line.quantity,
                )
            )
        else:
            lines.append(line)
    return lines, notices
