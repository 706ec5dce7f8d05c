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
from connectors.scoping import WorkspaceScopedQuerySet
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

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

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

    workspace_path = "definition__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

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
    from reporting.report_defaults import report_templates_ensure

    report_templates_ensure(workspace=instance)


class GoalPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")
    CUSTOM = "custom", _("Custom dates")


class Goal(models.Model):
    """A target for a KPI over a period, for the whole workspace or one account.

    ``start`` and ``end`` are inclusive days in the workspace's timezone. ``target`` is in the
    KPI's unit, percentages as fractions (0.05 for 5%), like every stored KPI value.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="goals")
    kpi = models.ForeignKey(
        KpiDefinition, on_delete=models.CASCADE, related_name="goals", verbose_name=_("KPI")
    )
    # Null: the goal is for the whole workspace, every account that reports the KPI's inputs.
    account = models.ForeignKey(
        "connectors.SocialAccount",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=120)
    period_kind = models.CharField(_("period"), max_length=10, choices=GoalPeriod.choices)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    target = models.FloatField(_("target"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["workspace", "start", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="goal_dates"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        if self.start and self.end and self.end < self.start:
            errors.setdefault("end", []).append(
                _("The last day must be on or after the first day.")
            )
        elif (
            self.start
            and self.end
            and self.period_kind in GoalPeriod.values
            and self.period_kind != GoalPeriod.CUSTOM
        ):
            # Imported here: reporting.goals imports these models, which load first.
            from reporting.goals.periods import goal_period_bounds

            if (self.start, self.end) != goal_period_bounds(self.period_kind, self.start):
                errors.setdefault("start", []).append(
                    _(
                        "A month, quarter or year goal starts on the first day and ends on "
                        "the last day of that calendar period; choose custom dates for any "
                        "other period."
                    )
                )
        if self.workspace_id is not None:
            if self.kpi_id is not None and self.kpi.workspace_id != self.workspace_id:
                errors.setdefault("kpi", []).append(_("This KPI belongs to another workspace."))
            account = self.account if self.account_id is not None else None
            if account is not None and account.workspace_id != self.workspace_id:
                errors.setdefault("account", []).append(
                    _("This account belongs to another workspace.")
                )
        if errors:
            raise ValidationError(errors)


class TagRuleKind(models.TextChoices):
    HASHTAG = "hashtag", _("Hashtag in the text")
    KEYWORD = "keyword", _("Keyword in the text")
    FORMAT = "format", _("Format")
    DATE_RANGE = "date_range", _("Published between two dates")


class TagRule(models.Model):
    """Tags a workspace's posts automatically: ``reporting.tags.tag_rules_apply`` adds ``tag``
    to every post matching any of ``values`` (hashtags without '#', keywords, format keys, or
    for a date range the first and last day in ISO form, in the workspace's timezone)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tag_rules")
    tag = models.CharField(_("tag"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=TagRuleKind.choices)
    values = models.JSONField(_("values"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag rule")
        verbose_name_plural = _("tag rules")
        ordering = ["workspace", "tag", "pk"]

    def __str__(self) -> str:
        return f"{self.tag} ({self.kind}: {', '.join(map(str, self.values))})"


class PostRuleTags(models.Model):
    """The tags that rules, not people, added to a post. ``Post.tags`` holds hand tags and rule
    tags together (it is what the KPI engine reads); this record is what lets a removed rule
    take back only its own tags and never a tag someone set by hand."""

    post = models.OneToOneField(
        "connectors.Post", on_delete=models.CASCADE, related_name="rule_tags"
    )
    tags = models.JSONField(default=list)

    workspace_path = "post__account__workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"rule tags of {self.post_id}: {self.tags}"


# Alert models live in their own module; imported here so Django registers them with the app.
from reporting.alert_models import AlertDelivery, AlertEvent, AlertRule  # noqa: E402, F401
from reporting.annotation_models import Annotation  # noqa: E402, F401
from reporting.report_models import (  # noqa: E402, F401
    ReportDelivery,
    ReportRun,
    ReportSchedule,
    ReportTemplate,
    ShareLink,
)
