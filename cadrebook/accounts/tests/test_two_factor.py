"""Two-factor sign-in: setting up an app with a real code, signing in with it or a backup
code, the lockout counting wrong codes, the mandatory setting, turning it off, and the
administrator's reset (page and command)."""

from __future__ import annotations

import base64
import datetime as dt
import re
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant, token_create, two_factor_enrol
from cadrebook.accounts.session_keys import ENROLMENT_KEY, SECOND_FACTOR_CHECKED
from cadrebook.core.models import AuditEntry
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-password"
KEY = "3132333435363738393031323334353637383930"  # the RFC 6238 test secret, in hex


def code(key: str, steps: int = 0) -> str:
    """The code an authenticator app shows for `key`, `steps` time steps from now."""
    totp = TOTP(bytes.fromhex(key))
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def make_user(name: str, role: str | None = None, unit: Any = None, **extra: Any) -> Any:
    user = get_user_model().objects.create_user(username=name, password=PASSWORD, **extra)
    if role is not None:
        role_grant(actor=None, user=user, role=role, unit=unit)
    return user


def enrolled(user: Any) -> list[str]:
    """Set up `user`'s app with KEY (the code of the current step); returns backup codes."""
    return two_factor_enrol(actor=user, user=user, key=KEY, code=code(KEY))


def unthrottle(user: Any) -> None:
    """Move django-otp's clock past the wait a wrong code imposes (no sleeping)."""
    past = timezone.now() - dt.timedelta(minutes=5)
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=past)
    StaticDevice.objects.filter(user=user).update(throttling_failure_timestamp=past)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def signed_in_with_the_app(client: Client, user: Any) -> None:
    """`client` signed in as `user` with the second factor shown (django-otp's session key),
    as the two-step sign-in leaves it."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


def test_setting_up_an_app_shows_a_qr_code_and_keeps_the_app_only_after_a_right_code(client):
    user = make_user("clerk", Role.CLERK)
    client.force_login(user)
    page = client.get(reverse("accounts:two_factor_enrol"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html  # drawn here, no outside service
    assert "<script" not in html.split("<body", 1)[1].split("</body>")[0]
    key = client.session[ENROLMENT_KEY]
    secret = re.search(r'data-testid="secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert base64.b32decode(secret).hex() == key  # the key typed in is the key scanned

    wrong = client.post(reverse("accounts:two_factor_enrol"), {"code": "000000"})
    assert wrong.status_code == 422 and "not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()

    done = client.post(reverse("accounts:two_factor_enrol"), {"code": code(key)})
    assert done.status_code == 200
    codes = re.findall(r'<code class="fs-3">([a-z2-7]{8})</code>', done.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=user).confirmed
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == (
        set(codes)
    )
    assert client.session["otp_device_id"]  # this session has shown the second factor
    assert AuditEntry.objects.filter(event_type="two_factor.enrolled", actor=user).exists()
    again = client.get(reverse("accounts:two_factor_enrol"))
    assert again.status_code == 302  # set up already


def test_signing_in_asks_for_the_code_after_the_password(client):
    user = make_user("clerk", Role.CLERK)
    enrolled(user)
    first = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert first.status_code == 302 and first["Location"] == reverse("login_verify")
    assert not signed_in(client)
    assert client.get(reverse("orgs:tree")).status_code == 302  # not signed in yet

    wrong = client.post(reverse("login_verify"), {"code": "123456"})
    assert wrong.status_code == 422 and not signed_in(client)
    failed = AuditEntry.objects.get(event_type="auth.sign_in_failed")
    assert failed.after["reason"] == "wrong_code" and failed.after["username"] == "clerk"

    throttled = client.post(reverse("login_verify"), {"code": code(KEY, 1)})
    assert throttled.status_code == 422 and "wait a few seconds" in throttled.content.decode()
    unthrottle(user)
    # The code of the next step: the one of this step was used to set up the app.
    right = client.post(reverse("login_verify"), {"code": code(KEY, 1)})
    assert right.status_code == 302 and signed_in(client)
    entry = AuditEntry.objects.get(event_type="auth.signed_in")
    assert entry.after["second_factor"] == "totp"
    assert client.get(reverse("orgs:tree")).status_code == 200


def test_a_code_used_once_is_refused_the_second_time(client):
    user = make_user("clerk", Role.CLERK)
    enrolled(user)
    # The same code, worked out once: computed again it could be the next step's when a
    # 30-second step ends between the two sign-ins (a slow machine), which is a new code.
    used = code(KEY, 1)
    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert client.post(reverse("login_verify"), {"code": used}).status_code == 302
    client.post(reverse("logout"))
    other = Client()
    other.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert other.post(reverse("login_verify"), {"code": used}).status_code == 422
    assert not signed_in(other)


def test_a_backup_code_signs_in_once(client):
    user = make_user("clerk", Role.CLERK)
    backup = enrolled(user)[0]
    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    response = client.post(reverse("login_verify"), {"code": backup.upper()[:4] + " " + backup[4:]})
    assert response.status_code == 302 and signed_in(client)
    assert AuditEntry.objects.get(event_type="auth.signed_in").after["second_factor"] == (
        "backup_code"
    )
    assert StaticToken.objects.filter(device__user=user).count() == 9
    client.post(reverse("logout"))
    other = Client()
    other.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert other.post(reverse("login_verify"), {"code": backup}).status_code == 422
    assert not signed_in(other)


def test_wrong_codes_lock_the_sign_in_like_wrong_passwords(client, settings):
    user = make_user("clerk", Role.CLERK)
    enrolled(user)
    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    statuses = [
        client.post(reverse("login_verify"), {"code": "000000"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] in (403, 429) and not signed_in(client)
    # Locked: neither the password nor a right code gets in now.
    again = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert again.status_code in (403, 429) and not signed_in(client)


def test_the_second_step_expires(client):
    user = make_user("clerk", Role.CLERK)
    enrolled(user)
    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    session = client.session
    session["cadrebook_pending_sign_in"]["at"] -= 600
    session.save()
    response = client.post(reverse("login_verify"), {"code": code(KEY, 1)})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not signed_in(client)


def test_without_an_app_the_password_alone_signs_in_by_default(client):
    make_user("clerk", Role.CLERK)
    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302 and signed_in(client)
    assert client.get(reverse("orgs:tree")).status_code == 200


def test_mandatory_for_changers_holds_a_clerk_at_enrolment_but_not_a_viewer(client, settings):
    settings.CADREBOOK_2FA_REQUIRED = "changers"
    clerk = make_user("clerk", Role.CLERK)
    make_user("viewer", Role.VIEWER)
    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert signed_in(client)
    for page in (reverse("orgs:tree"), reverse("members:list"), reverse("accounts:security")):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == reverse("accounts:two_factor_enrol"), page
    assert client.get(reverse("accounts:two_factor_enrol")).status_code == 200
    api = client.get("/api/v1/units")  # nor the API through the browser's session
    assert api.status_code == 403 and api.json()["code"] == "account.incomplete"
    _token, raw = token_create(actor=clerk, user=clerk, name="script")
    with_token = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")  # a token is not held back
    assert with_token.get("/api/v1/units").status_code == 200
    key = client.session[ENROLMENT_KEY]
    client.post(reverse("accounts:two_factor_enrol"), {"code": code(key)})
    assert client.get(reverse("orgs:tree")).status_code == 200  # enrolled: free to go
    assert client.post(reverse("logout")).status_code == 302  # signing out is always open

    viewer = Client()
    viewer.post(reverse("login"), {"username": "viewer", "password": PASSWORD})
    assert viewer.get(reverse("orgs:tree")).status_code == 200

    settings.CADREBOOK_2FA_REQUIRED = "all"
    assert viewer.get(reverse("orgs:tree"))["Location"] == reverse("accounts:two_factor_enrol")


def test_mandatory_two_factor_cannot_be_turned_off(client, settings):
    user = make_user("clerk", Role.CLERK)
    enrolled(user)
    settings.CADREBOOK_2FA_REQUIRED = "changers"
    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    client.post(reverse("login_verify"), {"code": code(KEY, 1)})
    response = client.post(reverse("accounts:two_factor_disable"), {"secret": PASSWORD})
    assert response.status_code == 422 and "mandatory" in response.content.decode()
    assert TOTPDevice.objects.filter(user=user).exists()


def test_turning_it_off_needs_a_code_or_the_password(client):
    user = make_user("viewer", Role.VIEWER)
    enrolled(user)
    signed_in_with_the_app(client, user)
    wrong = client.post(reverse("accounts:two_factor_disable"), {"secret": "guess"})
    assert wrong.status_code == 422 and TOTPDevice.objects.filter(user=user).exists()
    unthrottle(user)
    response = client.post(reverse("accounts:two_factor_disable"), {"secret": code(KEY, 1)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(event_type="two_factor.disabled", actor=user).exists()


def test_new_backup_codes_replace_the_old_ones(client):
    user = make_user("viewer", Role.VIEWER)
    old = enrolled(user)
    signed_in_with_the_app(client, user)
    response = client.post(reverse("accounts:backup_codes"))
    new = re.findall(r'<code class="fs-3">([a-z2-7]{8})</code>', response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    tokens = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert tokens == set(new)
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.fixture
def people() -> dict[str, Any]:
    p1 = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    p2 = unit_create(actor=None, code="P2", name="Tỉnh Hai", kind="province_committee")
    return {
        "national": make_user("national", Role.ADMINISTRATOR),
        "admin1": make_user("admin1", Role.ADMINISTRATOR, p1),
        "organizer": make_user("organizer", Role.ORGANIZER, p1),
        "clerk1": make_user("clerk1", Role.CLERK, p1),
        "clerk2": make_user("clerk2", Role.CLERK, p2),
    }


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_administrator_resets_a_users_two_factor_and_it_is_audited(people):
    clerk = people["clerk1"]
    enrolled(clerk)
    admin = _as(people["admin1"])
    listed = admin.get(reverse("accounts:users")).content.decode()
    assert "clerk1" in listed and "clerk2" not in listed and "national" not in listed
    url = reverse("accounts:user_security", args=[clerk.pk])
    assert admin.get(url).status_code == 200
    response = admin.post(url, {"action": "reset_two_factor"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert not StaticDevice.objects.filter(user=clerk).exists()
    entry = AuditEntry.objects.get(event_type="two_factor.reset")
    assert entry.actor == people["admin1"] and entry.object_id == str(clerk.pk)
    assert entry.unit.code == "P1"  # the administrators of the clerk's unit see it
    # The clerk now signs in with the password alone.
    client = Client()
    client.post(reverse("login"), {"username": "clerk1", "password": PASSWORD})
    assert signed_in(client)


def test_only_administrators_reset_and_only_in_their_scope(people):
    target = people["clerk2"]
    enrolled(target)
    url = reverse("accounts:user_security", args=[target.pk])
    organizer = _as(people["organizer"])  # no admin action anywhere
    assert organizer.get(reverse("accounts:users")).status_code == 403
    assert organizer.post(url, {"action": "reset_two_factor"}).status_code == 403
    admin1 = _as(people["admin1"])  # an administrator of another province
    assert admin1.post(url, {"action": "reset_two_factor"}).status_code == 404
    missing = reverse("accounts:user_security", args=[10**9])
    assert admin1.get(missing).status_code == 404
    own = reverse("accounts:user_security", args=[people["admin1"].pk])
    assert admin1.get(own).status_code == 404  # one's own sign-in is on the Security page
    assert TOTPDevice.objects.filter(user=target).exists()
    assert not AuditEntry.objects.filter(event_type="two_factor.reset").exists()
    national = _as(people["national"])
    assert national.post(url, {"action": "reset_two_factor"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()


def test_reset2fa_command_for_the_administrator_who_lost_their_phone(people, capsys):
    national = people["national"]
    enrolled(national)
    call_command("reset2fa", "national")
    assert "removed" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=national).exists()
    entry = AuditEntry.objects.get(event_type="two_factor.reset")
    assert entry.actor is None and entry.actor_name == "system"
    with pytest.raises(Exception, match="nobody"):
        call_command("reset2fa", "nobody")


def test_the_admin_site_signs_in_through_the_two_step_page(client):
    response = client.get(reverse("admin:login") + "?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/admin/"


def test_an_administrator_of_a_subtree_cannot_take_over_a_superuser_or_another_administrator(
    people,
):
    p1 = people["admin1"].role_assignments.get().unit
    root = make_user("root", Role.VIEWER, p1, is_superuser=True, is_staff=True)
    staff = make_user("staff", Role.CLERK, p1, is_staff=True)
    peer = make_user("admin1b", Role.ADMINISTRATOR, p1)
    admin = _as(people["admin1"])
    listed = admin.get(reverse("accounts:users")).content.decode()
    assert "clerk1" in listed
    for target in (root, staff, peer):
        enrolled(target)
        assert target.username not in listed
        url = reverse("accounts:user_security", args=[target.pk])
        assert admin.post(url, {"action": "reset_two_factor"}).status_code == 404
        new = {"action": "password", "new_password1": "Takeover-9988z"}
        assert admin.post(url, {**new, "new_password2": "Takeover-9988z"}).status_code == 404
        target.refresh_from_db()
        assert target.check_password(PASSWORD) and TOTPDevice.objects.filter(user=target).exists()
    # The national administrator still reaches them.
    national = _as(people["national"])
    url = reverse("accounts:user_security", args=[peer.pk])
    assert national.post(url, {"action": "reset_two_factor"}).status_code == 302


def test_a_locked_out_session_cannot_go_on_guessing_to_turn_two_factor_off(client, settings):
    user = make_user("clerk", Role.CLERK)
    enrolled(user)
    signed_in_with_the_app(client, user)
    url = reverse("accounts:two_factor_disable")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"secret": f"wrong-guess-{n}"})
    right = client.post(url, {"secret": PASSWORD})
    assert right.status_code in (403, 429)
    assert not signed_in(client)
    assert TOTPDevice.objects.filter(user=user).exists()


def test_a_session_signed_in_before_the_app_was_set_up_must_sign_in_again(client):
    """Someone who signed in with the password alone (a stolen password) before the user set
    up an app elsewhere is signed out at once: they can neither go on reading, nor use the
    API through the session, nor turn the second factor off with the password they know."""
    user = make_user("viewer", Role.VIEWER)
    reader = Client()
    for thief in (client, reader):
        thief.post(reverse("login"), {"username": "viewer", "password": PASSWORD})
        assert thief.get(reverse("accounts:tokens")).status_code == 200
    owner = Client()
    owner.post(reverse("login"), {"username": "viewer", "password": PASSWORD})
    key = owner.get(reverse("accounts:two_factor_enrol")) and owner.session[ENROLMENT_KEY]
    assert owner.post(reverse("accounts:two_factor_enrol"), {"code": code(key)}).status_code == 200
    assert owner.get(reverse("accounts:tokens")).status_code == 200  # the owner's session
    response = client.post(reverse("accounts:two_factor_disable"), {"secret": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not signed_in(client)
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    # A read is checked at most once a minute: a minute on, the reader is signed out too.
    session = reader.session
    session[SECOND_FACTOR_CHECKED] -= 60
    session.save()
    assert reader.get("/api/v1/units").status_code == 401
    assert not signed_in(reader)
