"""GET /health: the API is up and can reach its catalogue table."""

from typing import Literal

from pydantic import BaseModel

from commerce.common.api import api_handler, make_resolver
from commerce.wiring.catalog import catalog_service

app = make_resolver()


class Health(BaseModel):
    status: Literal["ok"]
    checks: dict[str, str]


@app.get("/health")
def health() -> Health:
    catalog_service().find_product("health-probe")  # one cheap read proves table + credentials
    return Health(status="ok", checks={"catalog": "ok"})


handler = api_handler(app)
