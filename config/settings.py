"""Cadrebook settings: everything comes from CADREBOOK_* environment variables (config.env)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# Production mode must be asked for explicitly; the embedded set-up generates and keeps a key.
PRODUCTION = env_bool("PRODUCTION", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        if PRODUCTION and (len(key) < 40 or key.startswith("insecure")):
            raise ImproperlyConfigured("CADREBOOK_SECRET_KEY is too weak for production mode")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("CADREBOOK_PRODUCTION is on: set a real CADREBOOK_SECRET_KEY")
    # Embedded set-up: generate once and keep it beside the database so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # backup codes
    "cadrebook.core",
    "cadrebook.accounts",
    "cadrebook.orgs",
    "cadrebook.documents",
    "cadrebook.members",
    "cadrebook.evaluations",
    "cadrebook.cadres",
    "cadrebook.inspections",
    "cadrebook.reports",
    "cadrebook.imports",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "csp",
    "cadrebook.api",
    "cadrebook.demo",
]

MIDDLEWARE = [
    # First: the session's writes count among the request's (reads after a write).
    "cadrebook.core.replica.ReplicaMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from the server itself, compressed, with far-future cache headers for the
    # hashed names `cadrebook serve` collects (whitenoise): no separate file server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below) on every response.
    "csp.middleware.CSPMiddleware",
    "cadrebook.core.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "cadrebook.api.middleware.ApiEdgeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cadrebook.accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cadrebook.accounts.middleware.AccountGateMiddleware",
    "cadrebook.accounts.middleware.UserLanguageMiddleware",
    "cadrebook.core.middleware.UnstorableTextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cadrebook.core.middleware.RequestIdMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
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
                "django.template.context_processors.i18n",
                # The navigation's "Inspections" entry, for the roles that read the files.
                "cadrebook.inspections.nav.nav",
                # The navigation's "Cadres" entry, for the roles that record cadre work.
                "cadrebook.cadres.nav.nav",
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"

DATABASE_URL = env_str("DATABASE_URL", "sqlite:///" + str(VAR_DIR / "cadrebook.sqlite3"))
if DATABASE_URL.startswith("sqlite:///"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
# Connections are kept for a minute between requests; each request checks the one it reuses
# first (a cheap round trip), so the first request after a database restart reconnects
# instead of failing on the dead connection.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,  # busy timeout, seconds
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# A read replica (docs/deployment.md, "A read replica"): the statistics, the dashboard, the
# report documents and the exports read from it (cadrebook/core/replica.py); every other read
# and every write go to the primary. Its connection gives up after 3 seconds, and the primary
# then answers alone for a while. In the tests it mirrors the test database: the same name,
# on the replica's server (the replica replays the test database the tests create).
REPLICA_URL = env_str("REPLICA_URL", "")
if REPLICA_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("CADREBOOK_REPLICA_URL needs a PostgreSQL primary")
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_URL, conn_max_age=60, conn_health_checks=True
    )
    DATABASES["replica"]["OPTIONS"] = {
        "connect_timeout": 3,
        **DATABASES["replica"].get("OPTIONS", {}),
    }
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["cadrebook.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60
# A (user, address) pair is locked after AXES_FAILURE_LIMIT failures, an address alone after
# its own, higher limit (password spraying: one password tried on many accounts).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "cadrebook.accounts.lockout.AddressAwareHandler"
CADREBOOK_LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 30)
AXES_ENABLED = env_bool("AXES_ENABLED", True)

LOGIN_URL = "login"
# Two-factor sign-in (TOTP with backup codes): "off" (optional for everybody, the default so
# the demo can be tried at once), "changers" (mandatory for users whose roles change records
# or see personal data unmasked), "all" (mandatory for everybody).
CADREBOOK_2FA_REQUIRED = env_str("2FA_REQUIRED", "off").strip().lower()
if CADREBOOK_2FA_REQUIRED not in {"off", "changers", "all"}:
    raise ImproperlyConfigured("CADREBOOK_2FA_REQUIRED must be off, changers or all")
OTP_TOTP_ISSUER = env_str("2FA_ISSUER", "Cadrebook")
# A signed-in session ends this many hours after the sign-in, and after this many minutes
# without a request (0: no idle limit). Both are enforced by
# cadrebook.accounts.middleware.SessionTimeoutMiddleware, which writes the session at most
# once a minute to note the activity.
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12) * 3600
CADREBOOK_SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 30) * 60
# Mail: password reset by e-mail is offered only when a mail server is named; otherwise the
# sign-in page says to ask an administrator.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_SSL", EMAIL_PORT == 465)
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "cadrebook@localhost")
# A password reset link works for this many hours.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 2) * 3600
LOGIN_REDIRECT_URL = "orgs:tree"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env_str("LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("vi", _("Vietnamese")), ("km", _("Khmer"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Group thousands (8,123 · 8.123) wherever a number is formatted with grouping; Django's
# Vietnamese and Khmer formats name the separator but not the grouping.
NUMBER_GROUPING = 3
TIME_ZONE = env_str("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# `cadrebook serve` collects the static files and sets this for its server processes: pages
# then name the files by their content hash, sent compressed and cached "forever". Elsewhere
# (tests, the development server, commands) the files are read where they lie.
CADREBOOK_STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if CADREBOOK_STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not CADREBOOK_STATIC_MANIFEST
if not CADREBOOK_STATIC_MANIFEST:
    # Read by whitenoise at start-up even when the files are served from where they lie.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Web server processes of `cadrebook serve` (0: two per CPU, plus one).
CADREBOOK_WEB_WORKERS = env_int("WEB_WORKERS", 0)

# The rule set in force; see cadrebook/core/rulesets/.
RULESET = env_str("RULESET", "vn-2025")
# Deepest tree level whose ancestor id is copied onto every MemberPeriod row.
MAX_TREE_DEPTH = env_int("MAX_TREE_DEPTH", 6)

# Background work (imports, report generation): Django tasks stored in the database and run
# by `cadrebook db_worker` (started by `cadrebook serve`). "immediate" runs them in-process.
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND],
        "QUEUES": ["default"],
    }
}
# Progress and cancel flags shared between the web process and the worker, outside any
# transaction (a long import holds the database's write lock on SQLite).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

# Imports: uploaded files are kept under VAR_DIR/imports until the import is finished.
IMPORT_DIR = VAR_DIR / "imports"
# The register's files (signed documents, attachments), by checksum; served only through the
# scoped download of the API, never from a public URL.
DOCUMENT_DIR = VAR_DIR / "documents"
CADREBOOK_IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", 200) * 1024 * 1024
# A members import into member tables that hold nobody yet (a deployment's first load) drops
# their secondary indexes and keys for the load and rebuilds them before it commits.
CADREBOOK_IMPORT_FIRST_LOAD = env_bool("IMPORT_FIRST_LOAD", True)
# Rebuild the statistics aggregates in the background after every import that wrote data.
CADREBOOK_STATS_REBUILD_AFTER_IMPORT = env_bool("STATS_REBUILD_AFTER_IMPORT", True)
# Time of day ("HH:MM", server time) `cadrebook serve` rebuilds them; empty: never.
CADREBOOK_STATS_REBUILD_AT = env_str("STATS_REBUILD_AT", "02:30")
# The aggregates keep the figures of every day for the units this near the top of the tree
# (1: the roots; 2: the roots and their children), so statistics of the whole deployment and
# of its first level are read, not counted, on any date.
CADREBOOK_STATS_DAILY_DEPTH = env_int("STATS_DAILY_DEPTH", 2)
# Statistics for roles that see personal data masked (cadrebook/reports/privacy.py): the
# breakdowns by age and ethnicity only for subtrees of this many members, with smaller counts
# than CADREBOOK_STATS_SMALL_COUNT shown as "< 5".
CADREBOOK_STATS_MIN_MEMBERS = env_int("STATS_MIN_MEMBERS", 20)
CADREBOOK_STATS_SMALL_COUNT = env_int("STATS_SMALL_COUNT", 5)
# API rate limits ("N/s", "N/min", "N/hour", "N/day"): writes per token and per address, and
# failed token authentications per address; over them the API answers 429 with Retry-After.
CADREBOOK_API_WRITES_PER_TOKEN = env_str("API_WRITES_PER_TOKEN", "120/min")
CADREBOOK_API_WRITES_PER_IP = env_str("API_WRITES_PER_IP", "600/min")
CADREBOOK_API_AUTH_FAILURES_PER_IP = env_str("API_AUTH_FAILURES_PER_IP", "30/min")
# The reverse proxies in front of Cadrebook: the per-address limits read the client's address
# from the X-Forwarded-For entry they add. 0 (no proxy): the connection's address, so a client
# cannot choose its own by sending the header.
NINJA_NUM_PROXIES = env_int("NUM_PROXIES", 0)
CADREBOOK_IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_MB", 1024) * 1024 * 1024
# A worker renews the lease on the import it runs every quarter of this many seconds; a
# running import whose lease ran out has lost its worker and is marked failed (by the next
# worker, or by `cadrebook prune_imports`).
CADREBOOK_IMPORT_LEASE_SECONDS = env_int("IMPORT_LEASE_SECONDS", 60)
# How many refused rows an import keeps in its report (the XLSX report has all of them).
IMPORT_REPORT_MAX_ERRORS = env_int("IMPORT_REPORT_MAX_ERRORS", 10000)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Pages run only the app's own script files and read only its own style sheets, fonts and
# images: no inline <script>, no on...= attribute, no style attribute or <style> element
# (static/cadrebook.js and cadrebook.css hold what the templates would otherwise inline;
# core/tests/test_security_headers.py keeps the templates so). A script injected into a page
# by a stored value that escaped escaping would not run. img-src allows data: for the
# vendored style sheets' inline SVG icons and the charts' PNG download; connect-src 'self'
# for htmx. The OpenAPI page (django-ninja's Swagger UI) loads from static files too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page uses, refused to the page and anything it could embed.
CADREBOOK_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000 if PRODUCTION else 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
