"""Report schedules, reviews of drafts and the delivery log, under the workspace's reports.
Included by config/urls.py under the "report_schedules" namespace."""

from django.urls import path

from dashboards import views_report_schedules as views

app_name = "report_schedules"

_W = "w/<slug:workspace_slug>/reports/"
_S = f"{_W}schedules/"

urlpatterns = [
    path(_S, views.schedules, name="list"),
    path(f"{_S}new/", views.schedule_create, name="create"),
    path(f"{_S}<int:schedule_id>/", views.schedule_edit, name="edit"),
    path(f"{_S}<int:schedule_id>/delete/", views.schedule_delete, name="delete"),
    path(f"{_S}<int:schedule_id>/send/", views.schedule_send_now, name="send_now"),
    path(f"{_W}review/<int:run_id>/", views.review, name="review"),
    path(f"{_W}deliveries/", views.deliveries, name="deliveries"),
    path(f"{_W}deliveries/<int:run_id>/retry/", views.delivery_retry, name="retry"),
]
