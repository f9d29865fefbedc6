"""Numbers as the statistics compute and print them: shares rounded as the reports round
them, and numbers in the active language's format. Shared by the reports and by every app
that contributes figures to them (`core/contributions.py`)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import formats


def percent(part: int, whole: int) -> float | None:
    """part / whole × 100, rounded half up to two decimals (830 / 820 → 101.22)."""
    if not whole:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return float(value)


def num(value: Any) -> str:
    """A number in the active language's format (830 → "830", 8123 → "8,123" / "8.123")."""
    if value is None:
        return "–"
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def pct(value: float | None) -> str:
    """A percentage with two decimals in the active language's format ("101,22" in Vietnamese)."""
    return "–" if value is None else formats.number_format(value, 2, use_l10n=True)
