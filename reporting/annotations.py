"""Reading and writing annotations; the dashboards and the PDF reports draw the same ones."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from connectors.models import User, Workspace
from connectors.versioning import workspace_data_changed
from reporting.models import Annotation


def annotation_list(*, workspace: Workspace, start: dt.date, end: dt.date) -> QuerySet[Annotation]:
    """The workspace's annotations dated ``start``..``end`` (inclusive), oldest first."""
    return Annotation.objects.filter(workspace=workspace, day__range=(start, end)).order_by(
        "day", "pk"
    )


def annotation_notes(
    *, workspace: Workspace, start: dt.date, end: dt.date
) -> list[tuple[dt.date, str]]:
    """(day, text) of the annotations of ``start``..``end``: what time charts draw."""
    return list(
        annotation_list(workspace=workspace, start=start, end=end).values_list("day", "text")
    )


def annotation_create(
    *, workspace: Workspace, day: dt.date, text: str, user: User | None
) -> Annotation:
    """Add a note; the same text on the same day is stored once (a double submit adds nothing)."""
    text = " ".join(text.split())
    if not text:
        raise ValidationError(_("Write a short note."), code="blank")
    if len(text) > 140:
        raise ValidationError(_("Keep the note to 140 characters."), code="too_long")
    annotation, created = Annotation.objects.get_or_create(
        workspace=workspace, day=day, text=text, defaults={"created_by": user}
    )
    if created:
        workspace_data_changed(workspace_id=workspace.pk)
    return annotation


def annotation_delete(*, workspace: Workspace, annotation_id: int) -> bool:
    """Delete one of the workspace's annotations; False when there is no such annotation."""
    deleted, _rows = Annotation.objects.filter(workspace=workspace, pk=annotation_id).delete()
    if deleted:
        workspace_data_changed(workspace_id=workspace.pk)
    return deleted > 0
