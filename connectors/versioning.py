"""The workspace's data version: what cached dashboard panels are keyed on."""

from __future__ import annotations

from django.db.models import F

from connectors.models import SocialAccount, Workspace


def workspace_data_changed(*, workspace_id: int) -> None:
    """Mark the workspace's computed numbers stale (call after any write they depend on)."""
    Workspace.objects.filter(pk=workspace_id).update(data_version=F("data_version") + 1)


def account_data_changed(*, account_id: int) -> None:
    workspace_id = (
        SocialAccount.objects.filter(pk=account_id).values_list("workspace_id", flat=True).first()
    )
    if workspace_id is not None:
        workspace_data_changed(workspace_id=workspace_id)
