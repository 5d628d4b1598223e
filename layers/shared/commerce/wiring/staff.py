"""Staff services: sign-in (staff-auth: the staff pool's app client), account management
(staff-manage: the staff pool's admin APIs and SES for invitations) and the audit log's browse
(staff-audit: the audit table, read only)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from commerce.common.settings import EnvModel, from_env

if TYPE_CHECKING:
    from commerce.staff.service import AuditBrowser, StaffAuthService, StaffService


class StaffClientEnv(EnvModel):
    staff_user_pool_client_id: str


class StaffPoolEnv(EnvModel):
    staff_user_pool_id: str
    sender_email: str


class AuditEnv(EnvModel):
    audit_table: str


@cache
def staff_auth_service() -> StaffAuthService:
    from commerce.adapters.staff_cognito import CognitoStaffIdentity
    from commerce.staff.service import StaffAuthService

    return StaffAuthService(CognitoStaffIdentity(from_env(StaffClientEnv).staff_user_pool_client_id))


@cache
def staff_service() -> StaffService:
    from commerce.adapters.email_ses import SesMailer
    from commerce.adapters.staff_cognito import CognitoStaffDirectory
    from commerce.staff.service import StaffService

    env = from_env(StaffPoolEnv)
    return StaffService(CognitoStaffDirectory(env.staff_user_pool_id), SesMailer(env.sender_email))


@cache
def audit_browser() -> AuditBrowser:
    from commerce.adapters.audit_reader_dynamo import DynamoAuditReader
    from commerce.staff.service import AuditBrowser

    return AuditBrowser(DynamoAuditReader(from_env(AuditEnv).audit_table))
