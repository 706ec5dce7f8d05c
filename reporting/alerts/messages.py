"""An alert in words, in the active language, from the numbers stored on its event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from connectors.metrics import METRICS
from reporting.alert_models import AlertComparison, AlertEvent, AlertKind, AlertRule
from reporting.kpis.display import kpi_value_display


@dataclass(frozen=True)
class AlertMessage:
    title: str  # one line: the email subject, the webhook's headline
    lines: tuple[str, ...]  # the details, one fact per line
    url: str  # the page to open

    @property
    def text(self) -> str:
        return "\n".join((self.title, *self.lines, self.url))


def _day(value: str) -> str:
    return str(date_format(dt.date.fromisoformat(value), "DATE_FORMAT"))


def _account(facts: dict[str, Any]) -> str:
    return _("%(account)s (%(platform)s)") % {
        "account": facts["account"],
        "platform": facts["platform"],
    }


def _page_url(rule: AlertRule) -> str:
    try:
        path = reverse("alerts:list", kwargs={"workspace_slug": rule.workspace.slug})
    except NoReverseMatch:
        path = "/"
    return f"{settings.SITE_URL}{path}"


def _kpi_lines(facts: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    french = (get_language() or "").startswith("fr")
    name = facts["kpi_name_fr"] if french else facts["kpi_name_en"]
    where = _account(facts) if "account" in facts else _("all accounts")
    values = {
        "kpi": name,
        "value": kpi_value_display(facts["value"], facts["unit"]),
        "threshold": kpi_value_display(facts["threshold"], facts["unit"]),
        "where": where,
    }
    if facts["comparison"] == AlertComparison.ABOVE:
        title = _("%(kpi)s is %(value)s, above %(threshold)s (%(where)s)") % values
    else:
        title = _("%(kpi)s is %(value)s, below %(threshold)s (%(where)s)") % values
    period = _("Period: %(start)s to %(end)s, %(sample)s data points.") % {
        "start": _day(facts["start"]),
        "end": _day(facts["end"]),
        "sample": facts["sample_size"],
    }
    return title, (period,)


def _data_lines(facts: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    title = _("No new data from %(account)s since %(day)s") % {
        "account": _account(facts),
        "day": _day(facts["last_day"]),
    }
    lines = [
        _("The latest day with numbers is %(day)s: %(days)s days are missing since.")
        % {"day": _day(facts["last_day"]), "days": facts["days_missing"]}
    ]
    if facts.get("last_synced_at"):
        synced = dt.datetime.fromisoformat(facts["last_synced_at"])
        lines.append(
            _("Last successful sync: %(when)s (UTC).")
            % {"when": date_format(synced, "SHORT_DATETIME_FORMAT")}
        )
    if facts.get("last_error"):
        lines.append(_("Last sync error: %(error)s") % {"error": facts["last_error"]})
    return title, tuple(lines)


def _reauth_lines(facts: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    title = _("%(account)s must be reconnected") % {"account": _account(facts)}
    line = _(
        "The platform no longer accepts Rapport's access to this account, so its numbers are "
        "not updated. An admin can reconnect it from the Accounts page."
    )
    return title, (line,)


def _goal_lines(facts: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    title = _("Goal off track: %(goal)s") % {"goal": facts["goal"]}
    lines = [_("At the current pace the goal will not be reached by the end of its period.")]
    if facts.get("actual") is not None and facts.get("target") is not None:
        unit = facts.get("unit") or "count"
        lines.append(
            _("So far %(actual)s of a target of %(target)s; the period ends on %(end)s.")
            % {
                "actual": kpi_value_display(facts["actual"], unit),
                "target": kpi_value_display(facts["target"], unit),
                "end": _day(facts["end"]),
            }
        )
    return title, tuple(lines)


def _anomaly_lines(facts: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    metric = METRICS.get(facts["metric"])
    label = str(metric.label) if metric is not None else facts["metric"]
    where = _account(facts) if "account" in facts else _("all accounts")
    title = _("Unusual %(metric)s on %(day)s (%(where)s)") % {
        "metric": label.lower(),
        "day": _day(facts["day"]),
        "where": where,
    }
    lines = []
    if facts.get("value") is not None and facts.get("expected") is not None:
        lines.append(
            _("Value %(value)s, expected about %(expected)s (usual range %(low)s to %(high)s).")
            % {
                key: kpi_value_display(facts.get(key), "count")
                for key in ("value", "expected", "low", "high")
            }
        )
    return title, tuple(lines)


_WRITERS = {
    AlertKind.KPI_THRESHOLD: _kpi_lines,
    AlertKind.DATA_STOPPED: _data_lines,
    AlertKind.NEEDS_REAUTH: _reauth_lines,
    AlertKind.GOAL_OFF_TRACK: _goal_lines,
    AlertKind.ANOMALY: _anomaly_lines,
}


def alert_message(*, event: AlertEvent) -> AlertMessage:
    """The event in the active language (wrap the call in ``translation.override``)."""
    rule = event.rule
    title, lines = _WRITERS[AlertKind(rule.kind)](event.facts)
    context = _("Alert “%(rule)s” in %(workspace)s.") % {
        "rule": rule.name,
        "workspace": rule.workspace.name,
    }
    return AlertMessage(title=title, lines=(*lines, context), url=_page_url(rule))


def alert_test_message(*, rule: AlertRule) -> AlertMessage:
    return AlertMessage(
        title=_("Test of the alert “%(rule)s”") % {"rule": rule.name},
        lines=(
            _(
                "This is a test sent from Rapport for the workspace %(workspace)s. When the "
                "alert's condition is met, messages like this one will tell you what happened."
            )
            % {"workspace": rule.workspace.name},
        ),
        url=_page_url(rule),
    )


def slack_payload(message: AlertMessage) -> dict[str, Any]:
    """A Slack-compatible body (Mattermost and Rocket.Chat read ``text`` too)."""
    details = "\n".join(message.lines)
    return {
        "text": f"{message.title}\n{details}\n{message.url}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "plain_text", "text": details or message.title}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": _("Open in Rapport")},
                        "url": message.url,
                    }
                ],
            },
        ],
    }
