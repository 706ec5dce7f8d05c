"""The Content page: which content works best, by format, tag, publication slot, hashtag and
text length, for the global filters' period and scope.

Every section reads one frame: the posts in scope with each post's latest snapshot, loaded
once (``reporting.kpis.inputs.kpi_post_facts``, the rows the KPI engine reads, plus one query
for the texts). The values are formulas over several metrics (``coalesce`` of engagements and
its parts), which the formula engine evaluates per post; the medians are then a pandas
``groupby`` on a few thousand rows, which costs less than one more round trip per section.

Medians, not means, summarise a group (one viral post must not make a format look good), and a
group needs ``MIN_GROUP_POSTS`` posts to be named in a takeaway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.dates import WEEKDAYS
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors.access import WorkspaceRequest, workspace_required
from connectors.models import Post, PostFormat
from connectors.permissions import Action
from dashboards import charts, charts_content
from dashboards.cache import panel_cached
from dashboards.filters import ALL_TIME
from dashboards.scope import DashboardFilters, filters_from_query
from reporting.analysis.content import LENGTH_BUCKETS, ContentBy, _length_bucket, content_groups
from reporting.analysis.hashtags import hashtag_stats
from reporting.formula import Formula, parse
from reporting.kpis import inputs
from reporting.kpis.library import BUILTIN_KPIS
from reporting.kpis.selectors import KpiNotFound, kpi_get

MIN_GROUP_POSTS = 5
MIN_CELL_POSTS = 3
MAX_TAGS = 12
MAX_HASHTAGS = 15
# Within this ratio two groups are said to do about the same.
SAME_RATIO = 1.15
ENGAGEMENTS_KPI = "engagements_per_post"


@dataclass(frozen=True)
class ContentMetric:
    key: str
    label: Promise  # "Engagement rate"
    unit: str  # "percent" or "count"


METRICS = (
    ContentMetric("engagement_rate", gettext_lazy("Engagement rate"), "percent"),
    ContentMetric("engagements", gettext_lazy("Engagements"), "count"),
    ContentMetric("impressions", gettext_lazy("Impressions"), "count"),
    ContentMetric("reach", gettext_lazy("Reach"), "count"),
    ContentMetric("video_views", gettext_lazy("Video views"), "count"),
)
METRICS_BY_KEY = {metric.key: metric for metric in METRICS}
DEFAULT_METRIC = "engagement_rate"
FRAME_COLUMNS = ["post_id", "account_id", "platform", "published", "format", "tags", "text"]


def _engagements_source(filters: DashboardFilters) -> str:
    """The workspace's own definition of a post's engagements (its KPI, as an admin may have
    reworded it), or the built-in one when that KPI was removed."""
    try:
        version = kpi_get(workspace=filters.workspace, key=ENGAGEMENTS_KPI).current_version
    except KpiNotFound:
        version = None
    if version is not None:
        return version.formula
    return next(kpi.formula for kpi in BUILTIN_KPIS if kpi.key == ENGAGEMENTS_KPI)


def metric_formulas(engagements: str) -> dict[str, Formula]:
    """The per-post formula of each metric of the chooser.

    The engagement rate divides by impressions, or by video views where the platform counts
    no impressions (TikTok), so that every platform has a rate.
    """
    return {
        "engagements": parse(engagements),
        "engagement_rate": parse(f"({engagements}) / coalesce(impressions, video_views)"),
        "impressions": parse("impressions"),
        "reach": parse("reach"),
        "video_views": parse("video_views"),
    }


def content_posts(filters: DashboardFilters, *, formulas: dict[str, Formula]) -> pd.DataFrame:
    """The posts in scope published in the period, with one value per formula.

    Columns: post_id, account_id (int64), platform (str), published (datetime64, workspace
    clock), format (str), tags (list of str), text (str), then one float64 column per key of
    ``formulas`` (NaN when the post lacks an input). Tags narrow the posts: a post is kept
    when it has at least one of the filter's tags.
    """
    platforms = {account.pk: account.platform for account in filters.accounts}
    period = filters.period
    metrics = sorted({metric for formula in formulas.values() for metric in formula.metrics})
    facts = inputs.kpi_post_facts(
        workspace=filters.workspace,
        metrics=metrics,
        start=period.start,
        end=period.end,
        account_ids=list(platforms),
    )
    if filters.tags and len(facts):
        wanted = set(filters.tags)
        facts = facts[[bool(wanted & set(tags)) for tags in facts["tags"]]]
    if facts.empty:
        return pd.DataFrame(columns=FRAME_COLUMNS + list(formulas))
    zone = ZoneInfo(filters.workspace.timezone)
    texts = dict(
        Post.objects.filter(
            account__workspace=filters.workspace,
            account_id__in=list(platforms),
            published_at__gte=dt.datetime.combine(period.start, dt.time.min, tzinfo=zone),
            published_at__lt=dt.datetime.combine(
                period.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone
            ),
        ).values_list("pk", "text")
    )
    frame = facts.assign(
        platform=facts["account_id"].map(platforms),
        text=facts["post_id"].map(texts).fillna(""),
        **{key: formula.evaluate_frame(facts) for key, formula in formulas.items()},
    )
    return frame.reindex(columns=FRAME_COLUMNS + list(formulas)).reset_index(drop=True)


def group_summary(keyed: pd.DataFrame) -> pd.DataFrame:
    """Per ``group`` (None kept): posts, n (posts with a value), median of ``value``, and the
    median engagements and engagement rate. Sorted by median, highest first, None last."""
    grouped = keyed.assign(group=keyed["group"].fillna("")).groupby("group", sort=False)
    summary = grouped.agg(
        posts=("post_id", "size"),
        n=("value", "count"),
        median=("value", "median"),
        engagements=("engagements", "median"),
        engagement_rate=("engagement_rate", "median"),
    ).reset_index()
    missing = summary["group"] == ""
    ordered = summary[~missing].sort_values(
        ["median", "posts"], ascending=False, na_position="last", kind="mergesort"
    )
    result = pd.concat([ordered, summary[missing]], ignore_index=True)
    result["group"] = [group or None for group in result["group"]]
    return result.astype({"group": "object"})


def _number(value: float, unit: str) -> str:
    if value is None or np.isnan(value):
        return "–"
    if unit == "percent":
        shown = formats.number_format(round(value * 100, 1), decimal_pos=1, use_l10n=True)
        return _("%(number)s%%") % {"number": shown}
    decimals = 0 if abs(value) >= 10 or value == int(value) else 1
    return str(
        formats.number_format(
            round(value, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
        )
    )


def _ratio(value: float) -> str:
    # U+00D7, the multiplication sign: "2.4" then the sign reads "2.4 times".
    return str(formats.number_format(round(value, 1), decimal_pos=1, use_l10n=True)) + "×"


def takeaway(summary: pd.DataFrame, *, phrase: Callable[[Any], str], metric: ContentMetric) -> str:
    """One sentence comparing the best and the worst group with enough posts."""
    eligible = summary[(summary["n"] >= MIN_GROUP_POSTS) & summary["median"].notna()]
    what = str(metric.label).lower()
    if eligible.empty:
        return _(
            "Too few posts per group to compare: each needs at least %(min)s posts with a value."
        ) % {"min": MIN_GROUP_POSTS}
    ranked = eligible.sort_values("median", ascending=False, kind="mergesort")
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    best_phrase = phrase(best["group"])
    if len(ranked) == 1 or not worst["median"] or worst["median"] <= 0:
        return _("%(best)s get the highest median %(what)s: %(value)s (%(n)s posts).") % {
            "best": best_phrase[:1].upper() + best_phrase[1:],
            "what": what,
            "value": _number(float(best["median"]), metric.unit),
            "n": int(best["n"]),
        }
    ratio = float(best["median"]) / float(worst["median"])
    values = {
        "best": best_phrase[:1].upper() + best_phrase[1:],
        "worst": phrase(worst["group"]),
        "what": what,
        "ratio": _ratio(ratio),
        "n_best": int(best["n"]),
        "n_worst": int(worst["n"]),
    }
    if ratio < SAME_RATIO:
        return (
            _(
                "%(best)s and %(worst)s get about the same median %(what)s "
                "(%(n_best)s vs %(n_worst)s posts)."
            )
            % values
        )
    return (
        _(
            "%(best)s get %(ratio)s the median %(what)s of %(worst)s "
            "(%(n_best)s vs %(n_worst)s posts)."
        )
        % values
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _format_label(group: Any) -> str:
    return str(PostFormat(group).label) if group in PostFormat.values else str(group)


def _length_keys() -> list[tuple[str, str]]:
    """(bucket key of ``content_groups``, label) for each text-length bucket, shortest first."""
    keys = []
    for low, high in LENGTH_BUCKETS:
        key = _length_bucket("x" * low)
        if high is None:
            label = _("%(low)s+ characters") % {"low": low}
        else:
            label = _("%(low)s–%(last)s characters") % {"low": low, "last": high - 1}
        keys.append((key, label))
    return keys


@dataclass(frozen=True)
class GroupSection:
    figure: dict[str, Any] | None
    rows: list[dict[str, Any]]
    takeaway: str


def _rows(summary: pd.DataFrame, labels: list[str], metric: ContentMetric) -> list[dict[str, Any]]:
    records = summary[["posts", "n", "median", "engagements", "engagement_rate"]].to_dict("records")
    return [
        {
            "label": label,
            "posts": int(row["posts"]),
            "n": int(row["n"]),
            "few": int(row["n"]) < MIN_GROUP_POSTS,
            "median": _number(float(row["median"]), metric.unit),
            "engagements": _number(float(row["engagements"]), "count"),
            "engagement_rate": _number(float(row["engagement_rate"]), "percent"),
        }
        for row, label in zip(records, labels, strict=True)
    ]


def _group_section(
    summary: pd.DataFrame,
    *,
    labels: list[str],
    phrase: Callable[[Any], str],
    metric: ContentMetric,
) -> GroupSection:
    drawn = summary.assign(label=labels)
    figure = None
    if drawn["median"].notna().any():
        figure = charts.figure_json(
            charts_content.group_bars_chart(
                drawn, name=str(metric.label), unit=metric.unit, min_posts=MIN_GROUP_POSTS
            )
        )
    return GroupSection(
        figure=figure,
        rows=_rows(summary, labels, metric),
        takeaway=takeaway(summary, phrase=phrase, metric=metric),
    )


def format_section(frame: pd.DataFrame, metric: ContentMetric) -> GroupSection:
    summary = group_summary(content_groups(frame, by=ContentBy.FORMAT))
    return _group_section(
        summary,
        labels=[_format_label(group) for group in summary["group"]],
        phrase=lambda group: _("%(format)s posts") % {"format": _format_label(group).lower()},
        metric=metric,
    )


def tag_section(frame: pd.DataFrame, metric: ContentMetric) -> GroupSection:
    summary = group_summary(content_groups(frame, by=ContentBy.TAG))
    tagged = summary[summary["group"].notna()]
    # The most used tags, still ranked by their median; the untagged posts stay last.
    kept = tagged.nlargest(MAX_TAGS, "posts", keep="first").index
    summary = pd.concat(
        [tagged.loc[tagged.index.isin(kept)], summary[summary["group"].isna()]], ignore_index=True
    )
    return _group_section(
        summary,
        labels=[group if isinstance(group, str) else _("No tag") for group in summary["group"]],
        phrase=lambda group: (
            _("posts tagged %(tag)s") % {"tag": group}
            if isinstance(group, str)
            else _("posts without a tag")
        ),
        metric=metric,
    )


def length_section(frame: pd.DataFrame, metric: ContentMetric) -> GroupSection:
    keyed = content_groups(frame, by=ContentBy.LENGTH_BUCKET)
    buckets = _length_keys()
    order = {key: position for position, (key, _label) in enumerate(buckets)}
    labels = dict(buckets)
    summary = group_summary(keyed)
    summary = summary.sort_values(
        "group", key=lambda groups: groups.map(order), kind="mergesort", ignore_index=True
    )
    return _group_section(
        summary,
        labels=[labels.get(str(group), str(group)) for group in summary["group"]],
        phrase=lambda group: _("posts of %(length)s") % {"length": labels.get(group, group)},
        metric=metric,
    )


def hashtag_section(frame: pd.DataFrame, metric: ContentMetric) -> GroupSection:
    stats = hashtag_stats(frame[["text", "value"]], top=MAX_HASHTAGS)
    if stats.empty:
        return GroupSection(figure=None, rows=[], takeaway="")
    engagements = hashtag_stats(
        frame[["text", "engagements"]].rename(columns={"engagements": "value"}),
        top=len(frame),
        min_posts=1,
    )
    per_tag = dict(zip(engagements["hashtag"].fillna(""), engagements["median"], strict=True))
    # The most used hashtags, ranked by how their posts did; posts without any stay last.
    missing = stats["hashtag"].isna()
    stats = pd.concat(
        [
            stats[~missing].sort_values(["median", "n"], ascending=False, kind="mergesort"),
            stats[missing],
        ],
        ignore_index=True,
    )
    summary = stats.assign(
        posts=stats["n"],
        engagements=[
            per_tag.get(tag if isinstance(tag, str) else "", np.nan) for tag in stats["hashtag"]
        ],
        group=stats["hashtag"],
    )
    labels = [f"#{tag}" if isinstance(tag, str) else _("No hashtag") for tag in stats["hashtag"]]
    section = _group_section(
        summary.assign(engagement_rate=np.nan),
        labels=labels,
        phrase=lambda group: (
            _("posts with #%(hashtag)s") % {"hashtag": group}
            if isinstance(group, str)
            else _("posts without a hashtag")
        ),
        metric=metric,
    )
    for row, share, lift in zip(section.rows, stats["share"], stats["lift"], strict=True):
        row["share"] = _number(float(share), "percent")
        row["lift"] = _ratio(float(lift)) if not np.isnan(lift) else "–"
    return section


@dataclass(frozen=True)
class HeatmapSection:
    figure: dict[str, Any] | None
    takeaway: str


def heatmap_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Posts with a value per publication weekday (0 is Monday) and hour, on the workspace's
    clock. Columns: weekday, hour, n (int64), median (float64); only cells with posts."""
    valued = frame[frame["value"].notna()]
    cells = valued.groupby(
        [
            valued["published"].dt.day_of_week.rename("weekday"),
            valued["published"].dt.hour.rename("hour"),
        ]
    )["value"].agg(n="size", median="median")
    return cells.reset_index().astype({"weekday": "int64", "hour": "int64", "n": "int64"})


def heatmap_section(frame: pd.DataFrame, metric: ContentMetric) -> HeatmapSection:
    cells = heatmap_cells(frame)
    enough = cells[cells["n"] >= MIN_CELL_POSTS]
    if enough.empty:
        return HeatmapSection(figure=None, takeaway="")
    figure = charts_content.weekday_hour_heatmap(
        cells, name=str(metric.label), unit=metric.unit, min_posts=MIN_CELL_POSTS
    )
    best = enough.sort_values(["median", "n"], ascending=False, kind="mergesort").iloc[0]
    hour = int(best["hour"])
    values = {
        "weekday": str(WEEKDAYS[int(best["weekday"])]),
        "slot": f"{hour:02d}:00–{(hour + 1) % 24:02d}:00",
        "what": str(metric.label).lower(),
        "value": _number(float(best["median"]), metric.unit),
        "n": int(best["n"]),
    }
    text = (
        _("The best time slot is %(weekday)s, %(slot)s (median %(what)s: %(value)s, %(n)s posts).")
        % values
    )
    overall = float(frame["value"].median())
    if overall > 0:
        text += " " + _("That is %(ratio)s the median of all posts.") % {
            "ratio": _ratio(float(best["median"]) / overall)
        }
    return HeatmapSection(figure=charts.figure_json(figure), takeaway=text)


def coverage_note(frame: pd.DataFrame, metric: ContentMetric) -> str:
    """Which posts the chosen metric leaves out, and the platforms that do not report it."""
    missing = frame["value"].isna()
    if not missing.any():
        return ""
    silent = sorted(
        {
            charts.platform_label(str(platform))
            for platform, part in frame.groupby("platform")
            if part["value"].isna().all()
        }
    )
    values = {
        "missing": int(missing.sum()),
        "total": len(frame),
        "what": str(metric.label).lower(),
    }
    if silent:
        return _(
            "%(missing)s of %(total)s posts have no %(what)s and are left out of its medians "
            "(not reported for posts by %(platforms)s)."
        ) % {**values, "platforms": ", ".join(silent)}
    return _("%(missing)s of %(total)s posts have no %(what)s and are left out of its medians.") % (
        values
    )


def content_sections(filters: DashboardFilters, metric: ContentMetric) -> dict[str, Any]:
    """Every section of the page for one metric; empty when no post was published."""
    engagements = _engagements_source(filters)
    formulas = {
        key: formula
        for key, formula in metric_formulas(engagements).items()
        if key in ("engagements", "engagement_rate", metric.key)
    }
    frame = content_posts(filters, formulas=formulas)
    if frame.empty:
        return {}
    frame = frame.assign(value=frame[metric.key])
    return {
        "has_posts": True,
        "posts_count": len(frame),
        "valued_count": int(frame["value"].notna().sum()),
        "coverage": coverage_note(frame, metric),
        "engagements_formula": engagements,
        "formats": format_section(frame, metric),
        "tags": tag_section(frame, metric),
        "heatmap": heatmap_section(frame, metric),
        "hashtags": hashtag_section(frame, metric),
        "lengths": length_section(frame, metric),
        "show_metric_column": metric.key not in ("engagements", "engagement_rate"),
    }


@workspace_required(Action.VIEW)
def content(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    filters = filters_from_query(request.GET, workspace=workspace)
    asked = request.GET.get("metric") or DEFAULT_METRIC
    metric = METRICS_BY_KEY.get(asked, METRICS_BY_KEY[DEFAULT_METRIC])
    context: dict[str, Any] = {
        "filters": filters,
        "period": filters.period,
        "metric": metric,
        "metrics": METRICS,
        "metric_error": asked not in METRICS_BY_KEY,
        "min_group_posts": MIN_GROUP_POSTS,
        "min_cell_posts": MIN_CELL_POSTS,
        "has_posts": False,
        "all_dates_query": filters.query(range=ALL_TIME),
    }
    if not filters.all_accounts:
        return render(request, "content/page.html", context)
    sections = panel_cached(
        filters, "content", lambda: content_sections(filters, metric), metric.key
    )
    context.update(sections)
    return render(request, "content/page.html", context)
