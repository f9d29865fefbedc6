"""Copy the inspection's kind and conclusion day onto its subjects, so that the statistics
count the completed subjects by kind from the subjects alone (bench/inspections.py: the join
to the inspections read every year's subjects of the subtree)."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_inspections(apps: Any, schema_editor: Any) -> None:
    Inspection = apps.get_model("inspections", "Inspection")
    InspectionSubject = apps.get_model("inspections", "InspectionSubject")
    of = Inspection.objects.filter(pk=OuterRef("inspection_id"))
    InspectionSubject.objects.update(
        kind=Subquery(of.values("kind")[:1]),
        concluded_on=Subquery(of.values("concluded_on")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0002_discipline_authority_basis"),
        ("members", "0021_member_name_key_province"),
        ("orgs", "0003_unit_placements"),
    ]

    operations = [
        migrations.AddField(
            model_name="inspectionsubject",
            name="concluded_on",
            field=models.DateField(blank=True, null=True, verbose_name="concluded on"),
        ),
        migrations.AddField(
            model_name="inspectionsubject",
            name="kind",
            field=models.CharField(blank=True, max_length=32, verbose_name="kind"),
        ),
        migrations.RunPython(copy_from_inspections, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="inspection",
            index=models.Index(fields=["path", "concluded_on"], name="inspection_path_concluded"),
        ),
        migrations.AddIndex(
            model_name="inspectionsubject",
            index=models.Index(fields=["path", "concluded_on"], name="insp_subject_path_concluded"),
        ),
    ]
