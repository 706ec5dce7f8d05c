from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from connectors.importers import ParsedFile, file_parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports"
SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples"
TODAY = dt.date(2025, 3, 10)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse_fixture(name: str, **options: Any) -> ParsedFile:
    """Parse a fixture under tests/fixtures/imports, with a fixed ``today`` unless given."""
    options.setdefault("today", TODAY)
    return file_parse(content=fixture_bytes(name), filename=Path(name).name, **options)


def post_values(parsed: ParsedFile, post_id: str) -> dict[str, float]:
    return {r.metric: r.value for r in parsed.post_metrics if r.post_external_id == post_id}


def day_values(parsed: ParsedFile, day: dt.date) -> dict[str, float]:
    return {r.metric: r.value for r in parsed.account_metrics if r.day == day}
