from django.contrib import admin

from cadrebook.core.admin import ReadOnlyAdmin
from cadrebook.documents.models import Document, DocumentFile, DocumentLink, Term


@admin.register(Term)
class TermAdmin(ReadOnlyAdmin):
    list_display = ("unit", "label", "start", "end", "congress", "issuer_symbol")


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("symbol", "date", "type", "issuer", "status", "confidentiality")
    search_fields = ("symbol_norm",)


@admin.register(DocumentLink)
class DocumentLinkAdmin(ReadOnlyAdmin):
    list_display = ("source", "kind", "target")


@admin.register(DocumentFile)
class DocumentFileAdmin(ReadOnlyAdmin):
    list_display = ("document", "kind", "original_name", "size", "sha256")
