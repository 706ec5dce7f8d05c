from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import health
from connectors.twofactor import views as two_factor
from connectors.views import passwords

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # Before the admin's URLs: its own log-in form would skip the second step.
    path("admin/login/", two_factor.admin_login, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    path("login/", two_factor.LoginView.as_view(), name="login"),
    path("login/code/", two_factor.login_code, name="login_code"),
    path("account/security/", two_factor.two_factor, name="two_factor"),
    path("account/security/enable/", two_factor.two_factor_enable, name="two_factor_enable"),
    path("account/security/disable/", two_factor.two_factor_disable, name="two_factor_disable"),
    path(
        "account/security/recovery-codes/",
        two_factor.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        passwords.PasswordChangeView.as_view(),
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
        passwords.PasswordResetConfirmView.as_view(),
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
