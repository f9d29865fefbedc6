"""The province of each search key (`DocumentWord.area`: the id of the issuer's unit at
AREA_DEPTH), and the index a search within a province reads its own keys by. The keys
already there get theirs before the index is made."""

from django.db import migrations, models


def fill(apps, schema_editor):
    # The application's own writer: the areas must be what the services would write.
    from cadrebook.documents.word_keys import fill_key_areas

    fill_key_areas()


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0003_search_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="documentword",
            name="area",
            field=models.IntegerField(default=0, verbose_name="area"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="documentword",
            index=models.Index(fields=["area", "word", "document"], name="document_word_area"),
        ),
    ]
