"""The Posts pages; included at the site root (``posts:`` names)."""

from django.urls import path

from dashboards import views_posts

app_name = "posts"

urlpatterns = [
    path("w/<slug:workspace_slug>/posts/", views_posts.post_list, name="list"),
    path("w/<slug:workspace_slug>/posts/<int:post_id>/", views_posts.post_detail, name="detail"),
]
