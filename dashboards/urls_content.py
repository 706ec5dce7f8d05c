"""The Content page, scoped to a workspace. Included by config/urls.py (``content:`` names)."""

from django.urls import path

from dashboards import views_content

app_name = "content"

urlpatterns = [
    path("w/<slug:workspace_slug>/content/", views_content.content, name="page"),
]
