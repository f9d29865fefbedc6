"""Name normalization for accent-insensitive search (DESIGN.md: unidecode, then lower case)."""

from __future__ import annotations

import re

from unidecode import unidecode

_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """Fold diacritics (đ/Đ included), lower-case and squeeze spaces: 'Đặng Đức Ước' -> 'dang duc uoc'."""
    return _SPACES.sub(" ", unidecode(text or "")).strip().lower()
