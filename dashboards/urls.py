from django.urls import path

from dashboards import views, views_overview

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.language_set, name="language_set"),
    path("w/<slug:workspace_slug>/", views_overview.overview, name="overview"),
    path(
        "w/<slug:workspace_slug>/dashboard/platforms/<slug:platform>/",
        views_overview.platform_dashboard,
        name="platform_dashboard",
    ),
    path(
        "w/<slug:workspace_slug>/dashboard/accounts/<int:account_id>/",
        views_overview.account_dashboard,
        name="account_dashboard",
    ),
]
