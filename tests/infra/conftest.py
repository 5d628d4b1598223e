"""One CDK synth per test session, with cdk.json's context (a plain App ignores cdk.json)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from cdksynth import Synth, asl_dir_for_tests, with_nested_stacks

from infra.model import ROOT

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def cdk_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    from infra.app import build_app
    from infra.model import cdk_json_context

    tmp = tmp_path_factory.mktemp("cdk")
    context = cdk_json_context()
    asl_dir = asl_dir_for_tests(tmp)
    if asl_dir is not None:
        context["aslDir"] = str(asl_dir)
    outdir = tmp / "cdk.out"
    started = time.monotonic()
    app = build_app(context=context, outdir=str(outdir))
    app.synth()
    seconds = time.monotonic() - started
    stage, region = context["stage"], context["region"]
    stack_name = f"Commerce-{stage}"
    return Synth(
        outdir=outdir,
        stack_name=stack_name,
        stage=stage,
        region=region,
        template=with_nested_stacks(outdir, json.loads((outdir / f"{stack_name}.template.json").read_text())),
        metadata=json.loads((outdir / f"{stack_name}.metadata.json").read_text()),
        seconds=seconds,
    )


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
