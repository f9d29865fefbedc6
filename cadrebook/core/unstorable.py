"""Text no record can store: a NUL (PostgreSQL refuses it in text columns) or half of a UTF-16
surrogate pair (no encoding holds it). Requests bringing such text are refused at the edge —
the API with a 422 naming the field, the web pages with a 400 page — so that no query,
lookup or filter ever sends it to the database (on PostgreSQL that was a 500)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import HttpRequest

Where = tuple[str, ...]


def is_unstorable(text: str) -> bool:
    """Whether `text` holds a NUL or a lone surrogate."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def shown(text: str) -> str:
    """`text` safe to show on a page: every unstorable character as the replacement mark."""
    return "".join("\ufffd" if is_unstorable(ch) else ch for ch in text)


def address_inputs(request: HttpRequest) -> Iterator[tuple[Where, str]]:
    """The text a request's address brings: its path, and the query's names and values."""
    yield ("path",), request.path
    for key, values in request.GET.lists():
        yield (key,), key
        for value in values:
            yield (key,), value


def first_unstorable(inputs: Iterable[tuple[Where, str]]) -> Where | None:
    """Where the first unstorable text of `inputs` is, or None when all can be stored."""
    for where, text in inputs:
        if is_unstorable(text):
            return where
    return None
