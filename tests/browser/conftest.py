"""Browser tests: the admin SPA (admin/dist, built by `make test`) in Debian's chromium, driven by
Playwright, against a local cloud of the real topology (seeded) under a stage of its own.

Staff are signed in either through the sign-in form (the sign-in test) or by putting in the tab's
sessionStorage exactly what POST /admin/auth/sign-in answers: a real ID token from the staff pool and
the permissions the server's own mapping (commerce.staff.permissions) grants the user's group.

A failing test leaves a full-page screenshot of each of its tabs in test-results/browser/."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from commerce.staff.permissions import permissions_of
from infra.topology import TOPOLOGY
from local.cloud import LocalCloud
from tests.integration.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "admin" / "dist"
SCREENS = json.loads((ROOT / "admin" / "src" / "screens.json").read_text())
ARTIFACTS = ROOT / "test-results" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags this machine needs (docs: DESIGN.md "Browser tests"): no sandbox as root, and no
# background connections to Google's hosts, which the closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SESSION_KEY = "commerce-admin.session"  # admin/src/session.ts
# A stage of its own: pytest-xdist may run this module in a worker that also holds the integration
# tests' session cloud (stage "local"); moto's backends are per process, so the names must differ,
# and a module-scoped cloud hands the shared environment back when it stops (docs/local-cloud.md).
STAGE = "ui"
TIMEOUT_MS = 30_000  # bounds a hang on a loaded 2-core box; not a speed assertion


def route_key(route: str) -> tuple[str, str]:
    method, path = route.split(" ", 1)
    return method, re.sub(r"\{[^}]+\}", "{}", path)


PLATFORM_ROUTES = {route_key(route.key): route for route, _fn in TOPOLOGY.routes()}


def route_exists(route: str) -> bool:
    """Is "POST /admin/orders/{id}/approve" in the topology (parameter names aside)?"""
    return route_key(route) in PLATFORM_ROUTES


def needs(*routes: str) -> pytest.MarkDecorator:
    """xfail while the platform lacks one of these routes (being built); a real test once they land."""
    missing = [r for r in routes if not route_exists(r)]
    return pytest.mark.xfail(bool(missing), reason=f"the platform has no {', '.join(missing)} yet", strict=False)


def _need_or_skip(ok: bool, why: str) -> None:
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI runs `make test`, which provides it)")
    pytest.skip(f"{why}: run `make test-browser` (it builds the SPA and installs chromium)")


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """The real topology, seeded (demo catalogue, one staff user per group), under its own stage."""
    with LocalCloud(stage=STAGE, seed=True) as running:
        yield running


@pytest.fixture(scope="module")
def api(cloud: LocalCloud) -> Iterator[Api]:
    with Api(cloud.api_url) as session:
        yield session


@pytest.fixture(scope="module")
def staff_token(cloud: LocalCloud) -> Callable[[str], str]:
    """``staff_token("admin")``: an ID token for the seeded staff user of that group."""
    return lambda group: cloud.sign_in("staff", *cloud.staff_credentials[group])


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_or_skip((DIST / "index.html").is_file(), "the admin SPA is not built (admin/dist)")
    _need_or_skip(Path(CHROMIUM).exists(), f"no chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        sync_playwright = None
    _need_or_skip(sync_playwright is not None, "Playwright is not installed (tests/browser/requirements.txt)")
    assert sync_playwright is not None
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def staff_session(cloud: LocalCloud, group: str) -> dict[str, Any]:
    """What POST /admin/auth/sign-in answers for the seeded user of ``group``, as the SPA keeps it: a
    real ID token from the staff pool and the permissions the server's own mapping grants."""
    username, password = cloud.staff_credentials[group]
    return {
        "email": username,
        "id_token": cloud.sign_in("staff", username, password),
        "refresh_token": None,
        "expires_at": int((time.time() + 3000) * 1000),
        "groups": [group],
        "permissions": sorted(permissions_of([group])),
    }


@pytest.fixture
def admin_app(cloud: LocalCloud, browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``admin_app("warehouse", "#/inventory")``: a new tab (its own browser context) with the SPA open
    at that route, signed in as the seeded staff user of that group (``None``: signed out). A failing
    test leaves a screenshot of each of its tabs in test-results/browser/."""
    contexts: list[Any] = []

    def open_as(group: str | None, route: str = "#/") -> Any:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = context.new_page()
        if group is not None:
            key, value = json.dumps(SESSION_KEY), json.dumps(json.dumps(staff_session(cloud, group)))
            tab.add_init_script(f"if (!sessionStorage.getItem({key})) sessionStorage.setItem({key}, {value});")
        tab.goto(cloud.admin_url + route)
        return tab

    yield open_as
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for number, context in enumerate(contexts, start=1):
            for tab in context.pages:
                tab.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
    for context in contexts:
        context.close()
