"""The imports apply the lifecycle rules of the services: what the browser and the API refuse,
an events or members file refuses too, on the same row and with the same code."""

from __future__ import annotations

import datetime as dt

from cadrebook.members.models import Member

D = dt.date


def test_the_events_import_refuses_to_expel_a_probationary_member(run, tree):
    members = (
        "external_id,full_name,gender,birth_date,unit_code,status,admitted_on\n"
        "P1,Lê Văn Dự,male,1990-02-01,K1,probationary,2025-01-06\n"
    )
    assert run("members", members).ok
    report = run(
        "events",
        "external_id,type,date,document,reason\nP1,expelled,2025-06-02,5-QĐ/UBKT,discipline\n",
    )
    assert [(e.row, e.code) for e in report.errors] == [(2, "discipline.form_not_allowed")]
    assert Member.objects.get(external_id="P1").status == "probationary"
