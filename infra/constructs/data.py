"""DynamoDB tables: on-demand, point-in-time recovery, encrypted with the platform key, retained on
stack deletion."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.model import Table, Topology

TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _key(name: str | None, types: dict[str, str]) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=name, type=TYPES[types[name]]) if name else None


class Data(Construct):
    def __init__(self, scope: Construct, id: str, *, topology: Topology, stage: str, key: kms.IKey) -> None:
        super().__init__(scope, id)
        self._key = key
        self.tables: dict[str, dynamodb.Table] = {
            table.name: self._table(table, topology.physical(stage, table.name)) for table in topology.tables
        }

    def _table(self, spec: Table, physical_name: str) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            spec.name,
            table_name=physical_name,
            partition_key=_key(spec.pk, spec.key_types()),  # type: ignore[arg-type]
            sort_key=_key(spec.sk, spec.key_types()),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self._key,
            time_to_live_attribute=spec.ttl,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
            removal_policy=RemovalPolicy.RETAIN,
            deletion_protection=True,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_key(index.pk, spec.key_types()),  # type: ignore[arg-type]
                sort_key=_key(index.sk, spec.key_types()),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table
