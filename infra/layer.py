"""Builds the shared Lambda layer and the functions' code bundle without Docker.

Layer (``build/layer/python/``, zipped to ``build/layer-<hash>.zip``): the runtime dependencies from ``pyproject.toml``
``[project].dependencies``, installed as manylinux2014 aarch64 wheels for CPython 3.13 (the
functions' runtime: pydantic-core wheels are tied to one Python version), plus the domain package
``layers/shared/commerce``. pip runs only when the dependency list changes (a hash marker); the
domain package is re-copied only when its sources change.

Functions (``build/functions/functions/``): one shared code asset, so every handler string
``functions.<context>.<operation>.handler`` resolves.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from infra.model import ROOT

BUILD = ROOT / "build"
LAYER_DIR = BUILD / "layer"
FUNCTIONS_DIR = BUILD / "functions"
DOMAIN_SRC = ROOT / "layers" / "shared" / "commerce"
FUNCTIONS_SRC = ROOT / "functions"

PYTHON_VERSION = "3.13"
PLATFORM = "manylinux2014_aarch64"
IGNORED = ("__pycache__", "*.pyc", ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache")


@dataclass(frozen=True)
class Bundle:
    path: Path  # the directory or zip file to hand to lambda.Code.from_asset
    hash: str  # a content hash, used as the asset hash (CDK need not re-hash site-packages)


def runtime_dependencies(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    with pyproject.open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part == "__pycache__" or part.endswith(".pyc") for part in rel.parts) or not path.is_file():
            continue
        digest.update(str(rel).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _sync_package(src: Path, dest: Path, marker: Path, tree_hash: str) -> None:
    """Copy ``src`` to ``dest`` (without caches) unless the marker says it is already that content."""
    if dest.is_dir() and marker.exists() and marker.read_text() == tree_hash:
        return
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*IGNORED))
    marker.write_text(tree_hash)


def _pip_install(deps: list[str], target: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--platform",
        PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",
        "--target",
        str(target),
        *deps,
    ]
    subprocess.run(cmd, check=True, env={**os.environ, "PIP_NO_INPUT": "1"})


@contextmanager
def _build_lock() -> Iterator[None]:
    """Serialise builds across processes (parallel test workers, a synth next to a test run)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with (BUILD / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_layer(out: Path = LAYER_DIR) -> Bundle:
    with _build_lock():
        return _build_layer(out)


def _build_layer(out: Path) -> Bundle:
    deps = runtime_dependencies()
    deps_hash = hashlib.sha256("\n".join([*sorted(deps), PLATFORM, PYTHON_VERSION]).encode()).hexdigest()
    python = out / "python"
    deps_marker = out / ".deps.sha256"
    if not (deps_marker.exists() and deps_marker.read_text() == deps_hash and python.is_dir()):
        shutil.rmtree(out, ignore_errors=True)
        python.mkdir(parents=True)
        _pip_install(deps, python)
        for cache in python.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
        deps_marker.write_text(deps_hash)
    domain_hash = _tree_hash(DOMAIN_SRC)
    _sync_package(DOMAIN_SRC, python / "commerce", out / ".domain.sha256", domain_hash)
    layer_hash = hashlib.sha256(f"{deps_hash}:{domain_hash}".encode()).hexdigest()
    # A zip asset is staged as one file copy: much faster on every synth than CDK copying the
    # thousands of files under python/ (it is rebuilt only when the deps or the domain change).
    archive = out.parent / f"layer-{layer_hash[:16]}.zip"
    if not archive.exists():
        for stale in out.parent.glob("layer-*.zip"):
            stale.unlink()
        _zip(out, archive)
    return Bundle(archive, layer_hash)


def _zip(root: Path, archive: Path) -> None:
    tmp = archive.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted((root / "python").rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and "__pycache__" not in rel.parts and path.suffix != ".pyc":
                info = zipfile.ZipInfo(str(rel), date_time=(1980, 1, 1, 0, 0, 0))  # reproducible
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
    tmp.replace(archive)


def build_functions(out: Path = FUNCTIONS_DIR) -> Bundle:
    with _build_lock():
        code_hash = _tree_hash(FUNCTIONS_SRC)
        out.mkdir(parents=True, exist_ok=True)
        _sync_package(FUNCTIONS_SRC, out / "functions", out / ".sha256", code_hash)
        return Bundle(out, code_hash)


# Files in the bundle directories that are build bookkeeping, not code.
BOOKKEEPING = [".deps.sha256", ".domain.sha256", ".sha256", "**/__pycache__", "**/*.pyc"]


if __name__ == "__main__":
    print(build_layer())
    print(build_functions())
