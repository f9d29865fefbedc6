"""Shared fixtures: the rule set in force, an actor, a small org tree and a member factory."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.core.dates import add_months
from cadrebook.core.rules import Ruleset, current_ruleset, load_ruleset


def _private_settings(base: Path) -> dict[str, Any]:
    """Uploaded files and the progress cache under `base`; background tasks in-process."""
    return {
        "IMPORT_DIR": base / "imports",
        "DOCUMENT_DIR": base / "documents",
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": str(base),
            }
        },
        "TASKS": {
            "default": {
                "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                "QUEUES": ["default"],
            }
        },
        # A test that wants the statistics rebuilt after an import turns this back on.
        "CADREBOOK_STATS_REBUILD_AFTER_IMPORT": False,
    }


class SharedWorld:
    """The files of a world built once for a module (`shared_world`): written under `live`
    while it is built, then kept as they stand (`freeze`) and put back before each test
    (`restore`), as the database's rows are."""

    def __init__(self, base: Path) -> None:
        self.live = base / "live"
        self._frozen = base / "frozen"

    def freeze(self) -> None:
        self.live.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.live, self._frozen)

    def restore(self) -> None:
        # The database rows name these files by their absolute paths: same folder, same files.
        assert self._frozen.exists(), "freeze() the shared world once it is built"
        shutil.rmtree(self.live, ignore_errors=True)
        shutil.copytree(self._frozen, self.live)


@pytest.fixture(scope="module")
def shared_world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[SharedWorld]:
    """For a module whose tests share a world built once, as Django's TestCase.setUpTestData:
    what the module's fixtures write in the database (through the services) goes into one
    transaction, rolled back after the module's last test; each test's own transaction (the
    `db` fixture) is a savepoint inside it, rolled back after that test. The module's world
    fixture builds the world, calls `freeze()`, and hands each test a deep copy of it.

    Only the default database: the one the tests use (a replica, when configured, mirrors it
    and is read from only outside a transaction on the primary)."""
    from django.db import transaction
    from django.test import override_settings

    world = SharedWorld(tmp_path_factory.mktemp("world"))
    with django_db_blocker.unblock(), override_settings(**_private_settings(world.live)):
        atomic = transaction.atomic()
        # As the test case's own: a service's "is my caller in a transaction?" ignores it.
        atomic._from_testcase = True  # type: ignore[attr-defined]
        atomic.__enter__()
        try:
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _private_files(settings: Any, tmp_path_factory: Any, request: Any) -> None:
    """Uploaded files and the progress cache of each test live in a temporary folder, and
    background tasks run in-process (a test that needs the database worker says so). A test
    on a shared world gets that world's files as they were once it was built."""
    values = _private_settings(tmp_path_factory.mktemp("var"))
    if "shared_world" in request.fixturenames:
        world = request.getfixturevalue("shared_world")
        world.restore()
        values.update(IMPORT_DIR=world.live / "imports", DOCUMENT_DIR=world.live / "documents")
    for name, value in values.items():
        setattr(settings, name, value)


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """Each test starts and ends in the default language: a page requested in Vietnamese
    leaves its language active in the thread (the locale middleware does not reset it), and
    the next test on the same worker would read its messages in Vietnamese."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def rules() -> Ruleset:
    """The rule set in force (vn-2025 unless a test switches it)."""
    return current_ruleset()


@pytest.fixture
def ruleset(settings: Any) -> Iterator[Ruleset]:
    """Switch the rule set in force to "test-alt" for one test."""
    load_ruleset.cache_clear()
    settings.RULESET = "test-alt"
    yield current_ruleset()
    load_ruleset.cache_clear()


@pytest.fixture
def actor(db: None, django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="clerk")  # no password: no hashing


@pytest.fixture
def tree(db: None, actor: Any) -> SimpleNamespace:
    """P (province) > C1, C2 (communes); C1 > G1 (grassroots committee) > K1, K2 (cells);
    C2 > GC (grassroots cell)."""
    from cadrebook.orgs.services import unit_create

    def make(code: str, kind: str, parent: Any = None) -> Any:
        return unit_create(actor=actor, code=code, name=f"Unit {code}", kind=kind, parent=parent)

    p = make("P", "province_committee")
    c1 = make("C1", "commune_committee", p)
    c2 = make("C2", "commune_committee", p)
    g1 = make("G1", "grassroots_committee", c1)
    k1 = make("K1", "cell", g1)
    k2 = make("K2", "cell", g1)
    gc = make("GC", "grassroots_cell", c2)
    units = {"P": p, "C1": c1, "C2": c2, "G1": g1, "K1": k1, "K2": k2, "GC": gc}
    for unit in units.values():
        unit.refresh_from_db()
    return SimpleNamespace(**units)


@pytest.fixture
def alt_tree(ruleset: Ruleset, actor: Any) -> SimpleNamespace:
    """Under the "test-alt" rule set: N (national) > B1, B2 (branches)."""
    from cadrebook.orgs.services import unit_create

    n = unit_create(actor=actor, code="N", name="National", kind="national")
    b1 = unit_create(actor=actor, code="B1", name="Branch 1", kind="branch", parent=n)
    b2 = unit_create(actor=actor, code="B2", name="Branch 2", kind="branch", parent=n)
    for unit in (n, b1, b2):
        unit.refresh_from_db()
    return SimpleNamespace(N=n, B1=b1, B2=b2)


@pytest.fixture
def make_member(db: None, actor: Any) -> Callable[..., Any]:
    """Register an applicant in `unit`; admit on `admitted_on`; recognize at the end of
    probation when `recognized`. Everything goes through the services."""
    from cadrebook.members import services

    counter = itertools.count(1)

    def make(
        unit: Any,
        birth_date: dt.date,
        admitted_on: dt.date | None = None,
        recognized: bool = False,
        *,
        registered_on: dt.date | None = None,
        full_name: str | None = None,
        gender: str = "male",
        **personal: Any,
    ) -> Any:
        n = next(counter)
        registered = registered_on or admitted_on or dt.date(2020, 1, 1)
        member = services.member_register_applicant(
            taken_over=True,
            actor=actor,
            unit=unit,
            date=registered,
            full_name=full_name or f"Nguyễn Văn {n}",
            gender=gender,
            birth_date=birth_date,
            **personal,
        )
        if admitted_on is not None:
            services.member_admit(taken_over=True, actor=actor, member=member, date=admitted_on)
            if recognized:
                end = add_months(admitted_on, current_ruleset().int("probation.months"))
                services.member_recognize(taken_over=True, actor=actor, member=member, date=end)
        member.refresh_from_db()
        return member

    return make


@pytest.fixture
def token_clients(db: None) -> Callable[..., dict[str, Any]]:
    """token_clients([(username, role, unit), ...]) -> {username: test client sending that
    user's personal API token}; each user gets the role on the unit (None: everywhere)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from cadrebook.accounts.services import role_grant, token_create

    def make(grants: list[tuple[str, str, Any]]) -> dict[str, Any]:
        clients = {}
        for name, role, unit in grants:
            user = get_user_model().objects.create_user(username=name)
            role_grant(actor=None, user=user, role=role, unit=unit)
            _token, raw = token_create(actor=None, user=user, name=f"{name}-script")
            clients[name] = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return clients

    return make


CHROMIUM = os.environ.get("CADREBOOK_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def page(settings: Any) -> Iterator[Any]:
    """A page of Debian's Chromium driven by Playwright, for the `browser` tests."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium is needed for browser tests: {CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser.new_page()
        browser.close()
