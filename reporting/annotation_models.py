"""Dated notes ("campaign launch", "tracking broken") drawn on every time chart of a workspace."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from connectors.models import Workspace
from connectors.scoping import WorkspaceScopedQuerySet


class Annotation(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="annotations")
    day = models.DateField(_("date"))
    text = models.CharField(_("note"), max_length=140)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    workspace_path = "workspace"
    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["day", "pk"]
        indexes = [models.Index(fields=["workspace", "day"], name="annotation_ws_day")]
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")

    def __str__(self) -> str:
        return f"{self.day}: {self.text}"
