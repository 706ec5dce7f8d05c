"""Platform connector tests: recorded-shape fixtures, and the shared real samples when present."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# The real samples sit beside the repository (../shared/samples); CI has them, a clone may not.
SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples"


def fixture(platform: str, name: str) -> Any:
    """The parsed JSON of ``tests/fixtures/<platform>/<name>``."""
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))
