"""The authorisation matrix: every route x every role -> allowed or refused, over real HTTP on the
shared local cloud, and every cross-customer attempt refused with nothing changed.

The policy is written out here as the docs state it (docs/back-office.md, docs/orders.md, the
README): each route's rule (``PUBLIC``, ``CUSTOMER``, ``WEBHOOK_SIGNED`` or the one staff permission
it needs) and each staff group's permissions. Nothing is imported from the code that enforces it
(``commerce.staff.permissions``, ``commerce.common.api``, the topology's ``Http.permission``): the
topology is read only to prove the table names exactly the routes that exist.

- A refused call answers 401 (no token, or a token of the wrong pool: API Gateway's authoriser) or
  403 ``FORBIDDEN`` (a staff member without the permission), as problem+json.
- An allowed call answers anything but 401/403 (and no 5xx). Allowed calls must not change what
  other tests rely on: path ids that exist nowhere, and for a body a JSON array, which no route
  accepts (422 before any use case runs).
- Refused writes change nothing: the audit log of every staff role is the same after the matrix as
  before it (no refused write, and no allowed one with a bad body, was recorded), and the
  cross-customer tests compare customer A's order, addresses and cart before and after.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from infra.model import ROOT
from infra.topology import TOPOLOGY
from tests.integration.support import PROBLEM, auth, until
from tests.integration.test_customers_api import address
from tests.integration.test_customers_api import new_customer as new_customer_token
from tests.integration.test_orders_api import new_sku, place, quote

# ---- the policy, as documented ------------------------------------------------------------------
PUBLIC, CUSTOMER, WEBHOOK_SIGNED = "public", "customer", "webhook-signed"
MANAGE_ORDERS, MANAGE_PRODUCTS, MANAGE_INVENTORY = "MANAGE_ORDERS", "MANAGE_PRODUCTS", "MANAGE_INVENTORY"
HANDLE_PAYMENTS, MANAGE_CUSTOMERS, MANAGE_PROMOTIONS = "HANDLE_PAYMENTS", "MANAGE_CUSTOMERS", "MANAGE_PROMOTIONS"
VIEW_REPORTS, MANAGE_STAFF, MANAGE_SETTINGS = "VIEW_REPORTS", "MANAGE_STAFF", "MANAGE_SETTINGS"
VIEW_PROFILE = "VIEW_PROFILE"  # GET /admin/me: every group grants it

GROUP_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            MANAGE_ORDERS,
            MANAGE_PRODUCTS,
            MANAGE_INVENTORY,
            HANDLE_PAYMENTS,
            MANAGE_CUSTOMERS,
            MANAGE_PROMOTIONS,
            VIEW_REPORTS,
            MANAGE_STAFF,
            MANAGE_SETTINGS,
            VIEW_PROFILE,
        }
    ),
    "order-manager": frozenset({MANAGE_ORDERS, MANAGE_CUSTOMERS, VIEW_REPORTS, VIEW_PROFILE}),
    "customer-service": frozenset({MANAGE_ORDERS, MANAGE_CUSTOMERS, VIEW_PROFILE}),  # no refunds
    "warehouse": frozenset({MANAGE_INVENTORY, VIEW_PROFILE}),
    "finance": frozenset({HANDLE_PAYMENTS, VIEW_REPORTS, VIEW_PROFILE}),
    "marketing": frozenset({MANAGE_PROMOTIONS, VIEW_REPORTS, VIEW_PROFILE}),
    "catalogue-manager": frozenset({MANAGE_PRODUCTS, MANAGE_INVENTORY, VIEW_PROFILE}),
}

ROUTES: dict[str, str] = {
    "GET /health": PUBLIC,
    "GET /admin/operations/queues": MANAGE_SETTINGS,
    "POST /admin/operations/queues/{queue}/redrive": MANAGE_SETTINGS,
    "GET /products": PUBLIC,
    "GET /best-sellers": PUBLIC,
    "GET /products/{product_id}": PUBLIC,
    "GET /products/{product_id}/similar": PUBLIC,
    "GET /categories": PUBLIC,
    "GET /brands": PUBLIC,
    "GET /attributes": PUBLIC,
    "GET /collections/{slug}": PUBLIC,
    "PUT /admin/catalogue/reference": MANAGE_PRODUCTS,
    "PUT /admin/collections/{slug}": MANAGE_PRODUCTS,
    "GET /search": PUBLIC,
    "GET /search/suggestions": PUBLIC,
    "POST /admin/catalogue/imports": MANAGE_PRODUCTS,
    "GET /admin/catalogue/imports/{import_id}": MANAGE_PRODUCTS,
    "POST /auth/sign-up": PUBLIC,
    "POST /auth/confirm-sign-up": PUBLIC,
    "POST /auth/sign-in": PUBLIC,
    "POST /auth/refresh": PUBLIC,
    "POST /auth/forgot-password": PUBLIC,
    "POST /auth/reset-password": PUBLIC,
    "POST /auth/sign-out": PUBLIC,
    "GET /me": CUSTOMER,
    "PATCH /me": CUSTOMER,
    "GET /me/addresses": CUSTOMER,
    "POST /me/addresses": CUSTOMER,
    "PUT /me/addresses/{address_id}": CUSTOMER,
    "DELETE /me/addresses/{address_id}": CUSTOMER,
    "POST /me/addresses/{address_id}/default": CUSTOMER,
    "POST /carts": PUBLIC,
    "GET /carts/{cart_id}": PUBLIC,
    "POST /carts/{cart_id}/items": PUBLIC,
    "PUT /carts/{cart_id}/items/{sku}": PUBLIC,
    "DELETE /carts/{cart_id}/items/{sku}": PUBLIC,
    "GET /me/cart": CUSTOMER,
    "POST /me/cart/items": CUSTOMER,
    "PUT /me/cart/items/{sku}": CUSTOMER,
    "DELETE /me/cart/items/{sku}": CUSTOMER,
    "POST /me/cart/merge": CUSTOMER,
    "GET /delivery-methods": PUBLIC,
    "POST /carts/{cart_id}/quote": PUBLIC,
    "POST /me/cart/quote": CUSTOMER,
    "POST /orders": CUSTOMER,
    "GET /me/orders": CUSTOMER,
    "GET /me/orders/{order_id}": CUSTOMER,
    "POST /me/orders/{order_id}/cancel": CUSTOMER,
    "POST /admin/orders/{order_id}/cancel": MANAGE_ORDERS,
    "POST /me/orders/{order_id}/payment": CUSTOMER,
    "POST /admin/orders/{order_id}/approve": MANAGE_ORDERS,
    "POST /admin/orders/{order_id}/reject": MANAGE_ORDERS,
    "POST /webhooks/payments": WEBHOOK_SIGNED,
    "POST /webhooks/warehouse": WEBHOOK_SIGNED,
    "POST /webhooks/carrier": WEBHOOK_SIGNED,
    "POST /admin/auth/sign-in": PUBLIC,
    "POST /admin/auth/refresh": PUBLIC,
    "POST /admin/auth/new-password": PUBLIC,
    "POST /admin/auth/mfa/setup": PUBLIC,
    "POST /admin/auth/mfa/verify": PUBLIC,
    "POST /admin/auth/mfa": PUBLIC,
    "GET /admin/me": VIEW_PROFILE,
    "GET /admin/staff": MANAGE_STAFF,
    "POST /admin/staff": MANAGE_STAFF,
    "PUT /admin/staff/{username}/groups": MANAGE_STAFF,
    "POST /admin/staff/{username}/disable": MANAGE_STAFF,
    "POST /admin/staff/{username}/enable": MANAGE_STAFF,
    "GET /admin/audit": MANAGE_STAFF,
    "GET /admin/customers": MANAGE_CUSTOMERS,
    "GET /admin/customers/{customer_id}": MANAGE_CUSTOMERS,
    "POST /admin/customers/{customer_id}/notes": MANAGE_CUSTOMERS,
    "POST /admin/customers/{customer_id}/disable": MANAGE_CUSTOMERS,
    "POST /admin/customers/{customer_id}/enable": MANAGE_CUSTOMERS,
    "GET /admin/orders": MANAGE_ORDERS,
    "GET /admin/orders/{order_id}": MANAGE_ORDERS,
    "POST /admin/orders/{order_id}/hold": MANAGE_ORDERS,
    "POST /admin/orders/{order_id}/release": MANAGE_ORDERS,
    "POST /admin/orders/{order_id}/notes": MANAGE_ORDERS,
    "PUT /admin/orders/{order_id}/shipping-address": MANAGE_ORDERS,
    "POST /admin/orders/{order_id}/emails/{event_id}/resend": MANAGE_ORDERS,
    "POST /admin/orders/{order_id}/refunds": HANDLE_PAYMENTS,
    "GET /admin/dashboard": VIEW_REPORTS,
    "GET /admin/payments": HANDLE_PAYMENTS,  # the finance lists (docs/back-office.md, Admin app)
    "GET /admin/payments/{order_id}": HANDLE_PAYMENTS,
    "GET /admin/refunds": HANDLE_PAYMENTS,
    "GET /admin/catalogue/categories": MANAGE_PRODUCTS,
    "POST /admin/catalogue/categories": MANAGE_PRODUCTS,
    "GET /admin/catalogue/categories/{key}": MANAGE_PRODUCTS,
    "PUT /admin/catalogue/categories/{key}": MANAGE_PRODUCTS,
    "POST /admin/catalogue/categories/{key}/retire": MANAGE_PRODUCTS,
    "GET /admin/catalogue/brands": MANAGE_PRODUCTS,
    "POST /admin/catalogue/brands": MANAGE_PRODUCTS,
    "GET /admin/catalogue/brands/{key}": MANAGE_PRODUCTS,
    "PUT /admin/catalogue/brands/{key}": MANAGE_PRODUCTS,
    "POST /admin/catalogue/brands/{key}/retire": MANAGE_PRODUCTS,
    "GET /admin/catalogue/manufacturers": MANAGE_PRODUCTS,
    "POST /admin/catalogue/manufacturers": MANAGE_PRODUCTS,
    "GET /admin/catalogue/manufacturers/{key}": MANAGE_PRODUCTS,
    "PUT /admin/catalogue/manufacturers/{key}": MANAGE_PRODUCTS,
    "POST /admin/catalogue/manufacturers/{key}/retire": MANAGE_PRODUCTS,
    "GET /admin/catalogue/suppliers": MANAGE_PRODUCTS,
    "POST /admin/catalogue/suppliers": MANAGE_PRODUCTS,
    "GET /admin/catalogue/suppliers/{key}": MANAGE_PRODUCTS,
    "PUT /admin/catalogue/suppliers/{key}": MANAGE_PRODUCTS,
    "POST /admin/catalogue/suppliers/{key}/retire": MANAGE_PRODUCTS,
    "GET /admin/catalogue/attributes": MANAGE_PRODUCTS,
    "POST /admin/catalogue/attributes": MANAGE_PRODUCTS,
    "GET /admin/catalogue/attributes/{key}": MANAGE_PRODUCTS,
    "PUT /admin/catalogue/attributes/{key}": MANAGE_PRODUCTS,
    "POST /admin/catalogue/attributes/{key}/retire": MANAGE_PRODUCTS,
    "GET /admin/catalogue/products": MANAGE_PRODUCTS,
    "POST /admin/catalogue/products": MANAGE_PRODUCTS,
    "GET /admin/catalogue/products/{product_id}": MANAGE_PRODUCTS,
    "PUT /admin/catalogue/products/{product_id}": MANAGE_PRODUCTS,
    "POST /admin/catalogue/products/{product_id}/retire": MANAGE_PRODUCTS,
    "GET /admin/catalogue/skus": MANAGE_PRODUCTS,
    "POST /admin/catalogue/skus": MANAGE_PRODUCTS,
    "GET /admin/catalogue/skus/{sku}": MANAGE_PRODUCTS,
    "PUT /admin/catalogue/skus/{sku}": MANAGE_PRODUCTS,
    "POST /admin/catalogue/skus/{sku}/retire": MANAGE_PRODUCTS,
    "POST /admin/catalogue/imports/csv": MANAGE_PRODUCTS,
    "GET /admin/inventory": MANAGE_INVENTORY,
    "GET /admin/inventory/{sku}": MANAGE_INVENTORY,
    "POST /admin/inventory/{sku}/adjustments": MANAGE_INVENTORY,
    "POST /admin/inventory/transfers": MANAGE_INVENTORY,
    "PUT /admin/inventory/{sku}/low-stock-threshold": MANAGE_INVENTORY,
    "PUT /admin/inventory/{sku}/hot": MANAGE_INVENTORY,
    "DELETE /admin/inventory/{sku}/hot": MANAGE_INVENTORY,
}

ROLES = ("anonymous", "customer-a", "customer-b", *GROUP_PERMISSIONS)

# Path parameters that are well formed but name nothing that exists (allowed calls change nothing).
NOWHERE = {
    "product_id": "no-such-product",
    "slug": "no-such-collection",
    "import_id": "imp_" + "0" * 24,
    "address_id": "adr_" + "0" * 26,
    "cart_id": "0" * 32,
    "sku": "NO-SUCH-SKU",
    "order_id": "ord_" + "0" * 26,
    "event_id": "ord_" + "0" * 26 + ":1",
    "queue": "no-such-queue",
    "username": "nobody@staff.local",
    "customer_id": "00000000-0000-0000-0000-000000000000",
    "key": "nosuchkey",
}
# A body no route accepts: every route with a body refuses it (422) before its use case runs.
NO_BODY_ANY_ROUTE_TAKES = "[]"


def allowed(rule: str, role: str) -> bool:
    if rule == PUBLIC:
        return True
    if rule == CUSTOMER:
        return role in ("customer-a", "customer-b")
    if rule == WEBHOOK_SIGNED:
        return False  # only the partner holding the signing key; no role here has it
    return rule in GROUP_PERMISSIONS.get(role, frozenset())


def concrete(path: str) -> str:
    for name, value in NOWHERE.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no value for a parameter of {path}"
    return path


def sub_of(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


@pytest.fixture(scope="module")
def tokens(cloud: Any, staff_token: Callable[[str], str]) -> dict[str, str | None]:
    return {
        "anonymous": None,
        "customer-a": new_customer_token(cloud),
        "customer-b": new_customer_token(cloud),
        **{group: staff_token(group) for group in GROUP_PERMISSIONS},
    }


def audit_count(api: Any, admin: str, actor: str) -> int:
    count, cursor = 0, None
    while True:
        params = {"actor": actor, "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = api.get("/admin/audit", headers=auth(admin), params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        count += len(page["entries"])
        cursor = page.get("next_cursor")
        if not cursor:
            return count


@pytest.fixture(scope="module")
def audit_before(api: Any, tokens: dict[str, str | None]) -> dict[str, int]:
    """Each staff role's audit entries before the matrix runs (compared at the end of this module)."""
    admin = tokens["admin"]
    assert admin is not None
    return {group: audit_count(api, admin, f"staff:{sub_of(tokens[group] or '')}") for group in GROUP_PERMISSIONS}


# ---- the table covers every route ------------------------------------------------------------------
def test_the_table_names_exactly_the_routes_of_the_topology_and_of_the_openapi_document():
    topology = {f"{route.method} {route.path}" for route, _ in TOPOLOGY.routes()}
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    documented = {f"{method.upper()} {path}" for path, operations in document["paths"].items() for method in operations}
    assert set(ROUTES) - topology == set(), "rows for routes that no longer exist"
    assert topology - set(ROUTES) == set(), "routes without a row: add each with its rule"
    assert documented == topology


def test_the_table_agrees_with_what_the_topology_declares():
    """Not the proof (the HTTP calls below are): a disagreement names the route at once."""
    for route, _ in TOPOLOGY.routes():
        declared = {"public": PUBLIC, "customer": CUSTOMER, "webhook": WEBHOOK_SIGNED}.get(str(route.auth))
        assert ROUTES[f"{route.method} {route.path}"] == (declared or str(route.permission)), route


# ---- every route x every role --------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(ROUTES))
def test_every_route_allows_exactly_the_roles_its_rule_names(api, tokens, audit_before, route, role):
    method, path = route.split(" ", 1)
    token = tokens[role]
    headers = {"Content-Type": "application/json", **(auth(token) if token else {})}
    body = NO_BODY_ANY_ROUTE_TAKES if method in ("POST", "PUT", "PATCH") else None
    response = api.request(method, concrete(path), headers=headers, data=body)
    rule = ROUTES[route]
    if allowed(rule, role):
        assert response.status_code not in (401, 403), f"{role} refused on {route}: {response.text}"
        assert response.status_code < 500, response.text
        return
    assert response.status_code in (401, 403), f"{role} let through on {route}: {response.status_code} {response.text}"
    assert response.headers["Content-Type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == response.status_code and problem["code"] and problem["request_id"]
    if rule in (PUBLIC, CUSTOMER, WEBHOOK_SIGNED) or role in ("anonymous", "customer-a", "customer-b"):
        assert response.status_code == 401, response.text  # no token, or one of the wrong pool; or unsigned
    else:
        assert (response.status_code, problem["code"], problem.get("permission")) == (403, "FORBIDDEN", rule)


# ---- customers never reach each other's things; refused writes change nothing ----------------------
@pytest.fixture(scope="module")
def customer_a(api: Any, tokens: dict[str, str | None]) -> dict[str, str]:
    """Customer A with an address, an order waiting for a payment retry (declined: A may still cancel
    it or pay again for 30 minutes, so it stays put while the attempts run) and a cart with a line."""
    token = tokens["customer-a"]
    assert token is not None
    added = api.post("/me/addresses", headers=auth(token), json=address("A's home"))
    assert added.status_code == 201, added.text
    sku = new_sku(10)
    placed = place(api, token, quote(api, token, sku)["quote_token"], payment="tok_decline")
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]

    def waiting_for_retry() -> bool:
        order = api.get(f"/me/orders/{order_id}", headers=auth(token)).json()["order"]
        return bool(order["status"] == "awaiting_payment_retry")

    until(waiting_for_retry, message=f"order {order_id} waiting for a payment retry")
    cart = api.post("/me/cart/items", headers=auth(token), json={"sku": sku, "quantity": 2})
    assert cart.status_code == 200, cart.text
    return {
        "token": token,
        "sub": sub_of(token),
        "order_id": order_id,
        "address_id": added.json()["address_id"],
        "cart_id": cart.json()["cart_id"],
        "sku": sku,
    }


def state_of(api: Any, a: dict[str, str], admin: str) -> dict[str, Any]:
    """What a refused attempt must leave as it was: A's order (status, timeline, payment), address
    book, cart, and the staff's view of A (notes, account)."""
    me = auth(a["token"])
    order = api.get(f"/me/orders/{a['order_id']}", headers=me).json()
    cart = api.get("/me/cart", headers=me).json()
    staff_view = api.get(f"/admin/orders/{a['order_id']}", headers=auth(admin)).json()
    customer = api.get(f"/admin/customers/{a['sub']}", headers=auth(admin)).json()
    return {
        "order": (order["order"]["status"], [e["type"] for e in order["timeline"]], order["payment"]),
        "staff_order": (staff_view.get("notes"), staff_view["order"].get("hold"), staff_view["order"].get("refunded")),
        "addresses": api.get("/me/addresses", headers=me).json(),
        "cart": (cart["cart_id"], [(line["sku"], line["quantity"]) for line in cart["lines"]]),
        "customer": (customer["customer"].get("enabled"), customer["notes"]),
    }


REASON = {"reason": "authorisation matrix probe"}
# (who, method, path template, body, status): customer B on A's things (404: the design does not say
# whether the thing exists: docs/orders.md, docs/checkout.md), anyone else with no way in (401/403).
ATTEMPTS: list[tuple[str, str, str, Any, int]] = [
    ("customer-b", "GET", "/me/orders/{order_id}", None, 404),
    ("customer-b", "POST", "/me/orders/{order_id}/cancel", {}, 404),
    ("customer-b", "POST", "/me/orders/{order_id}/payment", {"payment_token": "tok_approve"}, 404),
    ("customer-b", "PUT", "/me/addresses/{address_id}", address("Hijacked"), 404),
    ("customer-b", "DELETE", "/me/addresses/{address_id}", None, 404),
    ("customer-b", "POST", "/me/addresses/{address_id}/default", None, 404),
    ("customer-b", "POST", "/me/cart/merge", {"cart_id": "{cart_id}"}, 404),
    ("customer-b", "GET", "/carts/{cart_id}", None, 404),
    ("customer-b", "POST", "/carts/{cart_id}/items", {"sku": "{sku}", "quantity": 1}, 404),
    ("customer-b", "PUT", "/carts/{cart_id}/items/{sku}", {"quantity": 1}, 404),
    ("customer-b", "DELETE", "/carts/{cart_id}/items/{sku}", None, 404),
    ("anonymous", "GET", "/carts/{cart_id}", None, 404),  # a customer's cart is no anonymous cart
    ("anonymous", "DELETE", "/carts/{cart_id}/items/{sku}", None, 404),
    ("anonymous", "POST", "/me/orders/{order_id}/cancel", {}, 401),
    ("admin", "POST", "/me/orders/{order_id}/cancel", {}, 401),  # staff tokens are no customer's
    ("admin", "DELETE", "/me/addresses/{address_id}", None, 401),
    ("customer-a", "POST", "/admin/orders/{order_id}/cancel", REASON, 401),  # nor a customer's staff ones
    ("customer-a", "POST", "/admin/customers/{sub}/notes", {"text": "mine"}, 401),
    ("warehouse", "POST", "/admin/orders/{order_id}/cancel", REASON, 403),
    ("finance", "POST", "/admin/orders/{order_id}/hold", REASON, 403),
    ("marketing", "POST", "/admin/orders/{order_id}/notes", {"text": "probe"}, 403),
    ("customer-service", "POST", "/admin/orders/{order_id}/refunds", {"amount": 1, **REASON}, 403),
    ("catalogue-manager", "POST", "/admin/customers/{sub}/disable", None, 403),
    ("warehouse", "POST", "/admin/customers/{sub}/notes", {"text": "probe"}, 403),
]


def fill(value: Any, a: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**a) if "{" in value else value
    if isinstance(value, dict):
        return {k: fill(v, a) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status"), ATTEMPTS, ids=[f"{w}-{m} {p}" for w, m, p, _, _ in ATTEMPTS]
)
def test_nobody_reaches_customer_a_and_a_refused_attempt_changes_nothing(
    api, tokens, customer_a, who, method, path, body, status
):
    admin = tokens["admin"]
    assert admin is not None
    before = state_of(api, customer_a, admin)
    token = tokens[who]
    headers = {**(auth(token) if token else {}), "Idempotency-Key": f"matrix-{uuid.uuid4().hex}"}
    response = api.request(method, fill(path, customer_a), headers=headers, json=fill(body, customer_a))
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    assert state_of(api, customer_a, admin) == before


def test_customer_b_sees_none_of_customer_a_in_their_own_lists(api, tokens, customer_a):
    b = auth(tokens["customer-b"] or "")
    assert customer_a["order_id"] not in [o["order_id"] for o in api.get("/me/orders", headers=b).json()["orders"]]
    assert customer_a["address_id"] not in [
        x["address_id"] for x in api.get("/me/addresses", headers=b).json()["items"]
    ]
    assert api.get("/me/cart", headers=b).json()["cart_id"] != customer_a["cart_id"]


# Last in the file (tests run in file order): compares with the counts taken before the matrix.
def test_the_matrix_recorded_nothing_in_the_audit_log(api, tokens, audit_before):
    """Runs after the matrix (tests run in file order): refused writes are never recorded, and the
    allowed ones (bad bodies, ids that exist nowhere) changed nothing either."""
    admin = tokens["admin"]
    assert admin is not None
    after = {group: audit_count(api, admin, f"staff:{sub_of(tokens[group] or '')}") for group in GROUP_PERMISSIONS}
    assert after == audit_before
