"""Index key types come from the topology and reach both renderers: DynamoDB refuses a write whose
index key has another type than declared (moto only checks that on updates, so it is asserted here)."""

from __future__ import annotations

from cdksynth import Synth

from infra.topology import TOPOLOGY


def test_the_template_declares_each_key_attribute_with_its_topology_type(cdk_synth: Synth):
    for table in TOPOLOGY.tables:
        resource = next(
            r
            for r in cdk_synth.of_type("AWS::DynamoDB::Table").values()
            if r["Properties"]["TableName"] == cdk_synth.physical(table.name)
        )
        declared = {a["AttributeName"]: a["AttributeType"] for a in resource["Properties"]["AttributeDefinitions"]}
        assert declared == table.key_types(), table.name


def test_order_holds_sort_by_a_number():
    assert TOPOLOGY.table("orders").key_types()["reserved_until"] == "N"
