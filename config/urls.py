from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import health
from connectors.login_throttle import ThrottledAuthenticationForm

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("connectors.urls")),
    path("", include("dashboards.urls_kpis")),
    path("", include("dashboards.urls_alerts")),
    path("", include("dashboards.urls_tags")),
    path("", include("dashboards.urls_insights")),
    path("", include("dashboards.urls_annotations")),
    path("", include("dashboards.urls_content")),
    path("", include("dashboards.urls_posts")),
    path("", include("dashboards.urls_health")),
    path("", include("dashboards.urls_system")),
    path("", include("dashboards.urls_reports")),
    path("", include("dashboards.urls_report_schedules")),
    path("", include("dashboards.urls_share")),
    path("", include("dashboards.urls")),
]
