"""CDK entry point: ``npx cdk synth`` (cdk.json runs ``.venv/bin/python -m infra.app``).

Context (cdk.json, overridable with ``-c``): ``stage`` (default ``dev``), ``region`` (default
``eu-west-1``), optional ``aslDir`` (where the ASL files are; tests only). The account is left to the
CLI's environment (``CDK_DEFAULT_ACCOUNT``) and may be unresolved: synth needs no credentials.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.model import ROOT, cdk_json_context
from infra.stack import CommerceStack
from infra.topology import TOPOLOGY

DEFAULT_STAGE = "dev"
DEFAULT_REGION = "eu-west-1"


def build_app(context: dict[str, Any] | None = None, outdir: str | None = None) -> App:
    # Context passed here is the default; the CLI's (cdk.json + -c) arrives via CDK_CONTEXT_JSON and wins.
    app = App(
        context=cdk_json_context() if context is None else context,
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(ROOT / "cdk.out"),
    )
    stage = str(app.node.try_get_context("stage") or DEFAULT_STAGE)
    region = str(app.node.try_get_context("region") or DEFAULT_REGION)
    asl_dir = app.node.try_get_context("aslDir")
    CommerceStack(
        app,
        f"Commerce-{stage}",
        topology=TOPOLOGY,
        stage=stage,
        env=Environment(region=region, account=os.environ.get("CDK_DEFAULT_ACCOUNT")),
        description=f"Serverless commerce platform ({stage})",
        **({"asl_dir": Path(asl_dir)} if asl_dir else {}),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
