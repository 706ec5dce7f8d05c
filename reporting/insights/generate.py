"""Findings for a workspace and period, each from one of the analysis functions.

Nothing here computes a statistic of its own: it reads ``reporting.analysis``, keeps what is
significant (p < 0.05 with enough posts, or a baseline breach) and large enough to matter, and
words it. Texts are produced in the requested language from translated templates; the
numbers in them come from ``evidence``, so the English and French texts quote the same ones.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from django.utils import formats, translation
from django.utils.translation import gettext as _

from connectors.metrics import METRICS
from connectors.models import Platform, PostFormat, SocialAccount, Workspace
from reporting.analysis.content import compare_samples, relative_to_account
from reporting.analysis.facts import post_values, post_values_many
from reporting.analysis.posts import posts_ranked
from reporting.analysis.timing import Slot, best_times, slot_label
from reporting.analysis.trends import anomalies_detect, trend_test
from reporting.insights.types import Insight, InsightKind

# The metrics that say how far a post travelled, in order of preference: reach counts
# people, impressions count views; YouTube and TikTok report video views only.
EXPOSURE_METRICS = ("reach", "impressions", "video_views")
MIN_GROUP = 8  # posts on each side before a format or tag comparison counts
MIN_EFFECT = 1.2  # a 20% difference in medians, below which a significant effect is not news
MIN_CELL_POSTS = 5  # posts in a weekday x daypart cell before it can be recommended
TREND_METRICS = ("impressions", "engagements")
ANOMALY_METRIC = "impressions"
MAX_SPIKES = 3


def num(value: float, digits: int = 0) -> str:
    """A number as written in the active language (2.4 / 2,4; 12,300 / 12 300)."""
    return str(formats.number_format(round(value, digits), digits, force_grouping=True))


def times(ratio: float) -> str:
    """A ratio as "2.4\u00d7" (the multiplication sign), in the active language."""
    return f"{num(ratio, 1)}\u00d7"


def _metric_label(metric: str) -> str:
    return str(METRICS[metric].label).lower() if metric in METRICS else metric


def _format_label(key: str) -> str:
    return str(PostFormat(key).label) if key in PostFormat.values else key


def _account_label(account: SocialAccount) -> str:
    platform = Platform(account.platform).label if account.platform in Platform.values else ""
    return f"{account.display_name} ({platform})"


def _period(start: dt.date, end: dt.date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


class InsightContext:
    """What several findings, and the charts that show them, share: the accounts, each post's
    value of every exposure metric, the exposure metric chosen per account, and the period's
    anomalies, each read once.

    Keep one to draw the findings of ``insights_generate`` (pass it as ``context``): a chart
    then reads the very frames its finding was computed from, without querying them again.
    """

    def __init__(self, *, workspace: Workspace, start: dt.date, end: dt.date) -> None:
        self.workspace, self.start, self.end = workspace, start, end
        self.accounts = list(
            SocialAccount.objects.filter(workspace=workspace).order_by("platform", "pk")
        )
        # One read of the posts and their snapshots serves the three metrics.
        frames = {
            metric: frame.assign(metric=metric)
            for metric, frame in post_values_many(
                workspace=workspace, kpis_or_metrics=EXPOSURE_METRICS, start=start, end=end
            ).items()
        }
        self._values: dict[str, pd.DataFrame] = dict(frames)
        self._anomalies: dict[str, pd.DataFrame] = {}
        self._cells: dict[tuple[int, str, int], pd.DataFrame] = {}
        # Per account, the exposure metric reported for the most posts.
        chosen: dict[int, str] = {}
        for account in self.accounts:
            counts = {m: int((f["account_id"] == account.pk).sum()) for m, f in frames.items()}
            best = max(EXPOSURE_METRICS, key=lambda m: (counts[m], -EXPOSURE_METRICS.index(m)))
            if counts[best]:
                chosen[account.pk] = best
        self.metric_of = chosen
        parts = [
            frames[metric][frames[metric]["account_id"] == account_id]
            for account_id, metric in chosen.items()
        ]
        self.posts = (
            pd.concat(parts, ignore_index=True)
            if parts
            else frames["reach"].iloc[0:0].assign(metric="")
        )

    def values(self, metric: str) -> pd.DataFrame:
        """``post_values`` of ``metric`` (a metric or KPI key) for the period and every
        account, with a ``metric`` column; read on first use."""
        if metric not in self._values:
            self._values[metric] = post_values(
                workspace=self.workspace, kpi_or_metric=metric, start=self.start, end=self.end
            ).assign(metric=metric)
        return self._values[metric]

    def best_times(self, *, account: SocialAccount, metric: str, min_posts: int) -> pd.DataFrame:
        """``best_times`` of the account by weekday and daypart; computed on first use."""
        key = (account.pk, metric, min_posts)
        if key not in self._cells:
            self._cells[key] = best_times(
                workspace=self.workspace,
                account=account,
                start=self.start,
                end=self.end,
                metric=metric,
                min_posts=min_posts,
                slot=Slot.DAYPART,
                values=self.values(metric),
            )
        return self._cells[key]

    def anomalies(self, metric: str) -> pd.DataFrame:
        """``anomalies_detect`` of ``metric`` for the period and every account; read on first
        use (each account is judged on its own, so one account's rows are its own result)."""
        if metric not in self._anomalies:
            self._anomalies[metric] = anomalies_detect(
                workspace=self.workspace, metric=metric, start=self.start, end=self.end
            )
        return self._anomalies[metric]


def _format_effects(ctx: InsightContext) -> list[Insight]:
    found = []
    for account in ctx.accounts:
        metric = ctx.metric_of.get(account.pk)
        if metric is None:
            continue
        own = ctx.posts[ctx.posts["account_id"] == account.pk]
        sizes = own.groupby("format")["value"].agg(["size", "median"])
        sizes = sizes[sizes["size"] >= MIN_GROUP].sort_values("median", ascending=False)
        if len(sizes) < 2:
            continue
        best = str(sizes.index[0])
        candidates = []
        for other in sizes.index[1:]:
            comparison = compare_samples(
                own.loc[own["format"] == best, "value"].to_numpy(dtype="float64"),
                own.loc[own["format"] == other, "value"].to_numpy(dtype="float64"),
                by="format",
                group=best,
                against=str(other),
                min_n=MIN_GROUP,
            )
            candidates.append(comparison)
        for comparison in sorted(candidates, key=lambda c: -_finite(c.ratio))[:2]:
            strong = comparison.significant and _finite(comparison.ratio) >= MIN_EFFECT
            evidence = {
                "account_id": account.pk,
                "account": _account_label(account),
                "metric": metric,
                "format": comparison.group,
                "against": comparison.against,
                "ratio": round(comparison.ratio, 2),
                "median": comparison.median,
                "median_against": comparison.median_against,
                "n": comparison.n,
                "n_against": comparison.n_against,
                "test": comparison.test,
                "p_value": comparison.p_value,
                **_period(ctx.start, ctx.end),
            }
            found.append(
                Insight(
                    key=f"format_effect:{account.pk}:{comparison.group}:{comparison.against}",
                    kind=InsightKind.FORMAT_EFFECT.value,
                    title="",
                    text="",
                    evidence=evidence,
                    score=_effect_score(comparison.ratio, comparison.p_value, comparison.n),
                    significant=strong,
                    link={
                        "view": "content",
                        "params": {
                            "by": "format",
                            "account": account.pk,
                            "metric": metric,
                            **_period(ctx.start, ctx.end),
                        },
                    },
                )
            )
    return found


def _finite(value: float) -> float:
    return value if value is not None and math.isfinite(value) else 0.0


def _effect_score(ratio: float, p_value: float, n: int) -> float:
    size = abs(math.log2(ratio)) if _finite(ratio) > 0 else 0.0
    return round(size * (1.0 - p_value) * min(1.0, math.sqrt(n / 30.0)) * 10.0, 3)


def _tag_effects(ctx: InsightContext) -> list[Insight]:
    posts = ctx.posts
    if posts.empty:
        return []
    posts = posts.assign(relative=relative_to_account(posts))
    posts = posts[posts["relative"].notna()]
    tags = sorted({tag for tags in posts["tags"] for tag in tags})
    found = []
    for tag in tags:
        tagged = posts["tags"].map(lambda t, tag=tag: tag in t)
        comparison = compare_samples(
            posts.loc[tagged, "relative"].to_numpy(dtype="float64"),
            posts.loc[~tagged, "relative"].to_numpy(dtype="float64"),
            by="tag",
            group=tag,
            against=None,
            min_n=MIN_GROUP,
        )
        ratio = _finite(comparison.ratio)
        strong = comparison.significant and (ratio >= MIN_EFFECT or (0 < ratio <= 1 / MIN_EFFECT))
        found.append(
            Insight(
                key=f"tag_effect:{tag}",
                kind=InsightKind.TAG_EFFECT.value,
                title="",
                text="",
                evidence={
                    "tag": tag,
                    "ratio": round(comparison.ratio, 2),
                    "median": comparison.median,
                    "median_against": comparison.median_against,
                    "n": comparison.n,
                    "n_against": comparison.n_against,
                    "measure": "value / the account's median post",
                    "metrics": sorted(set(ctx.metric_of.values())),
                    "test": comparison.test,
                    "p_value": comparison.p_value,
                    **_period(ctx.start, ctx.end),
                },
                score=_effect_score(comparison.ratio, comparison.p_value, comparison.n),
                significant=strong,
                link={
                    "view": "content",
                    "params": {"by": "tag", "relative": 1, **_period(ctx.start, ctx.end)},
                },
            )
        )
    return found


def _best_times(ctx: InsightContext) -> list[Insight]:
    found = []
    for account in ctx.accounts:
        metric = ctx.metric_of.get(account.pk)
        if metric is None:
            continue
        cells = ctx.best_times(account=account, metric=metric, min_posts=MIN_CELL_POSTS)
        if cells.empty:
            continue
        cells = cells[cells["enough_data"] & (cells["lift"] > 1)]
        if cells.empty:
            continue
        cell = cells.sort_values(["significant", "lift"], ascending=False).iloc[0]
        strong = bool(cell["significant"]) and float(cell["lift"]) >= MIN_EFFECT
        found.append(
            Insight(
                key=f"best_time:{account.pk}:{int(cell['weekday'])}:{cell['slot']}",
                kind=InsightKind.BEST_TIME.value,
                title="",
                text="",
                evidence={
                    "account_id": account.pk,
                    "account": _account_label(account),
                    "metric": metric,
                    "weekday": int(cell["weekday"]),
                    "slot": str(cell["slot"]),
                    "lift": round(float(cell["lift"]), 2),
                    "median": float(cell["median"]),
                    "ci_low": float(cell["ci_low"]),
                    "ci_high": float(cell["ci_high"]),
                    "n": int(cell["n"]),
                    "n_account": int((ctx.posts["account_id"] == account.pk).sum()),
                    "min_posts": MIN_CELL_POSTS,
                    "test": "Mann-Whitney U",
                    "p_value": float(cell["p_value"]),
                    **_period(ctx.start, ctx.end),
                },
                score=_effect_score(float(cell["lift"]), float(cell["p_value"]), int(cell["n"])),
                significant=strong,
                link={
                    "view": "best_times",
                    "params": {
                        "account": account.pk,
                        "metric": metric,
                        **_period(ctx.start, ctx.end),
                    },
                },
            )
        )
    return found


def _trends(ctx: InsightContext) -> list[Insight]:
    found = []
    for metric in TREND_METRICS:
        result = trend_test(
            workspace=ctx.workspace, kpi_or_metric=metric, start=ctx.start, end=ctx.end
        )
        if result.n == 0 or not math.isfinite(result.change_pct):
            continue
        strong = result.significant and abs(result.change_pct) >= 10.0
        found.append(
            Insight(
                key=f"trend:{metric}",
                kind=InsightKind.TREND.value,
                title="",
                text="",
                evidence={
                    "metric": metric,
                    "change_pct": round(result.change_pct, 1),
                    "slope_per_day": result.slope_per_day,
                    "first_fitted": result.first_fitted,
                    "last_fitted": result.last_fitted,
                    "n": result.n,
                    "test": result.test,
                    "p_value": result.p_value,
                    **_period(ctx.start, ctx.end),
                },
                score=round(min(abs(result.change_pct), 200.0) / 10.0 * (1 - result.p_value), 3),
                significant=strong,
                link={
                    "view": "trends",
                    "params": {"metric": metric, **_period(ctx.start, ctx.end)},
                },
            )
        )
    return found


def _runs(rows: pd.DataFrame) -> list[pd.DataFrame]:
    """Consecutive days of the same account and kind, as separate frames."""
    runs: list[pd.DataFrame] = []
    for _key, part in rows.groupby(["account_id", "kind"], sort=True):
        days = part["day"].sort_values()
        breaks = (days.diff() != pd.Timedelta(days=1)).cumsum()
        runs.extend(chunk for _n, chunk in part.loc[days.index].groupby(breaks.to_numpy()))
    return runs


def _anomalies(ctx: InsightContext) -> list[Insight]:
    rows = ctx.anomalies(ANOMALY_METRIC)
    if rows.empty:
        return []
    labels = {a.pk: _account_label(a) for a in ctx.accounts}
    found: list[Insight] = []
    spikes: list[Insight] = []
    for run in _runs(rows):
        peak = run.sort_values("score", ascending=False).iloc[0]
        kind = str(peak["kind"])
        first, last = run["day"].min().date(), run["day"].max().date()
        account_id = int(peak["account_id"])
        evidence: dict[str, Any] = {
            "account_id": account_id,
            "account": labels.get(account_id, str(peak["account"])),
            "platform": str(peak["platform"]),
            "metric": ANOMALY_METRIC,
            "anomaly": kind,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "days": len(run),
            "peak_day": peak["day"].date().isoformat(),
            "value": None if np.isnan(peak["value"]) else float(peak["value"]),
            "expected": float(peak["expected"]),
            "low": float(peak["low"]),
            "high": float(peak["high"]),
            "expected_total": float(run["expected"].sum()),
            "score": float(peak["score"]),
            "test": "same weekday, trailing 8 weeks: median ± 3.5 MAD",
            **_period(ctx.start, ctx.end),
        }
        insight = Insight(
            key=f"anomaly:{kind}:{account_id}:{first.isoformat()}",
            kind=InsightKind.ANOMALY.value,
            title="",
            text="",
            evidence=evidence,
            # An outage comes first: numbers are missing, and every chart of the period is off.
            score=round(
                (20.0 + len(run)) if kind == "outage" else min(float(peak["score"]), 20.0), 3
            ),
            significant=True,
            link={
                "view": "anomalies",
                "params": {
                    "account": account_id,
                    "metric": ANOMALY_METRIC,
                    "start": first.isoformat(),
                    "end": last.isoformat(),
                },
            },
        )
        (found if kind == "outage" else spikes).append(insight)
    spikes.sort(key=lambda i: -i.score)
    return found + spikes[:MAX_SPIKES]


def _top_post(ctx: InsightContext) -> list[Insight]:
    found = []
    for metric in sorted(set(ctx.metric_of.values())):
        ranked = posts_ranked(
            workspace=ctx.workspace,
            kpi_or_metric=metric,
            start=ctx.start,
            end=ctx.end,
            top=1,
            bottom=0,
            normalise=True,
            accounts=[a for a in ctx.accounts if ctx.metric_of.get(a.pk) == metric],
            values=ctx.values(metric),
        )
        if ranked.empty:
            continue
        post = ranked.iloc[0]
        times = _finite(float(post["vs_account_median"]))
        strong = times >= 3.0 and int(post["account_posts"]) >= 10
        account_id = int(post["account_id"])
        found.append(
            Insight(
                key=f"top_post:{metric}:{int(post['post_id'])}",
                kind=InsightKind.TOP_POST.value,
                title="",
                text="",
                evidence={
                    "post_id": int(post["post_id"]),
                    "permalink": str(post["permalink"]),
                    "account_id": account_id,
                    "account": next(
                        (_account_label(a) for a in ctx.accounts if a.pk == account_id), ""
                    ),
                    "published": pd.Timestamp(post["published"]).date().isoformat(),
                    "format": str(post["format"]),
                    "metric": metric,
                    "value": float(post["value"]),
                    "per_1k_followers": float(post["per_1k_followers"]),
                    "account_median": float(post["account_median"]),
                    "vs_account_median": round(times, 1),
                    "n": int(post["account_posts"]),
                    **_period(ctx.start, ctx.end),
                },
                score=round(min(times, 20.0), 3),
                significant=strong,
                link={
                    "view": "posts",
                    "params": {"metric": metric, "normalise": 1, **_period(ctx.start, ctx.end)},
                },
            )
        )
    return found


def insight_words(insight: Insight) -> tuple[str, str]:
    """The title and text of a finding, in the active language, from its evidence."""
    e = insight.evidence
    period = {"start": e.get("start", ""), "end": e.get("end", "")}
    if insight.kind == InsightKind.FORMAT_EFFECT:
        values = {
            "format": _format_label(e["format"]),
            "against": _format_label(e["against"]),
            "ratio": times(e["ratio"]),
            "metric": _metric_label(e["metric"]),
            "account": e["account"],
            "n": e["n"],
            "n_against": e["n_against"],
            **period,
        }
        title = _("%(format)s beat %(against)s on %(account)s") % values
        text = (
            _(
                "%(format)s posts got %(ratio)s the %(metric)s of %(against)s posts on "
                "%(account)s (median of %(n)s %(format)s vs %(n_against)s %(against)s posts, "
                "%(start)s to %(end)s)."
            )
            % values
        )
        if e["ratio"] < 1:
            text = (
                _(
                    "%(format)s posts got only %(ratio)s the %(metric)s of %(against)s posts "
                    "on %(account)s (median of %(n)s vs %(n_against)s posts, %(start)s to "
                    "%(end)s)."
                )
                % values
            )
        return title, text
    if insight.kind == InsightKind.TAG_EFFECT:
        values = {
            "tag": e["tag"],
            "ratio": times(e["ratio"]),
            "n": e["n"],
            "n_against": e["n_against"],
            **period,
        }
        if e["ratio"] >= 1:
            title = _("Posts tagged %(tag)s outperform") % values
        else:
            title = _("Posts tagged %(tag)s underperform") % values
        text = (
            _(
                "Posts tagged %(tag)s got %(ratio)s the reach (or views) of their account's "
                "typical post (median of %(n)s tagged posts vs %(n_against)s others, "
                "%(start)s to %(end)s)."
            )
            % values
        )
        return title, text
    if insight.kind == InsightKind.BEST_TIME:
        values = {
            "account": e["account"],
            "slot": slot_label(e["weekday"], e["slot"]),
            "lift": times(e["lift"]),
            "metric": _metric_label(e["metric"]),
            "n": e["n"],
            **period,
        }
        title = _("Best time on %(account)s: %(slot)s") % values
        text = (
            _(
                "On %(account)s, posts published on %(slot)s got %(lift)s the account's "
                "median %(metric)s (%(n)s posts, %(start)s to %(end)s)."
            )
            % values
        )
        return title, text
    if insight.kind == InsightKind.TREND:
        values = {
            "metric": _metric_label(e["metric"]),
            "pct": num(abs(e["change_pct"]), 1),
            "n": e["n"],
            **period,
        }
        if e["change_pct"] >= 0:
            title = _("%(metric)s are trending up") % values
            text = _("Daily %(metric)s rose by %(pct)s%% over %(n)s days (%(start)s to %(end)s).")
        else:
            title = _("%(metric)s are trending down") % values
            text = _("Daily %(metric)s fell by %(pct)s%% over %(n)s days (%(start)s to %(end)s).")
        return title[:1].upper() + title[1:], text % values
    if insight.kind == InsightKind.ANOMALY:
        values = {
            "account": e["account"],
            "metric": _metric_label(e["metric"]),
            "first": e["first_day"],
            "last": e["last_day"],
            "days": e["days"],
            "peak": e["peak_day"],
            "value": num(e["value"] or 0.0),
            "expected": num(e["expected"]),
        }
        if e["anomaly"] == "outage":
            title = _("No data from %(account)s") % values
            text = (
                _(
                    "%(account)s reported no %(metric)s from %(first)s to %(last)s (%(days)s "
                    "days) where about %(expected)s a day were expected: most likely a "
                    "platform outage, not a real fall."
                )
                % values
            )
        elif e["anomaly"] == "spike":
            title = _("Spike in %(metric)s on %(account)s") % values
            text = (
                _(
                    "%(metric)s on %(account)s peaked at %(value)s on %(peak)s against about "
                    "%(expected)s usually for that weekday (%(first)s to %(last)s)."
                )
                % values
            )
        else:
            title = _("Drop in %(metric)s on %(account)s") % values
            text = (
                _(
                    "%(metric)s on %(account)s fell to %(value)s on %(peak)s against about "
                    "%(expected)s usually for that weekday (%(first)s to %(last)s)."
                )
                % values
            )
        return title, text[:1].upper() + text[1:]
    values = {
        "account": e["account"],
        "published": e["published"],
        "value": num(e["value"]),
        "metric": _metric_label(e["metric"]),
        "times": times(e["vs_account_median"]),
    }
    title = _("Top post: %(account)s, %(published)s") % values
    text = (
        _(
            "The best post of the period, on %(account)s (%(published)s), had %(value)s "
            "%(metric)s: %(times)s the account's median post."
        )
        % values
    )
    return title, text


def _worded(insight: Insight, language: str) -> Insight:
    with translation.override(language):
        title, text = insight_words(insight)
    return Insight(
        key=insight.key,
        kind=insight.kind,
        title=title,
        text=text,
        evidence=insight.evidence,
        score=insight.score,
        significant=insight.significant,
        link=insight.link,
    )


def insights_generate(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    language: str,
    include_weak: bool = False,
    context: InsightContext | None = None,
) -> list[Insight]:
    """The findings of the period, best first, worded in ``language`` ("en" or "fr").

    Kinds: format_effect (per account, the best format against the others, Mann-Whitney U
    on the exposure metric), tag_effect (posts with a tag against the others, each post
    relative to its account's median), best_time (a weekday x daypart cell with at least 5
    posts that beats the account's other posts), trend (Mann-Kendall on daily impressions and
    engagements, at least a 10% change), anomaly (outages, then the three largest spikes or
    drops of daily impressions) and top_post (a post at least 3x its account's median).
    Findings that are not significant are left out unless ``include_weak``. ``context``: an
    ``InsightContext`` of the same workspace and period, when the caller keeps it to draw the
    findings afterwards; None reads a new one.
    """
    if start > end:
        raise ValueError(_("The start date must be on or before the end date."))
    if context is None:
        ctx = InsightContext(workspace=workspace, start=start, end=end)
    elif (context.workspace.pk, context.start, context.end) != (workspace.pk, start, end):
        raise ValueError("The insight context is of another workspace or period.")
    else:
        ctx = context
    found = [
        *_format_effects(ctx),
        *_tag_effects(ctx),
        *_best_times(ctx),
        *_trends(ctx),
        *_anomalies(ctx),
        *_top_post(ctx),
    ]
    kept = [i for i in found if i.significant or include_weak]
    kept.sort(key=lambda i: (not i.significant, -i.score, i.key))
    return [_worded(i, language) for i in kept]
