"""The fold keeps two more cached fields for the due lists: `probation_start` (the start of
the running probation) and `temporary_until` (the planned end of the running temporary
transfer). Filled here for the members already recorded, as the due lists read them until
now: probation from the latest readmission as corrected, else the admission; a temporary
transfer running when it is the member's latest temporary transfer, its end or an accepted
transfer, for an active member."""

from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

ACTIVE = ("probationary", "full")
BATCH = 1000


def fill(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    MemberEvent = apps.get_model("members", "MemberEvent")
    correction = MemberEvent.objects.filter(
        type="correction", corrects_id=OuterRef("pk")
    ).order_by("-date", "-id")
    readmissions = (
        MemberEvent.objects.filter(member_id=OuterRef("pk"), type="readmitted")
        .annotate(
            eff_date=Coalesce(Subquery(correction.values("date")[:1]), F("date")),
            eff_void=Coalesce(Subquery(correction.values("void")[:1]), Value(False)),
        )
        .filter(eff_void=False)
        .order_by("-eff_date", "-id")
    )
    Member.objects.filter(status="probationary").update(
        probation_start=Coalesce(Subquery(readmissions.values("eff_date")[:1]), F("admitted_on"))
    )
    latest = MemberEvent.objects.filter(
        member_id=OuterRef("pk"),
        type__in=["temporary_transfer", "temporary_transfer_ended", "transfer_in"],
    ).order_by("-date", "-id")
    away = MemberEvent.objects.filter(type="temporary_transfer").values("member_id")
    running = (
        Member.objects.filter(status__in=ACTIVE, pk__in=away)
        .annotate(
            last_type=Subquery(latest.values("type")[:1]),
            last_until=Subquery(latest.values("until")[:1]),
        )
        .filter(Q(last_type="temporary_transfer"), last_until__isnull=False)
        .values_list("pk", "last_until")
    )
    rows = list(running)
    for i in range(0, len(rows), BATCH):
        members = [Member(pk=pk, temporary_until=until) for pk, until in rows[i : i + BATCH]]
        Member.objects.bulk_update(members, ["temporary_until"])


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0018_member_on_probation_index'),
        ('orgs', '0003_unit_placements'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='member',
            name='member_on_probation',
        ),
        migrations.AddField(
            model_name='member',
            name='probation_start',
            field=models.DateField(blank=True, null=True, verbose_name='probation started on'),
        ),
        migrations.AddField(
            model_name='member',
            name='temporary_until',
            field=models.DateField(blank=True, null=True, verbose_name='temporary transfer until'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('status', 'probationary')), fields=['probation_start', 'id'], name='member_probation_start'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('temporary_until__isnull', False)), fields=['temporary_until', 'id'], name='member_temporary_until'),
        ),
    ]
