"""The System page; included at the site root (``system:`` names)."""

from django.urls import path

from dashboards import views_system

app_name = "system"

urlpatterns = [
    path("w/<slug:workspace_slug>/settings/system/", views_system.page, name="page"),
]
