"""In a real Chromium: an administrator goes through every main page of the demo province,
clicking what runs script (the tree's toggles, the htmx searches, a refused form, the
dashboard's charts, an import's progress, the API's documentation), and the browser reports
no breach of the Content-Security-Policy, while what moved out of the templates into
static/cadrebook.js still works."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest

from cadrebook.demo.generator import generate
from cadrebook.demo.logins import DEMO_PASSWORD, create_demo_users
from cadrebook.demo.people import FORCED_NAMES
from cadrebook.imports.services import import_job_create
from cadrebook.imports.tests.samples import HEAD
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30_000  # ms

# Runs in every document before its own scripts: hands each violation the page reports to
# the test at once (so none is lost when the page is left).
WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.cspViolation(
    document.location.pathname + ": " + e.violatedDirective + " blocked "
    + (e.blockedURI || "inline") + " at " + (e.sourceFile || "the page") + ":" + e.lineNumber
  );
});
"""


@pytest.fixture
def province(settings: Any) -> dict[str, Any]:
    """The demo province (small) with its logins, and an import waiting for the worker."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    generate(
        seed=1,
        communes=2,
        grassroots_per_commune=2,
        cells_per_grassroots=2,
        members=120,
        today=dt.date.today(),
    )
    create_demo_users()
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="national")
    # Created, never run (no worker picks it up here): its page keeps polling its progress.
    job = import_job_create(
        actor=admin,
        kind="members",
        source=io.BytesIO(HEAD.encode()),
        filename="members.csv",
    )
    root = OrgUnit.objects.get_first_root_node()
    member = (
        Member.objects.filter(full_name=FORCED_NAMES[0], status__in=("probationary", "full"))
        .order_by("id")
        .first()
    )
    assert member is not None
    return {"root": root, "member": member, "job": job}


class Watcher:
    """What the browser said about the policy: the securitypolicyviolation events of every
    document, the console's "Content Security Policy" messages, and uncaught script errors."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.events: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        page.expose_function("cspViolation", lambda text: self.events.append(text))
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def visit(self, path: str) -> None:
        self.page.goto(self.base + path)


def test_every_main_page_runs_within_the_content_security_policy(
    live_server: Any, page: Any, province: dict[str, Any]
) -> None:
    page.set_default_timeout(TIMEOUT)
    watch = Watcher(page, live_server.url)
    root: OrgUnit = province["root"]
    member: Member = province["member"]

    response = page.goto(live_server.url + "/login/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    page.fill("#id_username", "national")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Organization tree")

    # The tree: a toggle fetches the children by htmx, folds them away, fetches them again.
    toggle = page.locator(f"li[data-code='{root.code}'] > button.toggle")
    children = page.locator(f"#children-{root.pk}")
    toggle.click()
    children.locator("li.tree-row").first.wait_for()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert "ti-chevron-down" in toggle.locator("i").get_attribute("class")
    toggle.click()
    page.wait_for_function(f"!document.querySelector('#children-{root.pk} li')")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert "ti-chevron-right" in toggle.locator("i").get_attribute("class")
    toggle.click()
    children.locator("li.tree-row").first.wait_for()

    # A unit's page, its member list searched by htmx, a member's dossier.
    watch.visit(f"/units/{member.unit.code}/")
    page.fill("#q", "dang duc uoc")
    page.wait_for_selector(f"#member-list >> text={member.full_name}")
    watch.visit("/members/")
    page.fill("#id_q", "dang duc uoc")
    page.wait_for_selector(f"#member-rows >> text={member.full_name}")
    watch.visit(f"/members/{member.pk}/")
    page.wait_for_selector("[data-testid=timeline]")

    # A refused action: the summary of what to correct takes the focus.
    page.click("[data-testid=actions] >> text=Issue a transfer")
    page.fill("#id_to_unit", "NO-SUCH-UNIT")
    page.fill("#id_document", "9-QĐ/ĐU")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=error-summary]")
    assert page.evaluate("document.activeElement.dataset.testid") == "error-summary"

    # Registering with nothing filled in: refused, the summary focused.
    watch.visit(f"/members/register/{member.unit.code}/")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=error-summary]")
    assert page.evaluate("document.activeElement.dataset.testid") == "error-summary"

    # Imports: the list, the upload form, an import waiting for the worker (its progress
    # polled by htmx), the export form.
    watch.visit("/imports/")
    watch.visit("/imports/new/")
    watch.visit(f"/imports/{province['job'].pk}/")
    page.wait_for_selector("#progress progress")
    with page.expect_response(lambda r: "/progress/" in r.url):
        pass
    watch.visit("/imports/export/")

    # Targets, evaluation rounds, reports, the audit log, tokens.
    watch.visit("/targets/")
    watch.visit(f"/targets/{root.code}/set/")
    watch.visit("/evaluations/")
    watch.visit(f"/evaluations/open/{root.code}/")
    watch.visit("/reports/compose/")
    watch.visit("/reports/issued/")
    watch.visit(f"/audit/unit/{root.code}/")
    watch.visit("/account/tokens/")
    watch.visit("/admin/")

    # The dashboard draws its charts from the JSON the page embeds.
    watch.visit(f"/reports/?unit={root.code}")
    page.wait_for_selector("[data-chart] canvas")
    assert page.locator("[data-chart] canvas").count() >= 1
    height = page.evaluate("document.querySelector('[data-chart]').getBoundingClientRect().height")
    assert height == 320  # from cadrebook.css, not a style attribute
    # Its tooltips: ECharts' HTML ones carry style attributes the policy refuses, so the page
    # has them drawn on the canvas (static/cadrebook-dashboard.js).
    box = page.locator("[data-chart] canvas").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)

    # The language menu submits itself (static/cadrebook.js) and the page comes back.
    with page.expect_navigation():
        page.select_option("select[name=language]", "vi")
    assert page.input_value("select[name=language]") == "vi"

    # The API's documentation (django-ninja's Swagger UI, from static files).
    watch.visit("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info")

    page.wait_for_timeout(300)  # a last violation's event reaches the test
    assert watch.events == []
    assert watch.console == []
    assert watch.errors == []
