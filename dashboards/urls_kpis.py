"""Goals, the KPI library and the glossary; included at the site root (``kpis:`` names)."""

from django.urls import path

from dashboards import views_kpis

app_name = "kpis"

urlpatterns = [
    path("w/<slug:workspace_slug>/goals/", views_kpis.goals, name="goals"),
    path("w/<slug:workspace_slug>/goals/new/", views_kpis.goal_new, name="goal_new"),
    path(
        "w/<slug:workspace_slug>/goals/<int:goal_id>/edit/",
        views_kpis.goal_edit,
        name="goal_edit",
    ),
    path(
        "w/<slug:workspace_slug>/goals/<int:goal_id>/delete/",
        views_kpis.goal_remove,
        name="goal_delete",
    ),
    path("w/<slug:workspace_slug>/kpis/", views_kpis.kpis, name="kpis"),
    path("w/<slug:workspace_slug>/kpis/new/", views_kpis.kpi_new, name="kpi_new"),
    path("w/<slug:workspace_slug>/kpis/<slug:key>/", views_kpis.kpi_detail, name="kpi_detail"),
    path("w/<slug:workspace_slug>/kpis/<slug:key>/edit/", views_kpis.kpi_edit, name="kpi_edit"),
    path("w/<slug:workspace_slug>/glossary/", views_kpis.glossary, name="glossary"),
]
