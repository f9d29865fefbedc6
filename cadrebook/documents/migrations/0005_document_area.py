"""The province of each document (`Document.area`, as its keys carry it), and the index a
search within a province walks the province's register by, latest first. The documents
already there get theirs before the index is made."""

from django.db import migrations, models


def fill(apps, schema_editor):
    # The application's own writer: the areas must be what the services would write.
    from cadrebook.documents.word_keys import fill_document_areas

    fill_document_areas()


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_word_area"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="area",
            field=models.IntegerField(default=0, verbose_name="area"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["area", "date", "id"], name="document_area_date_id"),
        ),
    ]
