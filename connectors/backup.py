"""Backups of an installation: the database and the uploaded files, in one archive.

An archive (``rapport-YYYYmmdd-HHMMSS.tar.gz``) holds::

    manifest.json        version, commit, date, applied migrations, a SHA-256 per file
    database.pgdump      pg_dump --format=custom (Postgres), or
    database.sqlite3     a copy made by SQLite's online backup API (the embedded default)
    media/...            logos, imported files, archived reports

The secret key and the encryption keys are not in it unless asked for (``--include-keys``):
an archive that travels with its keys gives away every platform token in it. Restoring checks
the whole archive before touching anything (README, Backups).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"
KEYS = "keys.json"
MEDIA = "media"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Archive:
    """A checked archive, unpacked in ``root`` (a temporary folder the caller removes)."""

    root: Path
    manifest: dict[str, Any]

    @property
    def database_file(self) -> Path:
        return self.root / self.manifest["database"]["file"]

    @property
    def media(self) -> Path:
        return self.root / MEDIA


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version() -> str:
    try:
        return metadata.version("rapport")
    except metadata.PackageNotFoundError:
        # Run from a checkout, not installed: the version declared in pyproject.toml.
        pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
        for line in pyproject.read_text().splitlines():
            if line.startswith("version"):
                return line.split("=", 1)[1].strip().strip('"')
        return "unknown"


def _commit() -> str:
    # The Docker image has no .git: its build passes the commit as RAPPORT_COMMIT.
    if os.environ.get("RAPPORT_COMMIT"):
        return os.environ["RAPPORT_COMMIT"]
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 (git from PATH, fixed arguments)
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def libpq_environment() -> dict[str, str]:
    """The default database's connection for pg_dump, pg_restore and psql, as libpq variables:
    the password never appears on a command line (where ``ps`` shows it)."""
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": str(db["NAME"])}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _run(command: list[str], *, what: str) -> None:
    try:
        # Fixed programs; the only variable arguments are our own file and database names.
        result = subprocess.run(  # noqa: S603
            command, env=libpq_environment(), capture_output=True, text=True
        )
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed: install the PostgreSQL client programs "
            "(Debian: apt-get install postgresql-client) of the same major version as the server."
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")


def _dump_database(target_dir: Path) -> str:
    if connection.vendor == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={target_dir / PG_DUMP}"],
            what="pg_dump",
        )
        return PG_DUMP
    if connection.vendor == "sqlite":
        # The online backup API copies a consistent snapshot even while the app writes; a raw
        # copy of the file taken mid-transaction can be corrupt.
        source = sqlite3.connect(str(connection.settings_dict["NAME"]))
        target = sqlite3.connect(str(target_dir / SQLITE_COPY))
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        return SQLITE_COPY
    raise BackupError(f"Backups of a {connection.vendor} database are not supported.")


def _applied_migrations() -> list[str]:
    return [
        f"{app}.{name}"
        for app, name in MigrationRecorder(connection)
        .migration_qs.order_by("app", "name")
        .values_list("app", "name")
    ]


def backup_create(*, directory: Path, include_keys: bool = False, now: dt.datetime) -> Path:
    """Write one archive into ``directory`` and return its path.

    The archive is written under a temporary name and renamed at the end, so a backup that fails
    halfway (a full disk, pg_dump refused) never leaves a file that looks complete.
    """
    directory.mkdir(parents=True, exist_ok=True)
    name = f"rapport-{now.strftime('%Y%m%d-%H%M%S')}.tar.gz"
    final = directory / name
    if final.exists():
        raise BackupError(f"{final} already exists; wait a second and try again.")
    with tempfile.TemporaryDirectory(prefix="rapport-backup-", dir=directory) as staging_name:
        staging = Path(staging_name)
        database_file = _dump_database(staging)
        files: dict[str, str] = {database_file: sha256(staging / database_file)}
        media_root = Path(settings.MEDIA_ROOT)
        media_files = sorted(p for p in media_root.rglob("*") if p.is_file() and not p.is_symlink())
        for path in media_files:
            files[str(PurePosixPath(MEDIA, *path.relative_to(media_root).parts))] = sha256(path)
        if include_keys:
            keys = {"SECRET_KEY": settings.SECRET_KEY, "ENCRYPTION_KEYS": settings.ENCRYPTION_KEYS}
            (staging / KEYS).write_text(json.dumps(keys))
            files[KEYS] = sha256(staging / KEYS)
        manifest = {
            "format": FORMAT_VERSION,
            "rapport_version": _version(),
            "commit": _commit(),
            "created_at": now.astimezone(dt.UTC).isoformat(),
            "database": {"vendor": connection.vendor, "file": database_file},
            "migrations": _applied_migrations(),
            "includes_keys": include_keys,
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = directory / f".{name}.partial"
        # Readable by the owner only from its first byte: it holds the database (and maybe keys).
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            # The manifest first: a reader can tell what it holds before reading the rest.
            tar.add(staging / MANIFEST, arcname=MANIFEST)
            tar.add(staging / database_file, arcname=database_file)
            if include_keys:
                tar.add(staging / KEYS, arcname=KEYS)
            for path in media_files:
                tar.add(
                    path, arcname=str(PurePosixPath(MEDIA, *path.relative_to(media_root).parts))
                )
        partial.chmod(0o600)  # an existing partial file keeps its old mode through O_TRUNC
        partial.rename(final)
    return final


def archive_open(*, path: Path, into: Path) -> Archive:
    """Unpack ``path`` into ``into`` and check it completely: readable to the end, a manifest,
    and every file present with its checksum. Raises ``BackupError`` otherwise."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    try:
        with tarfile.open(path, "r:gz") as tar:
            # The "data" filter refuses absolute paths, "..", links out of the folder and
            # device files: an archive cannot write outside ``into``.
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BackupError(
            f"{path.name} is damaged or incomplete ({exc.__class__.__name__}: {exc}); "
            "nothing was restored. Use another backup."
        ) from None
    manifest_path = into / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
        files: dict[str, str] = manifest["files"]
        if not isinstance(manifest["database"]["file"], str):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupError(
            f"{path.name} has no readable manifest: it is not a Rapport backup, or it is "
            "damaged. Nothing was restored."
        ) from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{path.name} is in a backup format this version cannot read.")
    present = {
        str(PurePosixPath(*p.relative_to(into).parts))
        for p in into.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    missing = sorted(set(files) - present)
    extra = sorted(present - set(files))
    changed = sorted(f for f in set(files) & present if sha256(into / f) != files[f])
    # What restore reads must be one of the checked files, by its known name: a manifest naming
    # "/etc/passwd" or "../x" as the database must not make pg_restore read it.
    if manifest["database"]["file"] not in {PG_DUMP, SQLITE_COPY} & set(files):
        missing.append(str(manifest["database"]["file"]))
    if manifest.get("includes_keys") and KEYS not in files:
        missing.append(KEYS)
    if missing or extra or changed:
        problems = [
            f"{label}: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}"
            for label, names in (("missing", missing), ("unexpected", extra), ("altered", changed))
            if names
        ]
        raise BackupError(
            f"{path.name} does not match its manifest ({'; '.join(problems)}); "
            "nothing was restored. Use another backup."
        )
    return Archive(root=into, manifest=manifest)


def database_is_empty() -> bool:
    """True when the default database has none of Rapport's tables (a new, empty database)."""
    return not connection.introspection.table_names()


def media_is_empty(media_root: Path) -> bool:
    return not media_root.exists() or not any(media_root.iterdir())


def database_restore(*, archive: Archive) -> None:
    vendor = archive.manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup is of a {vendor} database and DATABASE_URL points to "
            f"{connection.vendor}: restore it into the same kind of database."
        )
    if vendor == "postgresql":
        # One transaction: a restore that fails halfway leaves the database as it was.
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={connection.settings_dict['NAME']}",
                str(archive.database_file),
            ],
            what="pg_restore",
        )
        return
    connection.close()
    source = sqlite3.connect(str(archive.database_file))
    target = sqlite3.connect(str(connection.settings_dict["NAME"]))
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def media_restore(*, archive: Archive, media_root: Path, now: dt.datetime) -> Path | None:
    """Put the archive's files in place of ``media_root``. Files already there are moved aside
    (returned), never deleted: the operator removes them once the restore is checked."""
    replaced = None
    if media_root.exists() and any(media_root.iterdir()):
        replaced = media_root.with_name(f"{media_root.name}.before-restore-{now:%Y%m%d-%H%M%S}")
        media_root.rename(replaced)
    elif media_root.exists():
        media_root.rmdir()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    if archive.media.exists():
        shutil.copytree(archive.media, media_root)
    else:
        media_root.mkdir()
    return replaced
