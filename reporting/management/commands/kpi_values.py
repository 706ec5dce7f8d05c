from __future__ import annotations

import datetime as dt
import json
import math
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connectors.models import SocialAccount, Workspace
from reporting.formula import FormulaError
from reporting.kpis.display import kpi_value_display
from reporting.kpis.engine import KpiResult, kpi_breakdown, kpi_value
from reporting.kpis.groupings import Grouping
from reporting.kpis.selectors import KpiNotFound
from reporting.models import KpiAggregation


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _sample_unit(unit: str) -> str:
    return {
        "account_days": _("account-days"),
        "accounts": _("accounts"),
        "posts": _("posts"),
    }.get(unit, unit)


def _sample(n: int, unit: str) -> str:
    if unit == "account_days":
        text = ngettext("%(n)d account-day", "%(n)d account-days", n)
    elif unit == "accounts":
        text = ngettext("%(n)d account", "%(n)d accounts", n)
    else:
        text = ngettext("%(n)d post", "%(n)d posts", n)
    return text % {"n": n}


def _accounts_matching(workspace: Workspace, names: list[str]) -> list[SocialAccount]:
    accounts = list(SocialAccount.objects.filter(workspace=workspace).order_by("platform", "pk"))
    chosen: list[SocialAccount] = []
    for name in names:
        wanted = name.strip().lower()
        found = [
            account
            for account in accounts
            if wanted
            in {
                str(account.pk),
                account.display_name.lower(),
                account.handle.lower(),
                account.handle.lower().lstrip("@"),
                account.platform,
            }
        ]
        if not found:
            known = "; ".join(
                f"{a.pk}: {a.display_name} ({a.get_platform_display()}, {a.handle})"
                for a in accounts
            )
            raise CommandError(
                _(
                    "No account matches '%(name)s'. Use an account's id, name, handle or "
                    "platform: %(known)s"
                )
                % {"name": name, "known": known or _("this workspace has no accounts")}
            )
        chosen.extend(account for account in found if account not in chosen)
    return chosen


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _json_value(value.item())
    return value


class Command(BaseCommand):
    help = (
        "Print a KPI's value over a period, or one value per group, with the sample size behind "
        "each value and the accounts left out and why."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True, help="Workspace slug.")
        parser.add_argument("--kpi", required=True, help="KPI key, such as engagement_rate_reach.")
        parser.add_argument("--start", required=True, type=_date, help="First day, YYYY-MM-DD.")
        parser.add_argument("--end", required=True, type=_date, help="Last day, YYYY-MM-DD.")
        parser.add_argument(
            "--account",
            action="append",
            default=[],
            help="Limit to an account (id, name, handle or platform); repeat for several.",
        )
        parser.add_argument(
            "--by", choices=[g.value for g in Grouping], help="One value per group."
        )
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = options["start"], options["end"]
        # call_command(start="2025-01-01") hands strings over without argparse's conversion.
        try:
            start = _date(start) if isinstance(start, str) else start
            end = _date(end) if isinstance(end, str) else end
        except ArgumentTypeError as exc:
            raise CommandError(str(exc)) from exc
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            slugs = ", ".join(Workspace.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                _("No workspace '%(slug)s'. Workspaces: %(slugs)s.")
                % {"slug": options["workspace"], "slugs": slugs or _("none")}
            )
        accounts = _accounts_matching(workspace, options["account"]) or None
        try:
            result = kpi_value(
                workspace=workspace, kpi=options["kpi"], start=start, end=end, accounts=accounts
            )
            groups = None
            if options["by"]:
                groups = kpi_breakdown(
                    workspace=workspace,
                    kpi=options["kpi"],
                    start=start,
                    end=end,
                    by=options["by"],
                    accounts=accounts,
                )
        except (KpiNotFound, FormulaError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self._write_json(workspace, result, options["by"], groups)
        else:
            self._write_text(workspace, result, options["by"], groups)

    def _write_json(
        self, workspace: Workspace, result: KpiResult, by: str | None, groups: pd.DataFrame | None
    ) -> None:
        data: dict[str, Any] = {"workspace": workspace.slug, **result.as_dict()}
        data["value_display"] = kpi_value_display(result.value, result.unit)
        if groups is not None:
            data["by"] = by
            data["groups"] = [
                {key: _json_value(value) for key, value in record.items()}
                for record in groups.to_dict("records")
            ]
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False))

    def _write_text(
        self, workspace: Workspace, result: KpiResult, by: str | None, groups: pd.DataFrame | None
    ) -> None:
        write = self.stdout.write
        unit = _sample_unit(result.sample_unit)
        write(
            _("%(name)s — %(key)s, version %(version)d")
            % {"name": result.name, "key": result.key, "version": result.version}
        )
        write(
            _("%(workspace)s, %(start)s to %(end)s")
            % {"workspace": workspace.name, "start": result.start, "end": result.end}
        )
        write(
            _("Formula: %(formula)s — %(aggregation)s")
            % {
                "formula": result.formula,
                "aggregation": KpiAggregation(result.aggregation).label,
            }
        )
        write(
            _("Value: %(value)s (sample: %(sample)s)")
            % {
                "value": kpi_value_display(result.value, result.unit),
                "sample": _sample(result.sample_size, result.sample_unit),
            }
        )
        # Rows are posts for per-post KPIs and account-days for all others, "last" included.
        rows_unit = "posts" if result.sample_unit == "posts" else "account_days"
        if result.rows_missing_inputs:
            write(
                _("Not counted: %(sample)s that lack an input the formula needs.")
                % {"sample": _sample(result.rows_missing_inputs, rows_unit)}
            )
        write(
            _("Accounts: %(accounts)s")
            % {"accounts": ", ".join(a.label for a in result.accounts) or _("none")}
        )
        if result.left_out:
            write(_("Left out:"))
            for left in result.left_out:
                write(f"  {left.account.label}: {left.reason}")
        if groups is not None:
            write("")
            self._write_groups(groups, by or "", result.unit, unit)

    def _write_groups(self, groups: pd.DataFrame, by: str, value_unit: str, unit: str) -> None:
        header = (
            _("Group (%(by)s)") % {"by": by},
            _("Value"),
            _("Sample (%(unit)s)") % {"unit": unit},
        )
        rows = [
            (str(label), kpi_value_display(float(value), value_unit), str(int(sample)))
            for label, value, sample in zip(
                groups["label"], groups["value"], groups["sample_size"], strict=True
            )
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            self.stdout.write(
                f"  {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}"
            )
