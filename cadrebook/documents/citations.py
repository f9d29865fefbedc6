"""The records that cite a document, for its page and its API: a hook the apps above fill.

The register sits below the apps whose records rest on its documents (members' events
today; discipline, appointments and inspections later), so it cannot ask them itself. Each
registers a provider at start-up (`register_citations`, from its `AppConfig.ready`): given
a document and a user, it lists the records of its own that cite the document, scoped to
what the user may see and masked as its own pages mask them. `citing_records` asks every
provider and orders what they answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cadrebook.documents.models import Document


@dataclass(frozen=True)
class Citation:
    """One record citing a document: what the record is (`label`, in the active language,
    masked where the user may not read what it names), its date, the page that shows it
    (None when there is none the user may open), and its kind ("member_event", later
    "discipline", "appointment", "inspection"…)."""

    label: str
    date: dt.date
    url: str | None
    kind: str


# A provider: (document, user) -> the citations of its records the user may see.
Provider = Callable[[Document, Any], list[Citation]]
_providers: dict[str, Provider] = {}


def register_citations(provider: Provider, name: str | None = None) -> None:
    """Add a provider (once per name: a second `ready()` does not add it twice)."""
    _providers[name or f"{provider.__module__}.{provider.__qualname__}"] = provider


def providers() -> list[Provider]:
    return list(_providers.values())


def citing_records(document: Document, user: Any) -> list[Citation]:
    """Every record that cites `document` and that `user` may see, latest first."""
    found: list[Citation] = []
    for provider in _providers.values():
        found.extend(provider(document, user))
    return sorted(found, key=lambda c: (c.date, c.kind, c.label), reverse=True)
