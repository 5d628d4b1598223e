"""The map of the system: every function, trigger, table, queue, rule, state machine, secret,
user pool and email identity. The CDK app (infra/app.py) and the local cloud (local/) both render
exactly this; tests/infra/test_parity.py proves they expose the same things.

Read it top to bottom as the platform's one-page architecture.
"""

from __future__ import annotations

from commerce.staff.permissions import Permission, StaffGroup
from infra.model import (
    Access,
    AuthKind,
    EmailIdentity,
    Function,
    Http,
    Index,
    Queue,
    Rule,
    Secret,
    SqsTrigger,
    StateMachine,
    Table,
    Topology,
    UserPool,
)

R, W = Access.READ, Access.WRITE
PUBLIC, STAFF = AuthKind.PUBLIC, AuthKind.STAFF

TOPOLOGY = Topology(
    # ---- data --------------------------------------------------------------------------------
    tables=(
        # Products, variants (SKUs) and catalogue imports. gsi1 lists products newest first.
        Table("catalog", indexes=(Index("gsi1", "gsi1pk", "gsi1sk"),), stream=True),
        # Search index maintained from catalogue events (term -> product postings).
        Table("search"),
    ),
    # ---- queues (each gets a DLQ) --------------------------------------------------------------
    queues=(Queue("search-indexing", visibility_timeout=60, max_receives=3),),
    # ---- event bus rules (bus: "events") -------------------------------------------------------
    rules=(
        Rule(
            "product-changes-to-search",
            detail_types=("ProductUpserted", "ProductRetired"),
            source=("commerce.catalog",),
            queue="search-indexing",
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
            "catalog",
            "list_products",
            "Storefront: list active products, newest first, cursor paginated",
            http=(Http("GET", "/products"),),
            tables=(("catalog", R),),
        ),
        Function(
            "catalog",
            "get_product",
            "Storefront: one product with its variants",
            http=(Http("GET", "/products/{product_id}"),),
            tables=(("catalog", R),),
        ),
        Function(
            "catalog",
            "start_import",
            "Back office: import a batch of products through the catalogue-import workflow",
            http=(
                Http("POST", "/admin/catalogue/imports", STAFF, Permission.MANAGE_PRODUCTS),
                Http("GET", "/admin/catalogue/imports/{import_id}", STAFF, Permission.MANAGE_PRODUCTS),
            ),
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
            "Keeps the search index in step with catalogue events (SQS batch, partial failures)",
            sqs=SqsTrigger("search-indexing", batch_size=10),
            tables=(("search", W), ("catalog", R)),
            timeout=10,
        ),
    ),
    # ---- secrets, identities ---------------------------------------------------------------------
    secrets=(Secret("webhook-signing-keys", "Per-partner HMAC keys for payment, warehouse and carrier webhooks"),),
    user_pools=(
        UserPool("customers", self_sign_up=True),
        UserPool("staff", groups=tuple(StaffGroup)),
    ),
    email=EmailIdentity("orders@shop.example.com"),
)
