"""The audit log: every write service leaves an entry, and nobody can change the log.

The services are discovered by introspection, so a new service without a scenario here fails
`test_every_write_service_leaves_an_audit_entry`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import io
import pkgutil
from collections.abc import Callable
from decimal import Decimal
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from cadrebook.accounts import services as accounts_services
from cadrebook.cadres import services as cadres_services
from cadrebook.core.audit import audit_record
from cadrebook.core.models import AuditEntry, AuditLogIsAppendOnly
from cadrebook.documents import services as documents_services
from cadrebook.evaluations import services as evaluations_services
from cadrebook.imports import services as imports_services
from cadrebook.inspections import services as inspections_services
from cadrebook.members import services as ms
from cadrebook.orgs import services as orgs_services
from cadrebook.reports import services as reports_services

D = dt.date
BIRTH = D(1990, 1, 1)
ADMITTED = D(2024, 1, 10)

MODULES = [
    ms,
    orgs_services,
    accounts_services,
    evaluations_services,
    documents_services,
    imports_services,
    reports_services,
    inspections_services,
    cadres_services,
]

# Every public function of a service module writes. What only reads lives in the app's
# selectors (or is a private helper of the services), so no function here is exempt.


def _modules_of(module: ModuleType) -> list[ModuleType]:
    """A service module, or every module of a service package (`members/services/`); a
    private module of the package (`_checks.py`: the checks its services share) holds no
    services."""
    if not hasattr(module, "__path__"):
        return [module]
    found = [module]
    for info in pkgutil.iter_modules(module.__path__, prefix=f"{module.__name__}."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        found.append(importlib.import_module(info.name))
    return found


def discovered_services() -> list[str]:
    """Every public function of a service module, or of any module of a service package;
    named as callers import it: from the package, which must re-export it."""
    names = []
    for package in MODULES:
        for module in _modules_of(package):
            for name, fn in inspect.getmembers(module, inspect.isfunction):
                if fn.__module__ != module.__name__ or name.startswith("_"):
                    continue
                assert getattr(package, name, None) is fn, (
                    f"{module.__name__}.{name} is not re-exported by {package.__name__}"
                )
                names.append(f"{package.__name__}.{name}")
    return sorted(names)


# One scenario per service: set up what the call needs, return the call itself. ------------
Scenario = Callable[[SimpleNamespace], Callable[[], Any]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        SCENARIOS[name] = fn
        return fn

    return register


def _probationary(c: SimpleNamespace) -> Any:
    return c.make_member(c.tree.K1, BIRTH, ADMITTED)


def _full(c: SimpleNamespace) -> Any:
    return c.make_member(c.tree.K1, BIRTH, ADMITTED, recognized=True)


M = "cadrebook.members.services."


@scenario(M + "member_record_event")
def _(c):
    m = _full(c)
    return lambda: ms.member_record_event(
        actor=c.actor, member=m, type="exempted", date=D(2025, 6, 1), reason="health"
    )


@scenario(M + "member_correct_event")
def _(c):
    m = _full(c)
    ev = ms.member_exempt(actor=c.actor, member=m, date=D(2025, 6, 1), reason="health")
    return lambda: ms.member_correct_event(actor=c.actor, event=ev, reason="typo", void=True)


@scenario(M + "member_register_applicant")
def _(c):
    return lambda: ms.member_register_applicant(
        taken_over=True,
        actor=c.actor,
        unit=c.tree.K1,
        date=D(2025, 1, 1),
        full_name="Lê Thị Hoa",
        gender="female",
        birth_date=BIRTH,
    )


@scenario(M + "member_update_personal")
def _(c):
    m = _full(c)
    return lambda: ms.member_update_personal(
        actor=c.actor, member=m, version=m.version, phone="0900000000"
    )


@scenario(M + "member_national_id_clash_record")
def _(c):
    m = _full(c)
    refusal = ms.NationalIdTaken("001090000001", m.pk, hidden=True)
    return lambda: ms.member_national_id_clash_record(actor=c.actor, refusal=refusal, via="api")


@scenario(M + "member_set_card")
def _(c):
    m = _full(c)
    return lambda: ms.member_set_card(actor=c.actor, member=m, card_number="01.234567")


@scenario(M + "member_propose_admission")
def _(c):
    m = c.make_member(c.tree.K1, BIRTH, registered_on=D(2024, 1, 1))
    return lambda: ms.member_propose_admission(actor=c.actor, member=m, date=D(2024, 1, 8))


@scenario(M + "member_extend_decision")
def _(c):
    m = _probationary(c)
    return lambda: ms.member_extend_decision(
        actor=c.actor, member=m, date=D(2025, 2, 3), document="9-QĐ/ĐU"
    )


@scenario(M + "member_admit")
def _(c):
    m = c.make_member(c.tree.K1, BIRTH, registered_on=D(2024, 1, 1))
    return lambda: ms.member_admit(taken_over=True, actor=c.actor, member=m, date=ADMITTED)


@scenario(M + "member_recognize")
def _(c):
    m = _probationary(c)
    return lambda: ms.member_recognize(
        taken_over=True, actor=c.actor, member=m, date=D(2025, 1, 10)
    )


@scenario(M + "member_not_recognize")
def _(c):
    m = _probationary(c)
    return lambda: ms.member_not_recognize(
        taken_over=True, actor=c.actor, member=m, date=D(2025, 1, 10)
    )


@scenario(M + "member_transfer_out")
def _(c):
    m = _full(c)
    return lambda: ms.member_transfer_out(
        actor=c.actor, member=m, date=D(2025, 6, 1), to_unit=c.tree.K2
    )


@scenario(M + "member_transfer_accept")
def _(c):
    m = _full(c)
    ms.member_transfer_out(actor=c.actor, member=m, date=D(2025, 6, 1), to_unit=c.tree.K2)
    m.refresh_from_db()
    return lambda: ms.member_transfer_accept(actor=c.actor, member=m, date=D(2025, 6, 10))


@scenario(M + "member_transfer_return")
def _(c):
    m = _full(c)
    ms.member_transfer_out(actor=c.actor, member=m, date=D(2025, 6, 1), to_unit=c.tree.K2)
    return lambda: ms.member_transfer_return(
        actor=c.actor, member=m, date=D(2025, 6, 10), reason="wrong cell"
    )


@scenario(M + "member_transfer")
def _(c):
    m = _full(c)
    return lambda: ms.member_transfer(
        actor=c.actor, member=m, date=D(2025, 6, 1), to_unit=c.tree.K2
    )


@scenario(M + "member_temporary_transfer")
def _(c):
    m = _full(c)
    return lambda: ms.member_temporary_transfer(
        taken_over=True, actor=c.actor, member=m, date=D(2025, 6, 1), host=c.tree.K2
    )


@scenario(M + "member_temporary_transfer_end")
def _(c):
    m = _full(c)
    ms.member_temporary_transfer(
        taken_over=True, actor=c.actor, member=m, date=D(2025, 6, 1), host=c.tree.K2
    )
    return lambda: ms.member_temporary_transfer_end(actor=c.actor, member=m, date=D(2025, 9, 1))


@scenario(M + "member_exempt")
def _(c):
    m = _full(c)
    return lambda: ms.member_exempt(actor=c.actor, member=m, date=D(2025, 6, 1), reason="age")


@scenario(M + "member_exemption_end")
def _(c):
    m = _full(c)
    ms.member_exempt(actor=c.actor, member=m, date=D(2025, 6, 1), reason="age")
    return lambda: ms.member_exemption_end(actor=c.actor, member=m, date=D(2025, 9, 1))


@scenario(M + "member_remove")
def _(c):
    m = _full(c)
    return lambda: ms.member_remove(
        taken_over=True, actor=c.actor, member=m, date=D(2025, 6, 1), reason="absent"
    )


@scenario(M + "member_expel")
def _(c):
    from cadrebook.members.expulsion import by_discipline_decision

    m = _full(c)

    def call() -> Any:
        with by_discipline_decision():  # the discipline service's route
            return ms.member_expel(
                taken_over=True, actor=c.actor, member=m, date=D(2025, 6, 1), reason="fraud"
            )

    return call


@scenario(M + "member_record_death")
def _(c):
    m = _full(c)
    return lambda: ms.member_record_death(
        taken_over=True, actor=c.actor, member=m, date=D(2025, 6, 1)
    )


@scenario(M + "member_readmit")
def _(c):
    m = _full(c)
    ms.member_remove(taken_over=True, actor=c.actor, member=m, date=D(2025, 6, 1), reason="absent")
    m.refresh_from_db()
    m2 = c.make_member(c.tree.K1, BIRTH, D(2018, 1, 10), recognized=True)
    ms.member_remove(
        taken_over=True, actor=c.actor, member=m2, date=D(2020, 1, 10), reason="absent"
    )
    return lambda: ms.member_readmit(taken_over=True, actor=c.actor, member=m2, date=D(2023, 1, 10))


@scenario(M + "unit_move")
def _(c):
    return lambda: ms.unit_move(
        actor=c.actor, unit=c.tree.K2, new_parent=c.tree.C1, date=D(2025, 6, 1)
    )


@scenario(M + "unit_dissolve")
def _(c):
    return lambda: ms.unit_dissolve(actor=c.actor, unit=c.tree.K2, date=D(2025, 6, 1))


@scenario(M + "unit_restore")
def _(c):
    ms.unit_dissolve(actor=c.actor, unit=c.tree.K2, date=D(2025, 6, 1))
    return lambda: ms.unit_restore(actor=c.actor, unit=c.tree.K2, reason="Appeal upheld")


@scenario(M + "unit_merge")
def _(c):
    c.make_member(c.tree.K2, BIRTH, ADMITTED)
    return lambda: ms.unit_merge(actor=c.actor, unit=c.tree.K2, into=c.tree.K1, date=D(2025, 6, 1))


@scenario(M + "units_merge")
def _(c):
    return lambda: ms.units_merge(
        actor=c.actor, units=[c.tree.C1], into=c.tree.C2, date=D(2025, 6, 1)
    )


ORGS = "cadrebook.orgs.services."


@scenario(ORGS + "unit_create")
def _(c):
    return lambda: orgs_services.unit_create(
        actor=c.actor, code="K3", name="Cell 3", kind="cell", parent=c.tree.G1
    )


@scenario(ORGS + "unit_rename")
def _(c):
    return lambda: orgs_services.unit_rename(actor=c.actor, unit=c.tree.K1, name="Chi bộ Một")


A = "cadrebook.accounts.services."


@scenario(A + "role_grant")
def _(c):
    user = accounts_services.user_create(actor=c.actor, username="viewer1", password="pw-123456")
    return lambda: accounts_services.role_grant(
        actor=c.actor, user=user, role="viewer", unit=c.tree.P
    )


@scenario(A + "preference_set_language")
def _(c):
    return lambda: accounts_services.preference_set_language(user=c.actor, language="km")


@scenario(A + "token_create")
def _(c):
    return lambda: accounts_services.token_create(actor=c.actor, user=c.actor, name="portal")


@scenario(A + "token_revoke")
def _(c):
    token, _raw = accounts_services.token_create(actor=c.actor, user=c.actor, name="old")
    return lambda: accounts_services.token_revoke(actor=c.actor, token=token)


@scenario(A + "sign_in_record")
def _(c):
    return lambda: accounts_services.sign_in_record(user=c.actor, address="10.0.0.1")


@scenario(A + "sign_in_failure_record")
def _(c):
    return lambda: accounts_services.sign_in_failure_record(
        username="clerk", address="10.0.0.1", via="browser", reason="wrong_credentials"
    )


@scenario(A + "user_create")
def _(c):
    return lambda: accounts_services.user_create(
        actor=c.actor, username="newclerk", password="pw-123456"
    )


def _totp_code(key: str) -> str:
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key)):06d}"


TOTP_KEY = "3132333435363738393031323334353637383930"


def _enrolled(user: Any) -> Any:
    accounts_services.two_factor_enrol(
        actor=user, user=user, key=TOTP_KEY, code=_totp_code(TOTP_KEY)
    )
    return user


@scenario(A + "two_factor_enrol")
def _(c):
    return lambda: accounts_services.two_factor_enrol(
        actor=c.actor, user=c.actor, key=TOTP_KEY, code=_totp_code(TOTP_KEY)
    )


@scenario(A + "two_factor_backup_codes_renew")
def _(c):
    _enrolled(c.actor)
    return lambda: accounts_services.two_factor_backup_codes_renew(actor=c.actor, user=c.actor)


@scenario(A + "two_factor_disable")
def _(c):
    _enrolled(c.actor)
    return lambda: accounts_services.two_factor_disable(actor=c.actor, user=c.actor)


@scenario(A + "two_factor_reset")
def _(c):
    _enrolled(c.actor)
    return lambda: accounts_services.two_factor_reset(actor=None, user=c.actor)


@scenario(A + "password_change")
def _(c):
    return lambda: accounts_services.password_change(
        actor=c.actor, user=c.actor, password="a-much-longer-passphrase"
    )


@scenario(A + "password_reset")
def _(c):
    return lambda: accounts_services.password_reset(
        actor=None, user=c.actor, password="a-temporary-passphrase", must_change=True
    )


E = "cadrebook.evaluations.services."


@scenario(E + "target_set")
def _(c):
    return lambda: evaluations_services.target_set(
        actor=c.actor, unit=c.tree.G1, year=2024, indicator="admissions", target=12
    )


DOC = "cadrebook.documents.services."
PDF = b"%PDF-1.7\n%%EOF\n"


def _round(c: SimpleNamespace) -> Any:
    """G1's yearly round of 2025 over one full member of K1."""
    _full(c)
    return evaluations_services.round_open(
        actor=c.actor,
        unit=c.tree.G1,
        kind="yearly",
        year=2025,
        reference_date=D(2025, 12, 15),
        self_assessment_until=D(2025, 12, 20),
        proposals_until=D(2025, 12, 25),
        decisions_until=D(2025, 12, 31),
    )


def _member_subject(c: SimpleNamespace) -> Any:
    return _round(c).subjects.get(kind="member")


def _decided_round(c: SimpleNamespace) -> tuple[Any, Any]:
    """The round with its subjects decided (K1 and K2 first, then the member), and the
    document."""
    _organizer(c)
    doc = _document(c, issuer=c.tree.G1)  # the deciding unit's own document
    round_ = _round(c)
    for subject in round_.subjects.order_by("-kind", "id"):  # the cells before the member
        evaluations_services.subject_decide(
            actor=c.actor,
            subject=subject,
            deciding_unit=c.tree.G1,
            level="good",
            score=Decimal(80),
            document=doc,
        )
    return round_, doc


@scenario(E + "round_open")
def _(c):
    _full(c)
    return lambda: _round(c)


@scenario(E + "subject_mark")
def _(c):
    subject = _member_subject(c)
    return lambda: evaluations_services.subject_mark(
        actor=c.actor, subject=subject, excluded="suspended"
    )


@scenario(E + "round_mark_outstanding")
def _(c):
    round_ = _round(c)
    return lambda: evaluations_services.round_mark_outstanding(
        actor=c.actor, round=round_, unit=c.tree.G1
    )


@scenario(E + "round_reschedule")
def _(c):
    round_ = _round(c)
    return lambda: evaluations_services.round_reschedule(
        actor=c.actor,
        round=round_,
        self_assessment_until=round_.self_assessment_until,
        proposals_until=round_.proposals_until,
        decisions_until=round_.decisions_until + dt.timedelta(days=10),
        reason="The committee meets later",
    )


@scenario(E + "subject_self_assess")
def _(c):
    subject = _member_subject(c)
    return lambda: evaluations_services.subject_self_assess(
        actor=c.actor, subject=subject, scores={"general": 25, "tasks": 60}
    )


@scenario(E + "subject_propose")
def _(c):
    subject = _member_subject(c)
    return lambda: evaluations_services.subject_propose(
        actor=c.actor,
        subject=subject,
        score=Decimal(85),
        level="good",
        votes_for=3,
        votes_against=0,
        present=3,
    )


@scenario(E + "subject_decide")
def _(c):
    _organizer(c)
    doc = _document(c, issuer=c.tree.G1)  # the deciding unit's own document
    round_ = _round(c)
    subject = round_.subjects.get(unit=c.tree.K1)
    return lambda: evaluations_services.subject_decide(
        actor=c.actor,
        subject=subject,
        deciding_unit=c.tree.G1,
        level="good",
        score=Decimal(80),
        document=doc,
    )


@scenario(E + "round_close")
def _(c):
    round_, _doc = _decided_round(c)
    return lambda: evaluations_services.round_close(actor=c.actor, round=round_)


@scenario(E + "subject_reconsider")
def _(c):
    round_, doc = _decided_round(c)
    evaluations_services.round_close(actor=c.actor, round=round_)
    subject = round_.subjects.get(kind="member")
    return lambda: evaluations_services.subject_reconsider(
        actor=c.actor,
        subject=subject,
        deciding_unit=c.tree.G1,
        level="completed",
        score=Decimal(60),
        document=doc,
        reason="Appeal",
    )


@scenario(E + "rating_record")
def _(c):
    m = _full(c)
    return lambda: evaluations_services.rating_record(
        actor=c.actor, year=2025, member=m, label="DTC_HT"
    )


@scenario(E + "model_register")
def _(c):
    return lambda: evaluations_services.model_register(
        actor=c.actor, unit=c.tree.K1, year=2025, kind="four_good", date=D(2025, 1, 10)
    )


@scenario(E + "model_recognize")
def _(c):
    evaluations_services.model_register(
        actor=c.actor, unit=c.tree.K1, year=2025, kind="four_good", date=D(2025, 1, 10)
    )
    return lambda: evaluations_services.model_recognize(
        actor=c.actor,
        unit=c.tree.K1,
        year=2025,
        kind="four_good",
        date=D(2025, 12, 20),
        recognized=True,
    )


def _document(c: SimpleNamespace, *, issuer: Any = None, **fields: Any) -> Any:
    issuer = issuer or c.tree.P
    term = documents_services.term_create(actor=c.actor, unit=issuer, start=D(2025, 10, 16))
    return documents_services.document_register(
        actor=c.actor,
        issuer=issuer,
        type="plan",
        term=term,
        date=D(2026, 1, 5),
        title="Kế hoạch",
        **fields,
    )


@scenario(DOC + "term_create")
def _(c):
    return lambda: documents_services.term_create(
        actor=c.actor, unit=c.tree.P, start=D(2025, 10, 16)
    )


@scenario(DOC + "term_close")
def _(c):
    term = documents_services.term_create(actor=c.actor, unit=c.tree.P, start=D(2025, 10, 16))
    return lambda: documents_services.term_close(actor=c.actor, term=term, end=D(2030, 10, 1))


@scenario(DOC + "document_register")
def _(c):
    term = documents_services.term_create(actor=c.actor, unit=c.tree.P, start=D(2025, 10, 16))
    return lambda: documents_services.document_register(
        actor=c.actor, issuer=c.tree.P, type="plan", term=term, date=D(2026, 1, 5), title="KH"
    )


@scenario(DOC + "document_set_status")
def _(c):
    doc = _document(c, status="draft")
    return lambda: documents_services.document_set_status(
        actor=c.actor, document=doc, status="issued", date=D(2026, 1, 6)
    )


@scenario(DOC + "document_link")
def _(c):
    old = _document(c)
    new = documents_services.document_register(
        actor=c.actor, issuer=c.tree.P, type="plan", term=old.term, date=D(2026, 2, 1), title="B"
    )
    return lambda: documents_services.document_link(
        actor=c.actor, source=new, target=old, kind="replaces"
    )


@scenario(DOC + "document_attach")
def _(c):
    doc = _document(c)
    return lambda: documents_services.document_attach(
        actor=c.actor,
        document=doc,
        source=io.BytesIO(PDF),
        original_name="kh.pdf",
        content_type="application/pdf",
    )


@scenario(DOC + "document_file_read")
def _(c):
    doc = _document(c)
    file = documents_services.document_attach(
        actor=c.actor,
        document=doc,
        source=io.BytesIO(PDF),
        original_name="kh.pdf",
        content_type="application/pdf",
    )
    return lambda: documents_services.document_file_read(actor=c.actor, file=file).close()


IMP = "cadrebook.imports.services."
TARGETS_CSV = b"unit_code,year,indicator,target\nK1,2024,admissions,5\n"


def _organizer(c: SimpleNamespace) -> None:
    accounts_services.role_grant(actor=c.actor, user=c.actor, role="organizer", unit=c.tree.P)


def _targets_file(c: SimpleNamespace) -> str:
    path = c.tmp / "targets.csv"
    path.write_bytes(TARGETS_CSV)
    return str(path)


def _job(c: SimpleNamespace) -> Any:
    _organizer(c)
    return imports_services.import_job_create(
        actor=c.actor, kind="targets", source=_targets_file(c), filename="targets.csv"
    )


@scenario(IMP + "import_job_create")
def _(c):
    path = _targets_file(c)
    return lambda: imports_services.import_job_create(
        actor=c.actor, kind="targets", source=path, filename="targets.csv"
    )


@scenario(IMP + "import_job_validate")
def _(c):
    job = _job(c)
    return lambda: imports_services.import_job_validate(actor=c.actor, job=job)


@scenario(IMP + "import_job_commit")
def _(c):
    job = _job(c)
    return lambda: imports_services.import_job_commit(actor=c.actor, job=job)


@scenario(IMP + "import_job_confirm")
def _(c):
    job = imports_services.import_job_validate(actor=c.actor, job=_job(c))
    return lambda: imports_services.import_job_confirm(actor=c.actor, job=job)


@scenario(IMP + "import_job_cancel")
def _(c):
    job = _job(c)
    return lambda: imports_services.import_job_cancel(actor=c.actor, job=job)


@scenario(IMP + "import_jobs_fail_abandoned")
def _(c):
    from cadrebook.imports.models import ImportJob, JobStatus

    job = _job(c)
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # its worker's lease ran out long ago
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.IMPORTING, started_at=long_ago)
    return imports_services.import_jobs_fail_abandoned


@scenario(IMP + "import_file")
def _(c):
    _organizer(c)
    path = _targets_file(c)
    return lambda: imports_services.import_file(actor=c.actor, kind="targets", path=path)


R = "cadrebook.reports.services."


def _issued(c: SimpleNamespace) -> Any:
    _organizer(c)
    return reports_services.report_issue(**_report_of_k1(c))


def _report_of_k1(c: SimpleNamespace) -> dict[str, Any]:
    return {
        "actor": c.actor,
        "unit": c.tree.K1,
        "date_from": D(2024, 1, 1),
        "date_to": D(2024, 12, 31),
        "as_of": D(2024, 12, 31),
        "language": "en",
        "narrative": "The cell grew.",
        "title": "Report of K1 for 2024",
    }


@scenario(R + "report_issue")
def _(c):
    _organizer(c)
    return lambda: reports_services.report_issue(**_report_of_k1(c))


@scenario(R + "report_export_audit")
def _(c):
    report = _issued(c)
    return lambda: reports_services.report_export_audit(actor=c.actor, report=report, fmt="pdf")


INSP = "cadrebook.inspections.services."


def _inspector(c: SimpleNamespace) -> SimpleNamespace:
    """The actor as an inspector everywhere, with C1's decision and conclusion registered."""
    accounts_services.role_grant(actor=None, user=c.actor, role="inspector", unit=None)
    term = documents_services.term_create(actor=c.actor, unit=c.tree.C1, start=D(2025, 1, 1))

    def doc(type: str, date: dt.date) -> Any:
        return documents_services.document_register(
            actor=c.actor, type=type, issuer=c.tree.C1, term=term, date=date, title="Kiểm tra"
        )

    return SimpleNamespace(
        decision=doc("decision", D(2025, 3, 1)), conclusion=doc("conclusion", D(2025, 6, 1))
    )


def _inspection(c: SimpleNamespace, *, steps: bool = False) -> Any:
    docs = _inspector(c)
    inspection = inspections_services.inspection_open(
        actor=c.actor,
        code="KT-01",
        body=c.tree.C1,
        body_kind="inspection_committee",
        kind="thematic",
        decided_on=D(2025, 3, 3),
        document=docs.decision,
        subject_units=[c.tree.K1],
    )
    if steps:
        for step, day in (
            ("plan", D(2025, 3, 10)),
            ("working", D(2025, 4, 1)),
            ("report", D(2025, 5, 1)),
        ):
            inspections_services.inspection_record_step(
                actor=c.actor, inspection=inspection, step=step, done_on=day
            )
    inspection.docs = docs
    return inspection


def _concluded_inspection(c: SimpleNamespace) -> Any:
    inspection = _inspection(c, steps=True)
    subject = inspection.subjects.get()
    inspections_services.inspection_conclude(
        actor=c.actor,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=inspection.docs.conclusion,
        findings=[inspections_services.Finding(subject, True, "personnel_work", "Thiếu sót")],
        summary="Kết luận",
    )
    return inspection


@scenario(INSP + "program_create")
def _(c):
    _inspector(c)
    return lambda: inspections_services.program_create(
        actor=c.actor, body=c.tree.C1, body_kind="inspection_committee", year=2025, title="CT"
    )


@scenario(INSP + "program_item_add")
def _(c):
    _inspector(c)
    program = inspections_services.program_create(
        actor=c.actor, body=c.tree.C1, body_kind="inspection_committee", year=2025, title="CT"
    )
    return lambda: inspections_services.program_item_add(
        actor=c.actor, program=program, kind="thematic", subject_unit=c.tree.K1
    )


@scenario(INSP + "inspection_open")
def _(c):
    docs = _inspector(c)
    return lambda: inspections_services.inspection_open(
        actor=c.actor,
        code="KT-01",
        body=c.tree.C1,
        body_kind="inspection_committee",
        kind="thematic",
        decided_on=D(2025, 3, 3),
        document=docs.decision,
        subject_units=[c.tree.K1],
    )


@scenario(INSP + "inspection_add_subject")
def _(c):
    inspection = _inspection(c)
    return lambda: inspections_services.inspection_add_subject(
        actor=c.actor, inspection=inspection, unit=c.tree.K2
    )


@scenario(INSP + "inspection_record_step")
def _(c):
    inspection = _inspection(c)
    return lambda: inspections_services.inspection_record_step(
        actor=c.actor, inspection=inspection, step="plan", done_on=D(2025, 3, 10)
    )


@scenario(INSP + "inspection_conclude")
def _(c):
    inspection = _inspection(c, steps=True)
    subject = inspection.subjects.get()
    return lambda: inspections_services.inspection_conclude(
        actor=c.actor,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=inspection.docs.conclusion,
        findings=[inspections_services.Finding(subject, True, "personnel_work", "Thiếu sót")],
        summary="Kết luận",
    )


@scenario(INSP + "recommendation_add")
def _(c):
    inspection = _concluded_inspection(c)
    return lambda: inspections_services.recommendation_add(
        actor=c.actor,
        inspection=inspection,
        subject=inspection.subjects.get(),
        text="Khắc phục",
        owner_unit=c.tree.K1,
        deadline=D(2025, 9, 30),
    )


@scenario(INSP + "recommendation_follow_up")
def _(c):
    inspection = _concluded_inspection(c)
    rec = inspections_services.recommendation_add(
        actor=c.actor,
        inspection=inspection,
        subject=inspection.subjects.get(),
        text="Khắc phục",
        owner_unit=c.tree.K1,
        deadline=D(2025, 9, 30),
    )
    return lambda: inspections_services.recommendation_follow_up(
        actor=c.actor, recommendation=rec, on=D(2025, 8, 1), status="done"
    )


def _discipline(c: SimpleNamespace) -> Any:
    _inspector(c)
    return inspections_services.discipline_decide(
        actor=c.actor,
        subject_kind="member",
        member=_full(c),
        form="warning",
        body=c.tree.C1,
        body_kind="inspection_committee",
        decided_on=D(2025, 3, 3),
        violation="Vi phạm",
        violation_on=D(2024, 11, 1),
        votes={"warning": 5, "none": 2},
        voters_total=7,
    )


@scenario(INSP + "discipline_decide")
def _(c):
    _inspector(c)
    member = _full(c)
    return lambda: inspections_services.discipline_decide(
        actor=c.actor,
        subject_kind="member",
        member=member,
        form="warning",
        body=c.tree.C1,
        body_kind="inspection_committee",
        decided_on=D(2025, 3, 3),
        violation="Vi phạm",
        violation_on=D(2024, 11, 1),
        votes={"warning": 5, "none": 2},
        voters_total=7,
    )


def _appeal(c: SimpleNamespace, discipline: Any) -> Any:
    return inspections_services.appeal_lodge(
        actor=c.actor,
        discipline=discipline,
        lodged_on=D(2025, 3, 20),
        received_on=D(2025, 3, 5),
        body=c.tree.P,
        body_kind="committee",
    )


@scenario(INSP + "appeal_lodge")
def _(c):
    discipline = _discipline(c)
    return lambda: _appeal(c, discipline)


@scenario(INSP + "appeal_decide")
def _(c):
    appeal = _appeal(c, _discipline(c))
    return lambda: inspections_services.appeal_decide(
        actor=c.actor, appeal=appeal, decided_on=D(2025, 4, 10), outcome="upheld"
    )


CAD = "cadrebook.cadres.services."


def _organizer_term(c: SimpleNamespace) -> Any:
    """The actor as an organizer everywhere, with C1's committee term 2025-2030."""
    accounts_services.role_grant(actor=None, user=c.actor, role="organizer", unit=None)
    return cadres_services.committee_term_open(actor=c.actor, unit=c.tree.C1, start=D(2025, 1, 1))


def _elected(c: SimpleNamespace) -> Any:
    term = _organizer_term(c)
    return cadres_services.post_elect(
        actor=c.actor,
        member=_full(c),
        unit=c.tree.C1,
        position="secretary",
        term=term,
        started_on=D(2025, 3, 1),
        votes_for=30,
        votes_total=40,
    )


@scenario(CAD + "committee_term_open")
def _(c):
    accounts_services.role_grant(actor=None, user=c.actor, role="organizer", unit=None)
    return lambda: cadres_services.committee_term_open(
        actor=c.actor, unit=c.tree.G1, start=D(2025, 1, 1)
    )


@scenario(CAD + "committee_term_close")
def _(c):
    holding = _elected(c)
    return lambda: cadres_services.committee_term_close(
        actor=c.actor, term=holding.term, end=D(2025, 12, 31)
    )


@scenario(CAD + "post_elect")
def _(c):
    term = _organizer_term(c)
    member = _full(c)
    return lambda: cadres_services.post_elect(
        actor=c.actor,
        member=member,
        unit=c.tree.C1,
        position="secretary",
        term=term,
        started_on=D(2025, 3, 1),
        votes_for=30,
        votes_total=40,
    )


@scenario(CAD + "post_appoint")
def _(c):
    term = _organizer_term(c)
    member = _full(c)
    # An appointment needs the person in planning for the post (or an equal or higher one).
    cadres_services.planning_add(
        actor=c.actor,
        unit=c.tree.C1,
        term=term,
        position="inspection_chair",
        member=member,
        added_on=D(2025, 2, 1),
        document_text="03-QĐ/TU",
    )
    return lambda: cadres_services.post_appoint(
        actor=c.actor,
        member=member,
        unit=c.tree.C1,
        position="inspection_chair",
        started_on=D(2025, 3, 1),
    )


@scenario(CAD + "holding_end")
def _(c):
    holding = _elected(c)
    return lambda: cadres_services.holding_end(
        actor=c.actor, holding=holding, ended_on=D(2025, 6, 30), reason="resigned"
    )


def _disciplined_secretary(c: SimpleNamespace) -> Any:
    """G1's secretary, and a discipline decided on them (the hooks are not what is tested)."""
    accounts_services.role_grant(actor=None, user=c.actor, role="organizer", unit=None)
    term = cadres_services.committee_term_open(actor=c.actor, unit=c.tree.G1, start=D(2025, 1, 1))
    member = _full(c)
    cadres_services.post_elect(
        actor=c.actor,
        member=member,
        unit=c.tree.G1,
        position="secretary",
        term=term,
        started_on=D(2025, 3, 1),
        votes_for=30,
        votes_total=40,
    )
    _inspector(c)
    discipline = inspections_services.discipline_decide(
        actor=c.actor,
        subject_kind="member",
        member=member,
        form="warning",
        body=c.tree.C1,
        body_kind="inspection_committee",
        decided_on=D(2025, 4, 1),
        violation="Vi phạm",
        violation_on=D(2024, 11, 1),
        votes={"warning": 5, "none": 2},
        voters_total=7,
    )
    return discipline


@scenario(CAD + "holdings_end_by_discipline")
def _(c):
    discipline = _disciplined_secretary(c)
    return lambda: cadres_services.holdings_end_by_discipline(actor=c.actor, discipline=discipline)


@scenario(CAD + "holdings_restore_by_appeal")
def _(c):
    discipline = _disciplined_secretary(c)
    cadres_services.holdings_end_by_discipline(actor=c.actor, discipline=discipline)
    return lambda: cadres_services.holdings_restore_by_appeal(
        actor=c.actor, discipline=discipline, reason="Annulled on appeal"
    )


@scenario(CAD + "holding_correct")
def _(c):
    holding = _elected(c)
    return lambda: cadres_services.holding_correct(
        actor=c.actor, holding=holding, reason="Recorded for the wrong member"
    )


def _planned(c: SimpleNamespace) -> Any:
    """A full member of K1 in the planning for C1's secretary from 2025-03-01."""
    term = _organizer_term(c)
    return cadres_services.planning_add(
        actor=c.actor,
        unit=c.tree.C1,
        term=term,
        position="secretary",
        member=_full(c),
        added_on=D(2025, 3, 1),
        document_text="01-QĐ/TU",
    )


@scenario(CAD + "planning_round_record")
def _(c):
    term = _organizer_term(c)
    member = _full(c)
    return lambda: cadres_services.planning_round_record(
        actor=c.actor,
        unit=c.tree.C1,
        term=term,
        step="committee",
        held_on=D(2025, 3, 1),
        ballots=9,
        nominations=[
            {"member": member, "position": "secretary", "purpose": "planning", "votes_for": 6}
        ],
    )


@scenario(CAD + "planning_add")
def _(c):
    term = _organizer_term(c)
    member = _full(c)
    return lambda: cadres_services.planning_add(
        actor=c.actor,
        unit=c.tree.C1,
        term=term,
        position="secretary",
        member=member,
        added_on=D(2025, 3, 1),
        document_text="01-QĐ/TU",
    )


@scenario(CAD + "planning_remove")
def _(c):
    entry = _planned(c)
    return lambda: cadres_services.planning_remove(
        actor=c.actor, entry=entry, removed_on=D(2025, 12, 1), reason="review", note="Yếu"
    )


@scenario(CAD + "planning_review")
def _(c):
    entry = _planned(c)
    return lambda: cadres_services.planning_review(
        actor=c.actor,
        unit=c.tree.C1,
        term=entry.term,
        year=2025,
        reviewed_on=D(2025, 12, 1),
        document_text="02-QĐ/TU",
        remove=[{"entry": entry, "reason": "review", "note": "Yếu"}],
    )


@scenario(CAD + "confidence_session_record")
def _(c):
    holding = _elected(c)
    return lambda: cadres_services.confidence_session_record(
        actor=c.actor,
        unit=c.tree.C1,
        held_on=D(2025, 11, 1),
        summoned=30,
        present=25,
        results=[{"member": holding.member, "high": 20, "confidence": 3, "low": 2}],
    )


def _rotation_plan(c: SimpleNamespace) -> Any:
    """P's rotation plan for 2025 (the actor an organizer everywhere)."""
    return cadres_services.rotation_plan_record(
        actor=c.actor, unit=c.tree.P, year=2025, decided_on=D(2025, 5, 1), document_text="9-QĐ/TU"
    )


def _rotatable(c: SimpleNamespace) -> Any:
    """A full member of K1, deputy secretary of C1 from 2025-03-01 and planned for C1's
    secretary: one who may be rotated to an equal post."""
    term = _organizer_term(c)
    member = _full(c)
    cadres_services.post_appoint(
        actor=c.actor,
        member=member,
        unit=c.tree.C1,
        position="deputy_secretary",
        started_on=D(2025, 3, 1),
        outside_planning_text="05-QĐ/TU",
    )
    cadres_services.planning_add(
        actor=c.actor,
        unit=c.tree.C1,
        term=term,
        position="secretary",
        member=member,
        added_on=D(2025, 4, 1),
        document_text="01-QĐ/TU",
    )
    return member


def _stint(c: SimpleNamespace) -> Any:
    member = _rotatable(c)
    return cadres_services.rotation_stint_add(
        actor=c.actor,
        plan=_rotation_plan(c),
        member=member,
        to_unit=c.tree.C2,
        to_position="deputy_secretary",
        planned_start=D(2025, 6, 1),
    )


@scenario(CAD + "rotation_plan_record")
def _(c):
    _organizer_term(c)
    return lambda: _rotation_plan(c)


@scenario(CAD + "rotation_stint_add")
def _(c):
    member = _rotatable(c)
    plan = _rotation_plan(c)
    return lambda: cadres_services.rotation_stint_add(
        actor=c.actor,
        plan=plan,
        member=member,
        to_unit=c.tree.C2,
        to_position="deputy_secretary",
        planned_start=D(2025, 6, 1),
    )


@scenario(CAD + "rotation_stint_end")
def _(c):
    stint = _stint(c)
    return lambda: cadres_services.rotation_stint_end(
        actor=c.actor, stint=stint, ended_on=D(2026, 6, 30)
    )


# The tests --------------------------------------------------------------------------------
def test_the_service_modules_expose_services_to_check():
    names = discovered_services()
    assert M + "member_admit" in names
    assert ORGS + "unit_create" in names
    assert A + "role_grant" in names
    assert R + "report_issue" in names
    assert INSP + "discipline_decide" in names
    assert not any(name.startswith(INSP + "check_") for name in names)  # private helpers


def test_every_module_of_the_members_service_package_is_walked():
    walked = {m.__name__ for m in _modules_of(ms)}
    assert {f"{ms.__name__}.{name}" for name in ms.MODULES} <= walked
    for name in ("engine", "personal", "events", "restructuring"):
        assert f"{ms.__name__}.{name}" in walked
    # A service from each module, as callers name it.
    names = discovered_services()
    for service in ("member_record_event", "member_set_card", "member_remove", "unit_merge"):
        assert M + service in names


def test_every_scenario_still_names_an_existing_service():
    stale = set(SCENARIOS) - set(discovered_services())
    assert not stale, f"scenarios for services that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("service", discovered_services())
def test_every_write_service_leaves_an_audit_entry(
    service, actor, tree, make_member, settings, tmp_path
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    assert service in SCENARIOS, (
        f"{service} has no audit scenario in {__name__}; add one (or, if it writes nothing, "
        "move it to the app's selectors)"
    )
    ctx = SimpleNamespace(actor=actor, tree=tree, make_member=make_member, tmp=tmp_path)
    call = SCENARIOS[service](ctx)
    before = AuditEntry.objects.count()
    call()
    assert AuditEntry.objects.count() > before, f"{service} wrote no audit entry"


def test_an_audit_entry_names_the_actor_the_object_and_the_unit(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    entry = AuditEntry.objects.filter(event_type="member.admitted").get()
    assert entry.actor == actor
    assert entry.actor_name == "clerk"
    assert entry.object_type == "members.member"
    assert entry.object_id == str(member.pk)
    assert entry.unit_id == tree.K1.pk
    assert entry.unit_path == tree.K1.path
    assert entry.before["status"] == "applicant"
    assert entry.after["status"] == "probationary"
    assert entry.after["date"] == "2024-01-10"


def test_a_refused_service_call_writes_no_audit_entry(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    before = AuditEntry.objects.count()
    with pytest.raises(Exception, match="Probation"):
        ms.member_recognize(taken_over=True, actor=actor, member=member, date=D(2024, 6, 1))
    assert AuditEntry.objects.count() == before


# Append-only ------------------------------------------------------------------------------
@pytest.fixture
def entry(db, actor, tree):
    return audit_record(
        actor=actor, obj=tree.K1, action="view", event_type="unit.viewed", unit=tree.K1
    )


def test_saving_an_existing_audit_entry_is_refused(entry):
    entry.event_type = "tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()


def test_deleting_an_audit_entry_is_refused(entry):
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_updating_audit_entries_through_a_queryset_is_refused(entry):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(event_type="tampered")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    entry.event_type = "tampered"
    with pytest.raises(AuditLogIsAppendOnly), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["event_type"])
    assert AuditEntry.objects.get(pk=entry.pk).event_type == "unit.viewed"


def test_a_raw_sql_update_of_the_audit_log_is_refused_by_the_database(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_auditentry SET event_type = %s WHERE id = %s", ["tampered", entry.pk]
            )
    assert AuditEntry.objects.get(pk=entry.pk).event_type == "unit.viewed"
