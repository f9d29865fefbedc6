"""The search keys of documents (`DocumentWord`), the text of attached PDFs, and the index
a search walks the register by (latest first).

The keys of the documents already there are written before the key index is made. On
PostgreSQL the key column compares byte by byte (collation "C"): a search word is a range of
keys from the word up, and only a byte order puts every key that starts with it inside that
range. The search text column the search read before (`Document.search`) goes.
"""

import django.db.models.deletion
from django.db import migrations, models


def byte_order(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE documents_documentword ALTER COLUMN "word" TYPE varchar(64) COLLATE "C"'
        )


def fill(apps, schema_editor):
    # The application's own writer: the keys must be what the services would write.
    from cadrebook.documents.word_keys import fill_words

    fill_words()


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_statuschange_append_only"),
    ]

    operations = [
        migrations.RemoveField(model_name="document", name="search"),
        migrations.AddField(
            model_name="documentfile",
            name="text",
            field=models.TextField(blank=True, default="", verbose_name="text"),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["date", "id"], name="document_date_id"),
        ),
        migrations.CreateModel(
            name="DocumentWord",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "document_id",
                        "word",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("word", models.CharField(max_length=64, verbose_name="word")),
                ("symbol", models.BooleanField(default=False, verbose_name="in the symbol")),
                (
                    "document",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="words",
                        to="documents.document",
                    ),
                ),
            ],
            options={"verbose_name": "document word", "verbose_name_plural": "document words"},
        ),
        migrations.RunPython(byte_order, migrations.RunPython.noop),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="documentword",
            index=models.Index(fields=["word", "document"], name="document_word"),
        ),
    ]
