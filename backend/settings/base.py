"""Settings shared by every environment; values come from the environment (twelve-factor)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "services.core",
    "services.accounts",
    "notifications",
    "services.jobs",
    "services.volunteering",
    "services.loyalty",
    "services.privacy",
    "api",
    "backend.observability",
    "django_htmx",
    "web",
    "demo",
]

MIDDLEWARE = [
    # Outermost: the request id, the JSON request log line and the metrics cover everything.
    "backend.observability.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "api.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# Admin messages may carry a one-time activation code: keep them server-side, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "backend.urls"
# The staff console signs in with a session (web/); the API with JWTs.
LOGIN_URL = "web:login"
WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.nav.nav",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url_config(
        env("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections (production: 60 s) are checked before each request reuses them, so a
# PostgreSQL restart costs the requests in flight a 503, and the next ones reconnect by
# themselves (docs/operations.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
elif "postgresql" in DATABASES["default"]["ENGINE"] and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # Parameters bound by the server, so that a statement can be prepared: the home screen's
    # ETag (`services.core.stamps.read`), whose planning was most of its database time (1.6
    # of 2.1 ms), is prepared once per connection. Not every statement: a prepared one fails
    # ("cached plan must not change result type") when another process's migration changes
    # what it returns, until the connection closes.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Request bodies: JSON bodies stay small; uploads (CSV, CV) have their own limits.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1_048_576)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=6 * 1_048_576)

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # The cache only saves work (services/core/memo.py): a Redis that accepts and
            # never answers must cost a request half a second, not hold it.
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.VersionedJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_RATES": {},
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=10),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=30),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY or SECRET_KEY,
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "sub",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Voisinage API",
    "DESCRIPTION": "Jobs, volunteering, loyalty and notifications for social landlords' tenants.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "LoyaltyEntryKindEnum": "services.loyalty.models.Entry.Kind",
        "LoyaltyRewardKindEnum": "services.loyalty.models.Reward.Kind",
        "LoyaltyRewardCategoryEnum": "services.loyalty.models.Reward.Category",
        "LoyaltyRedemptionStatusEnum": "services.loyalty.models.Redemption.Status",
        "NotificationsDeviceKindEnum": "notifications.models.Device.Kind",
        "NotificationsCategoryEnum": [
            "account",
            "announcements",
            "jobs",
            "volunteering",
            "loyalty",
        ],
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums"],
    "PREPROCESSING_HOOKS": ["api.schema.only_api_paths"],
    # The same schema from SQLite and PostgreSQL (docs/openapi.yaml is checked in).
    "DEFAULT_GENERATOR_CLASS": "api.schema_generator.SchemaGenerator",
}

# Celery: Redis when REDIS_URL is set; otherwise tasks run in-process so the embedded
# default (SQLite, no broker) works alone.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Without a broker, tasks still leave the request: a thread of the web process runs them
# (backend/taskqueue.py); CELERY_TASK_ALWAYS_EAGER runs them inline instead (the tests).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
TASKS_IN_PROCESS = env.bool("TASKS_IN_PROCESS", default=CELERY_BROKER_URL.startswith("memory://"))
# A broker that is down costs a request at most about a second before the task is left to
# the outbox sweep (kombu's default retries for up to ~16 s on an unreachable host).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1.0,
    # A task taken by a worker that dies is redelivered after this (acks_late). It is not
    # how the outbox recovers (its sweep retakes a dead worker's work within ~20 s); it
    # must outlast the longest retry countdown (dispatch.RETRY_MAX_SECONDS), or a task
    # waiting for its countdown in one worker would be handed to another meanwhile.
    "visibility_timeout": 3900,
}
# Redis serves priority 0 first (kombu's lanes 0, 3, 6, 9). Push batches, the bulk of the
# queue, go in a lane behind everything else, so the outbox sweep, a fan-out and an e-mail
# never wait behind thousands of queued pushes (the sweep is what retakes a dead worker's
# or a lost task's work: late, it would make every recovery late). docs/operations.md.
CELERY_TASK_ROUTES = {"notifications.send_deliveries": {"priority": 6}}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}

# Firebase: a service-account file path or its JSON; empty selects the log channel.
FIREBASE_CREDENTIALS = env("FIREBASE_CREDENTIALS", default="")
FCM_ENDPOINT = env("FCM_ENDPOINT", default="")
FCM_CONCURRENCY = env.int("FCM_CONCURRENCY", default=100)
FCM_HTTP_TIMEOUT = env.float("FCM_HTTP_TIMEOUT", default=10)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=10)

# E-mail (notifications/email.py): one URL, parsed by django-environ, e.g.
# smtp+tls://user:password@smtp.example.org:587 (submission, STARTTLS) or smtp+ssl://…:465.
# Empty: the console backend (prints messages); local settings write files under var/mail/.
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Voisinage <no-reply@voisinage.localhost>")
# Absolute links in e-mails (magic links, preferences): where the web pages are served.
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")
# Employer magic links (django-sesame): valid this long, bound to one member (the token
# names the user and changes with their password), scoped to the employer pages.
SESAME_MAX_AGE = env.int("EMPLOYER_MAGIC_LINK_MAX_AGE", default=7 * 24 * 3600)
SESAME_TOKEN_NAME = "sesame"

# Accounts
ACTIVATION_CODE_TTL_DAYS = 90
EMPLOYER_INVITATION_TTL_DAYS = 14
# Failed sign-ins per LOGIN_LOCKOUT_MINUTES: per account and client (what a guesser hits),
# per client across accounts, and per account across all clients (a ceiling well above the
# first, so a stranger guessing cannot lock a tenant out). See docs/ARCHITECTURE.md.
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_MAX_FAILURES_PER_CLIENT = env.int("LOGIN_MAX_FAILURES_PER_CLIENT", default=30)
LOGIN_MAX_FAILURES_PER_ACCOUNT = env.int("LOGIN_MAX_FAILURES_PER_ACCOUNT", default=50)
LOGIN_LOCKOUT_MINUTES = 15
# A client that signed in to an account within this many days is not locked out by the
# per-account ceiling (strangers can reach it from many addresses).
LOGIN_KNOWN_CLIENT_DAYS = env.int("LOGIN_KNOWN_CLIENT_DAYS", default=90)
ACTIVATION_MAX_ATTEMPTS_PER_HOUR = env.int("ACTIVATION_MAX_ATTEMPTS_PER_HOUR", default=20)
# How many reverse proxies append to X-Forwarded-For in front of the app (0: none).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
IDEMPOTENCY_RETENTION_HOURS = 24

# Privacy (docs/privacy.md: the register of processing says each period's purpose).
# A tenant account nobody used for this long is anonymised, warned this many days before.
PRIVACY_INACTIVE_ACCOUNT_DAYS = 730
PRIVACY_INACTIVITY_WARNING_DAYS = 30
# A CV is deleted once its tenant has had no open match (nor a new CV) for this long.
PRIVACY_CV_IDLE_DAYS = 365
# Who saw a revealed profile: each line is deleted this long after the view.
PRIVACY_VIEW_LOG_DAYS = 1095
# A background export's download link works this long after it is ready.
PRIVACY_EXPORT_LINK_HOURS = 72
# GET /me/export/ answers inline up to this many rows (and a CV up to this size); beyond,
# the app asks for a background export (POST).
PRIVACY_EXPORT_INLINE_MAX_ROWS = 1000
PRIVACY_EXPORT_INLINE_MAX_CV_BYTES = 1_048_576

# One JSON object per line (LOG_FORMAT=plain for a human at a terminal), each with the id of
# the request or task it belongs to; the request log line is "voisinage.request".
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "backend.observability.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "backend.observability.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="json"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Observability (docs/operations.md). /metrics answers only a scraper that sends
# `Authorization: Bearer <METRICS_TOKEN>`; without a token set it does not exist (404).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from backend.observability import sentry

    sentry.init(
        SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default=""),
        release=env("SENTRY_RELEASE", default=""),
    )
