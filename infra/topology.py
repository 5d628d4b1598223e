"""The map of the system: every function, trigger, table, queue, rule, state machine, secret,
user pool and email identity. The CDK app (infra/app.py) and the local cloud (local/) both render
exactly this; tests/infra/test_parity.py proves they expose the same things.

Read it top to bottom as the platform's one-page architecture.
"""

from __future__ import annotations

from commerce.reports.models import REPORTED_ORDER_EVENTS
from commerce.staff.permissions import Permission, StaffGroup
from infra.model import (
    Access,
    AuthKind,
    EmailIdentity,
    Endpoint,
    Function,
    Http,
    Index,
    Queue,
    Rule,
    Schedule,
    Secret,
    SqsTrigger,
    StateMachine,
    StreamTrigger,
    Table,
    Topology,
    UserPool,
)

R, W = Access.READ, Access.WRITE
# Order events the customer is emailed about (templates: commerce/notifications/templates/).
NOTIFIED_ORDER_EVENTS = (
    "OrderPaymentAuthorised",  # order confirmation
    "OrderPaymentDeclined",  # payment failed: retry within the window
    "OrderCancelled",
    "OrderRejected",
    "OrderExpired",
    "OrderDispatched",  # with the carrier and the tracking link
    "OrderDelivered",
)
PUBLIC, CUSTOMER, STAFF, WEBHOOK = AuthKind.PUBLIC, AuthKind.CUSTOMER, AuthKind.STAFF, AuthKind.WEBHOOK

# Queues (each gets a DLQ; operators redrive them through ops-queues).
QUEUES = (
    Queue("search-indexing", visibility_timeout=60, max_receives=3),
    # The order workflow's dispatch requests (with a task token) for the warehouse integration.
    Queue("warehouse-dispatch", visibility_timeout=60, max_receives=5),
    # Order events that email the customer.
    Queue("notifications", visibility_timeout=60, max_receives=5),
    # Order events counted for the dashboard (back office).
    Queue("reports", visibility_timeout=60, max_receives=5),
    # Operational events staff are emailed about (LowStock).
    Queue("staff-alerts", visibility_timeout=60, max_receives=5),
)

TOPOLOGY = Topology(
    # ---- data --------------------------------------------------------------------------------
    tables=(
        # Products, variants (SKUs), reference data (categories, brands, attributes), collections,
        # CSV import records. by_kind: sparse, products and SKU claims in key order (the back office).
        Table("catalog", indexes=(Index("by_kind", "kind", "kind_key"),), stream=True),
        # Search: one document per active product (built from catalogue events) and the compact,
        # compressed snapshot of all of them that listing and search load into memory.
        Table("search", ttl="expires_at"),  # search-term log entries expire after 90 days
        # Stock per SKU per warehouse (on_hand, reserved) and back-order estimates; each SKU's change
        # log, the back office's SKU list and low-stock list. The stream: inventory-watch-stock.
        Table("inventory", stream=True),
        # Customer profiles and address books, keyed by the Cognito subject; staff notes. directory:
        # the back office's list (profiles, newest first) and prefix search (TERM# entries).
        Table("customers", indexes=(Index("directory", "dir_pk", "dir_sk"),)),
        # Carts, anonymous (by cart id) or a customer's; expire through TTL.
        Table("carts", indexes=(Index("by_customer", "customer_id"),), ttl="expires_at"),
        # Payment records (one per order, with every authorisation attempt and capture/void/refund),
        # an item per refund, and the ids of gateway webhooks already handled (de-duplication; TTL).
        # The finance screens (commerce/payments/listing.py): by_created (PAYMENT#0..3, REFUND#0..3),
        # by_status (PAYMENT#<status>#0..3, REFUND#<state>#0..3), both sorted by list_sort.
        Table(
            "payments",
            indexes=(Index("by_created", "list_shard", "list_sort"), Index("by_status", "status_key", "list_sort")),
            ttl="expires_at",
        ),
        # Orders (ORDER#<id>/ORDER), their timelines (EVENT#<seq>, the outbox rows) and placement
        # idempotency records. by_customer: a customer's history; holds: sparse, orders holding stock
        # (HOLD#0..7, reserved_until) for the reservation sweeper. The stream feeds the coming outbox.
        # The staff screens (docs/back-office.md; keys in commerce/orders/admin.py): by_created (every
        # order, ALL#0..3), by_status (<status>#0..3), by_email, flagged (sparse, FLAGGED#0..3).
        Table(
            "orders",
            indexes=(
                Index("by_customer", "customer_id", "created_at"),
                Index("holds", "hold_shard", "reserved_until", sk_numeric=True),
                Index("by_created", "list_shard", "created_at"),
                Index("by_status", "status_key", "created_at"),
                Index("by_email", "contact_email", "created_at"),
                Index("flagged", "flag_key", "created_at"),
            ),
            stream=True,
            ttl="expires_at",  # partner webhook de-duplication items (WEBHOOK#<partner>#<event id>)
        ),
        # The audit log: every staff write (who, what, before, after, when), by entity and by day.
        Table("audit", indexes=(Index("by_day", "day", "at"), Index("by_actor", "actor", "at"))),
        # Emails sent (one item per order event and template: de-duplication and the resend log).
        Table("notifications", ttl="expires_at"),
        # The dashboard's counters, kept from the order events: orders by status, per day and hour.
        Table("reports", ttl="expires_at"),
    ),
    # ---- queues (each gets a DLQ) --------------------------------------------------------------
    queues=QUEUES,
    # ---- event bus rules (bus: "events") -------------------------------------------------------
    rules=(
        Rule(
            "product-changes-to-search",
            detail_types=("ProductUpserted", "ProductRetired"),
            source=("commerce.catalog",),
            queue="search-indexing",
        ),
        Rule(
            "order-events-to-notifications",
            detail_types=NOTIFIED_ORDER_EVENTS,
            source=("commerce.orders",),
            queue="notifications",
        ),
        Rule(
            "low-stock-to-staff",
            detail_types=("LowStock",),
            source=("commerce.inventory",),
            queue="staff-alerts",
        ),
        Rule(
            "order-events-to-reports",
            detail_types=REPORTED_ORDER_EVENTS,
            source=("commerce.orders",),
            queue="reports",
        ),
    ),
    # ---- workflows -------------------------------------------------------------------------------
    state_machines=(
        StateMachine(
            "catalogue-import",
            asl="catalogue_import.asl.json",
            substitutions=(
                ("UpsertProductFunctionArn", "function:catalog-upsert-product"),
                ("EventBusName", "bus"),
            ),
        ),
        StateMachine(
            "order-lifecycle",
            asl="order_lifecycle.asl.json",
            substitutions=(
                ("OperatePaymentArn", "function:payments-operate"),
                ("TransitionArn", "function:orders-transition"),
                ("WarehouseDispatchQueueUrl", "queue:warehouse-dispatch"),
            ),
        ),
    ),
    # ---- functions -------------------------------------------------------------------------------
    functions=(
        Function(
            "ops",
            "health",
            "Liveness and dependency check",
            http=(Http("GET", "/health"),),
            tables=(("catalog", R),),
            memory=256,
        ),
        Function(
            "ops",
            "queues",
            "Operations: dead letters per queue, and their redrive back to the queue",
            http=(
                Http("GET", "/admin/operations/queues", STAFF, Permission.MANAGE_SETTINGS),
                Http("POST", "/admin/operations/queues/{queue}/redrive", STAFF, Permission.MANAGE_SETTINGS),
            ),
            redrives=tuple(queue.name for queue in QUEUES),  # every queue's DLQ
        ),
        # ---- storefront: catalogue and search --------------------------------------------------
        Function(
            "catalog",
            "list_products",
            "Storefront: products filtered (category subtree, brand, attributes, price, in stock), sorted, paginated",
            http=(Http("GET", "/products"), Http("GET", "/best-sellers")),
            tables=(("search", R),),
        ),
        Function(
            "catalog",
            "get_product",
            "Storefront: one product with its variants, stock status per SKU, and similar products",
            http=(Http("GET", "/products/{product_id}"), Http("GET", "/products/{product_id}/similar")),
            tables=(("catalog", R), ("inventory", R), ("search", R)),
        ),
        Function(
            "catalog",
            "browse",
            "Storefront: category tree, brands, attribute definitions, landing-page collections",
            http=(
                Http("GET", "/categories"),
                Http("GET", "/brands"),
                Http("GET", "/attributes"),
                Http("GET", "/collections/{slug}"),
            ),
            tables=(("catalog", R), ("search", R)),
        ),
        Function(
            "catalog",
            "manage_reference",
            "Back office: categories, brands, manufacturers, suppliers, attributes and collections",
            http=(
                Http("PUT", "/admin/catalogue/reference", STAFF, Permission.MANAGE_PRODUCTS),
                Http("PUT", "/admin/collections/{slug}", STAFF, Permission.MANAGE_PRODUCTS),
            ),
            tables=(("catalog", W),),
            publishes=True,
        ),
        Function(
            "search",
            "search_products",
            "Storefront: relevance-ranked search, typo-tolerant suggestions, no-result help; logs every term",
            http=(Http("GET", "/search"), Http("GET", "/search/suggestions")),
            tables=(("search", W),),
        ),
        Function(
            "catalog",
            "start_import",
            "Back office: import a batch of products through the catalogue-import workflow",
            http=(
                Http("POST", "/admin/catalogue/imports", STAFF, Permission.MANAGE_PRODUCTS),
                Http("GET", "/admin/catalogue/imports/{import_id}", STAFF, Permission.MANAGE_PRODUCTS),
            ),
            tables=(("catalog", R),),  # the catalogue service it builds; a CSV import's record (its report)
            starts=("catalogue-import",),
        ),
        Function(
            "catalog",
            "upsert_product",
            "Workflow task: validate and write one product, publish ProductUpserted",
            tables=(("catalog", W),),
            publishes=True,
            timeout=30,
        ),
        Function(
            "search",
            "index_products",
            "Keeps the search documents in step with catalogue events (SQS batch, partial failures)",
            sqs=SqsTrigger("search-indexing", batch_size=10),
            tables=(("search", W), ("catalog", R), ("inventory", R)),
            timeout=30,
        ),
        Function(
            "search",
            "publish_snapshot",
            "Rebuilds the compressed catalogue snapshot that listing and search serve from, when changed",
            schedule=Schedule(rate_minutes=1),
            tables=(("search", W), ("inventory", R)),
            memory=1024,
            timeout=60,
        ),
        # ---- storefront: customer accounts ---------------------------------------------------------
        Function(
            "customers",
            "auth",
            "Storefront: sign-up, email verification, sign-in, token refresh, password reset, sign-out",
            http=(
                Http("POST", "/auth/sign-up"),
                Http("POST", "/auth/confirm-sign-up"),
                Http("POST", "/auth/sign-in"),
                Http("POST", "/auth/refresh"),
                Http("POST", "/auth/forgot-password"),
                Http("POST", "/auth/reset-password"),
                Http("POST", "/auth/sign-out"),
            ),
            user_pools=("customers",),
        ),
        Function(
            "customers",
            "profile",
            "Storefront: the signed-in customer's profile and address book",
            http=(
                Http("GET", "/me", CUSTOMER),
                Http("PATCH", "/me", CUSTOMER),
                Http("GET", "/me/addresses", CUSTOMER),
                Http("POST", "/me/addresses", CUSTOMER),
                Http("PUT", "/me/addresses/{address_id}", CUSTOMER),
                Http("DELETE", "/me/addresses/{address_id}", CUSTOMER),
                Http("POST", "/me/addresses/{address_id}/default", CUSTOMER),
            ),
            tables=(("customers", W),),
        ),
        # ---- storefront: cart and checkout -----------------------------------------------------------
        Function(
            "carts",
            "cart",
            "Storefront: anonymous carts by id and the customer's cart; merge on sign-in; re-priced on read",
            http=(
                Http("POST", "/carts"),
                Http("GET", "/carts/{cart_id}"),
                Http("POST", "/carts/{cart_id}/items"),
                Http("PUT", "/carts/{cart_id}/items/{sku}"),
                Http("DELETE", "/carts/{cart_id}/items/{sku}"),
                Http("GET", "/me/cart", CUSTOMER),
                Http("POST", "/me/cart/items", CUSTOMER),
                Http("PUT", "/me/cart/items/{sku}", CUSTOMER),
                Http("DELETE", "/me/cart/items/{sku}", CUSTOMER),
                Http("POST", "/me/cart/merge", CUSTOMER),
            ),
            tables=(("carts", W), ("catalog", R), ("inventory", R)),
        ),
        Function(
            "checkout",
            "quote",
            "Storefront: delivery methods and a server-computed, itemised checkout quote",
            http=(
                Http("GET", "/delivery-methods"),
                Http("POST", "/carts/{cart_id}/quote"),
                Http("POST", "/me/cart/quote", CUSTOMER),
            ),
            tables=(("carts", W), ("catalog", R), ("inventory", R), ("customers", R)),  # stores quotes
            secrets=("platform-signing-keys",),  # signs the quote token
        ),
        # ---- storefront: orders ---------------------------------------------------------------------
        Function(
            "orders",
            "place",
            "Storefront: place an order from a signed quote (one transaction reserves stock), start its workflow",
            http=(Http("POST", "/orders", CUSTOMER),),
            tables=(("orders", W), ("carts", W), ("inventory", W)),
            secrets=("platform-signing-keys",),
            starts=("order-lifecycle",),
        ),
        Function(
            "orders",
            "history",
            "Storefront: the customer's orders, newest first, and one order with its timeline and payment state",
            http=(Http("GET", "/me/orders", CUSTOMER), Http("GET", "/me/orders/{order_id}", CUSTOMER)),
            tables=(("orders", R), ("payments", R)),
        ),
        Function(
            "orders",
            "cancel",
            "Storefront and back office: cancel an order before the interception gate (stops the workflow's wait)",
            http=(
                Http("POST", "/me/orders/{order_id}/cancel", CUSTOMER),
                Http("POST", "/admin/orders/{order_id}/cancel", STAFF, Permission.MANAGE_ORDERS),
            ),
            tables=(("orders", W), ("payments", R)),  # the payment wait's token is on the payment record
            completes_tasks=True,  # SendTaskFailure(OrderCancelled) on the waiting task
        ),
        Function(
            "orders",
            "retry_payment",
            "Storefront: a declined customer pays again with a new card token while the payment window is open",
            http=(Http("POST", "/me/orders/{order_id}/payment", CUSTOMER),),
            tables=(("orders", W),),
            completes_tasks=True,  # completes the workflow's AwaitRetry task
        ),
        Function(
            "orders",
            "review",
            "Back office: approve or reject an order the risk check flagged (completes the workflow's review wait)",
            http=(
                Http("POST", "/admin/orders/{order_id}/approve", STAFF, Permission.MANAGE_ORDERS),
                Http("POST", "/admin/orders/{order_id}/reject", STAFF, Permission.MANAGE_ORDERS),
            ),
            tables=(("orders", W), ("inventory", W)),  # a rejection releases the stock
            completes_tasks=True,
        ),
        Function(
            "orders",
            "transition",
            "Workflow task: move an order on its payment outcome or window end; release stock, void if needed",
            tables=(("orders", W), ("inventory", W), ("payments", W)),
            endpoints=("payment-gateway", "warehouse-system"),  # capture at hand-over; put back on a cancel
            publishes=True,
            completes_tasks=True,  # the payments service it voids through may complete a waiting task
            timeout=30,
        ),
        Function(
            "orders",
            "publish_events",
            "Outbox: puts each new order timeline entry on the bus, from the orders table's stream",
            # only new timeline entries invoke it (the order item's updates, shipments, claims do not)
            stream=StreamTrigger("orders", batch_size=100, inserts_with_sk_prefix="EVENT#"),
            tables=(("orders", R),),
            publishes=True,
        ),
        Function(
            "orders",
            "sweep_reservations",
            "Releases stock held by orders whose workflow died or never started (holds index)",
            schedule=Schedule(rate_minutes=5),
            tables=(("orders", W), ("inventory", W), ("payments", W)),
            endpoints=("payment-gateway",),  # voids an authorisation a dead workflow left behind
            publishes=True,  # the payments service announces the void
            starts=("order-lifecycle",),  # describes executions; starts one that never started
            timeout=60,
        ),
        Function(
            "orders",
            "reconcile",
            "Raises for staff the orders whose workflow failed, timed out or was stopped before they finished",
            schedule=Schedule(rate_minutes=15),
            tables=(("orders", W),),
            starts=("order-lifecycle",),  # lists and describes executions
            timeout=60,
        ),
        # ---- payments (the merchant system) ----------------------------------------------------------
        Function(
            "payments",
            "webhook",
            "Gateway webhook: verify the HMAC signature, de-duplicate, apply the result, complete the waiting task",
            http=(Http("POST", "/webhooks/payments", WEBHOOK),),
            tables=(("payments", W),),
            secrets=("webhook-signing-keys",),
            endpoints=("payment-gateway",),  # voids an authorisation that arrives after the order ended
            publishes=True,
            completes_tasks=True,
        ),
        Function(
            "payments",
            "operate",
            "Workflow task: authorise, capture, void or refund through the payment gateway (idempotent)",
            tables=(("payments", W),),
            endpoints=("payment-gateway",),
            publishes=True,
            completes_tasks=True,  # an immediate decline completes the waiting task itself
            timeout=30,
        ),
        Function(
            "payments",
            "admin",
            "Back office: payments and refunds for finance (status, dates, order; newest first), one payment in full",
            http=(
                Http("GET", "/admin/payments", STAFF, Permission.HANDLE_PAYMENTS),
                Http("GET", "/admin/payments/{order_id}", STAFF, Permission.HANDLE_PAYMENTS),
                Http("GET", "/admin/refunds", STAFF, Permission.HANDLE_PAYMENTS),
            ),
            tables=(("payments", R),),
        ),
        # ---- fulfilment: warehouse and carriers (docs/fulfilment.md) -----------------------------------
        Function(
            "fulfilment",
            "dispatch",
            "Warehouse integration: hands each dispatch request (with its task token) to the warehouse system",
            sqs=SqsTrigger("warehouse-dispatch", batch_size=10),
            tables=(("orders", W),),
            endpoints=("warehouse-system",),
            completes_tasks=True,  # fails the Dispatch task of an order cancelled meanwhile
            timeout=30,
        ),
        Function(
            "fulfilment",
            "warehouse_webhook",
            "Warehouse webhook: signed, de-duplicated stages; the hand-over is the interception gate",
            http=(Http("POST", "/webhooks/warehouse", WEBHOOK),),
            tables=(("orders", W),),
            secrets=("webhook-signing-keys",),
            completes_tasks=True,  # the hand-over completes the Dispatch task
        ),
        Function(
            "fulfilment",
            "carrier_webhook",
            "Carrier webhook: signed, de-duplicated tracking events; delivered completes the Ship task",
            http=(Http("POST", "/webhooks/carrier", WEBHOOK),),
            tables=(("orders", W),),
            secrets=("webhook-signing-keys",),
            completes_tasks=True,
        ),
        # ---- notifications -------------------------------------------------------------------------
        Function(
            "notifications",
            "send_email",
            "Emails the customer about their order's events (templates rendered here, sent through SES)",
            sqs=SqsTrigger("notifications", batch_size=10),
            tables=(("orders", R), ("notifications", W)),
            sends_email=True,
            timeout=30,
        ),
        Function(
            "notifications",
            "send_staff_alert",
            "Emails the staff who manage inventory about a SKU's low stock, once per LowStock event",
            sqs=SqsTrigger("staff-alerts", batch_size=10),
            tables=(("notifications", W),),  # the sent log: once per event and recipient
            sends_email=True,
            reads_pools=("staff",),  # the inventory groups' members (ListUsersInGroup only)
            timeout=30,
        ),
        # ---- back office: staff, permissions and the audit log (docs/back-office.md) -------------------
        Function(
            "staff",
            "auth",
            "Back office: staff sign-in (an invitation's new-password step, the authenticator app's setup and "
            "code), token refresh, the signed-in member",
            http=(
                Http("POST", "/admin/auth/sign-in"),
                Http("POST", "/admin/auth/refresh"),
                Http("POST", "/admin/auth/new-password"),
                Http("POST", "/admin/auth/mfa/setup"),  # MFA_SETUP: a TOTP secret for the authenticator app
                Http("POST", "/admin/auth/mfa/verify"),  # its first code; then signed in
                Http("POST", "/admin/auth/mfa"),  # SOFTWARE_TOKEN_MFA: the authenticator's code
                Http("GET", "/admin/me", STAFF, Permission.VIEW_PROFILE),  # every staff group grants it
            ),
            user_pools=("staff",),  # the app client's public APIs only
        ),
        Function(
            "staff",
            "manage",
            "Back office: staff accounts: list, invite (emailed temporary password), groups, disable, enable",
            http=(
                Http("GET", "/admin/staff", STAFF, Permission.MANAGE_STAFF),
                Http("POST", "/admin/staff", STAFF, Permission.MANAGE_STAFF),
                Http("PUT", "/admin/staff/{username}/groups", STAFF, Permission.MANAGE_STAFF),
                Http("POST", "/admin/staff/{username}/disable", STAFF, Permission.MANAGE_STAFF),
                Http("POST", "/admin/staff/{username}/enable", STAFF, Permission.MANAGE_STAFF),
            ),
            administers_pools=("staff",),  # Cognito admin APIs on the staff pool
            sends_email=True,  # the invitation
        ),
        Function(
            "staff",
            "audit",
            "Back office: the audit log by entity, by actor or by day, newest first",
            http=(Http("GET", "/admin/audit", STAFF, Permission.MANAGE_STAFF),),
            tables=(("audit", R),),
        ),
        Function(
            "customers",
            "admin",
            "Back office: customers list and search, detail with addresses, orders and notes; notes; disable, enable",
            http=(
                Http("GET", "/admin/customers", STAFF, Permission.MANAGE_CUSTOMERS),
                Http("GET", "/admin/customers/{customer_id}", STAFF, Permission.MANAGE_CUSTOMERS),
                Http("POST", "/admin/customers/{customer_id}/notes", STAFF, Permission.MANAGE_CUSTOMERS),
                Http("POST", "/admin/customers/{customer_id}/disable", STAFF, Permission.MANAGE_CUSTOMERS),
                Http("POST", "/admin/customers/{customer_id}/enable", STAFF, Permission.MANAGE_CUSTOMERS),
            ),
            tables=(("customers", W), ("orders", R)),  # the customer's orders: the orders read service
            administers_pools=("customers",),  # Cognito admin APIs on the customer pool (disable, enable)
        ),
        # ---- back office: orders (docs/back-office.md) -------------------------------------------------
        Function(
            "orders",
            "admin_read",
            "Back office: the orders listing (filters, newest first, keyset cursor) and one order in full",
            http=(
                Http("GET", "/admin/orders", STAFF, Permission.MANAGE_ORDERS),
                Http("GET", "/admin/orders/{order_id}", STAFF, Permission.MANAGE_ORDERS),
            ),
            tables=(("orders", R), ("payments", R), ("notifications", R)),  # the order, its payment, emails sent
        ),
        Function(
            "orders",
            "admin_manage",
            "Back office: hold and release an order, internal notes, the shipping address before dispatch",
            http=(
                Http("POST", "/admin/orders/{order_id}/hold", STAFF, Permission.MANAGE_ORDERS),
                Http("POST", "/admin/orders/{order_id}/release", STAFF, Permission.MANAGE_ORDERS),
                Http("POST", "/admin/orders/{order_id}/notes", STAFF, Permission.MANAGE_ORDERS),
                Http("PUT", "/admin/orders/{order_id}/shipping-address", STAFF, Permission.MANAGE_ORDERS),
            ),
            tables=(("orders", W),),
            sends_to=("warehouse-dispatch",),  # a released order's held dispatch request, queued again
        ),
        Function(
            "orders",
            "admin_emails",
            "Back office: send again the email an order event sent (rendered again, recorded)",
            http=(Http("POST", "/admin/orders/{order_id}/emails/{event_id}/resend", STAFF, Permission.MANAGE_ORDERS),),
            tables=(("orders", W), ("notifications", R)),  # the resend is recorded on the order
            sends_email=True,
        ),
        Function(
            "orders",
            "admin_refunds",
            "Back office: a full or partial refund through the payments service (Idempotency-Key)",
            http=(Http("POST", "/admin/orders/{order_id}/refunds", STAFF, Permission.HANDLE_PAYMENTS),),
            tables=(("orders", W), ("payments", W)),
            endpoints=("payment-gateway",),
            publishes=True,  # the payments service announces PaymentRefunded
        ),
        Function(
            "reports",
            "record_order_events",
            "Keeps the dashboard's counters from the order events (SQS batch, partial failures)",
            sqs=SqsTrigger("reports", batch_size=10),
            tables=(("reports", W),),
        ),
        Function(
            "reports",
            "dashboard",
            "Back office: the dashboard (today, orders by status, declines, flagged orders, low stock, charts)",
            http=(Http("GET", "/admin/dashboard", STAFF, Permission.VIEW_REPORTS),),
            tables=(("reports", R), ("orders", R), ("inventory", R)),  # counters, flagged index, stock
        ),
        # ---- back office: catalogue and the CSV import (docs/back-office.md) ---------------------------
        Function(
            "catalog",
            "admin_reference",
            "Back office: categories, brands, manufacturers, suppliers, attributes one by one: list, create, "
            "edit (If-Match), retire (refused while still used)",
            http=tuple(
                Http(method, f"/admin/catalogue/{kind}{suffix}", STAFF, Permission.MANAGE_PRODUCTS)
                for kind in ("categories", "brands", "manufacturers", "suppliers", "attributes")
                for method, suffix in (
                    ("GET", ""),
                    ("POST", ""),
                    ("GET", "/{key}"),
                    ("PUT", "/{key}"),
                    ("POST", "/{key}/retire"),
                )
            ),
            tables=(("catalog", W),),
        ),
        Function(
            "catalog",
            "admin_products",
            "Back office: products and SKUs: list, create, edit (If-Match), retire; announces each change",
            http=tuple(
                Http(method, f"/admin/catalogue/{kind}{suffix}", STAFF, Permission.MANAGE_PRODUCTS)
                for kind, key in (("products", "{product_id}"), ("skus", "{sku}"))
                for method, suffix in (
                    ("GET", ""),
                    ("POST", ""),
                    ("GET", f"/{key}"),
                    ("PUT", f"/{key}"),
                    ("POST", f"/{key}/retire"),
                )
            ),
            tables=(("catalog", W), ("inventory", R)),  # a SKU is not retired while units are reserved
            publishes=True,
        ),
        Function(
            "catalog",
            "admin_csv_import",
            "Back office: a CSV of SKUs checked row by row (the report at once); good rows go to the "
            "catalogue-import workflow",
            http=(Http("POST", "/admin/catalogue/imports/csv", STAFF, Permission.MANAGE_PRODUCTS),),
            tables=(("catalog", W),),  # reference data, products, SKU owners; the import's record
            starts=("catalogue-import",),
            memory=1024,
            timeout=30,
        ),
        # ---- back office: inventory, customers and the dashboard (docs/back-office.md) -----------------
        Function(
            "inventory",
            "admin_stock",
            "Back office: stock per SKU and warehouse, the change log, adjustments, transfers, low-stock thresholds",
            http=(
                Http("GET", "/admin/inventory", STAFF, Permission.MANAGE_INVENTORY),
                Http("GET", "/admin/inventory/{sku}", STAFF, Permission.MANAGE_INVENTORY),
                Http("POST", "/admin/inventory/{sku}/adjustments", STAFF, Permission.MANAGE_INVENTORY),
                Http("POST", "/admin/inventory/transfers", STAFF, Permission.MANAGE_INVENTORY),
                Http("PUT", "/admin/inventory/{sku}/low-stock-threshold", STAFF, Permission.MANAGE_INVENTORY),
                Http("PUT", "/admin/inventory/{sku}/hot", STAFF, Permission.MANAGE_INVENTORY),  # docs/inventory.md
                Http("DELETE", "/admin/inventory/{sku}/hot", STAFF, Permission.MANAGE_INVENTORY),
            ),
            tables=(("inventory", W), ("catalog", R)),  # new stock only for SKUs the catalogue has
        ),
        Function(
            "inventory",
            "watch_stock",
            "From the inventory stream: logs order-driven stock changes, keeps the low-stock list, publishes "
            "LowStock once per threshold crossing",
            stream=StreamTrigger("inventory", batch_size=100),
            tables=(("inventory", W),),
            publishes=True,
            timeout=30,
        ),
    ),
    # ---- secrets, identities ---------------------------------------------------------------------
    secrets=(
        Secret("webhook-signing-keys", "Per-partner HMAC keys for payment, warehouse and carrier webhooks"),
        Secret("platform-signing-keys", "The platform's own HMAC keys by purpose: quotes (the checkout quote token)"),
    ),
    user_pools=(
        UserPool("customers", self_sign_up=True),
        UserPool("staff", groups=tuple(StaffGroup)),
    ),
    email=EmailIdentity("orders@shop.example.com"),
    # ---- external systems (base URLs from cdk.json context; simulators locally) -------------------
    endpoints=(
        Endpoint("payment-gateway", "paymentGatewayUrl", "The merchant system (card authorise/capture/void/refund)"),
        Endpoint("warehouse-system", "warehouseSystemUrl", "The warehouse management system (dispatch, cancel)"),
    ),
)
