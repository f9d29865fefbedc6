"""Member dossier: personal data (masked where the role may not read it), status, timeline,
audit trail. Opening a dossier is itself audited."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cadrebook.core.audit import audit_record
from cadrebook.core.views import audit_for_object, can, get_visible_or_404
from cadrebook.members.models import SENSITIVE_FIELDS, Member
from cadrebook.members.selectors import mask, party_age
from cadrebook.orgs.selectors import breadcrumb


@login_required
def dossier(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_visible_or_404(
        Member.objects.select_related("unit", "pending_transfer_to"), request.user, pk=pk
    )
    audit_record(
        actor=request.user,
        obj=member,
        action="view",
        event_type="member.dossier_viewed",
        unit=member.unit,
    )
    sensitive = can(request.user, "view_sensitive", member.unit.path)
    personal = []
    for name in [
        "full_name",
        "gender",
        "birth_date",
        "ethnicity",
        "national_id",
        "hometown",
        "education_level",
        "theory_level",
        "occupation",
        "phone",
        "address",
        "card_number",
    ]:
        field = Member._meta.get_field(name)
        display = getattr(member, f"get_{name}_display", None)
        value = display() if callable(display) else getattr(member, name)
        if name in SENSITIVE_FIELDS and not sensitive:
            value = mask(value)
        personal.append((field.verbose_name, value or "—"))
    years, months = party_age(member, timezone.localdate())
    context = {
        "member": member,
        "personal": personal,
        "crumbs": breadcrumb(member.unit, request.user),
        "events": member.events.select_related("unit", "to_unit", "corrects").order_by(
            "date", "id"
        ),
        "periods": member.periods.select_related("unit").order_by("valid_from", "id"),
        "party_age": (years, months),
        "audit": audit_for_object(request.user, member)[:100],
        "can_audit": can(request.user, "audit", member.unit.path),
    }
    return render(request, "members/dossier.html", context)
