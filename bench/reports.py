"""Report benchmark: ``python bench/run.py reports --scale small|large [--json FILE]``.

Renders the generated workspace's ``monthly`` report template (``bench/generate.py``) as PDF and
as PPTX, and prints where the time goes and how much memory it takes:

- **build**: ``report_build`` (queries, pandas, figures), cold (cache cleared) then warm;
- **PDF**: ``pdf_render`` split into charts (Kaleido: Chromium start + one SVG per chart),
  HTML (templates) and layout (WeasyPrint): on a fresh Chromium (``--runs`` times), on one
  already running, and with Chromium started before the (warm) build, as a task can do it;
- **PPTX**: ``pptx_render``, when ``dashboards/reports/render_pptx.py`` exists.

Memory is sampled every 100 ms from ``/proc``: the proportional set size (PSS, shared pages
divided among the processes that share them) of this process plus every process it started,
Chromium's included, and of this process alone. ``ru_maxrss`` of the run is printed too.

When the monthly template yields fewer than 12 charts on the workspace, KPI chart sections are
added to an unsaved copy of it until it has 12 (printed as "bench template").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.generate import django_setup

T = TypeVar("T")
TARGET_PDF_SECONDS = 5.0
TARGET_PEAK_MB = 500.0
TARGET_CHARTS = 12
# KPI charts added, in this order, when the template draws fewer than TARGET_CHARTS charts.
EXTRA_CHARTS = [
    {"type": "kpi_chart", "kpi": "impressions", "by": "platform"},
    {"type": "kpi_chart", "kpi": "engagement_rate", "by": "platform"},
    {"type": "kpi_chart", "kpi": "posts_published", "by": "format"},
    {"type": "kpi_chart", "kpi": "reach", "by": "account"},
    {"type": "kpi_chart", "kpi": "engagements", "by": "tag"},
    {"type": "kpi_chart", "kpi": "impressions", "by": "format"},
]


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    """User + system CPU ticks of ``pid`` so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Chromium starts its helpers from its own process)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                # The command name may hold spaces; the parent id follows its closing ")".
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class MemorySampler:
    """Peak PSS of this process and its descendants, and their CPU time, sampled in a thread.

    CPU time says what a stage costs whatever else the machine runs; wall time does not.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_kb = 0
        self.peak_self_kb = 0
        self.peak_children_kb = 0
        # Per descendant, the most CPU ticks seen: a process that ends keeps its last count.
        self.child_ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)

    def _sample(self) -> None:
        me = os.getpid()
        pids = _children(me)
        for pid in pids:
            self.child_ticks[pid] = max(self.child_ticks.get(pid, 0), _cpu_ticks(pid))
        children = sum(_pss_kb(pid) for pid in pids)
        mine = _pss_kb(me)
        self.peak_children_kb = max(self.peak_children_kb, children)
        self.peak_self_kb = max(self.peak_self_kb, mine)
        self.peak_kb = max(self.peak_kb, mine + children)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


@dataclass
class Stage:
    name: str
    seconds: float
    peak_mb: float | None = None
    python_peak_mb: float | None = None
    chromium_peak_mb: float | None = None
    cpu_s: float | None = None
    chromium_cpu_s: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _measure(name: str, work: Callable[[], T]) -> tuple[T, Stage]:
    with MemorySampler() as memory:
        started, cpu = time.perf_counter(), time.process_time()
        result = work()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    stage = Stage(
        name,
        seconds,
        peak_mb=memory.peak_kb / 1024,
        python_peak_mb=memory.peak_self_kb / 1024,
        chromium_peak_mb=memory.peak_children_kb / 1024,
        cpu_s=cpu,
        chromium_cpu_s=sum(memory.child_ticks.values()) / TICKS,
    )
    return result, stage


def _template(workspace: Any, say: Callable[[str], None]) -> tuple[Any, bool]:
    """The workspace's monthly template, with KPI charts added (unsaved) to reach 12 charts."""
    from dashboards.reports.build import report_build
    from reporting.report_defaults import MONTHLY, report_templates_ensure
    from reporting.report_models import ReportTemplate

    report_templates_ensure(workspace=workspace)
    template = ReportTemplate.objects.get(workspace=workspace, key=MONTHLY)
    charts = report_build(template=template).figure_count()
    if charts >= TARGET_CHARTS:
        return template, False
    kpis = set(workspace.kpis.values_list("key", flat=True))
    sections = list(template.sections)
    extras = [spec for spec in EXTRA_CHARTS if spec["kpi"] in kpis]
    for spec in extras:
        # Each KPI chart section draws its trend and its breakdown: two charts.
        if charts >= TARGET_CHARTS:
            break
        sections.insert(len(sections) - 1, spec)
        charts += 2
    say(
        f"bench template: the monthly template with {len(sections) - len(template.sections)} "
        "KPI chart sections added (not saved)"
    )
    template.sections = sections
    return template, True


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def reports(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.cache import cache
    from django.utils.translation import override

    from bench.generate import _counts_in_db
    from dashboards.reports.build import report_build
    from dashboards.reports.figures import ChartRenderer
    from dashboards.reports.render_pdf import RenderTimings, pdf_render

    say = print
    # Generated in a process of its own: the generator's millions of rows would otherwise stay
    # in this process's memory (freed, but not returned to the system) and in its peak.
    subprocess.run(
        [sys.executable, str(Path(__file__).with_name("generate.py")), "--scale", args.scale],
        check=True,
    )
    from bench.synth import SCALES
    from connectors.models import Workspace

    workspace = Workspace.objects.get(slug=SCALES[args.scale].slug)
    template, adapted = _template(workspace, say)
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    stages: list[Stage] = []
    runs: list[dict[str, Any]] = []

    cache.clear()
    document, cold_build = _measure("build (cold cache)", lambda: report_build(template=template))
    stages.append(cold_build)
    document, warm_build = _measure("build (warm cache)", lambda: report_build(template=template))
    stages.append(warm_build)
    say(f"document: {len(document.sections)} sections, {document.figure_count()} charts")

    pdf = b""
    for run in range(args.runs):
        timings = RenderTimings()
        pdf, stage = _measure("PDF", _pdf_job(pdf_render, document, timings))
        stage.detail = {
            "charts_s": timings.charts,
            "html_s": timings.html,
            "layout_s": timings.layout,
            "pages": timings.pages,
            "bytes": len(pdf),
        }
        runs.append({"run": run + 1, **asdict(stage)})
        stages.append(stage)
    # The same charts on an already running Chromium: what keeping it warm saves.
    with ChartRenderer() as charts:
        charts.render([_any_figure(document)], "svg")
        warm = RenderTimings()
        _pdf, stage = _measure(
            "PDF (Chromium already running)",
            lambda: pdf_render(document, charts=charts, timings=warm),
        )
        stage.detail = {"charts_s": warm.charts, "html_s": warm.html, "layout_s": warm.layout}
        stages.append(stage)
    # As a render task can do it: Chromium starts while the report is built (warm cache).
    overlapped = RenderTimings()

    def build_and_render() -> bytes:
        with ChartRenderer() as charts:
            built = report_build(template=template)
            return pdf_render(built, charts=charts, timings=overlapped)

    _pdf, stage = _measure("build + PDF, Chromium started first", build_and_render)
    stage.detail = {
        "charts_s": overlapped.charts,
        "html_s": overlapped.html,
        "layout_s": overlapped.layout,
    }
    stages.append(stage)
    if out:
        (out / f"bench-{args.scale}.pdf").write_bytes(pdf)

    pptx_note = ""
    try:
        from dashboards.reports.render_pptx import pptx_render
    except ImportError as error:
        pptx_note = f"pptx: not available ({error})"
    else:
        with override(document.language):
            pptx, stage = _measure("PPTX", lambda: pptx_render(document))
        stage.detail = {"bytes": len(pptx)}
        stages.append(stage)
        if out:
            (out / f"bench-{args.scale}.pptx").write_bytes(pptx)

    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    counts = _counts_in_db(workspace)
    print(f"scale {args.scale}: {', '.join(f'{v:,} {k}' for k, v in counts.items())}")
    print(
        f"template: {template.name}{' (bench copy with extra charts)' if adapted else ''}; "
        f"{len(document.sections)} sections, {document.figure_count()} charts, "
        f"PDF {runs[-1]['detail']['pages']} pages"
    )
    _print(stages)
    if pptx_note:
        print(pptx_note)
    pdf_runs = [run["seconds"] for run in runs]
    pdf_peaks = [run["peak_mb"] or 0 for run in runs]
    python_peaks = [run["python_peak_mb"] or 0 for run in runs]
    verdict = _median(pdf_runs) < TARGET_PDF_SECONDS and max(pdf_peaks) < TARGET_PEAK_MB
    print(
        f"PDF median {_median(pdf_runs):.2f} s over {len(pdf_runs)} run(s); peak "
        f"{max(pdf_peaks):.0f} MB PSS with Chromium, {max(python_peaks):.0f} MB for Python alone "
        f"(ru_maxrss {maxrss_mb:.0f} MB). Target: < {TARGET_PDF_SECONDS:.0f} s "
        f"and < {TARGET_PEAK_MB:.0f} MB: {'met' if verdict else 'NOT met'}."
    )
    if args.json:
        report = {
            "scale": args.scale,
            "template": template.name,
            "bench_template": adapted,
            "sections": len(document.sections),
            "charts": document.figure_count(),
            "stages": [asdict(stage) for stage in stages],
            "pdf_runs": runs,
            "ru_maxrss_mb": maxrss_mb,
            "pptx": pptx_note or "rendered",
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def _pdf_job(render: Callable[..., bytes], document: Any, timings: Any) -> Callable[[], bytes]:
    return lambda: render(document, timings=timings)


def _any_figure(document: Any) -> tuple[Any, int, int]:
    for section in document.sections:
        for figure in section.figures:
            return figure.figure, 680, figure.height
    raise SystemExit("The report has no chart to measure.")


def _print(stages: list[Stage]) -> None:
    header = (
        "stage",
        "wall s",
        "charts",
        "html",
        "layout",
        "CPU s",
        "Chromium CPU s",
        "peak MB",
        "Python MB",
        "Chromium MB",
    )
    rows = [
        (
            stage.name,
            f"{stage.seconds:.2f}",
            _seconds(stage.detail.get("charts_s")),
            _seconds(stage.detail.get("html_s")),
            _seconds(stage.detail.get("layout_s")),
            _seconds(stage.cpu_s),
            _seconds(stage.chromium_cpu_s or None),
            f"{stage.peak_mb:.0f}" if stage.peak_mb is not None else "-",
            f"{stage.python_peak_mb:.0f}" if stage.python_peak_mb is not None else "-",
            f"{stage.chromium_peak_mb:.0f}" if stage.chromium_peak_mb else "-",
        )
        for stage in stages
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("reports", help="Render the monthly report as PDF and PPTX.")
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument("--json", metavar="FILE", help="Also write the results as JSON.")
    parser.add_argument("--runs", type=int, default=1, help="PDF renders to time (1).")
    parser.add_argument("--out", metavar="DIR", help="Keep the PDF and PPTX in this folder.")
    parser.set_defaults(handler=reports)
