"""Share links: public pages under ``s/<token>/`` (no login) and their management under the
workspace's reports. Included by config/urls.py under the "share" namespace."""

from django.urls import path

from dashboards import views_share

app_name = "share"

_S = "s/<str:token>/"
_W = "w/<slug:workspace_slug>/reports/shares/"

urlpatterns = [
    path(_S, views_share.share_open, name="open"),
    path(f"{_S}file/", views_share.share_file, name="file"),
    path(f"{_S}pdf/", views_share.share_pdf, name="pdf"),
    path(f"{_S}logo/", views_share.share_logo, name="logo"),
    path(_W, views_share.share_manage, name="manage"),
    path(f"{_W}new/", views_share.share_create, name="create"),
    path(f"{_W}<int:link_id>/revoke/", views_share.share_revoke, name="revoke"),
]
