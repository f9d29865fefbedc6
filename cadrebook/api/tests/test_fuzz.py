"""Schemathesis against the live schema, every operation, a bounded number of examples each:
no server error and no response that breaks the schema, for a caller with data in scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant, token_create
from cadrebook.members import services as ms
from cadrebook.orgs.services import unit_create

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
EXAMPLES = 8  # per operation: enough to find a crash, few enough for `make test`


@pytest.fixture
def in_process() -> Any:
    """Requests made in-process must not close the test's database connection at their end
    (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db: None, settings: Any, in_process: None) -> dict[str, str]:
    """An organizer of a small province with members, and a token; no rate limits."""
    settings.CADREBOOK_API_WRITES_PER_TOKEN = "100000/min"
    settings.CADREBOOK_API_WRITES_PER_IP = "100000/min"
    settings.CADREBOOK_API_AUTH_FAILURES_PER_IP = "100000/min"
    p = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c = unit_create(actor=None, code="C1", name="Xã Một", kind="commune_committee", parent=p)
    k = unit_create(actor=None, code="K1", name="Chi bộ Một", kind="grassroots_cell", parent=c)
    m = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k,
        date=dt.date(2020, 1, 1),
        full_name="Trần Văn Bình",
        gender="male",
        birth_date=dt.date(1990, 1, 1),
    )
    ms.member_admit(taken_over=True, actor=None, member=m, date=dt.date(2020, 2, 1))
    user = get_user_model().objects.create_user(username="fuzzer")
    role_grant(actor=None, user=user, role=Role.ORGANIZER, unit=p)
    _token, raw = token_create(actor=None, user=user, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_api_fail(case: Any, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance])
