"""The Insights page, scoped to a workspace. Included by config/urls.py (``insights:`` names)."""

from django.urls import path

from dashboards import views_insights

app_name = "insights"

urlpatterns = [
    path("w/<slug:workspace_slug>/insights/", views_insights.insights, name="list"),
]
