"""Empty import templates to download: the header row of a kind, as CSV or XLSX.

The XLSX template has a second sheet, "columns", that explains every column (its names,
whether it is required, its type and what it means), taken from `formats.FORMATS`.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cadrebook.core.spreadsheets import write_table, write_workbook
from cadrebook.imports.exporting import header_row
from cadrebook.imports.formats import FORMATS


def template_bytes(kind: str, fmt: str, headers: str = "en") -> bytes:
    """The empty template of `kind` ("units", "members", "events", "targets") as `fmt`
    ("csv" or "xlsx"), headed by the English column names or (headers="vi") Vietnamese."""
    if kind not in FORMATS:
        raise ValueError(f"Unknown kind {kind!r}; expected one of {', '.join(FORMATS)}")
    columns = FORMATS[kind]
    data_headers = header_row(kind, headers)
    out = io.BytesIO()
    if fmt == "csv":
        write_table(out, "csv", data_headers, [])
        return out.getvalue()
    if fmt != "xlsx":
        raise ValueError(f"Unknown format {fmt!r}; expected csv or xlsx")
    yes, no = _("yes"), _("no")
    explanations = [(c.name, c.vi, yes if c.required else no, c.type, c.help) for c in columns]
    write_workbook(
        out,
        [
            ("data", data_headers, []),
            (
                "columns",
                [
                    _("column"),
                    _("Vietnamese header"),
                    _("required"),
                    pgettext("kind of values in a column", "type"),
                    _("meaning"),
                ],
                explanations,
            ),
        ],
    )
    return out.getvalue()
