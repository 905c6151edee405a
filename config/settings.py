"""Settings, read from the environment with safe local defaults.

Every variable is listed in README.md ("Configuration"). Nothing secret lives in this file: the secret key
comes from ``DJANGO_SECRET_KEY``, or for local runs and tests from the random per-checkout file that
``make run`` and ``make test`` write (``$DATA_DIR/secret-key``); with ``DJANGO_DEBUG=false`` a missing or weak
key stops the start.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.checks.security.base import _check_secret_key as _is_strong_secret_key
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env("DATA_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# --- Secret key ----------------------------------------------------------------------------------------
SECRET_KEY_FILE = DATA_DIR / "secret-key"
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY and SECRET_KEY_FILE.is_file():
    SECRET_KEY = SECRET_KEY_FILE.read_text(encoding="utf-8").strip()
# Without debug, the key must pass check --deploy's rule (security.W009: 50 characters or more, 5 different
# ones at least, no "django-insecure-" prefix): an error at start, not a warning nobody reads.
if not SECRET_KEY or (not DEBUG and not _is_strong_secret_key(SECRET_KEY)):
    _problem = "is not set" if not SECRET_KEY else "is too weak (under 50 characters, or a development key)"
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY {_problem} and DJANGO_DEBUG is {'true' if DEBUG else 'false'}. "
        "Set DJANGO_SECRET_KEY to a long random value, the same on every machine of the site, e.g. the "
        "output of: python -c 'import secrets; print(secrets.token_urlsafe(64))'. "
        f"For a local run or the tests, `make run` and `make test` write one to {SECRET_KEY_FILE}."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_countries",
    "simple_history",
    "axes",
    "csp",
    "common",
    "suppliers",
    "audits",
    "reminders",
    "minerals",
    "reports",
    "portal",
]
# Demo data, benchmarks and the CMRT command-line parser (the `devtools` app): `make run` and the tests use
# them; production may leave them out.
if env.bool("DJANGO_DEV_TOOLS", default=True):
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files carry the headers too.
    "common.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The portal speaks its user's language (stored preference, else the browser's); the admin stays English.
    "portal.middleware.PortalLanguageMiddleware",
    # A portal form's uploads stop at the size limit while the body is read, before the CSRF check reads it.
    "portal.middleware.PortalUploadLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a refused login into the lockout page (common.logins).
    "axes.middleware.AxesMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server, worker and scheduler share one file: wait for locks instead of failing, and let
    # readers run while a writer works.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------------------------------
# API throttle counters live here: in production one Redis shared by every process and machine
# (redis://127.0.0.1:6379/1); the default, a cache in each process's memory, suits `make run`'s one web
# process.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Auth -----------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Outside users (supplier contacts, auditors) are invited: the link that lets them choose a password works
# once and expires after this many days; a password-reset link after PASSWORD_RESET_HOURS.
PORTAL_INVITATION_DAYS = env.int("PORTAL_INVITATION_DAYS", default=7)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_HOURS", default=24) * 3600

# Login throttling and lockout (django-axes; common/logins.py). Every login goes through authenticate(), which
# the first backend refuses while the account or the client's address is locked out: after
# LOGIN_FAILURE_LIMIT failures for one username (from any address) or from one address (for any usernames),
# for LOGIN_COOLOFF_MINUTES after the last failure (a failure while locked out starts the cool-off again).
# The attempts are counted where every process and machine sees them: in the shared cache when CACHE_URL names
# one (Redis: counters that expire by themselves, no table to grow under a password-spraying attack), else in
# the database (a per-process memory cache, the default for `make run`, would let each process count alone;
# axes refuses its cache handler on one). Locked-out accounts are released with `manage.py axes_reset`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SHARED_CACHE = CACHES["default"]["BACKEND"].startswith(
    ("django.core.cache.backends.redis.", "django.core.cache.backends.memcached.", "django_redis.")
)
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler" if SHARED_CACHE else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "common.logins.client_ip"
AXES_LOCKOUT_CALLABLE = "common.logins.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not recorded: the table would only grow
AXES_VERBOSE = False

# --- Internationalisation and time ----------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The portal and every e-mail to an outside user exist in these languages (locale/: `manage.py makemessages
# -l zh_Hans`, then `compilemessages`; the compiled catalogues are committed, so no gettext is needed to run).
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "portal_language"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {
        "BACKEND": env("FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage":
    # S3-compatible object storage (AWS S3, MinIO, Ceph...); needs the "s3" extra: pip install -e ".[s3]".
    STORAGES["default"]["OPTIONS"] = {
        "bucket_name": env("S3_BUCKET"),
        "endpoint_url": env("S3_ENDPOINT_URL", default=None),
        "region_name": env("S3_REGION", default=None),
        "access_key": env("S3_ACCESS_KEY_ID", default=None),
        "secret_key": env("S3_SECRET_ACCESS_KEY", default=None),
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
    }
WHITENOISE_USE_FINDERS = DEBUG
# Largest accepted upload, in bytes (audit reports, evidence, supplier lists, CMRT/EMRT files).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
# Most rows a supplier or smelter list may have (CSV records, or the last row of the sheet read).
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
# An import uploaded in the admin with more rows than this runs as a Celery task, with its progress shown.
IMPORT_ASYNC_ROWS = env.int("IMPORT_ASYNC_ROWS", default=5_000)
# A job still running after this many minutes was left by a worker that died (100,000 rows take about a
# minute): it is queued again, at most IMPORT_JOB_MAX_RESTARTS times (the file itself may be what kills it).
IMPORT_JOB_STALE_MINUTES = env.int("IMPORT_JOB_STALE_MINUTES", default=30)
IMPORT_JOB_MAX_RESTARTS = env.int("IMPORT_JOB_MAX_RESTARTS", default=2)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- E-mail --------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
if env("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env("EMAIL_BACKEND")  # a custom backend's dotted path; overrides EMAIL_URL's
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Supplier ESG <esg-noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (production turns these on with DJANGO_SECURE=true behind HTTPS) --------------------------
SECURE = env.bool("DJANGO_SECURE", default=False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=SECURE)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Behind a reverse proxy, trust its X-Forwarded-Proto, and take the client's address (for login lockout and
# API throttles) from X-Forwarded-For, as the proxy nearest to the client wrote it: DJANGO_PROXY_COUNT
# proxies each append one address. Otherwise X-Forwarded-For is the client's to write and is ignored.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", default=1) if BEHIND_PROXY else 0
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS = ["security.W021"] if not SECURE_HSTS_PRELOAD else []
# Content-Security-Policy (django-csp) on every response: scripts, styles, fonts and data from this site only;
# an inline <script> or <style> runs only with the request's nonce (templates: {{ request.csp_nonce }}).
# Style *attributes* (the admin's coloured badges) stay allowed: they cannot run code or load anything
# from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- REST API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "30/minute", "user": "2000/hour"},
    # Throttles count per client address: this many proxies' X-Forwarded-For entries are trusted (none when
    # not behind a proxy); common.logins.client_ip reads the same rule for login lockout.
    "NUM_PROXIES": PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Supplier ESG API",
    "DESCRIPTION": "Supplier register, onboarding, risk, audits and responsible minerals.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # No badge from the public validator: it would send the schema address elsewhere (the CSP refuses it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery --------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost/")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Embedded broker for one machine: messages are files under DATA_DIR, no server needed.
    _broker_dir = DATA_DIR / "celery" / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    (DATA_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    (DATA_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(DATA_DIR / "celery" / "processed"),
        "control_folder": str(DATA_DIR / "celery" / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Reminders ----------------------------------------------------------------------------------------
# A failed digest is retried after base × 2, 4, 8, 16, 32 seconds.
REMINDER_RETRY_BASE_SECONDS = env.int("REMINDER_RETRY_BASE_SECONDS", default=60)
# A digest lists at most this many items, the most escalated first, and links to the reminder log for the
# rest: an ESG manager of a large register may have tens of thousands of items on one day.
REMINDER_DIGEST_MAX_ITEMS = env.int("REMINDER_DIGEST_MAX_ITEMS", default=200)

# --- Logging -------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes reports lockouts as warnings; its notes on every login attempt are left out.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
