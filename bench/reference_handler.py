"""The bare reference a handler's cold start is compared with: a boto3 client, pydantic, and a
Powertools REST resolver with validation, all built at init, one trivial route."""

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel

client = boto3.client("dynamodb")
app = APIGatewayRestResolver(enable_validation=True)


class Pong(BaseModel):
    ok: bool


@app.get("/ping")
def ping() -> Pong:
    return Pong(ok=True)


def handler(event, context):
    return app.resolve(event, context)
