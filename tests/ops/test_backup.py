"""``manage.py backup`` and ``restore``: a real round trip through pg_dump and pg_restore into a
new database and data folder, and archives that must be refused without touching anything."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from connectors.backup import MANIFEST, archive_open, sha256
from connectors.models import FileImport, Workspace
from reporting.report_models import ReportFormat, ReportRun, RunStatus
from tests.processes import ROOT, worker_database_url

PDF = b"%PDF-1.7\nBackup round trip\n%%EOF"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="The round trip goes through pg_dump and pg_restore.",
)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "data" / "media"
    return Path(settings.MEDIA_ROOT)


def _admin_connection() -> Any:
    dsn = worker_database_url().rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A new, empty database beside the test database; its URL. Dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield worker_database_url().rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _seed(media: Path) -> None:
    call_command("seed_demo", "--days=3", stdout=StringIO())
    workspace = Workspace.objects.get(slug="demo")
    workspace.logo.save("logo.png", ContentFile(PNG), save=True)
    run = ReportRun(
        workspace=workspace,
        title="Backup report",
        template_snapshot={"sections": [{"type": "summary"}]},
        period_start="2026-10-01",
        period_end="2026-10-31",
        language="en",
        format=ReportFormat.PDF,
        status=RunStatus.READY,
        file_size=len(PDF),
    )
    run.file.save("october.pdf", ContentFile(PDF), save=False)
    run.save()
    upload = FileImport(workspace=workspace, original_name="export.csv")
    upload.file.save("export.csv", ContentFile(b"date,followers\n2026-10-01,12\n"), save=False)
    upload.save()


def _table_fingerprints(dsn: str) -> dict[str, tuple[int, str]]:
    """Row count and a checksum of the sorted rows of every table that has rows."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        prints = {}
        for table in tables:
            # Table names come from pg_tables, not from input.
            query = f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: E501, S608
            cursor.execute(query)
            count, digest = cursor.fetchone()
            if count:
                prints[table] = (count, digest)
    conn.close()
    return prints


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256(p) for p in root.rglob("*") if p.is_file()}


def test_backup_restores_every_row_and_file_into_a_new_database(
    transactional_db: None, media: Path, empty_database: str, tmp_path: Path
) -> None:
    _seed(media)
    out = StringIO()
    call_command("backup", f"--directory={tmp_path / 'backups'}", stdout=out)
    archive = next((tmp_path / "backups").glob("rapport-*.tar.gz"))
    assert "It holds no keys" in out.getvalue()

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
    assert names[0] == MANIFEST
    assert "keys.json" not in names and manifest["includes_keys"] is False
    assert manifest["database"] == {"vendor": "postgresql", "file": "database.pgdump"}
    assert "connectors.0001_initial" in manifest["migrations"]
    assert set(manifest["files"]) == {"database.pgdump"} | {
        f"media/{name}" for name in _files(media)
    }

    restored_data = tmp_path / "restored"
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(archive)],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"},
            "DATABASE_URL": empty_database,
            "RAPPORT_DATA_DIR": str(restored_data),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Restore complete." in result.stdout

    original = _table_fingerprints(worker_database_url())
    assert {"connectors_accountmetric", "reporting_kpidefinition", "reporting_reportrun"} <= set(
        original
    )
    assert _table_fingerprints(empty_database) == original
    assert _files(restored_data / "media") == _files(media)
    assert len(_files(media)) == 3


@pytest.fixture
def good_archive(transactional_db: None, media: Path, tmp_path: Path) -> Path:
    _seed(media)
    call_command("backup", f"--directory={tmp_path / 'backups'}", stdout=StringIO())
    return next((tmp_path / "backups").glob("rapport-*.tar.gz"))


def _refused(archive: Path, media: Path, *extra: str) -> str:
    rows_before = _table_fingerprints(worker_database_url())
    files_before = _files(media)
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), *extra, stdout=StringIO())
    assert _table_fingerprints(worker_database_url()) == rows_before
    assert _files(media) == files_before
    return str(refused.value)


def test_a_truncated_archive_is_refused_and_nothing_is_touched(
    good_archive: Path, media: Path, tmp_path: Path
) -> None:
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good_archive.read_bytes()[: good_archive.stat().st_size // 2])
    message = _refused(truncated, media, "--force")
    assert "damaged or incomplete" in message and "nothing was restored" in message


def test_an_altered_file_fails_the_manifest_check(
    good_archive: Path, media: Path, tmp_path: Path
) -> None:
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(good_archive) as source, tarfile.open(altered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member)
            content = data.read() if data else b""
            if member.name.endswith("october.pdf"):
                content = content.replace(b"round", b"ROUND")
            member.size = len(content)
            target.addfile(member, fileobj=io.BytesIO(content))
    message = _refused(altered, media, "--force")
    assert "does not match its manifest" in message and "altered: media/reports/" in message


def test_not_a_backup_is_refused(transactional_db: None, media: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(gzip.compress(b"not a tar file at all" * 100))
    assert "damaged or incomplete" in _refused(junk, media)


def test_restore_into_a_database_with_data_needs_force(good_archive: Path, media: Path) -> None:
    message = _refused(good_archive, media)
    assert "already has tables" in message and "FORCE=1" in message


def test_checked_archive_lists_what_it_holds(good_archive: Path, tmp_path: Path) -> None:
    checked = archive_open(path=good_archive, into=tmp_path / "unpacked")
    assert checked.database_file.name == "database.pgdump"
    assert (checked.media / "logos").is_dir()


def _with_manifest(archive: Path, target: Path, change: Any) -> Path:
    """A copy of ``archive`` whose manifest went through ``change`` (a dict → None)."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member)
            content = data.read() if data else b""
            if member.name == MANIFEST:
                manifest = json.loads(content)
                change(manifest)
                content = json.dumps(manifest).encode()
            member.size = len(content)
            out.addfile(member, fileobj=io.BytesIO(content))
    return target


@pytest.mark.parametrize("database_file", ["/etc/passwd", "../database.pgdump", "media/x"])
def test_a_manifest_pointing_the_database_elsewhere_is_refused(
    good_archive: Path, media: Path, tmp_path: Path, database_file: str
) -> None:
    forged = _with_manifest(
        good_archive,
        tmp_path / "forged.tar.gz",
        lambda manifest: manifest["database"].update(file=database_file),
    )
    message = _refused(forged, media, "--force")
    assert "does not match its manifest" in message and database_file in message


def test_a_manifest_claiming_keys_it_does_not_hold_is_refused(
    good_archive: Path, media: Path, tmp_path: Path
) -> None:
    forged = _with_manifest(
        good_archive, tmp_path / "keys.tar.gz", lambda manifest: manifest.update(includes_keys=True)
    )
    assert "missing: keys.json" in _refused(forged, media, "--force")


def test_the_archive_is_readable_by_its_owner_only(good_archive: Path) -> None:
    assert good_archive.stat().st_mode & 0o777 == 0o600
