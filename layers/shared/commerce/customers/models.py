"""Customer models shared with other contexts (checkout reads addresses through the customers service)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class AddressInput(BaseModel):
    """A postal address as a customer enters it (address book or a one-off checkout address)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Line = Field(description="Recipient")
    line1: Line
    line2: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    city: Line
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=12)]
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    country: CountryCode
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{6,20}$")] | None = None


class Address(AddressInput):
    """A saved address in a customer's address book."""

    address_id: str
    is_default: bool = False


# ---- accounts -----------------------------------------------------------------------------------
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]  # the pool enforces its policy
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{6,20}$")]
AddressId = Annotated[str, StringConstraints(pattern=r"^adr_[0-9A-Z]{26}$")]


class Tokens(BaseModel):
    """What a successful sign-in (or refresh) returns. ``refresh_token`` only on sign-in."""

    id_token: str = Field(description="Send as the Authorization header to customer routes")
    access_token: str = Field(description="For /auth/sign-out")
    refresh_token: str | None = Field(default=None, description="For /auth/refresh; absent on a refresh")
    expires_in: int = Field(description="Seconds until the ID and access tokens expire")
    token_type: str = "Bearer"


# ---- profile ------------------------------------------------------------------------------------
class Identity(BaseModel):
    """The signed-in customer, from the claims the Cognito authoriser verified."""

    model_config = ConfigDict(frozen=True)

    customer_id: str = Field(min_length=1, description="The Cognito subject (sub)")
    email: str | None = None
    name: str | None = None


class Profile(BaseModel):
    customer_id: str
    email: str | None
    name: str | None
    phone: str | None
    marketing_opt_in: bool
    created_at: str


class ProfileUpdate(BaseModel):
    """PATCH /me: only the fields sent change; ``phone: null`` removes the phone number. The email
    belongs to the sign-in identity and cannot be changed here (an ``email`` field is refused)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: PersonName | None = None
    phone: Phone | None = None
    marketing_opt_in: bool | None = None

    @model_validator(mode="after")
    def _only_phone_can_be_removed(self) -> ProfileUpdate:
        for field in ("name", "marketing_opt_in"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self

    def changes(self) -> dict[str, str | bool | None]:
        """The fields sent, as they should be stored (None means remove)."""
        return {field: getattr(self, field) for field in sorted(self.model_fields_set)}


class ProfileRecord(Profile):
    """The stored PROFILE item: the profile plus the address book's bookkeeping."""

    updated_at: str
    default_address_id: str | None = None
    address_count: int = 0

    def public(self) -> Profile:
        return Profile.model_validate(self.model_dump(include=set(Profile.model_fields)))


# ---- address book -------------------------------------------------------------------------------
class AddressRecord(AddressInput):
    """The stored ADDRESS item. Whether it is the default is not stored here: the profile names the
    default (``default_address_id``), so there is exactly one by construction."""

    address_id: str
    created_at: str
    updated_at: str
    ordinal: int = Field(default=0, description="When it was added, in ns; orders addresses newest first")

    def public(self, default_address_id: str | None) -> Address:
        data = self.model_dump(include=set(AddressInput.model_fields) | {"address_id"})
        return Address(**data, is_default=self.address_id == default_address_id)


class AddressBook(BaseModel):
    items: list[Address] = Field(description="The default address first, then newest first")


# ---- back office --------------------------------------------------------------------------------
class CustomerSummary(BaseModel):
    customer_id: str
    email: str | None
    name: str | None
    created_at: str


class CustomerList(BaseModel):
    customers: list[CustomerSummary] = Field(description="Newest first; with ?q=, by the matching term")
    next_cursor: str | None = Field(description="Pass as ?cursor= (with the same q) for the next page; null at the end")


class CustomerAccount(BaseModel):
    """The customer's sign-in account (the Cognito customer pool)."""

    username: str = Field(exclude=True)  # Cognito's; never shown
    email: str | None
    name: str | None
    enabled: bool
    status: str = Field(description="Cognito's user status: CONFIRMED, UNCONFIRMED, ...")
    created_at: str | None = None


class AccountStatus(BaseModel):
    customer_id: str
    enabled: bool


NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    text: NoteText


class StaffNote(BaseModel):
    """An internal note on a customer, written by staff; customers never see it."""

    note_id: str
    text: str
    author: str = Field(description="staff:<cognito sub>")
    author_email: str | None = None
    created_at: str
