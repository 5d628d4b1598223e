"""The commerce stack: composes one construct per concern, each rendering its part of the topology."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.admin_config import admin_config
from infra.constructs.admin_site import AdminSite
from infra.constructs.api import Api
from infra.constructs.auth import Auth
from infra.constructs.data import Data
from infra.constructs.encryption import Encryption
from infra.constructs.functions import Dependencies, Functions
from infra.constructs.messaging import Messaging
from infra.constructs.observability import Observability
from infra.constructs.secrets_email import SecretsAndEmail
from infra.constructs.workflows import Workflows
from infra.layer import build_functions, build_layer
from infra.model import ROOT, Topology


class CommerceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        stage: str,
        asl_dir: Path = ROOT / "statemachines",
        admin_dist: Path = ROOT / "admin" / "dist",
        **kwargs: object,
    ) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        key = Encryption(self, "Encryption", topology=topology, stage=stage).key
        data = Data(self, "Data", topology=topology, stage=stage, key=key)
        messaging = Messaging(self, "Messaging", topology=topology, stage=stage, key=key)
        secrets = SecretsAndEmail(self, "SecretsAndEmail", topology=topology, stage=stage, key=key)
        auth = Auth(self, "Auth", topology=topology, stage=stage)
        functions = Functions(
            self,
            "Functions",
            topology=topology,
            stage=stage,
            deps=Dependencies(
                tables=data.tables,
                bus=messaging.bus,
                queues=messaging.queues,
                rules=messaging.rules,
                secrets=secrets.secrets,
                pools=auth.pools,
                clients=auth.clients,
                email=secrets.email,
                stream_dlqs=messaging.stream_dlqs,
                dlqs=messaging.dlqs,
                key=key,
            ),
            layer_bundle=build_layer(),
            code_bundle=build_functions(),
        )
        workflows = Workflows(
            self,
            "Workflows",
            topology=topology,
            stage=stage,
            asl_dir=asl_dir,
            functions=functions.functions,
            bus=messaging.bus,
            tables=data.tables,
            queues=messaging.queues,
            key=key,
        )
        api = Api(self, "Api", topology=topology, stage=stage, functions=functions.functions, pools=auth.pools, key=key)
        site = AdminSite(
            self,
            "AdminSite",
            dist=admin_dist,
            config=admin_config(
                api_url=api.rest_api.url,
                region=self.region,
                staff_pool_id=auth.pools["staff"].user_pool_id,
                staff_client_id=auth.clients["staff"].user_pool_client_id,
            ),
        )
        Observability(
            self,
            "Observability",
            topology=topology,
            stage=stage,
            api=api.rest_api,
            functions=functions.functions,
            dlqs=messaging.dlqs,
            machines=workflows.machines,
        )
        outputs = {
            "ApiUrl": api.rest_api.url,
            "AdminUrl": site.url,
            "EventBusName": messaging.bus.event_bus_name,
            **{f"{name.title()}UserPoolId": pool.user_pool_id for name, pool in auth.pools.items()},
            **{f"{name.title()}UserPoolClientId": c.user_pool_client_id for name, c in auth.clients.items()},
        }
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)
