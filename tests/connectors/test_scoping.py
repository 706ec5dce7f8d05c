"""Workspace scoping fails closed, and no workspace-owned model can forget it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.http import Http404

from connectors.models import AccountMetric, Post, SocialAccount, Workspace
from connectors.scoping import (
    WorkspaceScopedQuerySet,
    WorkspaceScopeError,
    workspace_object_or_404,
    workspace_path_of,
)
from tests.factories import (
    AccountMetricFactory,
    PostFactory,
    SocialAccountFactory,
    WorkspaceFactory,
)

APPS = ("connectors", "reporting", "dashboards")


def _reaches_workspace(model: type[models.Model], depth: int = 0) -> bool:
    """True when a required chain of foreign keys leads from ``model`` to a Workspace."""
    for field in model._meta.get_fields():
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            continue
        if getattr(field, "null", False):
            continue
        target = field.related_model
        if target is Workspace:
            return True
        if depth < 3 and isinstance(target, type) and _reaches_workspace(target, depth + 1):
            return True
    return False


def _owned_models() -> list[type[models.Model]]:
    return [
        model
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if model is not Workspace and _reaches_workspace(model)
    ]


def test_the_detector_finds_the_known_tenant_tables() -> None:
    names = {model.__name__ for model in _owned_models()}
    assert {"SocialAccount", "Post", "PostMetric", "KpiDefinition", "ReportRun"} <= names


@pytest.mark.parametrize("model", _owned_models(), ids=lambda model: model.__name__)
def test_every_workspace_owned_model_has_a_scoped_manager(model: type[models.Model]) -> None:
    assert isinstance(model._default_manager.get_queryset(), WorkspaceScopedQuerySet)
    path = workspace_path_of(model)
    # The declared path really ends at a Workspace (a typo would scope nothing).
    current: type[models.Model] = model
    for part in path.split("__"):
        related = current._meta.get_field(part).related_model
        assert isinstance(related, type)
        current = related
    assert current is Workspace


@pytest.mark.django_db
@pytest.mark.parametrize("workspace", [None, Workspace(slug="unsaved")], ids=["none", "unsaved"])
def test_reading_without_a_workspace_raises(workspace: Workspace | None) -> None:
    SocialAccountFactory()
    with pytest.raises(WorkspaceScopeError):
        SocialAccount.objects.for_workspace(workspace)
    with pytest.raises(WorkspaceScopeError):
        workspace_object_or_404(SocialAccount, workspace=workspace, pk=1)


@pytest.mark.django_db
def test_for_workspace_returns_only_that_workspaces_rows() -> None:
    acme, globex = WorkspaceFactory.create(), WorkspaceFactory.create()
    acme_post = PostFactory.create(account=SocialAccountFactory.create(workspace=acme))
    PostFactory(account=SocialAccountFactory(workspace=globex))
    AccountMetricFactory(account=acme_post.account)

    assert list(Post.objects.for_workspace(acme)) == [acme_post]
    assert Post.objects.count() == 2
    assert {fact.account.workspace_id for fact in AccountMetric.objects.for_workspace(acme)} == {
        acme.pk
    }


@pytest.mark.django_db
def test_another_workspaces_object_is_a_404_like_a_missing_one() -> None:
    acme, globex = WorkspaceFactory.create(), WorkspaceFactory.create()
    theirs = SocialAccountFactory.create(workspace=globex)
    assert workspace_object_or_404(SocialAccount, workspace=globex, pk=theirs.pk) == theirs
    with pytest.raises(Http404):
        workspace_object_or_404(SocialAccount, workspace=acme, pk=theirs.pk)
    with pytest.raises(Http404):
        workspace_object_or_404(SocialAccount, workspace=acme, pk=theirs.pk + 1000)
