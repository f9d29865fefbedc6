"""A signed-in session ends after its lifetime and after a time without activity; the
activity is noted at most once a minute (no session write on every request)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.session_keys import LAST_SEEN, SIGNED_IN_AT

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def client_in(client: Client) -> Client:
    get_user_model().objects.create_user(username="clerk", password="long-enough-pw-1")
    client.post(reverse("login"), {"username": "clerk", "password": "long-enough-pw-1"})
    assert "_auth_user_id" in client.session
    return client


def _shift(client: Client, key: str, seconds: int) -> None:
    """Move the session's clock back by `seconds` (rather than waiting)."""
    session = client.session
    session[key] -= seconds
    session.save()


def test_an_idle_session_is_signed_out_after_the_idle_time(client_in, settings):
    settings.CADREBOOK_SESSION_IDLE_SECONDS = 30 * 60
    _shift(client_in, LAST_SEEN, 29 * 60)
    assert client_in.get(reverse("orgs:tree")).status_code == 200  # not yet
    _shift(client_in, LAST_SEEN, 31 * 60)
    response = client_in.get(reverse("orgs:tree"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client_in.session
    page = client_in.get(response["Location"]).content.decode()
    assert 'data-testid="timed-out"' in page


def test_a_session_ends_after_its_lifetime_even_when_active(client_in, settings):
    settings.SESSION_COOKIE_AGE = 12 * 3600
    _shift(client_in, SIGNED_IN_AT, 12 * 3600 + 5)
    response = client_in.get(reverse("orgs:tree"))
    assert response.status_code == 302 and "_auth_user_id" not in client_in.session


def test_activity_is_noted_at_most_once_a_minute(client_in):
    seen = client_in.session[LAST_SEEN]
    client_in.get(reverse("orgs:tree"))
    assert client_in.session[LAST_SEEN] == seen  # within the minute: no write
    _shift(client_in, LAST_SEEN, 61)
    client_in.get(reverse("orgs:tree"))
    assert client_in.session[LAST_SEEN] >= seen


def test_no_idle_limit_when_set_to_zero(client_in, settings):
    settings.CADREBOOK_SESSION_IDLE_SECONDS = 0
    _shift(client_in, LAST_SEEN, 24 * 3600)
    assert client_in.get(reverse("orgs:tree")).status_code == 200


def _settings(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CADREBOOK_")}
    clean.update({"CADREBOOK_VAR_DIR": str(tmp_path), **env})
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_AGE, s.CADREBOOK_SESSION_IDLE_SECONDS,"
        " s.CADREBOOK_2FA_REQUIRED, bool(s.EMAIL_HOST))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_the_settings_come_from_the_environment(tmp_path: Any):
    default = _settings({}, tmp_path)
    assert default.stdout.split() == ["43200", "1800", "off", "False"], default.stderr
    chosen = _settings(
        {
            "CADREBOOK_SESSION_HOURS": "8",
            "CADREBOOK_SESSION_IDLE_MINUTES": "15",
            "CADREBOOK_2FA_REQUIRED": "changers",
            "CADREBOOK_EMAIL_HOST": "smtp.example.org",
        },
        tmp_path,
    )
    assert chosen.stdout.split() == ["28800", "900", "changers", "True"], chosen.stderr
    wrong = _settings({"CADREBOOK_2FA_REQUIRED": "sometimes"}, tmp_path)
    assert wrong.returncode != 0 and "CADREBOOK_2FA_REQUIRED" in wrong.stderr
