"""Alerts pages, scoped to a workspace. Included by config/urls.py under the "alerts" namespace."""

from django.urls import path

from dashboards import views_alerts

app_name = "alerts"

_W = "w/<slug:workspace_slug>/alerts/"

urlpatterns = [
    path(_W, views_alerts.alerts, name="list"),
    path(f"{_W}new/", views_alerts.alert_create, name="create"),
    path(f"{_W}<int:rule_id>/", views_alerts.alert_edit, name="edit"),
    path(f"{_W}<int:rule_id>/delete/", views_alerts.alert_delete, name="delete"),
    path(f"{_W}<int:rule_id>/test/", views_alerts.alert_test, name="test"),
]
