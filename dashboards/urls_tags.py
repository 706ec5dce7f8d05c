"""The Tags page; included at the site root (``tags:`` names)."""

from django.urls import path

from dashboards import views_tags

app_name = "tags"

urlpatterns = [
    path("w/<slug:workspace_slug>/tags/", views_tags.tag_list, name="list"),
    path("w/<slug:workspace_slug>/tags/rules/new/", views_tags.rule_new, name="rule_new"),
    path(
        "w/<slug:workspace_slug>/tags/rules/<int:rule_id>/edit/",
        views_tags.rule_edit,
        name="rule_edit",
    ),
    path(
        "w/<slug:workspace_slug>/tags/rules/<int:rule_id>/delete/",
        views_tags.rule_delete,
        name="rule_delete",
    ),
    path("w/<slug:workspace_slug>/tags/apply/", views_tags.rules_apply, name="apply"),
    path("w/<slug:workspace_slug>/tags/posts/", views_tags.posts, name="posts"),
]
