"""The admin SPA's ``config.json``, defined once: the CDK stack (``infra/stack.py``, deployed beside
the bundle by ``infra/constructs/admin_site.py``) and the local cloud (``local/cloud.py``, served at
``/admin/config.json``) both write exactly this shape, and ``admin/src/config.ts`` reads exactly
these keys (tests/unit/test_admin_config.py holds the three together)."""

from __future__ import annotations

# what the SPA needs to know about where it runs: nothing else is environment-specific
ADMIN_CONFIG_KEYS = ("api_url", "region", "staff_pool_id", "staff_client_id")


def admin_config(*, api_url: str, region: str, staff_pool_id: str, staff_client_id: str) -> dict[str, str]:
    """The API's base URL, the region, and the staff pool and its app client the SPA signs in to."""
    return {"api_url": api_url, "region": region, "staff_pool_id": staff_pool_id, "staff_client_id": staff_client_id}
