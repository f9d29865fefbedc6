"""Every visible string is translated into Vietnamese and Khmer: a message left in English,
or marked fuzzy, fails the build (run `makemessages` and translate it)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[3] / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


@pytest.mark.parametrize("language", ["vi", "km"])
def test_the_catalogue_is_complete(language: str) -> None:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    assert len(po) > 400


@pytest.mark.parametrize("language", ["vi", "km"])
def test_translations_keep_the_placeholders(language: str) -> None:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    for entry in po.translated_entries():
        want = sorted(PLACEHOLDER.findall(entry.msgid))
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            assert sorted(PLACEHOLDER.findall(text)) == want or (
                entry.msgid_plural and set(PLACEHOLDER.findall(text)) <= set(want)
            ), (entry.msgid, text)


@pytest.mark.parametrize("language", ["vi", "km"])
def test_the_compiled_catalogue_is_current(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    mo = polib.mofile(str(folder / "django.mo"))
    po = polib.pofile(str(folder / "django.po"))
    compiled = {(e.msgid, e.msgstr) for e in mo if not e.msgid_plural}
    missing = [
        e.msgid
        for e in po.translated_entries()
        if not e.msgid_plural and (e.msgid, e.msgstr) not in compiled
    ]
    assert not missing, f"django.mo is older than django.po: run compilemessages ({missing[:3]})"
