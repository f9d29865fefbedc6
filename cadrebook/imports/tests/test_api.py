"""The imports API as a script drives it: upload with `POST /api/v1/imports`, poll the job,
confirm or cancel it. Session authentication; the test client skips CSRF checks. Tasks run
in-process (ImmediateBackend, see the root conftest), so a job has finished its step when the
request that enqueued it returns."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cadrebook.core.models import AuditEntry
from cadrebook.imports.models import ImportJob, JobStatus
from cadrebook.members.models import Member

from .samples import FULL, GOOD, HEAD, ONE_BAD, downloaded, logged_in

pytestmark = pytest.mark.django_db

API = "/api/v1/imports"
ISSUE_KEYS = {"row", "column", "value", "code", "message", "source"}


def post_file(client: Client, text: str, kind: str = "members", **fields: Any) -> Any:
    upload = SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")
    return client.post(API, {"kind": kind, "file": upload, **fields})


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.content.decode()
    body: dict[str, Any] = response.json()
    return body


def test_an_upload_is_accepted_with_the_address_to_poll_and_validated_without_writing(
    people: SimpleNamespace,
):
    client = logged_in(people.clerk)
    response = post_file(client, GOOD)
    body = created(response)
    assert response["Location"] == f"{API}/{body['id']}"
    assert body["status"] in (JobStatus.QUEUED, JobStatus.VALIDATED)

    polled = client.get(response["Location"])
    assert polled.status_code == 200
    job = polled.json()
    assert job["id"] == body["id"] and job["kind"] == "members"
    assert job["status"] == JobStatus.VALIDATED
    assert job["report"]["rows_read"] == 2
    assert job["report"]["created"] == 2
    assert job["report"]["errors"] == []
    assert job["report"]["committed"] is False
    assert Member.objects.count() == 0


def test_the_report_lists_each_refused_row_with_its_column_value_code_and_rule(
    people: SimpleNamespace,
):
    client = logged_in(people.clerk)
    body = created(post_file(client, ONE_BAD))
    job = client.get(f"{API}/{body['id']}").json()
    report = job["report"]
    assert report["rows_read"] == 3
    assert report["rows_refused"] == 1
    [error] = report["errors"]
    assert set(error) == ISSUE_KEYS
    assert (error["row"], error["column"], error["value"], error["code"]) == (
        3,
        "admitted_on",
        "2025-01-01",
        "admission.too_young",
    )
    assert error["message"] and error["source"]
    assert job["report_url"] == f"/imports/{body['id']}/report.xlsx"
    download = client.get(job["report_url"])
    assert download.status_code == 200
    assert downloaded(download).startswith(b"PK")  # an XLSX file
    assert Member.objects.count() == 0


def test_confirm_true_imports_a_valid_file_at_once(people: SimpleNamespace):
    client = logged_in(people.clerk)
    body = created(post_file(client, GOOD, confirm="true"))
    job = client.get(f"{API}/{body['id']}").json()
    assert job["status"] == JobStatus.DONE
    assert job["report"]["committed"] is True
    assert set(Member.objects.values_list("external_id", flat=True)) == {"A1", "A2"}
    assert AuditEntry.objects.filter(event_type="import.members").count() == 1


def test_confirm_true_writes_nothing_when_a_row_is_refused(people: SimpleNamespace):
    client = logged_in(people.clerk)
    body = created(post_file(client, ONE_BAD, confirm="true"))
    job = client.get(f"{API}/{body['id']}").json()
    assert job["status"] == JobStatus.REFUSED
    assert [e["row"] for e in job["report"]["errors"]] == [3]
    assert Member.objects.count() == 0


def test_confirm_true_with_valid_rows_only_imports_the_good_rows(people: SimpleNamespace):
    client = logged_in(people.clerk)
    body = created(post_file(client, ONE_BAD, confirm="true", valid_rows_only="true"))
    job = client.get(f"{API}/{body['id']}").json()
    assert job["status"] == JobStatus.DONE and job["valid_rows_only"] is True
    assert set(Member.objects.values_list("external_id", flat=True)) == {"A1", "A2"}


def test_committing_a_validated_import_writes_it(people: SimpleNamespace):
    client = logged_in(people.clerk)
    body = created(post_file(client, GOOD))
    assert Member.objects.count() == 0

    response = client.post(f"{API}/{body['id']}/commit")
    assert response.status_code == 202
    job = client.get(f"{API}/{body['id']}").json()
    assert job["status"] == JobStatus.DONE
    assert job["report"]["created"] == 2 and job["report"]["committed"] is True
    assert Member.objects.count() == 2


def test_committing_a_validated_import_with_a_refused_row_writes_nothing(
    people: SimpleNamespace,
):
    client = logged_in(people.clerk)
    body = created(post_file(client, ONE_BAD))
    client.post(f"{API}/{body['id']}/commit")
    job = client.get(f"{API}/{body['id']}").json()
    assert job["status"] == JobStatus.REFUSED
    assert Member.objects.count() == 0


def test_committing_a_finished_import_again_is_a_conflict(people: SimpleNamespace):
    client = logged_in(people.clerk)
    body = created(post_file(client, GOOD, confirm="true"))

    response = client.post(f"{API}/{body['id']}/commit")
    assert response.status_code == 409
    error = response.json()
    assert error["code"] == "import.not_validated"
    assert error["message"]
    assert Member.objects.count() == 2
    assert AuditEntry.objects.filter(event_type="import.members").count() == 1


def test_cancelling_a_validated_import_stops_it_for_good(people: SimpleNamespace):
    client = logged_in(people.clerk)
    body = created(post_file(client, GOOD))

    response = client.post(f"{API}/{body['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == JobStatus.CANCELLED

    response = client.post(f"{API}/{body['id']}/commit")
    assert response.status_code == 409
    assert response.json()["code"] == "import.not_validated"
    again = client.post(f"{API}/{body['id']}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "import.finished"
    assert Member.objects.count() == 0


def test_another_users_import_is_not_found(people: SimpleNamespace):
    owner = logged_in(people.clerk)
    body = created(post_file(owner, GOOD))

    other = logged_in(people.colleague)
    assert other.get(f"{API}/{body['id']}").status_code == 404
    assert other.post(f"{API}/{body['id']}/commit").status_code == 404
    assert other.post(f"{API}/{body['id']}/cancel").status_code == 404
    assert ImportJob.objects.get(pk=body["id"]).status == JobStatus.VALIDATED
    assert Member.objects.count() == 0


def test_an_unknown_import_is_not_found(people: SimpleNamespace):
    client = logged_in(people.clerk)
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"{API}/{missing}").status_code == 404


def test_an_anonymous_caller_is_unauthorized(tree: SimpleNamespace):
    client = Client()
    assert post_file(client, GOOD).status_code == 401
    assert client.get(f"{API}/00000000-0000-4000-8000-000000000000").status_code == 401
    assert ImportJob.objects.count() == 0


def test_an_unknown_kind_is_refused_with_a_code(people: SimpleNamespace):
    client = logged_in(people.clerk)
    response = post_file(client, GOOD, kind="pets")
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "import.kind_unknown"
    assert "members" in error["message"]
    assert ImportJob.objects.count() == 0


def test_a_role_without_the_right_to_import_is_forbidden(people: SimpleNamespace):
    response = post_file(logged_in(people.viewer), GOOD)
    assert response.status_code == 403
    assert response.json()["code"] == "import.not_allowed"

    units = "code,name,kind,parent_code\nK9,Cell 9,cell,G1\n"
    response = post_file(logged_in(people.clerk), units, kind="units")
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_an_oversize_file_is_refused_as_too_large(people: SimpleNamespace, settings: Any):
    settings.CADREBOOK_IMPORT_MAX_BYTES = 100
    response = post_file(logged_in(people.clerk), GOOD)
    assert response.status_code == 413
    assert response.json()["code"] == "file.too_large"
    assert ImportJob.objects.count() == 0


def test_a_hostile_file_is_refused_with_its_file_error(people: SimpleNamespace):
    client = logged_in(people.clerk)
    formula = HEAD + FULL.replace("Nguyễn Văn An", "=1+1")
    body = created(post_file(client, formula, confirm="true"))
    job = client.get(f"{API}/{body['id']}").json()
    assert job["status"] == JobStatus.REFUSED
    assert job["report"]["file_error"]["code"] == "file.formulas"
    assert Member.objects.count() == 0


def test_a_superuser_cannot_commit_someone_elses_import(people: SimpleNamespace):
    body = created(post_file(logged_in(people.clerk), GOOD))
    boss = logged_in(get_user_model().objects.create_superuser(username="boss", password=None))
    assert boss.get(f"{API}/{body['id']}").status_code == 200

    response = boss.post(f"{API}/{body['id']}/commit")
    assert response.status_code == 403
    assert response.json()["code"] == "import.not_yours"
    assert ImportJob.objects.get(pk=body["id"]).status == JobStatus.VALIDATED


def test_a_missing_import_answers_404_with_a_code_and_message_like_other_refusals(
    people: SimpleNamespace,
):
    response = logged_in(people.clerk).get(f"{API}/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert {"code", "message"} <= set(response.json())


def test_a_commit_in_the_worker_is_audited_with_the_token_that_asked_for_it(
    people: SimpleNamespace, monkeypatch: Any
):
    """The worker runs outside the request: the token's name travels with the task."""
    from cadrebook.accounts.services import token_create
    from cadrebook.imports import api as imports_api
    from cadrebook.imports.tasks import commit_import

    _token, raw = token_create(actor=None, user=people.clerk, name="nightly-sync")
    script = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = created(post_file(script, GOOD))
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        imports_api, "commit_import", SimpleNamespace(enqueue=lambda *a: queued.append(a))
    )
    assert script.post(f"{API}/{body['id']}/commit").status_code == 202
    assert script.post(f"{API}/{body['id']}/commit").status_code == 409  # queued once
    assert queued == [(body["id"], people.clerk.pk, "token:nightly-sync")]
    # What the worker then does with those arguments, outside any request.
    assert commit_import.call(*queued[0]) == "done"
    entry = AuditEntry.objects.filter(event_type="import.members").latest("id")
    assert entry.via == "token:nightly-sync"
    # The check after the upload and the confirmation say so too.
    for step in ("import.validated", "import.confirmed"):
        entry = AuditEntry.objects.filter(event_type=step, object_id=body["id"]).get()
        assert (entry.via, entry.actor_id) == ("token:nightly-sync", people.clerk.pk), step
