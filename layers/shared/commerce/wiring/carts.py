"""Cart and checkout services."""

from __future__ import annotations

from functools import cache

from commerce.common.settings import EnvModel, from_env


class CartsEnv(EnvModel):
    carts_table: str
    catalog_table: str
    inventory_table: str


class QuoteSigningEnv(EnvModel):
    platform_signing_keys_secret_name: str


class SecretQuoteSigner:
    """The ``quotes`` key of the platform-signing-keys secret (cached by Powertools Parameters)."""

    def __init__(self, secret_name: str) -> None:
        from commerce.adapters.secrets import SecretSigningKeys

        self._keys = SecretSigningKeys(secret_name)

    def key(self) -> bytes:
        return self._keys.key("quotes")


@cache
def quote_signer() -> SecretQuoteSigner:
    return SecretQuoteSigner(from_env(QuoteSigningEnv).platform_signing_keys_secret_name)


@cache
def cart_service():  # type: ignore[no-untyped-def]
    from commerce.adapters.carts_dynamo import DynamoCartRepository
    from commerce.adapters.catalog_skus import DynamoSkuCatalogue
    from commerce.carts.service import CartService
    from commerce.wiring.inventory import inventory_service

    env = from_env(CartsEnv)
    return CartService(
        DynamoCartRepository(env.carts_table), DynamoSkuCatalogue(env.catalog_table), inventory_service()
    )


@cache
def checkout_service():  # type: ignore[no-untyped-def]
    from commerce.adapters.carts_dynamo import DynamoQuoteStore
    from commerce.checkout.service import CheckoutService
    from commerce.wiring.customers import customer_service

    # the address book is the customers context's public service
    return CheckoutService(
        cart_service(),
        customer_service(),
        DynamoQuoteStore(from_env(CartsEnv).carts_table),
        signer=quote_signer(),
    )
