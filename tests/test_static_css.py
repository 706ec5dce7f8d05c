"""Stylesheets stay well-formed: a rule left open swallows every rule after it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = sorted((Path(__file__).resolve().parents[1] / "static" / "css").glob("*.css"))


@pytest.mark.parametrize("path", CSS, ids=lambda path: path.name)
def test_every_rule_is_closed(path: Path) -> None:
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    depth = 0
    for line_number, line in enumerate(text.splitlines(), start=1):
        for char in line:
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, f"{path.name}: '}}' without a rule, line {line_number}"
    assert depth == 0, f"{path.name}: {depth} rule(s) left open"


def test_class_names_of_the_system_page_do_not_restyle_the_filter_bar() -> None:
    """``.check`` belongs to the filter bar's checkboxes; the System page has its own names."""
    app = (Path(__file__).resolve().parents[1] / "static" / "css" / "app.css").read_text()
    rules = re.findall(r"(?m)^\.check\s*\{", app)
    assert len(rules) == 1, "two '.check' rules: one restyles the other's elements"
