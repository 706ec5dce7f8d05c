from __future__ import annotations

from django.db.models import QuerySet

from connectors.models import Membership, SocialAccount, User, Workspace


def membership_list(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def membership_get(*, user: User, workspace_slug: str) -> Membership | None:
    """The user's membership of the workspace, or None: callers answer 404 to a non-member."""
    return (
        Membership.objects.filter(user=user, workspace__slug=workspace_slug)
        .select_related("workspace")
        .first()
    )


def account_list(*, workspace: Workspace) -> QuerySet[SocialAccount]:
    return SocialAccount.objects.filter(workspace=workspace).order_by("platform", "display_name")
