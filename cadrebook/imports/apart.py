"""A large file's rows read and checked in a second process, beside the importer that looks
them up and writes them (a national round's ratings: millions of rows). A thread cannot do
this (the interpreter runs one thread's Python at a time); a forked process can.

`chunks_apart(ctx, table, chunks)` forks a child that runs `chunks(ctx, table)` — the very
function the importer runs in its own process for a small file, so a row is read and checked
by one code path — and sends each chunk it yields to the importer through a pipe, with what
the child's copy of the report gained meanwhile (rows read, refusals, warnings), which the
importer's report takes in before it gets the chunk: the report is the same, in the same
order, as when the rows are read in the importer's process.

The child never touches the database: it inherits the importer's connections (a forked
process shares their sockets) but neither uses nor closes them, and leaves by `os._exit`
(multiprocessing's), so no finalizer of the importer's objects runs there. It works in the
import's language. At most a few chunks are in flight (the pipe's capacity: the child waits
while the importer is behind). A file the child refuses (`FileRefused`, raised while
reading) is refused as in one process; any other error of the child is raised in the
importer; the child is killed and reaped whatever happens to the importer (an error, a
cancel), and the importer checks for a cancel while it waits.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Generator, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from django.utils import translation

from cadrebook.imports.context import ImportContext, Report
from cadrebook.imports.reading import FileRefused, Table

# A file of at least this many bytes is read in a second process (about 25,000 rows of a
# ratings file): below it, starting the process costs more than it saves.
APART_BYTES = 1_000_000
# The pipe's capacity: the chunks in flight between the child and the importer (a chunk of
# 5,000 ratings rows is about 250 kB pickled).
PIPE_BYTES = 1 << 20
# How often the importer, waiting for a chunk, checks for a cancel and reports progress.
WAIT_SECONDS = 0.5

Chunks = Callable[[ImportContext, Table], Iterator[Any]]


class ChildFailed(RuntimeError):
    """The process reading the file failed or stopped without saying why."""


def reads_apart(ctx: ImportContext) -> bool:
    """Whether the import's file is large enough to be read in a second process (and the
    system can fork one)."""
    if "fork" not in multiprocessing.get_all_start_methods() or not ctx.path:
        return False
    try:
        return os.path.getsize(ctx.path) >= APART_BYTES
    except OSError:
        return False


def chunks_apart(ctx: ImportContext, table: Table, chunks: Chunks) -> Generator[Any, None, None]:
    """What `chunks(ctx, table)` yields, made in a second process. Use it closed when left
    early (`contextlib.closing`), so that the child is killed at once."""
    report = ctx.report
    reader, writer = multiprocessing.Pipe(duplex=False)
    try:
        fcntl.fcntl(writer.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:  # above the system's limit: the default capacity
        pass
    child = multiprocessing.get_context("fork").Process(
        target=_child,
        args=(ctx, table, chunks, reader, writer, translation.get_language()),
        name="cadrebook-import-reader",
        daemon=True,
    )
    child.start()
    writer.close()  # the child's end: when the child ends, the importer reads the end
    try:
        while True:
            if not wait([reader, child.sentinel], WAIT_SECONDS):
                ctx.tick("checking")  # a cancel, while the child reads
                continue
            try:
                what, gained, payload = reader.recv()
            except EOFError:
                child.join()
                raise ChildFailed(
                    f"The process reading the file stopped (exit code {child.exitcode})."
                ) from None
            _take(report, gained)
            if what == "chunk":
                yield payload
            elif what == "done":
                return
            elif what == "refused":
                code, message, details = payload
                raise FileRefused(code, message, details=details)
            else:
                raise _failure(payload)
    finally:
        reader.close()
        if child.is_alive():
            child.kill()
        child.join()
        child.close()


def _child(
    ctx: ImportContext,
    table: Table,
    chunks: Chunks,
    reader: Connection,
    writer: Connection,
    language: str | None,
) -> None:
    """The child: the rows read and checked, each chunk sent with what the report gained."""
    reader.close()  # so that the child's sends fail, rather than wait, if the importer dies
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importer's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not a worker's handler, inherited
    if language:
        translation.activate(language)
    else:
        translation.deactivate_all()
    report = ctx.report
    sent = [report.rows_read, len(report.errors), len(report.warnings)]

    def gained() -> tuple[int, list[Any], list[Any]]:
        read, errors, warnings = sent
        out = (report.rows_read - read, report.errors[errors:], report.warnings[warnings:])
        sent[:] = [report.rows_read, len(report.errors), len(report.warnings)]
        return out

    try:
        for chunk in chunks(ctx, table):
            writer.send(("chunk", gained(), chunk))
        writer.send(("done", gained(), None))
    except FileRefused as exc:
        writer.send(("refused", gained(), (exc.code, str(exc.message), exc.details)))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the importer has gone: nothing to tell
    except BaseException as exc:  # noqa: BLE001 (said to the importer, which raises it)
        writer.send(("failed", gained(), _portable(exc)))
    finally:
        writer.close()


def _take(report: Report, gained: tuple[int, list[Any], list[Any]]) -> None:
    read, errors, warnings = gained
    report.rows_read += read
    report.errors.extend(errors)
    report.refused_rows.update(issue.row for issue in errors)
    report.warnings.extend(warnings)


def _portable(exc: BaseException) -> tuple[bytes | None, str]:
    """The child's exception as the importer can raise it again (when it pickles), and its
    traceback."""
    text = "".join(traceback.format_exception(exc))
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)  # noqa: S301 (our own bytes, just made)
    except Exception:  # noqa: BLE001 (then the traceback says it)
        return None, text
    return data, text


def _failure(payload: tuple[bytes | None, str]) -> BaseException:
    data, text = payload
    cause = ChildFailed("The process reading the file failed:\n" + text)
    if data is None:
        return cause
    exc: BaseException = pickle.loads(data)  # noqa: S301 (from our own child)
    exc.__cause__ = cause
    return exc
