"""cdk-nag (AwsSolutions) has nothing unacknowledged, cfn-lint passes on the template, the ASL files
lint clean and their ``${...}`` placeholders are exactly the declared substitutions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cdksynth import Synth

from infra.model import ROOT
from infra.topology import TOPOLOGY

BIN = Path(sys.executable).parent

# cfn-lint checks ignored, each with its reason:
CFN_LINT_IGNORES = {
    # CDK emits explicit DependsOn that CloudFormation would infer (documented in DESIGN.md).
    "W3005": "redundant DependsOn added by CDK",
    # The access-log bucket needs the LogDeliveryWrite ACL: CloudFront standard logging writes
    # objects with ACLs, so a bucket policy alone is not enough.
    "W3045": "AccessControl on the CloudFront/S3 access-log bucket",
}


def test_cdk_nag_reports_no_unacknowledged_findings(cdk_synth: Synth) -> None:
    # cdk-nag 3 is a policy-validation plugin: any unacknowledged finding (error or warning) fails the
    # synth itself, and the plugin then appears in the report. The session synth succeeded; make sure
    # no plugin (AwsSolutions or CDK's built-in CloudFormation validation) reports a violation.
    report = json.loads((cdk_synth.outdir / "validation-report.json").read_text())
    findings = [
        f"{r['pluginName']}: {v['ruleName']} {c['constructPath']}"
        for r in report["pluginReports"]
        for v in r["violations"]
        for c in v["violatingConstructs"]
    ]
    assert findings == []
    assert all(r["conclusion"] == "success" for r in report["pluginReports"])


def test_cdk_nag_plugin_is_live(tmp_path: Path) -> None:
    """Negative control: the same plugin wiring fails a synth with an unacknowledged finding."""
    from aws_cdk import App, Stack, Validations
    from aws_cdk import aws_sqs as sqs
    from cdk_nag import AwsSolutionsChecks

    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Control"), "NoDlqNoSsl")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for r in report["pluginReports"] for v in r["violations"]}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4"} <= rules


def test_every_acknowledgement_has_a_reason(cdk_synth: Synth) -> None:
    acks: dict[str, str] = {}
    for path, entries in cdk_synth.metadata.items():
        for entry in entries:
            if entry["type"] == "aws:cdk:acknowledged-rules":
                acks |= {f"{path} {rule}": reason for rule, reason in entry["data"].items()}
    assert any(" AwsSolutions::AwsSolutions-" in where for where in acks)
    for where, reason in acks.items():
        # ours are cdk-nag findings; aws-cdk-lib acknowledges its own CloudFormation-Validate ones
        assert " AwsSolutions::AwsSolutions-" in where or " CloudFormation-Validate::" in where, where
        assert len(reason) > 30, where


def test_no_synth_warnings_or_errors(cdk_synth: Synth) -> None:
    problems = [
        (path, entry["data"])
        for path, entries in cdk_synth.metadata.items()
        for entry in entries
        if entry["type"] in ("aws:cdk:warning", "aws:cdk:error")
    ]
    assert problems == []


def test_cfn_lint_passes(cdk_synth: Synth) -> None:
    result = subprocess.run(
        [
            str(BIN / "cfn-lint"),
            "--regions",
            cdk_synth.region,
            "--ignore-checks",
            *CFN_LINT_IGNORES,
            "--",
            str(cdk_synth.template_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("asl", sorted((ROOT / "statemachines").glob("*.asl.json")), ids=lambda p: p.name)
def test_statelint(asl: Path) -> None:
    result = subprocess.run(
        [str(BIN / "statelint"), "--ignore=FLOAT,URI", str(asl)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("machine", TOPOLOGY.state_machines, ids=lambda m: m.name)
def test_asl_placeholders_equal_substitutions(machine: object) -> None:
    path = machine.path  # type: ignore[attr-defined]
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    placeholders = set(re.findall(r"\$\{([^}]+)\}", path.read_text()))
    assert placeholders == {key for key, _ in machine.substitutions}  # type: ignore[attr-defined]


def test_every_declared_asl_file_is_linted_and_exists() -> None:
    on_disk = {p.name for p in (ROOT / "statemachines").glob("*.asl.json")}
    assert {m.asl for m in TOPOLOGY.state_machines} <= on_disk
