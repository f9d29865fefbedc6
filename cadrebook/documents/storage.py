"""Where the register's files are kept: under `settings.DOCUMENT_DIR`, named by their
SHA-256 (`ab/abcdef…`), outside any public URL; the scoped download reads them back.

A file is stored before its row is committed: if the transaction then rolls back, the file
stays unreferenced (named by its content, it harms nothing and a later upload of the same
content reuses it)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.conf import settings

CHUNK = 1024 * 1024


def root() -> Path:
    return Path(settings.DOCUMENT_DIR)


def path_of(sha256: str) -> Path:
    """Where the file with this checksum is kept."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 checksum")
    return root() / sha256[:2] / sha256


class TooLarge(Exception):
    """The file is larger than the limit (nothing was kept)."""


class NotAccepted(Exception):
    """The file's first bytes are not of an accepted kind (nothing was kept)."""


def store(source: IO[bytes], *, limit: int, accept: Callable[[bytes], bool]) -> tuple[str, int]:
    """Copy `source` into the store; returns its SHA-256 and its size. Refuses a file whose
    first bytes `accept` refuses (NotAccepted) or that is larger than `limit` bytes
    (TooLarge), keeping nothing."""
    folder = root()
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    first = True
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while block := source.read(CHUNK):
                if first and not accept(block[:16]):
                    raise NotAccepted
                first = False
                size += len(block)
                if size > limit:
                    raise TooLarge
                digest.update(block)
                out.write(block)
        if first:
            raise NotAccepted  # an empty file
        sha = digest.hexdigest()
        target = path_of(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha, size
