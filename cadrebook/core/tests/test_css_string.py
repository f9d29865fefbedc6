"""A value printed in a PDF's page header reads as written (it sits in a CSS string)."""

from __future__ import annotations

from cadrebook.core.templatetags.css import css_string


def test_plain_text_and_hyphens_are_kept_as_written():
    # escapejs wrote "2020\u002D2025", which the PDF printed as "2020u002D2025".
    assert css_string("2020-2025") == "2020-2025"
    assert css_string("Tỉnh ủy Quảng Trị · ខេត្ត") == "Tỉnh ủy Quảng Trị · ខេត្ត"


def test_what_would_end_the_string_or_the_style_element_is_escaped():
    assert css_string('Đảng bộ "A"\\B') == "Đảng bộ \\22 A\\22 \\5C B"
    assert css_string("x</style><script>") == "x\\3C /style>\\3C script>"
    assert css_string("two\nlines") == "two\\A lines"
