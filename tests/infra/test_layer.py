"""The shared layer is built without Docker for python3.13/arm64, cached, and the code bundle holds every
handler module."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from infra import layer
from infra.topology import TOPOLOGY


@pytest.fixture(scope="module")
def built() -> tuple[layer.Bundle, layer.Bundle]:
    return layer.build_layer(), layer.build_functions()


def test_runtime_dependencies_come_from_pyproject() -> None:
    deps = layer.runtime_dependencies()
    assert deps and all("==" in d for d in deps)


def test_layer_is_cached_no_pip_on_rebuild(
    built: tuple[layer.Bundle, layer.Bundle], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pip(*_: object) -> None:
        raise AssertionError("pip ran although the dependencies did not change")

    monkeypatch.setattr(layer, "_pip_install", no_pip)
    again = layer.build_layer()
    assert again == built[0]


def test_layer_zip_has_domain_and_aarch64_cp313_wheels(built: tuple[layer.Bundle, layer.Bundle]) -> None:
    bundle = built[0]
    assert bundle.path.suffix == ".zip"
    names = zipfile.ZipFile(bundle.path).namelist()
    assert "python/commerce/__init__.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    native = [n for n in names if n.startswith("python/pydantic_core/") and n.endswith(".so")]
    assert native and all("cpython-313-aarch64-linux-gnu" in n for n in native), native
    for dep in layer.runtime_dependencies():
        name, version = re.sub(r"\[.*\]", "", dep).split("==")
        dist = f"{name.replace('-', '_')}-{version}.dist-info/"
        assert any(n.startswith(f"python/{dist}") for n in names), dep


def test_domain_sources_in_layer_match(built: tuple[layer.Bundle, layer.Bundle]) -> None:
    names = set(zipfile.ZipFile(built[0].path).namelist())
    for src in layer.DOMAIN_SRC.rglob("*.py"):
        if "__pycache__" not in src.parts:
            assert f"python/commerce/{src.relative_to(layer.DOMAIN_SRC)}" in names


def test_code_bundle_has_every_handler_module(built: tuple[layer.Bundle, layer.Bundle]) -> None:
    root: Path = built[1].path
    for fn in TOPOLOGY.functions:
        module = root / (fn.handler.rpartition(".")[0].replace(".", "/") + ".py")
        assert module.is_file(), fn.handler
    assert not list(root.rglob("__pycache__"))
