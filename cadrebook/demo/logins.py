"""The demo logins: one user per role on a generated province, all with one password."""

from __future__ import annotations

from django.db import transaction

from cadrebook.core.scoping import PATH_END
from cadrebook.demo.people import FORCED_NAMES
from cadrebook.members.choices import MemberStatus as S
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

DEMO_PASSWORD = "cadrebook-demo"


def create_demo_users(*, root: OrgUnit | None = None) -> list[tuple[str, str, str]]:
    """One login per role on a generated province (the first root when none is given), all
    with the password DEMO_PASSWORD. Existing users are kept and given the grant.

    Returns (username, role, unit code or "national") for each.
    """
    from django.contrib.auth import get_user_model

    from cadrebook.accounts.roles import Role
    from cadrebook.accounts.services import role_grant, user_create

    root = root or OrgUnit.objects.get_first_root_node()
    if root is None:
        raise ValueError("generate the data first: there is no org unit")
    in_root = {"unit__path__gte": root.path, "unit__path__lt": root.path + PATH_END}
    uoc = (
        Member.objects.filter(
            full_name=FORCED_NAMES[0], status__in=(S.PROBATIONARY, S.FULL), **in_root
        )
        .order_by("id")
        .first()
        or Member.objects.filter(**in_root).order_by("id").first()
    )
    if uoc is None:
        raise ValueError("the province has no members")
    cell = uoc.unit
    commune = OrgUnit.objects.get(path=cell.path[: 2 * OrgUnit.steplen])
    plan: list[tuple[str, str, OrgUnit | None]] = [
        ("national", Role.ADMINISTRATOR, None),
        ("organizer", Role.ORGANIZER, root),
        ("clerk", Role.CLERK, cell),
        ("viewer", Role.VIEWER, commune),
        ("inspector", Role.INSPECTOR, root),
    ]
    user_model = get_user_model()
    result = []
    with transaction.atomic():
        for username, role, unit in plan:
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_create(actor=None, username=username, password=DEMO_PASSWORD)
            if username == "national" and not user.is_staff:
                user_model.objects.filter(pk=user.pk).update(is_staff=True)
            role_grant(actor=None, user=user, role=role, unit=unit)
            result.append((username, str(role), unit.code if unit else "national"))
    return result
