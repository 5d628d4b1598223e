"""Integration fixtures: one local cloud (the real topology, seeded) per test session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from local.cloud import LocalCloud


class Api(requests.Session):
    """A requests session with the local API's base URL: ``api.get("/products")``."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture(scope="session")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(seed=True) as running:
        yield running


@pytest.fixture(scope="session")
def api(cloud: LocalCloud) -> Iterator[Api]:
    with Api(cloud.api_url) as session:
        yield session


@pytest.fixture(scope="session")
def staff_token(cloud: LocalCloud) -> Callable[[str], str]:
    """``staff_token("admin")``: an ID token for the seeded staff user of that group (cached)."""
    tokens: dict[str, str] = {}

    def token(group: str) -> str:
        if group not in tokens:
            username, password = cloud.staff_credentials[group]
            tokens[group] = cloud.sign_in("staff", username, password)
        return tokens[group]

    return token


@pytest.fixture(scope="session")
def customer_token(cloud: LocalCloud) -> str:
    assert cloud.customer_credentials is not None
    return cloud.sign_in("customers", *cloud.customer_credentials)
