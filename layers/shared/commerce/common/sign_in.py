"""What the two sign-in APIs share (the storefront's /auth and the back office's /admin/auth): the
request bodies of sign-in and refresh and their building blocks, strict and closed (an unknown field
is refused), so both pools' routes validate alike. Passwords, codes and tokens are never logged."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from commerce.customers.models import Email, Password

Code = Annotated[str, Field(min_length=1, max_length=64)]
Token = Annotated[str, Field(min_length=1, max_length=8192)]
# An authenticator app's code (RFC 6238 TOTP: six digits)
TotpCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class AuthRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SignIn(AuthRequest):
    email: Email
    password: Password


class Refresh(AuthRequest):
    refresh_token: Token
