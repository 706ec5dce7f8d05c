from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser, ArgumentTypeError
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from connectors.models import Workspace
from reporting.insights import insights_generate, recommendations_generate


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Print a workspace's ranked findings and recommendations for a period."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument("--start", required=True, type=_date, help="First day, YYYY-MM-DD.")
        parser.add_argument("--end", required=True, type=_date, help="Last day, YYYY-MM-DD.")
        parser.add_argument("--lang", choices=["en", "fr"], default="en")
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--include-weak",
            action="store_true",
            help="Also list findings that are not significant.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(
                _("No workspace with the slug '%(slug)s'.") % {"slug": options["workspace"]}
            )
        start, end, lang = _date_arg(options["start"]), _date_arg(options["end"]), options["lang"]
        if start > end:
            raise CommandError(_("The start date must be on or before the end date."))
        findings = insights_generate(
            workspace=workspace,
            start=start,
            end=end,
            language=lang,
            include_weak=options["include_weak"],
        )
        recommendations = recommendations_generate(
            workspace=workspace, start=start, end=end, language=lang, findings=findings
        )
        if options["json"]:
            payload = {
                "workspace": workspace.slug,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "language": lang,
                "insights": [asdict(i) for i in findings],
                "recommendations": [asdict(r) for r in recommendations],
            }
            self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
            return
        with translation.override(lang):
            self.stdout.write(_("Findings") if findings else _("No significant finding."))
            for rank, insight in enumerate(findings, 1):
                marker = "" if insight.significant else " " + _("(not significant)")
                self.stdout.write(f"{rank:>3}. [{insight.kind}] {insight.title}{marker}")
                self.stdout.write(f"     {insight.text}")
            self.stdout.write("")
            self.stdout.write(_("Recommendations") if recommendations else _("No recommendation."))
            for rank, recommendation in enumerate(recommendations, 1):
                self.stdout.write(f"{rank:>3}. {recommendation.title}")
                self.stdout.write(f"     {recommendation.text}")
                self.stdout.write("     " + _("Why: %(why)s") % {"why": recommendation.why})


def _date_arg(value: dt.date | str) -> dt.date:
    # call_command(start="2026-01-01") hands over the string without argparse's conversion.
    return value if isinstance(value, dt.date) else _date(value)
