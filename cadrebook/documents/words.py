"""The words a document is searched by (`DocumentWord`), and the words of a search.

A document's symbol, title, abstract and the text of its PDFs are folded (accents off, lower
case: "Nghị quyết" -> "nghi quyet") and cut into words at spaces; each word is a key, and so
is each of its tails after a "-", "/" or "." ("28-NQ/TU" -> "28-nq/tu", "nq/tu", "tu"), so a
symbol is found from its number ("28-nq"), whole, or its code ("nq/tu"). A search word
matches every key it starts ("phat" finds "phát", "phát triển"'s "phat"): a range of the key
index, read by the database in the index's order.

Khmer is not transliterated (unidecode would turn "ក្រុង" and "ក្រង" into near-identical
Latin and drop the subscript consonants): it is kept as written, and since Khmer runs its
words together without spaces, a Khmer run has a key at every syllable (a consonant or an
independent vowel not written below another: not after the COENG sign), so a Khmer word is
found wherever it stands in the run.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from unidecode import unidecode

# Longer keys are cut (a search word too): a prefix of the first KEY_LENGTH characters.
KEY_LENGTH = 64
# At most this many words of a search are matched (the others are ignored).
QUERY_WORDS = 8
# Above every character a key holds: "from the word up to word + TOP" is every key that
# starts with it (keys compare by code point: collation "C" on PostgreSQL, BINARY on SQLite).
TOP = "\U0010ffff"

_KHMER = "\u1780-\u17ff\u19e0-\u19ff"
_KHMER_RUN = re.compile(f"([{_KHMER}]+)")
_KHMER_CHAR = re.compile(f"[{_KHMER}]")
# Spaces, the zero-width space Khmer writes between words, Khmer's own punctuation
# (khan, bariyoosan…) and the punctuation that never belongs inside a word.
_SPLIT = re.compile(r"[\s\u200b\u17d4-\u17da,;:!?()\[\]{}\"“”'‘’«»…]+")
# Inside a Latin word: where a tail starts (after one of these).
_JOINERS = re.compile(r"[-/.]")
_COENG = "\u17d2"
_KHMER_BASE = re.compile("[\u1780-\u17b3]")


def fold(text: str) -> str:
    """Text as keys hold it: accents folded (đ -> d) and lower case, Khmer kept as written."""
    text = unicodedata.normalize("NFC", text or "")
    parts = _KHMER_RUN.split(text)
    # Even parts are not Khmer, odd ones are (split keeps the runs).
    return "".join(p if i % 2 else unidecode(p) for i, p in enumerate(parts)).lower()


def _strip(token: str) -> str:
    """The token without the punctuation and symbols at its ends (Khmer's marks are kept:
    they are not punctuation)."""
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(token[end - 1])[0] in "PS":
        end -= 1
    return token[start:end]


def tokens(text: str) -> list[str]:
    """The folded words of `text`, punctuation off their ends."""
    return [t for t in (_strip(t) for t in _SPLIT.split(fold(text))) if t]


def _khmer_starts(token: str) -> list[int]:
    return [
        i
        for i, ch in enumerate(token)
        if _KHMER_BASE.match(ch) and (i == 0 or token[i - 1] != _COENG)
    ] or [0]


@functools.lru_cache(maxsize=65536)
def token_keys(token: str) -> tuple[str, ...]:
    """The keys of one folded word: the word and its tails (after "-", "/", "."; at each
    syllable of Khmer), each at most KEY_LENGTH characters."""
    if _KHMER_CHAR.search(token):
        starts = _khmer_starts(token)
    else:
        starts = [0] + [m.end() for m in _JOINERS.finditer(token)]
    keys = []
    for i in starts:
        key = _strip(token[i:])[:KEY_LENGTH]
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


@functools.lru_cache(maxsize=65536)
def text_keys(text: str) -> frozenset[str]:
    """Every key of `text` (titles repeat a great deal: remembered)."""
    return frozenset(k for t in tokens(text) for k in token_keys(t))


def document_keys(symbol: str, texts: Iterable[str]) -> dict[str, bool]:
    """Key -> whether the symbol holds it, for a document's symbol and its other texts
    (title, abstract, the text of its files). A reader who may not read the document
    finds it by the keys of its symbol alone."""
    keys = dict.fromkeys(text_keys(symbol), True)
    for text in texts:
        for key in text_keys(text) if len(text) < 2000 else _long_keys(text):
            keys.setdefault(key, False)
    return keys


def _long_keys(text: str) -> set[str]:
    return {k for t in tokens(text) for k in token_keys(t)}


def query_words(q: str) -> list[str]:
    """The words of a search, folded and cut as keys are, each once, at most QUERY_WORDS."""
    words: list[str] = []
    for token in tokens(q):
        word = token[:KEY_LENGTH]
        if word not in words:
            words.append(word)
    return words[:QUERY_WORDS]
