"""How the evaluation's pages print a rule set entry they hold by its code (a level, a
framework, a reason not to rate, a special case, a round kind, a model):
`{% load evaluation_labels %}{{ subject.framework|rule_label:rules.frameworks }}` gives the
entry's label in the page's language (the rule set's `vi` / `km`, else its English `label`),
the code itself for an entry the rule set does not list, and nothing for no code; and the
steps a decision was made without (`{{ d.missing_steps|step_names:subject.kind }}`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template

from cadrebook.evaluations.selectors import step_names as named_steps

register = template.Library()


@register.filter
def rule_label(code: str | None, entries: Iterable[Any] | Mapping[str, Any]) -> str:
    if not code:
        return ""
    found: Iterable[Any] = entries.values() if isinstance(entries, Mapping) else entries
    return next((str(e.display_label) for e in found if e.code == code), code)


@register.filter
def step_names(steps: list[str], kind: str) -> str:
    """The steps before a decision (`self_assessment`, `proposal`) as a sentence names them:
    `{{ decision.missing_steps|step_names:subject.kind }}`."""
    return named_steps(kind, steps or [])
