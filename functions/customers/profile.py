"""GET/PATCH /me and the address book under /me/addresses.

Customer routes: the Cognito authoriser has verified the ID token; the customer is its ``sub``.
Every read and write is keyed by that id, so a customer can only ever reach their own data (another
customer's address id is simply not found)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import ConfigDict, StrictBool

from commerce.common.api import api_handler, make_resolver
from commerce.common.errors import Unauthorized
from commerce.common.observability import logger, metrics
from commerce.customers.models import Address, AddressBook, AddressInput, Identity, Profile, ProfileUpdate
from commerce.wiring.customers import customer_service

app = make_resolver()

AddressIdParam = Annotated[str, Path(pattern=r"^adr_[0-9A-Z]{26}$")]


class AddressRequest(AddressInput):
    model_config = ConfigDict(extra="forbid", frozen=True)

    make_default: StrictBool = False


def me() -> Identity:
    claims = app.current_event.request_context.authorizer.claims or {}
    if not claims.get("sub"):
        raise Unauthorized("Sign in as a customer.")
    logger.append_keys(customer_id=claims["sub"])
    return Identity(customer_id=claims["sub"], email=claims.get("email"), name=claims.get("name"))


def _address(request: AddressRequest) -> AddressInput:
    return AddressInput.model_validate(request.model_dump(exclude={"make_default"}))


@app.get("/me")
def get_profile() -> Profile:
    return customer_service().profile(me())


@app.patch("/me")
def update_profile(update: Annotated[ProfileUpdate, Body()]) -> Profile:
    return customer_service().update_profile(me(), update)


@app.get("/me/addresses")
def list_addresses() -> AddressBook:
    return customer_service().addresses(me().customer_id)


@app.post("/me/addresses", status_code=201)
def add_address(request: Annotated[AddressRequest, Body()]) -> Response[Address]:
    address = customer_service().add_address(me(), _address(request), request.make_default)
    metrics.add_metric(name="AddressesAdded", unit="Count", value=1)
    return Response(status_code=201, body=address, content_type="application/json")


@app.put("/me/addresses/<address_id>")
def replace_address(address_id: AddressIdParam, request: Annotated[AddressRequest, Body()]) -> Address:
    return customer_service().replace_address(me().customer_id, address_id, _address(request), request.make_default)


@app.delete("/me/addresses/<address_id>", responses={204: {"description": "Done; no content", "content": {}}})
def delete_address(address_id: AddressIdParam) -> Response[None]:
    customer_service().delete_address(me().customer_id, address_id)
    return Response(status_code=204)


@app.post("/me/addresses/<address_id>/default")
def make_default(address_id: AddressIdParam) -> Address:
    return customer_service().make_default(me().customer_id, address_id)


handler = api_handler(app)
