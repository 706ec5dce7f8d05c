"""Chart annotations; included at the site root (``annotations:`` names)."""

from django.urls import path

from dashboards import views_annotations

app_name = "annotations"

urlpatterns = [
    path("w/<slug:workspace_slug>/notes/add/", views_annotations.annotation_add, name="add"),
    path(
        "w/<slug:workspace_slug>/notes/<int:annotation_id>/delete/",
        views_annotations.annotation_remove,
        name="delete",
    ),
]
