"""The admin SPA's config.json has one shape (infra/admin_config.py): the local cloud and the CDK stack
write it through ``admin_config`` and the SPA reads exactly its keys."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from infra.admin_config import ADMIN_CONFIG_KEYS, admin_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_spa_reads_exactly_the_keys_the_writers_write() -> None:
    source = (ROOT / "admin/src/config.ts").read_text()
    read = set(re.findall(r"\braw\.([a-z_]+)", source))
    assert read == set(ADMIN_CONFIG_KEYS)
    written = admin_config(api_url="u", region="r", staff_pool_id="p", staff_client_id="c")
    assert tuple(written) == ADMIN_CONFIG_KEYS


def test_both_writers_go_through_admin_config() -> None:
    from local.cloud import LocalCloud

    assert "admin_config(" in inspect.getsource(LocalCloud.admin_config)
    stack = (ROOT / "infra/stack.py").read_text()
    assert "config=admin_config(" in stack
    for old in ("apiUrl", "userPoolId", "staffUserPoolId", "UserPoolClientId"):
        assert f'"{old}"' not in stack and f'"{old}"' not in inspect.getsource(LocalCloud.admin_config)
