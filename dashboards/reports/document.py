"""What a rendered report contains, independent of its format.

The builder (``dashboards.reports.build``) fills a ``ReportDocument``; every renderer reads only
this. Each section carries what each format needs:

- ``template`` and ``context``: the HTML partial (under ``templates/reports/sections/``) the PDF,
  the preview and the share page include, and its context;
- ``figures``: Plotly figures, drawn as SVG in the PDF and as PNG in the slides;
- ``tables``: the data behind the section, column headers already translated, for XLSX/CSV;
- ``lines``: a few sentences that sum the section up, the text of its slide;
- ``notes``: speaker notes for its slide (the commentary).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go


@dataclass(frozen=True)
class ReportFigure:
    title: str
    figure: go.Figure
    # Height in CSS pixels at the PDF's content width (about 680 px); slides scale it.
    height: int = 320


@dataclass(frozen=True)
class ReportTable:
    """A sheet of the XLSX (and a file of the CSV zip): ``name`` is at most 31 characters."""

    name: str
    frame: pd.DataFrame


@dataclass
class ReportSection:
    key: str  # unique in the document: "3-kpi_chart"
    type: str  # a key of dashboards.reports.sections.SECTION_TYPES
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    figures: list[ReportFigure] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    notes: str = ""
    in_toc: bool = True


@dataclass(frozen=True)
class Branding:
    name: str
    color: str  # "#rrggbb", validated on the workspace
    footer: str
    logo_path: str | None  # an absolute path under MEDIA_ROOT, or None


@dataclass
class ReportDocument:
    title: str
    workspace_name: str
    workspace_slug: str
    language: str
    period_start: dt.date
    period_end: dt.date
    compare_start: dt.date | None
    compare_end: dt.date | None
    period_label: str  # "1–31 October 2026"
    compare_label: str  # "" without a comparison
    scope_lines: list[str]  # "Accounts: …", "Tags: …"; empty for the whole workspace
    generated_at: dt.datetime
    branding: Branding
    sections: list[ReportSection]
    has_data: bool
    commentary: str = ""
    kpi_versions: dict[str, int] = field(default_factory=dict)
    data_freshness: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def figure_count(self) -> int:
        return sum(len(section.figures) for section in self.sections)

    def tables(self) -> list[ReportTable]:
        return [table for section in self.sections for table in section.tables]
