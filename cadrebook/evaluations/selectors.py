"""Reads on targets: the indicators of the rule set, and the check of a target that the
service and the import ask before they write."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.core.rules import current_ruleset

MIN_YEAR, MAX_YEAR = 1900, 2100


def target_indicators() -> dict[str, str]:
    """Indicator code -> the event type whose count is the actual, from the rule set."""
    return dict(current_ruleset().value("targets.indicators"))


def target_check(*, year: int, indicator: str, target: int) -> None:
    """Refuse a target the rule set does not know or that cannot be a count."""
    indicators = target_indicators()
    if indicator not in indicators:
        raise current_ruleset().violation(
            "targets",
            "target.indicator_unknown",
            _("%(i)s is not an indicator of the rule set; known: %(known)s.")
            % {"i": indicator, "known": ", ".join(sorted(indicators))},
            field="indicator",
        )
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ServiceError(
            "target.bad_year",
            _("The year %(y)s is not between %(a)d and %(b)d.")
            % {"y": year, "a": MIN_YEAR, "b": MAX_YEAR},
            field="year",
        )
    if target < 0:
        raise ServiceError("target.negative", _("A target cannot be negative."), field="target")
