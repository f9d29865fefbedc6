"""Personal API tokens: created (shown once, stored hashed), used as Bearer, timed,
expired, revoked; API writes audited with the token's name."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cadrebook.accounts.models import ApiToken
from cadrebook.accounts.roles import Role
from cadrebook.accounts.selectors import token_digest
from cadrebook.accounts.services import role_grant, token_create, token_revoke
from cadrebook.core.models import AuditEntry
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db
STATS = "/api/v1/reports/stats"


@pytest.fixture
def clerk():
    user = get_user_model().objects.create_user(username="clerk")
    p = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    role_grant(actor=None, user=user, role=Role.ORGANIZER, unit=p)
    return user


def _get(raw: str, url: str = STATS) -> int:
    query = {"unit": "P1", "from": "2024-01-01", "to": "2024-12-31"}
    return Client().get(url, query, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def test_a_token_is_shown_once_stored_hashed_and_acts_as_its_user(clerk):
    token, raw = token_create(actor=clerk, user=clerk, name="portal")
    assert raw.startswith("cb_") and len(raw) > 40
    assert token.digest == token_digest(raw) and raw not in str(ApiToken.objects.values())
    assert _get(raw) == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert _get(raw + "x") == 401
    assert Client().get(STATS).status_code == 401


def test_an_expired_or_revoked_token_no_longer_works(clerk):
    _token, raw = token_create(
        actor=clerk, user=clerk, name="short", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    ApiToken.objects.filter(name="short").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert _get(raw) == 401
    token, raw = token_create(actor=clerk, user=clerk, name="long")
    assert _get(raw) == 200
    token_revoke(actor=clerk, token=token)
    assert _get(raw) == 401
    events = set(AuditEntry.objects.values_list("event_type", flat=True))
    assert {"token.created", "token.revoked"} <= events


def test_names_are_unique_per_user_and_expiry_lies_ahead(clerk):
    from cadrebook.core.errors import ServiceError

    token_create(actor=clerk, user=clerk, name="portal")
    with pytest.raises(ServiceError) as info:
        token_create(actor=clerk, user=clerk, name="portal")
    assert info.value.code == "token.name_taken"
    with pytest.raises(ServiceError):
        token_create(actor=clerk, user=clerk, name="old", expires_at=timezone.now())
    assert ApiToken.objects.count() == 1


def test_api_writes_are_audited_with_the_tokens_name(clerk, tmp_path):
    _token, raw = token_create(actor=clerk, user=clerk, name="script")
    body = b"unit_code,year,indicator,target\nP1,2024,admissions,5\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = Client().post(
        "/api/v1/imports",
        {"kind": "targets", "file": SimpleUploadedFile("t.csv", body)},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code in (200, 201, 202), response.content
    entries = AuditEntry.objects.filter(actor=clerk).exclude(event_type__startswith="token.")
    assert entries.exists() and all(e.via == "token:script" for e in entries)
    # A browser request afterwards in the same thread is not taken for the token.
    browser = Client()
    browser.force_login(clerk)
    browser.post(reverse("set_language"), {"language": "vi"})
    assert AuditEntry.objects.get(event_type="preference.language").via == ""


def test_tokens_from_the_command_line(clerk):
    out = StringIO()
    call_command(
        "token",
        "create",
        "--user",
        "clerk",
        "--name",
        "cron",
        "--expires",
        "2999-01-01",
        stdout=out,
        stderr=StringIO(),
    )
    raw = out.getvalue().strip()
    assert _get(raw) == 200
    listing = StringIO()
    call_command("token", "list", "--user", "clerk", stdout=listing)
    assert "cron" in listing.getvalue() and raw not in listing.getvalue()
    call_command("token", "revoke", "--user", "clerk", "--name", "cron", stdout=StringIO())
    assert _get(raw) == 401
    with pytest.raises(CommandError):
        call_command("token", "create", "--user", "nobody", "--name", "x")
    with pytest.raises(CommandError):
        call_command("token", "create", "--user", "clerk", "--name", "x", "--expires", "31/02/2020")


def test_tokens_page_creates_lists_and_revokes_after_confirmation(clerk):
    c = Client()
    c.force_login(clerk)
    response = c.post(reverse("accounts:tokens"), {"create": "1", "name": "portal"})
    raw = response.context["created"]
    assert raw and raw in response.content.decode()
    assert raw not in c.get(reverse("accounts:tokens")).content.decode()  # shown once
    token = ApiToken.objects.get(name="portal")
    url = reverse("accounts:token_revoke", args=[token.pk])
    assert c.get(url).status_code == 200 and _get(raw) == 200  # asking is not revoking
    assert c.post(url).status_code == 302
    assert _get(raw) == 401
    other = get_user_model().objects.create_user(username="other")
    c.force_login(other)
    mine, _raw = token_create(actor=clerk, user=clerk, name="mine")
    assert c.get(reverse("accounts:token_revoke", args=[mine.pk])).status_code == 404


def test_refused_tokens_are_audited_with_the_account_they_name(clerk):
    assert _get("cb_not-a-token") == 401
    unknown = AuditEntry.objects.get(event_type="auth.sign_in_failed")
    assert unknown.action == "refused" and unknown.after["via"] == "token"
    assert unknown.after["reason"] == "unknown_or_revoked_token"
    _token, raw = token_create(
        actor=clerk, user=clerk, name="short", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    ApiToken.objects.filter(name="short").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert _get(raw) == 401
    expired = AuditEntry.objects.filter(event_type="auth.sign_in_failed").first()
    assert expired.after == {
        "username": "clerk",
        "address": "127.0.0.1",
        "via": "token:short",
        "reason": "expired_token",
    }
    assert expired.object_id == str(clerk.pk) and expired.unit.code == "P1"
