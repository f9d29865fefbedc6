"""One importer per kind of file; each takes the import context and the opened table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cadrebook.imports.importers.appointments import import_appointments
from cadrebook.imports.importers.disciplines import import_disciplines
from cadrebook.imports.importers.documents import import_documents
from cadrebook.imports.importers.events import import_events
from cadrebook.imports.importers.inspections import import_inspections
from cadrebook.imports.importers.members import import_members
from cadrebook.imports.importers.planning import import_planning
from cadrebook.imports.importers.programs import import_programs
from cadrebook.imports.importers.ratings import import_ratings
from cadrebook.imports.importers.targets import import_targets
from cadrebook.imports.importers.units import import_units

IMPORTERS: dict[str, Callable[[Any, Any], None]] = {
    "units": import_units,
    "members": import_members,
    "events": import_events,
    "targets": import_targets,
    "documents": import_documents,
    "ratings": import_ratings,
    "inspections": import_inspections,
    "disciplines": import_disciplines,
    "inspection-programs": import_programs,
    "appointments": import_appointments,
    "planning": import_planning,
}
