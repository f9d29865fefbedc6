"""Every page is sent with a Content-Security-Policy that runs only the app's own script and
style files, and with the other security headers; no template holds what that policy would
refuse (an inline script, an on...= handler, a style attribute or element, a javascript:
link), so a page that needs one fails here rather than silently in a browser.
(test_browser_csp.py watches the pages themselves in Chromium.)"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant

POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


@pytest.fixture
def admin_client(client: Any, django_user_model: Any, tree: SimpleNamespace) -> Any:
    user = django_user_model.objects.create_user(username="nat")
    role_grant(actor=None, user=user, role=Role.ADMINISTRATOR, unit=None)
    client.force_login(user)
    return client


def _directives(response: Any) -> set[str]:
    return {d.strip() for d in response["Content-Security-Policy"].split(";")}


@pytest.mark.django_db
def test_the_sign_in_page_is_sent_with_the_policy_and_the_security_headers(client: Any):
    response = client.get("/login/")
    assert response.status_code == 200
    assert _directives(response) == set(POLICY)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize(
    "address",
    [
        "/units/",
        "/units/P/",
        "/members/",
        "/reports/?unit=P",
        "/documents/units/P/terms/",
        "/documents/units/P/terms/new/",
        "/evaluations/",
        "/api/v1/docs",
    ],
)
def test_signed_in_pages_are_sent_with_the_policy(admin_client: Any, address: str):
    response = admin_client.get(address)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert _directives(response) == set(POLICY)


# What the policy refuses in a page's markup. A <script> runs only from a file (src=); one
# of type application/json (json_script) is data, never run.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
JAVASCRIPT_URL = re.compile(r"javascript:", re.I)
REFUSED = {
    "inline script": INLINE_SCRIPT,
    "event handler attribute": HANDLER,
    "style attribute": STYLE_ATTRIBUTE,
    "style element": STYLE_ELEMENT,
    "javascript: address": JAVASCRIPT_URL,
}
# Turned into a PDF by WeasyPrint, never sent to a browser: its <style> is the document's.
NOT_SERVED = {"reports/document_pdf.html", "documents/register_pdf.html"}


def _templates() -> list[tuple[str, Path]]:
    base = Path(settings.BASE_DIR)
    roots = [base / "templates", *sorted((base / "cadrebook").glob("*/templates"))]
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.html")):
            name = path.relative_to(root).as_posix()
            if name not in NOT_SERVED:
                found.append((name, path))
    return found


def _refusals(text: str) -> list[str]:
    return [what for what, pattern in REFUSED.items() if pattern.search(text)]


def test_no_template_holds_markup_the_policy_refuses():
    templates = _templates()
    names = {name for name, _path in templates}
    # The project's own and every app's templates are read.
    assert {"base.html", "orgs/_children.html", "members/register.html"} <= names
    assert {"reports/dashboard.html", "imports/_progress.html", "accounts/tokens.html"} <= names
    offending = {name: _refusals(path.read_text()) for name, path in templates}
    assert {name: found for name, found in offending.items() if found} == {}


@pytest.mark.parametrize(
    ("markup", "refused"),
    [
        ('<script>document.getElementById("x").focus();</script>', ["inline script"]),
        ("<script\n  defer>go()</script>", ["inline script"]),
        ('<button type="button"\n  onclick="go()">', ["event handler attribute"]),
        ('<select name="language" onchange="this.form.submit()">', ["event handler attribute"]),
        ('<div class="card" style="max-width: 40rem">', ["style attribute"]),
        ("<style>.x { color: red }</style>", ["style element"]),
        ('<a href="javascript:void(0)">', ["javascript: address"]),
        ('<script src="/static/cadrebook.js" defer></script>', []),
        ('<script id="x-option" type="application/json">{"a": 1}</script>', []),
        ('<div class="chart" data-chart="pyramid" data-autofocus>', []),
        ("<p>Decided on=the 5th; style=plain</p>", []),
    ],
)
def test_the_template_check_tells_refused_markup_from_allowed(markup: str, refused: list[str]):
    assert _refusals(markup) == refused
