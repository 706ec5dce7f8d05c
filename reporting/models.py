"""KPI definitions: data that admins edit, versioned so that past numbers stay explainable.

A ``KpiDefinition`` belongs to one workspace and mirrors its current ``KpiVersion``: editing
the formula, aggregation, unit or direction (through ``reporting.kpis.services``) adds a
version and never rewrites an old one, so anything computed earlier can name the version it
used. Names and descriptions are not versioned: they explain, they do not compute.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from connectors.models import Workspace
from reporting.formula import FormulaError, parse


class KpiUnit(models.TextChoices):
    COUNT = "count", _("Count")
    PERCENT = "percent", _("Percentage")  # stored as a fraction: 0.05 is shown as 5%
    DURATION = "duration", _("Duration (minutes)")
    DECIMAL = "decimal", _("Decimal number")


class KpiDirection(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", _("Higher is better")
    LOWER_IS_BETTER = "lower_is_better", _("Lower is better")


class KpiLevel(models.TextChoices):
    ACCOUNT = "account", _("Accounts' daily facts")
    POST = "post", _("Posts' lifetime snapshots")


class KpiAggregation(models.TextChoices):
    SUM = "sum", _("Sum of daily values")
    LAST = "last", _("Last value of each account, added up")
    RATIO_OF_SUMS = "ratio_of_sums", _("Formula on the period's totals (ratio of sums)")
    MEAN_OF_POST_RATIOS = "mean_of_post_ratios", _("Average over posts (mean of post ratios)")

    @property
    def level(self) -> KpiLevel:
        """Which facts the aggregation reads: per-post snapshots or accounts' daily facts."""
        if self is KpiAggregation.MEAN_OF_POST_RATIOS:
            return KpiLevel.POST
        return KpiLevel.ACCOUNT


def validate_formula(value: str) -> None:
    try:
        formula = parse(value)
    except FormulaError as exc:
        raise ValidationError(exc.message, code="formula") from exc
    if not formula.metrics:
        raise ValidationError(
            _("A KPI formula must use at least one metric, such as engagements / reach."),
            code="formula",
        )


class KpiDefinition(models.Model):
    """A KPI of one workspace; ``current_version`` is what computations use by default."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="kpis")
    key = models.SlugField(
        _("key"), max_length=60, help_text=_("Short identifier, such as engagement_rate_reach.")
    )
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    description_en = models.TextField(_("definition (English)"), blank=True)
    description_fr = models.TextField(_("definition (French)"), blank=True)
    formula = models.CharField(_("formula"), max_length=500, validators=[validate_formula])
    unit = models.CharField(_("unit"), max_length=16, choices=KpiUnit.choices)
    direction = models.CharField(
        _("direction"),
        max_length=20,
        choices=KpiDirection.choices,
        default=KpiDirection.HIGHER_IS_BETTER,
    )
    aggregation = models.CharField(_("aggregation"), max_length=24, choices=KpiAggregation.choices)
    is_builtin = models.BooleanField(_("built in"), default=False, editable=False)
    current_version = models.ForeignKey(
        "KpiVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["workspace", "key"]
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="kpi_key_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    @property
    def name(self) -> str:
        """The name in the active language (French when it starts with ``fr``)."""
        return self.name_fr if (get_language() or "").startswith("fr") else self.name_en

    @property
    def description(self) -> str:
        french = (get_language() or "").startswith("fr")
        return self.description_fr if french else self.description_en

    @property
    def level(self) -> KpiLevel:
        return KpiAggregation(self.aggregation).level


class KpiVersion(models.Model):
    """What a KPI computed from a given moment: never edited once written."""

    definition = models.ForeignKey(KpiDefinition, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    formula = models.CharField(_("formula"), max_length=500)
    aggregation = models.CharField(_("aggregation"), max_length=24, choices=KpiAggregation.choices)
    unit = models.CharField(_("unit"), max_length=16, choices=KpiUnit.choices)
    direction = models.CharField(_("direction"), max_length=20, choices=KpiDirection.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("KPI version")
        verbose_name_plural = _("KPI versions")
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="kpi_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.definition.key} v{self.number}"


@receiver(post_save, sender=Workspace, dispatch_uid="reporting.kpi_library_on_workspace")
def _workspace_created(sender: type[Workspace], instance: Workspace, **kwargs: Any) -> None:
    if not kwargs.get("created") or kwargs.get("raw"):
        return
    # Imported here: the services module imports these models, which load first.
    from reporting.kpis.services import kpi_library_seed

    kpi_library_seed(workspace=instance)
