"""The synthesised cloud assembly, as the infra tests read it (shared by conftest and the tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.model import Topology
from infra.topology import TOPOLOGY


@dataclass(frozen=True)
class Synth:
    outdir: Path
    stack_name: str
    stage: str
    region: str
    template: dict[str, Any]
    metadata: dict[str, list[dict[str, Any]]]  # construct path -> metadata entries
    seconds: float

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{self.stack_name}.template.json"

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def logical_id(self, path: str) -> str:
        """Logical id of the CFN resource at construct path ``<Stack>/<path>``."""
        for entry in self.metadata[f"/{self.stack_name}/{path}"]:
            if entry["type"] == "aws:cdk:logicalId":
                return str(entry["data"])
        raise KeyError(path)

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}

    def physical(self, name: str) -> str:
        return Topology.physical(self.stage, name)


def asl_dir_for_tests(tmp: Path) -> Path | None:
    """The real statemachines/ if every declared ASL file exists, else a tmp copy with minimal stand-ins."""
    missing = [m for m in TOPOLOGY.state_machines if not m.path.exists()]
    if not missing:
        return None
    target = tmp / "statemachines"
    target.mkdir()
    for machine in TOPOLOGY.state_machines:
        if machine.path.exists():
            (target / machine.asl).write_text(machine.path.read_text())
            continue
        params = {key: f"${{{key}}}" for key, _ in machine.substitutions}
        asl = {"StartAt": "Stub", "States": {"Stub": {"Type": "Pass", "Result": params, "End": True}}}
        (target / machine.asl).write_text(json.dumps(asl))
    return target


def _target(value: Any) -> str:
    """The logical id behind a Ref or Fn::GetAtt."""
    return str(value["Ref"]) if "Ref" in value else str(value["Fn::GetAtt"][0])


def stream_mappings(resources: dict[str, dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(table, function, on-failure queue) of every DynamoDB stream event source mapping: the
    template's side of the local cloud's ``inventory()["stream_mappings"]``."""
    found = set()
    for mapping in resources.values():
        props = mapping["Properties"] if mapping["Type"] == "AWS::Lambda::EventSourceMapping" else {}
        source = props.get("EventSourceArn", {})
        if "Fn::GetAtt" not in source or source["Fn::GetAtt"][1] != "StreamArn":
            continue
        table = resources[_target(source)]["Properties"]["TableName"]
        function = resources[_target(props["FunctionName"])]["Properties"]["FunctionName"]
        queue = resources[_target(props["DestinationConfig"]["OnFailure"]["Destination"])]["Properties"]["QueueName"]
        found.add((table, function, queue))
    return found


def with_nested_stacks(outdir: Path, template: dict[str, Any]) -> dict[str, Any]:
    """The parent template with its nested stacks' resources merged in (the API is one), each
    nested parameter reference replaced by what the parent passes: tests read one stack."""
    merged = json.loads(json.dumps(template))
    passed: dict[str, Any] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CloudFormation::Stack":
            passed |= resource["Properties"].get("Parameters", {})
    for path in sorted(outdir.glob("*.nested.template.json")):
        for logical_id, nested_resource in json.loads(path.read_text())["Resources"].items():
            merged["Resources"][logical_id] = _substitute(nested_resource, passed)
    return merged


def _substitute(value: Any, passed: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in passed:
            return passed[value["Ref"]]
        return {k: _substitute(v, passed) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, passed) for v in value]
    return value
