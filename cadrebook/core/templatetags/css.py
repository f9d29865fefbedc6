"""`css_string`: a value written inside a CSS string in a PDF's stylesheet (the page headers
of the printed report and register: `content: "{{ unit.name|css_string }}"`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def css_string(value: Any) -> SafeString:
    """`value` escaped for a double-quoted CSS string: quotes, backslashes, line breaks and
    control characters as CSS escapes, and "<" too, so that no value closes the <style>
    element it is in. (Django's `escapejs` writes JavaScript escapes, which CSS reads as
    letters: "2020-2025" printed as "2020u002D2025".)"""
    out = []
    for ch in str(value):
        if ch in '"\\<' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    return mark_safe("".join(out))  # noqa: S308 - escaped above for its one context
