from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.language_set, name="language_set"),
    path("w/<slug:workspace_slug>/", views.overview, name="overview"),
]
