"""Name normalization for accent-insensitive search (unidecode, then lower case)."""

from __future__ import annotations

import functools
import re

from unidecode import unidecode

_SPACES = re.compile(r"\s+")

# Longer than any name, ID or code anybody searches for. The API refuses longer text; the
# web lists cut it (SQLite's LIKE patterns end at 50,000 bytes, and nothing longer matches).
SEARCH_MAX_LENGTH = 200


def search_text(text: str | None) -> str:
    """A search box's text: stripped, at most SEARCH_MAX_LENGTH characters."""
    return (text or "").strip()[:SEARCH_MAX_LENGTH]


# Names repeat a great deal (family names, whole names in imports): remember recent ones.
@functools.lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """Fold diacritics (đ/Đ included), lower-case and squeeze spaces: 'Đặng Đức Ước' -> 'dang duc uoc'."""
    return _SPACES.sub(" ", unidecode(text or "")).strip().lower()
