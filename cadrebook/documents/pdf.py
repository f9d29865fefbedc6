"""The printed register of documents (the "sổ đăng ký văn bản") of a unit's term: an A4
landscape PDF made with WeasyPrint, with the app's own fonts (Vietnamese and Khmer). The
reports' PDF sits above documents in the layers, so the register prints itself here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats

from cadrebook.documents.models import Term
from cadrebook.orgs.models import OrgUnit

FONTS = Path(settings.BASE_DIR) / "static" / "vendor" / "fonts"


def register_pdf(unit: OrgUnit, term: Term, rows: list[dict[str, Any]]) -> bytes:
    """The register's rows (`views._rows`: each document and whether it is masked) as PDF."""
    from weasyprint import HTML  # heavy: loaded only when a register is printed

    html = render_to_string(
        "documents/register_pdf.html",
        {
            "unit": unit,
            "term": term,
            "rows": rows,
            "fonts": FONTS.as_uri(),
            "today": formats.date_format(dt.date.today(), "DATE_FORMAT", use_l10n=True),
        },
    )
    return bytes(HTML(string=html, base_url=str(FONTS) + "/").write_pdf())
