"""Backups of a whole deployment in one file, their check, and their restore.

A backup is a gzip-compressed tar archive:

- `manifest.json`, first: the format and its version, the Cadrebook version, the database
  vendor, when it was made, the migrations applied in each app (the last of each list is the
  app's latest), the audit log's tip (entries, last id, last hash), where the uploaded files
  lay, and the size and SHA-256 of every other member;
- the database: `database.sqlite3` (SQLite's online backup API, a consistent copy while the
  server keeps writing: WAL mode) or `database.pgdump` (`pg_dump --format=custom` in the
  snapshot the manifest was read in);
- `files/imports/...`: the uploaded import files and their reports (settings.IMPORT_DIR).

Left out: the collected static files and the cache (rebuilt), and the secret key. The key
signs sessions and password-reset links only (API tokens are stored as plain SHA-256, TOTP
devices keep their own keys in the database), so a restore under another key costs users one
sign-in, while a backup carrying the key would let whoever holds the file forge sessions.

A restore checks everything before it touches the database: the manifest, the vendor, that
the code knows every migration the backup had applied, then every member's checksum and the
database itself (`PRAGMA integrity_check`, `pg_restore --list`). It replaces the database
in one step (SQLite: a file moved into place; PostgreSQL: one transaction), so a failure
leaves the database as it was, then migrates a backup made by an older version and records
the restore in the restored audit log, which goes on from the backup's tip.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "cadrebook-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES_PREFIX = "files/"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be made, read or restored; the message says what and where."""


@dataclass
class Manifest:
    """What a backup holds (the archive's `manifest.json`)."""

    cadrebook_version: str
    vendor: str
    created_at: str
    migrations: dict[str, list[str]]
    audit: dict[str, Any]
    file_roots: dict[str, str]
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBER[self.vendor]

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "cadrebook_version": self.cadrebook_version,
            "vendor": self.vendor,
            "created_at": self.created_at,
            "migrations": self.migrations,
            "audit": self.audit,
            "file_roots": self.file_roots,
            "members": self.members,
        }
        return json.dumps(data, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes, where: Path) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ValueError("format")
        except (ValueError, AttributeError) as exc:
            raise BackupError(
                _("%(file)s is not a Cadrebook backup: its manifest is unreadable.")
                % {"file": where}
            ) from exc
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                _(
                    "%(file)s is a backup of format version %(found)s; this Cadrebook reads "
                    "version %(known)s."
                )
                % {"file": where, "found": data.get("format_version"), "known": FORMAT_VERSION}
            )
        try:
            manifest = cls(
                cadrebook_version=str(data["cadrebook_version"]),
                vendor=str(data["vendor"]),
                created_at=str(data["created_at"]),
                migrations={str(k): [str(n) for n in v] for k, v in data["migrations"].items()},
                audit=dict(data["audit"]),
                file_roots={str(k): str(v) for k, v in data["file_roots"].items()},
                members={str(k): dict(v) for k, v in data["members"].items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise BackupError(
                _("%(file)s is not a Cadrebook backup: its manifest is incomplete.")
                % {"file": where}
            ) from exc
        if manifest.vendor not in DATABASE_MEMBER or manifest.database_member not in (
            manifest.members
        ):
            raise BackupError(
                _("%(file)s is not a Cadrebook backup: its manifest names no database.")
                % {"file": where}
            )
        for name in manifest.members:
            if not _safe_member_name(name):
                raise BackupError(
                    _("%(file)s is not a Cadrebook backup: it names a file outside it (%(name)s).")
                    % {"file": where, "name": name}
                )
        return manifest


@dataclass
class Summary:
    """What a backup, a check or a restore did, for the command's report."""

    path: Path
    manifest: Manifest
    migrated: bool = False
    files: int = 0


def _safe_member_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and not name.startswith("/")
        and ".." not in parts
        and "\\" not in name
        and (name in DATABASE_MEMBER.values() or name.startswith(FILES_PREFIX))
    )


def cadrebook_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cadrebook")
    except PackageNotFoundError:
        return "unknown"


def file_roots() -> dict[str, Path]:
    """The folders of user data kept with the database: the uploaded import files and their
    reports, the register's document files. (Issued reports are rows of the database; static
    files and the cache are not data.)"""
    return {"imports": Path(settings.IMPORT_DIR), "documents": Path(settings.DOCUMENT_DIR)}


def _sha256_copy(source: IO[bytes], target: IO[bytes] | None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while block := source.read(CHUNK):
        digest.update(block)
        size += len(block)
        if target is not None:
            target.write(block)
    return digest.hexdigest(), size


# Making a backup ---------------------------------------------------------------------------


def make_backup(path: Path) -> Summary:
    """Write a backup of the database in use and of the uploaded files to `path` (replaced
    only once the new one is complete; readable by its owner only: it holds personal data)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(
            _("Cannot write the backup to %(file)s: the folder %(folder)s does not exist.")
            % {"file": path, "folder": path.parent}
        )
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBER:
        raise BackupError(_("Backups cover SQLite and PostgreSQL, not %(v)s.") % {"v": vendor})
    # Staged beside the target: the same file system, so no small /tmp fills up.
    with tempfile.TemporaryDirectory(prefix=".cadrebook-backup-", dir=path.parent) as tmp:
        staging = Path(tmp)
        database = staging / DATABASE_MEMBER[vendor]
        if vendor == "sqlite":
            migrations, audit = _dump_sqlite(database)
        else:
            migrations, audit = _dump_postgresql(database)
        manifest = Manifest(
            cadrebook_version=cadrebook_version(),
            vendor=vendor,
            created_at=timezone.now().isoformat(),
            migrations=migrations,
            audit=audit,
            file_roots={name: str(root) for name, root in file_roots().items()},
        )
        with database.open("rb") as fh:
            digest, size = _sha256_copy(fh, None)
        manifest.members[database.name] = {"sha256": digest, "size": size}
        files = _stage_files(staging / "files", manifest)
        partial = path.with_name(path.name + ".partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                _add_bytes(tar, MANIFEST, manifest.to_json())
                for name in manifest.members:
                    tar.add(staging / name, arcname=name, recursive=False, filter=_private)
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    _audit("export", "backup.created", manifest, {"file": str(path), "files": files})
    return Summary(path=path, manifest=manifest, files=files)


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Every part readable by its owner alone, as the archive is: unpacked by hand, the
    database and the uploaded files must not become readable by everyone on the machine."""
    info.mode = 0o600 if info.isfile() else 0o700
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _stage_files(staging: Path, manifest: Manifest) -> int:
    """Copy the uploaded files into the staging folder, hashing them as they are read (an
    upload still being written is copied as far as it got)."""
    count = 0
    for root_name, root in file_roots().items():
        if not root.is_dir():
            continue
        for source in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            name = f"{FILES_PREFIX}{root_name}/{source.relative_to(root).as_posix()}"
            if not _safe_member_name(name):
                continue
            target = staging / name[len(FILES_PREFIX) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with source.open("rb") as src, target.open("wb") as dst:
                    digest, size = _sha256_copy(src, dst)
            except FileNotFoundError:
                continue  # removed meanwhile (an import finished)
            manifest.members[name] = {"sha256": digest, "size": size}
            count += 1
    return count


def _dump_sqlite(target: Path) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Copy the database with SQLite's online backup API, in one step: a read snapshot, so
    the copy is consistent while other connections write (WAL mode lets them)."""
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        return _migrations_and_tip(copy.cursor())
    finally:
        copy.close()


def _dump_postgresql(target: Path) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """`pg_dump --format=custom` of the snapshot the manifest is read in: what the manifest
    says of the migrations and the audit log is exactly what the dump holds."""
    pg_dump = _tool("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        # The transaction's first statement (a backup is never taken inside another one).
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        state = _migrations_and_tip(cursor)
        _run(
            [
                pg_dump,
                "--format=custom",
                "--compress=0",  # the archive compresses it
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            _("pg_dump failed"),
        )
    return state


def _migrations_and_tip(cursor: Any) -> tuple[dict[str, list[str]], dict[str, Any]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    migrations: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        migrations.setdefault(app, []).append(name)
    cursor.execute("SELECT COUNT(*) FROM core_auditentry")
    (entries,) = cursor.fetchone()
    cursor.execute("SELECT id, hash FROM core_auditentry ORDER BY id DESC LIMIT 1")
    last = cursor.fetchone()
    audit = {
        "entries": entries,
        "last_id": last[0] if last else None,
        "last_hash": last[1] if last else "",
    }
    return migrations, audit


# PostgreSQL's tools ------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _("%(tool)s is not on the PATH; install PostgreSQL's client programs.") % {"tool": name}
        )
    return found


def _pg_env() -> dict[str, str]:
    """The connection settings of the database in use, for libpq's tools (the password in
    the environment, never on a command line others can read)."""
    conf = connections["default"].settings_dict
    env = dict(os.environ)
    for key, var in (
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ):
        if conf.get(key):
            env[var] = str(conf[key])
    options = conf.get("OPTIONS") or {}
    for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(key):
            env[var] = str(options[key])
    return env


def _run(
    command: list[str], failure: str, *, stdin: IO[bytes] | None = None
) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(command, env=_pg_env(), stdin=stdin, capture_output=True)
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{failure}: {'; '.join(detail[-5:]) or done.returncode}")
    return done


# Reading a backup ----------------------------------------------------------------------------


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[tuple[Manifest, Iterator[tarfile.TarInfo], tarfile.TarFile]]:
    """The archive's manifest and an iterator over its other members, read as a stream."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("No backup at %(file)s: the file does not exist.") % {"file": path})
    try:
        tar = tarfile.open(path, mode="r|gz")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(
            _("%(file)s is not a Cadrebook backup: it is not a gzip-compressed tar archive.")
            % {"file": path}
        ) from exc
    with tar:
        try:
            first = tar.next()
            data = tar.extractfile(first) if first is not None and first.isfile() else None
            if first is None or first.name != MANIFEST or data is None:
                raise BackupError(
                    _("%(file)s is not a Cadrebook backup: it does not start with %(name)s.")
                    % {"file": path, "name": MANIFEST}
                )
            manifest = Manifest.from_json(data.read(), path)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(
                _("%(file)s is damaged: %(error)s") % {"file": path, "error": exc}
            ) from exc
        yield manifest, iter(tar), tar


def _read_members(
    path: Path,
    manifest: Manifest,
    members: Iterator[tarfile.TarInfo],
    tar: tarfile.TarFile,
    keep: Callable[[str], Path | None],
) -> None:
    """Read every member, checking it against the manifest; `keep(name)` says where to write
    it (None: only checked). Raises at the first member out of place, damaged or missing."""
    seen: set[str] = set()
    try:
        for info in members:
            name = info.name
            if name == MANIFEST and MANIFEST not in seen:
                seen.add(name)  # read already: iterating a tar starts again from the top
                continue
            if name not in manifest.members or name in seen or not info.isfile():
                raise BackupError(
                    _("%(file)s holds %(name)s, which its manifest does not list.")
                    % {"file": path, "name": name}
                )
            seen.add(name)
            source = tar.extractfile(info)
            assert source is not None
            target = keep(name)
            if target is None:
                digest, size = _sha256_copy(source, None)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    digest, size = _sha256_copy(source, out)
            want = manifest.members[name]
            if digest != want.get("sha256") or size != want.get("size"):
                raise BackupError(
                    _(
                        "%(file)s is damaged: %(name)s does not match its checksum "
                        "(SHA-256 %(found)s, expected %(expected)s)."
                    )
                    % {
                        "file": path,
                        "name": name,
                        "found": digest,
                        "expected": want.get("sha256"),
                    }
                )
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(_("%(file)s is damaged: %(error)s") % {"file": path, "error": exc}) from (
            exc
        )
    missing = sorted(set(manifest.members) - seen)
    if missing:
        raise BackupError(
            _("%(file)s is incomplete: %(names)s missing.")
            % {"file": path, "names": ", ".join(missing[:5])}
        )


def _check_database_file(manifest: Manifest, database: Path, path: Path) -> None:
    """The database itself: SQLite's integrity check, or pg_restore's reading of the dump."""
    if manifest.vendor == "sqlite":
        try:
            copy = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
            try:
                result = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            finally:
                copy.close()
        except sqlite3.DatabaseError as exc:
            result = [str(exc)]
        if result != ["ok"]:
            raise BackupError(
                _("%(file)s holds a damaged SQLite database: %(error)s")
                % {"file": path, "error": "; ".join(result[:5])}
            )
    else:
        _run(
            [_tool("pg_restore"), "--list", str(database)],
            _("%(file)s holds a dump pg_restore cannot read") % {"file": path},
        )


def check_backup(path: Path) -> Summary:
    """Read the whole backup without restoring it: the manifest, every checksum, and the
    database (integrity check, or the dump's table of contents)."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix=".cadrebook-check-", dir=_scratch_dir()) as tmp:
        with _opened(path) as (manifest, members, tar):
            database = Path(tmp) / manifest.database_member

            def keep(name: str) -> Path | None:
                return database if name == manifest.database_member else None

            _read_members(path, manifest, members, tar, keep)
        _check_database_file(manifest, database, path)
    files = sum(1 for name in manifest.members if name.startswith(FILES_PREFIX))
    return Summary(path=path, manifest=manifest, files=files)


def _scratch_dir() -> Path:
    var = Path(settings.VAR_DIR)
    var.mkdir(parents=True, exist_ok=True)
    return var


# Restoring -----------------------------------------------------------------------------------


def cadrebook_tables() -> list[str]:
    """The tables of the database in use that a Cadrebook database has (empty: a fresh one)."""
    ours = set(connection.introspection.django_table_names()) | {"django_migrations"}
    return sorted(set(connection.introspection.table_names()) & ours)


def check_compatible(manifest: Manifest, path: Path) -> bool:
    """Refuse a backup of the other vendor or from a newer Cadrebook; True when it is older
    (it needs `migrate` after the restore)."""
    from django.db.migrations.loader import MigrationLoader

    vendor = connection.vendor
    if manifest.vendor != vendor:
        raise BackupError(
            _(
                "%(file)s is a backup of a %(theirs)s database; this Cadrebook uses %(ours)s. "
                "A backup restores into the same kind of database it was made from (move data "
                "between them with export and import)."
            )
            % {"file": path, "theirs": _vendor_name(manifest.vendor), "ours": _vendor_name(vendor)}
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    applied = {(app, name) for app, names in manifest.migrations.items() for name in names}
    unknown = sorted(applied - known)
    if unknown:
        raise BackupError(
            _(
                "%(file)s was made by a newer Cadrebook (%(version)s): this one does not know "
                "its migrations %(names)s. Upgrade Cadrebook, then restore."
            )
            % {
                "file": path,
                "version": manifest.cadrebook_version,
                "names": ", ".join(f"{a}.{n}" for a, n in unknown[:5]),
            }
        )
    return bool(known - applied)


def _vendor_name(vendor: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(vendor, vendor)


def read_manifest(path: Path) -> Manifest:
    """The manifest alone (what a restore checks before anything else)."""
    with _opened(Path(path)) as (manifest, _members, _tar):
        return manifest


def restore_backup(path: Path, *, replace: bool = False) -> Summary:
    """Restore the backup at `path` into the database in use, which must hold no Cadrebook
    table unless `replace` (the caller has asked for confirmation), and put its files back.

    Nothing is changed until the whole backup has been read and checked; the database is
    then replaced in one step, so a failure leaves it as it was.
    """
    from django.core.management import call_command

    path = Path(path)
    manifest = read_manifest(path)
    needs_migrate = check_compatible(manifest, path)
    tables = cadrebook_tables()
    if tables and not replace:
        raise BackupError(
            _(
                "The database %(db)s is not empty: it holds %(n)d Cadrebook tables. Restore "
                "into an empty database, or replace this one with --force."
            )
            % {"db": _database_label(), "n": len(tables)}
        )
    var = _scratch_dir()
    with tempfile.TemporaryDirectory(prefix=".cadrebook-restore-", dir=var) as tmp:
        staging = Path(tmp)
        with _opened(path) as (manifest, members, tar):
            _read_members(path, manifest, members, tar, lambda name: staging / name)
        database = staging / manifest.database_member
        _check_database_file(manifest, database, path)
        if manifest.vendor == "sqlite" and _sqlite_target() is None:
            raise BackupError(_("Cannot restore into an in-memory SQLite database."))
        connections.close_all()
        if manifest.vendor == "sqlite":
            _restore_sqlite(database)
        else:
            _restore_postgresql(database, replace=bool(tables))
        files = _put_files_back(staging / FILES_PREFIX.rstrip("/"))
    connections.close_all()
    _check_restored_tip(manifest, path)
    if needs_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    _audit(
        "create",
        "backup.restored",
        manifest,
        {
            "file": str(path),
            "created_at": manifest.created_at,
            "cadrebook_version": manifest.cadrebook_version,
            "migrated": needs_migrate,
            "files": files,
        },
    )
    return Summary(path=path, manifest=manifest, migrated=needs_migrate, files=files)


def _database_label() -> str:
    conf = connections["default"].settings_dict
    return str(conf.get("NAME"))


def _sqlite_target() -> Path | None:
    name = str(connections["default"].settings_dict["NAME"])
    if not name or name == ":memory:" or "mode=memory" in name:
        return None
    return Path(name)


def _restore_sqlite(database: Path) -> None:
    """Move the checked copy into place in one rename; the old database's write-ahead log
    is folded in and removed first, so it is never applied to the new file."""
    target = _sqlite_target()
    assert target is not None
    ready = target.with_name(target.name + ".restoring")
    shutil.move(str(database), ready)  # a rename when on the same file system
    try:
        if target.exists():
            old = sqlite3.connect(target)
            try:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                old.close()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        os.replace(ready, target)
    finally:
        ready.unlink(missing_ok=True)


# Run before the dump's own statements when a database is replaced: its tables, sequences
# and functions (the append-only triggers') go, in the same transaction as the restore.
_PG_CLEAR = """
SET client_min_messages = warning;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT schemaname, viewname FROM pg_views WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP VIEW IF EXISTS %I.%I CASCADE', r.schemaname, r.viewname);
  END LOOP;
  FOR r IN SELECT schemaname, tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I.%I CASCADE', r.schemaname, r.tablename);
  END LOOP;
  FOR r IN SELECT sequence_schema, sequence_name FROM information_schema.sequences
           WHERE sequence_schema = current_schema() LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', r.sequence_schema, r.sequence_name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS routine FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.routine);
  END LOOP;
END $$;
"""


def _restore_postgresql(dump: Path, *, replace: bool) -> None:
    """pg_restore in a single transaction: a failure leaves nothing written. Replacing a
    database, its tables are dropped in that same transaction (through psql)."""
    pg_restore = _tool("pg_restore")
    options = ["--no-owner", "--no-privileges", "--exit-on-error"]
    if not replace:
        _run(
            [pg_restore, "--single-transaction", *options, f"--dbname={_pg_env()['PGDATABASE']}"]
            + [str(dump)],
            _("pg_restore failed; the database was left as it was"),
        )
        return
    # pg_restore's script streamed into psql after the clearing, all in one transaction:
    # COMMIT is sent only when pg_restore has written the whole script; otherwise psql's
    # input ends inside the transaction and PostgreSQL rolls it back.
    psql = subprocess.Popen(
        [_tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"],
        env=_pg_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert psql.stdin is not None
    restored = False
    try:
        psql.stdin.write(b"BEGIN;\n" + _PG_CLEAR.encode())
        psql.stdin.flush()
        reader = subprocess.run(
            [pg_restore, *options, "--file=-", str(dump)],
            env=_pg_env(),
            stdout=psql.stdin,
            stderr=subprocess.PIPE,
        )
        if reader.returncode == 0:
            psql.stdin.write(b"\nCOMMIT;\n")
            restored = True
    except BrokenPipeError:
        pass  # psql stopped at an error: its message is below
    finally:
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.close()
        errors = psql.stderr.read() if psql.stderr is not None else b""
        psql.wait()
    if psql.returncode != 0 or not restored:
        detail = errors.decode(errors="replace").strip().splitlines()
        raise BackupError(
            _("The restore failed; the database was left as it was: %(error)s")
            % {"error": "; ".join(detail[-5:]) or "pg_restore"}
        )


def _put_files_back(staged: Path) -> int:
    """The backup's files replace those under each root (the old ones are removed only once
    the new ones are in place)."""
    count = 0
    for name, root in file_roots().items():
        source = staged / name
        root.parent.mkdir(parents=True, exist_ok=True)
        old = root.with_name(root.name + ".before-restore")
        shutil.rmtree(old, ignore_errors=True)
        if root.exists():
            root.rename(old)
        if source.is_dir():
            shutil.move(str(source), root)
            count += sum(1 for p in root.rglob("*") if p.is_file())
        else:
            root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(old, ignore_errors=True)
    return count


def _check_restored_tip(manifest: Manifest, path: Path) -> None:
    from cadrebook.core.models import AuditEntry

    last = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
    found = {"last_id": last[0] if last else None, "last_hash": last[1] if last else ""}
    want = {k: manifest.audit.get(k) for k in ("last_id", "last_hash")}
    if found != want:
        raise BackupError(
            _(
                "The restored audit log ends at entry %(found)s, but %(file)s says its last "
                "entry is %(expected)s."
            )
            % {"found": found["last_id"], "file": path, "expected": want["last_id"]}
        )


def _audit(action: str, event_type: str, manifest: Manifest, after: dict[str, Any]) -> None:
    """Record a backup or a restore. The object is the audit log's last entry the backup
    holds: "the log up to entry #N was exported / restored". No unit: only those who read the
    whole log see it. An empty log (an empty database) has nothing to record against."""
    from cadrebook.core.audit import audit_record
    from cadrebook.core.models import AuditEntry

    last_id = manifest.audit.get("last_id")
    tip = AuditEntry.objects.filter(pk=last_id).first() if last_id is not None else None
    if tip is None:
        return
    audit_record(
        actor=None,
        obj=tip,
        action=action,
        event_type=event_type,
        after={
            **after,
            "vendor": manifest.vendor,
            "audit_entries": manifest.audit.get("entries"),
            "audit_last_hash": manifest.audit.get("last_hash"),
            "database_sha256": manifest.members[manifest.database_member]["sha256"],
        },
    )


def describe(manifest: Manifest) -> dict[str, Any]:
    """What the commands print of a manifest."""
    created = manifest.created_at
    with contextlib.suppress(ValueError):
        created = dt.datetime.fromisoformat(created).isoformat(timespec="seconds")
    return {
        "created": created,
        "version": manifest.cadrebook_version,
        "vendor": _vendor_name(manifest.vendor),
        "entries": manifest.audit.get("entries"),
        "files": sum(1 for name in manifest.members if name.startswith(FILES_PREFIX)),
    }
