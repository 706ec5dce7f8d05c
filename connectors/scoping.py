"""Workspace scoping that fails closed.

Every model holding a workspace's data declares how it reaches its workspace
(``workspace_path``, e.g. ``"account__workspace"``) and uses ``WorkspaceScopedQuerySet`` as its
manager. ``Model.objects.for_workspace(workspace)`` is the way to read a tenant's rows: given no
workspace (``None``, or an unsaved one) it raises instead of silently matching every tenant's rows
or none, so a view that lost its workspace on the way fails loudly. Views get their workspace from
the URL through ``connectors.access.workspace_required``; ``workspace_object_or_404`` turns a
URL id into an object of that workspace, and any other workspace's id into a 404.

``tests/connectors/test_scoping.py`` checks that every model with a path to a workspace uses this
manager, so a new model cannot forget it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from connectors.models import Workspace

M = TypeVar("M", bound=models.Model)


class WorkspaceScopeError(LookupError):
    """A workspace-owned table was read without saying whose rows: a programming error."""


def workspace_path_of(model: type[models.Model]) -> str:
    path = getattr(model, "workspace_path", None)
    if not isinstance(path, str) or not path:
        raise WorkspaceScopeError(f"{model.__name__} does not declare its workspace_path.")
    return path


class WorkspaceScopedQuerySet(models.QuerySet[M], Generic[M]):
    def for_workspace(self, workspace: Workspace | None) -> WorkspaceScopedQuerySet[M]:
        if workspace is None or workspace.pk is None:
            raise WorkspaceScopeError(
                f"{self.model.__name__} rows were asked for without a saved workspace."
            )
        return self.filter(**{workspace_path_of(self.model): workspace})


@overload
def workspace_object_or_404(
    source: type[M], *, workspace: Workspace | None, **lookups: Any
) -> M: ...


@overload
def workspace_object_or_404(
    source: WorkspaceScopedQuerySet[M], *, workspace: Workspace | None, **lookups: Any
) -> M: ...


def workspace_object_or_404(
    source: type[M] | WorkspaceScopedQuerySet[M], *, workspace: Workspace | None, **lookups: Any
) -> M:
    """The object of ``workspace`` matching ``lookups`` (``source`` is a model or one of its
    scoped querysets, e.g. with ``select_related``); 404 for a missing one or another
    workspace's (the same answer, so ids of other tenants cannot be probed)."""
    queryset = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    if not isinstance(queryset, WorkspaceScopedQuerySet):
        raise WorkspaceScopeError(f"{queryset.model.__name__} has no workspace-scoped manager.")
    try:
        return queryset.for_workspace(workspace).get(**lookups)
    except queryset.model.DoesNotExist as exc:
        raise Http404(f"No {queryset.model._meta.verbose_name} here.") from exc
