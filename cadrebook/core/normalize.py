"""Name normalization for accent-insensitive search (DESIGN.md: unidecode, then lower case)."""

from __future__ import annotations

import functools
import re

from unidecode import unidecode

_SPACES = re.compile(r"\s+")


# Names repeat a great deal (family names, whole names in imports): remember recent ones.
@functools.lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """Fold diacritics (đ/Đ included), lower-case and squeeze spaces: 'Đặng Đức Ước' -> 'dang duc uoc'."""
    return _SPACES.sub(" ", unidecode(text or "")).strip().lower()
