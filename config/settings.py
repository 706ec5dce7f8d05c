"""Rapport settings, all read from environment variables (see README.md, Configuration).

With nothing set, Rapport runs on its embedded default: SQLite in ``var/``, Celery tasks run
in-process, emails printed to the console. ``DATABASE_URL`` switches to Postgres and
``CELERY_BROKER_URL`` to a real broker with separate worker and beat processes.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import README_HINT, database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("RAPPORT_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        # Django's own deployment check asks for 50 characters and 5 different ones; a key made
        # by `startproject` ("django-insecure-…") or copied from an example is refused outright.
        if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
            raise ImproperlyConfigured(
                "SECRET_KEY must be at least 50 characters of random text; make one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'. " + README_HINT
            )
        return key
    # Embedded default: a random key generated once and kept beside the SQLite file, so sessions
    # survive restarts without the operator having to invent one.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Platform credentials are encrypted with the first key and decrypted with any of them, so a key
# can be rotated by putting the new one first. Without a key list, one is derived from SECRET_KEY.


def _encryption_keys() -> list[str]:
    """Refuse at start-up, not at the first sync, a key list that is not Fernet keys, repeats a
    key, or holds a key with too little randomness (all zeros, a repeated pattern)."""
    keys = env_list("RAPPORT_ENCRYPTION_KEYS")
    hint = (
        "RAPPORT_ENCRYPTION_KEYS must hold distinct random Fernet keys (32 url-safe base64 bytes "
        "each); make one with python3 -c 'import base64, os; "
        "print(base64.urlsafe_b64encode(os.urandom(32)).decode())'. " + README_HINT
    )
    for key in keys:
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (ValueError, binascii.Error) as exc:
            raise ImproperlyConfigured(hint) from exc
        if len(raw) != 32 or len(set(raw)) < 16:
            raise ImproperlyConfigured(hint)
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured(hint)
    return keys


ENCRYPTION_KEYS = _encryption_keys()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "connectors",
    "reporting",
    "dashboards",
]

MIDDLEWARE = [
    "config.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "connectors.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "connectors.twofactor.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "connectors.context_processors.workspaces",
                "connectors.context_processors.background_work",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "rapport.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "connectors.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Workspace admins and Django staff must set up two-factor authentication before anything else
# (README, Roles and permissions). Off by default, so the demo logs in with passwords alone.
REQUIRE_2FA_FOR_ADMINS = env_bool("RAPPORT_REQUIRE_2FA_FOR_ADMINS", False)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "dashboards.finders.PlotlyJsFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY", False)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Served over HTTPS (SECURE_COOKIES): browsers are told to keep to HTTPS for a year. Behind an
# HTTPS proxy, which says when a request came in plain HTTP, that request is redirected (without
# the proxy's header every request would look plain and redirect for ever), except /healthz,
# which the container's health check asks over HTTP.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SESSION_COOKIE_SECURE and BEHIND_HTTPS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_REFERRER_POLICY = "same-origin"
# The Content Security Policy (config/csp.py) only reported in the browser's console, not enforced.
CSP_REPORT_ONLY = env_bool("RAPPORT_CSP_REPORT_ONLY", False)
# Subdomains and the browsers' preload list commit every host of the domain to HTTPS for good:
# the operator's decision (README, Configuration), so the deployment check does not insist.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Rapport <rapport@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. Without a broker URL every task runs in-process at the moment it is queued, which keeps
# the embedded default a single process; periodic tasks then need a worker and beat (README).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 900)
# One report render (reports.run_render): stopped past this many seconds, or past this much memory
# (the rendering process and its Chromium together), with a clear message on the run's page. The
# render watches itself (dashboards.reports.limits), also when tasks run in-process; the task's
# Celery limits are a backstop a little above it (dashboards.reports.tasks).
REPORT_RENDER_TIMEOUT = env_int("RAPPORT_REPORT_RENDER_TIMEOUT", 600)
REPORT_RENDER_MAX_MEMORY_MB = env_int("RAPPORT_REPORT_RENDER_MAX_MEMORY_MB", 2048)
if REPORT_RENDER_TIMEOUT < 1 or REPORT_RENDER_MAX_MEMORY_MB < 0:
    raise ImproperlyConfigured(
        "RAPPORT_REPORT_RENDER_TIMEOUT must be at least 1 second and "
        f"RAPPORT_REPORT_RENDER_MAX_MEMORY_MB 0 (no limit) or more. {README_HINT}"
    )
# The task's own limits leave the render's watchdog time to record the failure (soft) and then
# kill what is left (hard): 30 s and 90 s after the timeout, or less for a timeout of under a
# minute (tests), so that short limits stay short.
REPORT_RENDER_SOFT_TIME_LIMIT = REPORT_RENDER_TIMEOUT + min(30, REPORT_RENDER_TIMEOUT)
REPORT_RENDER_HARD_TIME_LIMIT = REPORT_RENDER_TIMEOUT + min(90, 2 * REPORT_RENDER_TIMEOUT)
# A task unacknowledged past the visibility timeout is handed to another worker (that is how a
# task whose worker was killed runs again); keeping every hard time limit below it means a slow
# task is killed before it can run twice. config/celery.py checks the per-task limits too.
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int(
    "CELERY_BROKER_VISIBILITY_TIMEOUT",
    max(CELERY_TASK_TIME_LIMIT, REPORT_RENDER_HARD_TIME_LIMIT) * 4,
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # A broker host that does not answer (not one that refuses) must not hang a web request
    # that queues a task: give up connecting after 2 s (config/background.py, task_send).
    "socket_connect_timeout": 2,
}
# Sending a task to a broker that is down: two quick retries, then the caller is told.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_SOFT_TIME_LIMIT ({CELERY_TASK_SOFT_TIME_LIMIT}) must be above 0 and below "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT}), so a task can stop cleanly before "
        f"it is killed. {README_HINT}"
    )
if max(CELERY_TASK_TIME_LIMIT, REPORT_RENDER_HARD_TIME_LIMIT) >= CELERY_BROKER_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT}) and the report render's hard limit "
        f"({REPORT_RENDER_HARD_TIME_LIMIT} s, from RAPPORT_REPORT_RENDER_TIMEOUT) must stay below "
        f"the broker's visibility timeout (CELERY_BROKER_VISIBILITY_TIMEOUT, "
        f"{CELERY_BROKER_VISIBILITY_TIMEOUT}), or a slow task is handed to a second worker while "
        f"the first still runs it. {README_HINT}"
    )

# Computed dashboard panels are cached, keyed on the workspace's data version (README,
# Performance). Without CACHE_URL each web process keeps its own small in-memory cache.
CACHE_URL = env_str("CACHE_URL")
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 6 * 3600)
if CACHE_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, reading as empty while Redis is away (config/cache.py).
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "rapport",
            "TIMEOUT": DASHBOARD_CACHE_SECONDS,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": DASHBOARD_CACHE_SECONDS,
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }

# LOG_FORMAT=json writes one JSON object per line (for a log collector); text is for people.
# Both carry the request id or task id of the record (config/logs.py, README, Logs).
LOG_FORMAT = env_str("LOG_FORMAT", "text").lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(
        f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}. {README_HINT}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "config.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "filters": {
        "share_tokens": {"()": "config.log_filters.RedactShareTokens"},
        "context": {"()": "config.logs.ContextFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["share_tokens", "context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The chart and PDF libraries narrate every step at INFO; their warnings still show.
        "kaleido": {"level": "WARNING"},
        "choreographer": {"level": "WARNING"},
        "logistro": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# Social platforms: an app's client id and secret per platform (README, Connecting platforms).
# A platform without them is shown as "not configured". ``<PLATFORM>_API_BASE`` points a
# connector at another host (a recorded-response server in tests; a proxy).
PLATFORM_KEYS = ("facebook", "instagram", "linkedin", "x", "youtube", "tiktok")
PLATFORM_APPS: dict[str, dict[str, str]] = {
    key: {
        "client_id": env_str(f"{key.upper()}_CLIENT_ID"),
        "client_secret": env_str(f"{key.upper()}_CLIENT_SECRET"),
        "api_base": env_str(f"{key.upper()}_API_BASE"),
    }
    for key in PLATFORM_KEYS
}

# Syncing: how often an account is due, how many past syncs keep their raw responses.
SYNC_EVERY_HOURS = env_int("RAPPORT_SYNC_EVERY_HOURS", 6)
SYNC_RAW_RESPONSES_KEEP = env_int("RAPPORT_SYNC_RAW_RESPONSES_KEEP", 5)

# File imports: refuse files past these bounds with a clear message, before parsing them.
IMPORT_MAX_MB = env_int("RAPPORT_IMPORT_MAX_MB", 20)
IMPORT_MAX_ROWS = env_int("RAPPORT_IMPORT_MAX_ROWS", 200_000)
# Audit log: events older than this many days are deleted every night (README, Roles and
# permissions).
AUDIT_RETENTION_DAYS = env_int("RAPPORT_AUDIT_RETENTION_DAYS", 365)
if AUDIT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(f"RAPPORT_AUDIT_RETENTION_DAYS must be at least 1. {README_HINT}")

# A request body other than files (forms, JSON) past 5 MB is refused with a 400; an uploaded file
# past 5 MB is spooled to a temporary file rather than held in memory. No form of Rapport has
# more than a few hundred fields or sends more than one file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 5

# Alerts: webhooks to http:// or to private, loopback and link-local addresses are refused unless
# this is on (a chat server on the operator's own network).
ALERTS_ALLOW_PRIVATE_WEBHOOKS = env_bool("ALERTS_ALLOW_PRIVATE_WEBHOOKS", False)

# Reports: the Chromium that Kaleido drives to draw charts as SVG (PDF) and PNG (slides). Empty:
# Kaleido's own BROWSER_PATH variable, then /usr/bin/chromium (the Docker image sets both).
RAPPORT_CHROMIUM = env_str("RAPPORT_CHROMIUM", "")
