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
    # The application's own key function (the keys must be what the services would write),
    # on the models as they stand at this migration (later ones add columns).
    from cadrebook.documents.words import document_keys

    Document = apps.get_model("documents", "Document")
    DocumentFile = apps.get_model("documents", "DocumentFile")
    DocumentWord = apps.get_model("documents", "DocumentWord")
    for document in Document.objects.order_by("pk").iterator(chunk_size=2000):
        texts = DocumentFile.objects.filter(document_id=document.pk).exclude(text="")
        keys = document_keys(
            document.symbol,
            [document.title, document.abstract, *texts.values_list("text", flat=True)],
        )
        DocumentWord.objects.bulk_create(
            [
                DocumentWord(document_id=document.pk, word=word, symbol=symbol)
                for word, symbol in keys.items()
            ],
            batch_size=2000,
        )


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
