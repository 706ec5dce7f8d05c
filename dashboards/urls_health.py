"""The Data health pages; included at the site root (``health:`` names)."""

from django.urls import path

from dashboards import views_health

app_name = "health"

urlpatterns = [
    path("w/<slug:workspace_slug>/health/", views_health.page, name="page"),
    path(
        "w/<slug:workspace_slug>/health/<int:account_id>/",
        views_health.account,
        name="account",
    ),
]
