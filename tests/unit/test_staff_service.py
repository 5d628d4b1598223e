"""Staff rules over in-memory fakes: invitations (and their undoing when the email fails), exact
group changes, nobody demoting or disabling themselves, what a sign-in reports, and the audit
browse's choice of listing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from commerce.audit import log as audit_log
from commerce.customers.models import Tokens
from commerce.notifications.models import Email
from commerce.staff.errors import (
    CannotDisableSelf,
    CannotRemoveOwnAdmin,
    InvalidAuditQuery,
    StaffExists,
    StaffNotFound,
    UnknownGroup,
)
from commerce.staff.models import StaffMember
from commerce.staff.service import AuditBrowser, StaffAuthService, StaffService, temporary_password, token_claims


class FakeDirectory:
    def __init__(self) -> None:
        self.accounts: dict[str, StaffMember] = {}

    def add(self, username: str, *groups: str) -> StaffMember:
        member = StaffMember(
            username=username,
            sub=f"sub-{username}",
            email=f"{username}@staff.local",
            name=None,
            groups=sorted(groups),
            enabled=True,
            status="CONFIRMED",
        )
        self.accounts[username] = member
        return member

    def members(self) -> list[StaffMember]:
        return list(self.accounts.values())

    def member(self, username: str) -> StaffMember | None:
        return self.accounts.get(username)

    def create(self, email: str, name: str, temporary_password: str) -> StaffMember:
        if any(m.email == email for m in self.accounts.values()):
            raise StaffExists("taken")
        member = self.add(email.split("@")[0]).model_copy(update={"email": email, "name": name})
        self.accounts[member.username] = member.model_copy(update={"status": "FORCE_CHANGE_PASSWORD"})
        return self.accounts[member.username]

    def delete(self, username: str) -> None:
        del self.accounts[username]

    def _regroup(self, username: str, groups: set[str]) -> None:
        self.accounts[username] = self.accounts[username].model_copy(update={"groups": sorted(groups)})

    def add_to_group(self, username: str, group: str) -> None:
        self._regroup(username, {*self.accounts[username].groups, group})

    def remove_from_group(self, username: str, group: str) -> None:
        self._regroup(username, set(self.accounts[username].groups) - {group})

    def set_enabled(self, username: str, enabled: bool) -> None:
        self.accounts[username] = self.accounts[username].model_copy(update={"enabled": enabled})


class FakeMailer:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Email] = []
        self.fail = fail

    def send(self, email: Email) -> str:
        if self.fail:
            raise RuntimeError("SES refused")
        self.sent.append(email)
        return "msg-1"


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory()


@pytest.fixture
def audited() -> Iterator[Callable[[], list[Any]]]:
    """Inside a staff write, as the API entry point runs one: ``audited()`` is what was recorded."""
    started = audit_log._changes.set([])
    yield audit_log.collected
    audit_log._changes.reset(started)


def test_an_invitation_creates_the_account_in_its_groups_and_emails_the_temporary_password(directory, audited):
    mailer = FakeMailer()
    member = StaffService(directory, mailer, password=lambda: "Temp-Pass-123").invite(
        "grace@staff.local", "Grace", ["order-manager", "finance"]
    )
    assert member.groups == ["finance", "order-manager"] and member.status == "FORCE_CHANGE_PASSWORD"
    [mail] = mailer.sent
    assert mail.to == "grace@staff.local" and "Temp-Pass-123" in mail.text and "Temp-Pass-123" in mail.html
    [change] = audited()
    assert change.entity_type == "staff" and change.before is None
    assert change.after == {
        "email": "grace@staff.local",
        "name": "Grace",
        "groups": ["finance", "order-manager"],
        "enabled": True,
        "status": "FORCE_CHANGE_PASSWORD",
    }


def test_an_invitation_whose_email_fails_is_undone_so_it_can_be_retried(directory, audited):
    with pytest.raises(RuntimeError):
        StaffService(directory, FakeMailer(fail=True)).invite("grace@staff.local", "Grace", ["finance"])
    assert directory.accounts == {} and audited() == []


def test_unknown_groups_are_refused_before_anything_changes(directory):
    directory.add("ann", "finance")
    service = StaffService(directory, FakeMailer())
    with pytest.raises(UnknownGroup) as refused:
        service.invite("new@staff.local", "New", ["finance", "root"])
    assert refused.value.extensions["groups"] == ["root"]
    with pytest.raises(UnknownGroup):
        service.set_groups("sub-boss", "ann", ["gods"])
    assert list(directory.accounts) == ["ann"] and directory.accounts["ann"].groups == ["finance"]


def test_groups_are_set_exactly_and_audited_before_and_after(directory, audited):
    directory.add("ann", "finance", "warehouse")
    after = StaffService(directory, FakeMailer()).set_groups("sub-boss", "ann", ["warehouse", "marketing"])
    assert after.groups == ["marketing", "warehouse"]
    [change] = audited()
    assert (change.before, change.after) == (
        {"groups": ["finance", "warehouse"]},
        {"groups": ["marketing", "warehouse"]},
    )


def test_an_admin_keeps_their_own_admin_group_and_cannot_disable_themselves(directory):
    directory.add("boss", "admin")
    service = StaffService(directory, FakeMailer())
    with pytest.raises(CannotRemoveOwnAdmin):
        service.set_groups("sub-boss", "boss", ["finance"])
    with pytest.raises(CannotDisableSelf):
        service.set_enabled("sub-boss", "boss", enabled=False)
    assert directory.accounts["boss"].groups == ["admin"] and directory.accounts["boss"].enabled
    assert service.set_groups("sub-boss", "boss", ["admin", "finance"]).groups == ["admin", "finance"]
    # another admin may do either
    directory.add("other", "admin")
    assert service.set_groups("sub-other", "boss", ["finance"]).groups == ["finance"]
    assert service.set_enabled("sub-other", "boss", enabled=False).enabled is False


def test_unknown_members_are_not_found(directory):
    service = StaffService(directory, FakeMailer())
    with pytest.raises(StaffNotFound):
        service.set_enabled("sub-boss", "ghost", enabled=True)
    with pytest.raises(StaffNotFound):
        service.set_groups("sub-boss", "ghost", [])


def test_staff_are_listed_by_email(directory):
    directory.add("zed", "finance")
    directory.add("amy", "admin")
    assert [m.username for m in StaffService(directory, FakeMailer()).members().staff] == ["amy", "zed"]


def test_temporary_passwords_are_random_and_meet_both_pools_policies():
    passwords = {temporary_password() for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        assert len(password) >= 12 and any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)


def token(claims: dict[str, Any]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"header.{payload}.signature"


class FakeIdentity:
    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims

    def sign_in(self, email: str, password: str) -> Tokens:
        return Tokens(id_token=token(self.claims), access_token="a", refresh_token="r", expires_in=3600)

    def refresh(self, refresh_token: str) -> Tokens:
        return self.sign_in("", "")

    def complete_new_password(self, session: str, new_password: str) -> Tokens:
        return self.sign_in("", "")


def test_a_sign_in_reports_the_groups_in_the_token_and_what_they_allow():
    session = StaffAuthService(FakeIdentity({"cognito:groups": ["warehouse"]})).sign_in("w@staff.local", "pw")
    assert session.groups == ["warehouse"] and session.permissions == ["MANAGE_INVENTORY", "VIEW_PROFILE"]
    assert session.refresh_token == "r"
    nobody = StaffAuthService(FakeIdentity({})).sign_in("n@staff.local", "pw")
    assert nobody.groups == [] and nobody.permissions == []
    assert token_claims("not a token") == {} and token_claims("a.!!!.c") == {}


class FakeReader:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def of_entity(self, *args: Any) -> tuple[list[Any], None]:
        self.calls.append(("entity", *args))
        return [], None

    def of_actor(self, *args: Any) -> tuple[list[Any], None]:
        self.calls.append(("actor", *args))
        return [], None

    def of_day(self, *args: Any) -> tuple[list[Any], None]:
        self.calls.append(("day", *args))
        return [], None


def test_the_audit_browse_picks_the_listing_and_defaults_to_today():
    reader = FakeReader()
    browser = AuditBrowser(reader, today=lambda: "2026-03-01")
    browser.browse(entity_type="orders", entity_id="ord_1", day="2026-02-01", limit=5)
    browser.browse(actor="staff:abc", limit=5, cursor="c")
    browser.browse(limit=7)
    assert reader.calls == [
        ("entity", "orders", "ord_1", "2026-02-01", 5, None),
        ("actor", "staff:abc", None, 5, "c"),
        ("day", "2026-03-01", 7, None),
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"entity_type": "orders"},
        {"entity_id": "ord_1"},
        {"entity_type": "orders", "entity_id": "ord_1", "actor": "staff:abc"},
        {"day": "2026-02-30"},
    ],
)
def test_the_audit_browse_refuses_queries_that_name_no_one_listing(query):
    with pytest.raises(InvalidAuditQuery):
        AuditBrowser(FakeReader()).browse(**query)
