"""What the wiring tests share: a function builds its services from only the environment its topology
entry declares (on AWS a function gets no variable for a table, queue or pool it does not declare)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from infra.model import function_env
from infra.topology import TOPOLOGY


def wires_up_from_its_declared_environment_only(
    name: str, builders: Iterable[Callable[[], Any]], cached: Iterable[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each builder of function ``name`` returns its service with only that function's environment
    (the cached builders are cleared before and after, so no other test's environment leaks in)."""
    cached = list(cached)
    for builder in cached:
        builder.cache_clear()
    try:
        env = function_env(TOPOLOGY, TOPOLOGY.function(name), lambda kind, logical: f"{kind}-{logical}")
        for key in [k for k in os.environ if k.endswith(("_TABLE", "_ARN", "EVENT_BUS_NAME"))]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        for builder in builders:
            assert builder() is not None
    finally:
        for builder in cached:
            builder.cache_clear()
