"""Settings, read from the environment (see ecase/env.py and README "Configuration").

With nothing configured the app runs on an embedded default: SQLite under var/ and a
Celery broker on the file system, so a newcomer sees it in minutes. DATABASE_URL and
REDIS_URL switch to PostgreSQL and Redis, which production and the test suite use.

One block per topic, in this order: environment, apps, middleware, URLs and templates,
database, cache, security (keys, hosts, cookies, transport, sign-in), language and time,
storage (static files, the blob store, request bodies and uploads), ecase's own settings,
the JSON API, Celery with its beat schedule, logging, and last the production checks.
An ``ECASE_*`` setting that tunes one of Django's topics (sessions, blobs, query budgets)
sits in that topic's block; the application's own rules are in "ecase's own settings".

Importing this module writes nothing (issue #14): the folders under var/ and the development
secret key are made by ``manage.py prepare_dirs`` and after every ``migrate``
(ecase/local_files.py), and ``make run`` does both.
"""

import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_choice, env_int, env_list, env_str, env_url, require_for_production
from .local_files import read_secret

# --- Environment ---------------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent
# A development checkout's working files (SQLite, the folder broker, keys); production points it at a volume.
VAR_DIR = Path(env_str("ECASE_VAR_DIR", str(BASE_DIR / "var")))
# Only the documented values: "prod" or a typo must not quietly mean development.
ECASE_ENVIRONMENTS = ("development", "production")
PRODUCTION = env_choice("ECASE_ENV", "development", ECASE_ENVIRONMENTS) == "production"
DEBUG = env_bool("ECASE_DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("ECASE_DEBUG must be off when ECASE_ENV=production")

# --- Apps ----------------------------------------------------------------------------------------
INSTALLED_APPS = [
    # Not mounted (the administration workspace at /manage/ replaces it); installed for its log
    # table, append-only since accounts/0005. No autodiscovery: no app registers anything.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "guardian",
    "simple_history",
    "accounts",
    "audit",
    "cases",
    "evidence",
    # The JSON API (issue #7): Django REST Framework under /api/v1/, its schema and docs (docs/API.md).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ecase",  # no models: manage.py prepare_dirs and the post-migrate preparation (ecase/apps.py)
    "demo",  # tooling: manage.py seed_demo; no app imports it
]

# --- Middleware: one list, in the order a request passes it ---------------------------------------
MIDDLEWARE = [
    # First of all: a body over its route's limit is refused from its headers, before any
    # middleware below reads it (ecase/body_limit.py, ECASE_BODY_LIMITS; issue #13 item 8).
    "ecase.body_limit.BodyLimitMiddleware",
    # HTTPS redirect, HSTS, nosniff, referrer and opener policies (the "Security" block below).
    "django.middleware.security.SecurityMiddleware",
    # Static files, answered before a session or the database is touched.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Every request's own id (X-Request-ID) and its origin, for audit rows (audit/middleware.py, ecase/client_ip.py).
    "audit.middleware.RequestContextMiddleware",
    # Just inside RequestContextMiddleware (which gives the request its id): a 500 from outside the API's
    # views (a middleware, the resolver) is answered under /api/ in the API's error shape, never as a page.
    "ecase.api_errors.ApiServerErrorMiddleware",
    # The request's statement_timeout (ECASE_QUERY_BUDGETS); before anything queries: the session, the user.
    "ecase.query_budget.QueryBudgetMiddleware",
    # The session (database-backed), which everything below reads.
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of the URL, session or browser; UserLanguageMiddleware below overrides it for a user.
    "django.middleware.locale.LocaleMiddleware",
    # Host validation (ALLOWED_HOSTS) and the trailing slash.
    "django.middleware.common.CommonMiddleware",
    # CSRF tokens on every unsafe method.
    "django.middleware.csrf.CsrfViewMiddleware",
    # NUL and other control characters in parameters, form fields and JSON answer 400 before any view
    # (issue #13 item 9: PostgreSQL refuses NUL, which was a 500); after CSRF, so a forgery is refused first.
    "ecase.control_chars.ControlCharacterMiddleware",
    # request.user from the session.
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether this session confirmed a second factor (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    # Ends a session idle past ECASE_IDLE_TIMEOUT or older than ECASE_SESSION_LIFETIME.
    "accounts.middleware.SessionPolicyMiddleware",
    # A signed-in user confirms a TOTP code before reaching anything (enrolment on first sign-in).
    "accounts.middleware.TwoFactorRequiredMiddleware",
    # The interface speaks the signed-in user's own language, chosen on their profile.
    "accounts.middleware.UserLanguageMiddleware",
    # One-time messages shown on the next page.
    "django.contrib.messages.middleware.MessageMiddleware",
    # X-Frame-Options: DENY (no page is ever framed).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # OutOfScope answers 404 exactly like an absent object, NotAllowed 403 (DESIGN §4).
    "audit.middleware.ScopeErrorMiddleware",
    # Sign-in lockouts (django-axes); last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

# --- URLs and templates --------------------------------------------------------------------------
ROOT_URLCONF = "ecase.urls"
WSGI_APPLICATION = "ecase.wsgi.application"
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
            ],
        },
    },
]
# <select> lists written in Python, the rest by Django's templates (ecase/form_renderer.py, issue #15).
FORM_RENDERER = "ecase.form_renderer.FormRenderer"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Database ------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "") or f"sqlite:///{VAR_DIR / 'ecase.sqlite3'}",
        conn_max_age=env_int("ECASE_DB_CONN_MAX_AGE", 60, minimum=0),
        # A persistent connection is pinged before a request reuses it, so after a database restart
        # or killed backends a worker's first request reconnects instead of answering 500 (issue #20).
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL statement_timeout per request (ecase/query_budget.py): the page and API budget, and the
# routes whose work is legitimately longer. A statement past its budget is cancelled and answered 503.
ECASE_QUERY_TIMEOUT_MS = env_int("ECASE_QUERY_TIMEOUT_MS", 2000, minimum=100)
ECASE_QUERY_BUDGETS = {
    "cases:export": env_int("ECASE_EXPORT_QUERY_TIMEOUT_MS", 60000, minimum=1000),
    # A region's report counts a period's decisions over its whole scope (cases/statistics.py).
    "cases:statistics": env_int("ECASE_REPORT_QUERY_TIMEOUT_MS", 15000, minimum=1000),
}

# --- Cache ---------------------------------------------------------------------------------------
# Also the Celery broker when set (the "Celery" block).
REDIS_URL = env_str("REDIS_URL", "")
# Rate-limit and throttle counters (ecase/ratelimit.py) are
# shared by every worker process: in Redis when REDIS_URL is set (Django's RedisCache; the prefix
# keeps them apart from the Celery broker's keys in the same database, and nothing may call
# cache.clear(), which would empty the broker too). Only without Redis — one development process —
# in memory. Short socket timeouts: a hung Redis must cost a request half a second, after which the
# counter falls back to the process' own memory (ecase/ratelimit.py), never a hung worker or a 500.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ecase",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

# --- Security: keys, hosts, cookies, transport, sign-in ------------------------------------------
_SECRET_KEY_FROM_ENV = env_str("ECASE_SECRET_KEY", "")
if PRODUCTION and not _SECRET_KEY_FROM_ENV:
    raise ImproperlyConfigured("ECASE_SECRET_KEY is required when ECASE_ENV=production")
if PRODUCTION and (len(_SECRET_KEY_FROM_ENV) < 50 or len(set(_SECRET_KEY_FROM_ENV)) < 5):
    raise ImproperlyConfigured("ECASE_SECRET_KEY is too weak: use at least 50 random characters")
# Outside production without ECASE_SECRET_KEY: a per-checkout key kept in this file, which
# `manage.py prepare_dirs` and every `migrate` make (ecase/local_files.py); never written here.
ECASE_SECRET_KEY_FILE = None if _SECRET_KEY_FROM_ENV else VAR_DIR / "secret_key"
SECRET_KEY = _SECRET_KEY_FROM_ENV or (read_secret(ECASE_SECRET_KEY_FILE) if ECASE_SECRET_KEY_FILE else None) or ""
# A fresh checkout before its first prepare_dirs / migrate: this process signs with a key of its
# own, so its sessions end with it; system check ecase.W001 says so.
ECASE_SECRET_KEY_EPHEMERAL = not SECRET_KEY
SECRET_KEY = SECRET_KEY or secrets.token_urlsafe(50)
ALLOWED_HOSTS = env_list("ECASE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No anonymous user row: an anonymous visitor must never hold an object permission.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Authentication hardening (issue #3; CJIS Security Policy 5.5/5.6, OWASP ASVS L2 §2-3).
OTP_TOTP_ISSUER = env_str("ECASE_OTP_ISSUER", "ecase")
OTP_TOTP_THROTTLE_FACTOR = 1  # django-otp doubles the wait after each wrong code
AXES_FAILURE_LIMIT = env_int("ECASE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ECASE_LOCKOUT_MINUTES", 15, minimum=15))
AXES_LOCKOUT_PARAMETERS = ["username"]  # the account is locked, from whichever address
# axes.W006 suggests locking by address as well: police stations sit behind one NAT address,
# so that would lock a whole station out after five typos. The account lock is what CJIS asks.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "ecase.client_ip.client_ip"  # the proxy's address is nobody's
ECASE_IDLE_TIMEOUT = timedelta(minutes=env_int("ECASE_IDLE_TIMEOUT_MINUTES", 30, minimum=1))
ECASE_SESSION_LIFETIME = timedelta(hours=env_int("ECASE_SESSION_LIFETIME_HOURS", 12, minimum=1))
ECASE_REAUTH_MAX_AGE = timedelta(minutes=env_int("ECASE_REAUTH_MINUTES", 5, minimum=1))
ECASE_GRAVE_CASE_OTP_MAX_AGE = timedelta(minutes=env_int("ECASE_GRAVE_CASE_OTP_MINUTES", 15, minimum=1))
SESSION_COOKIE_AGE = int(ECASE_IDLE_TIMEOUT.total_seconds())
# Saved when changed only: SessionPolicyMiddleware stamps "seen" at most once a minute (the sliding
# idle timeout) and keeps the absolute lifetime; each save moves the row's expiry by the idle timeout.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("ECASE_SECURE_COOKIES", PRODUCTION)

# Transport and browser defaults.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("ECASE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("ECASE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("ECASE_BEHIND_TLS_PROXY", PRODUCTION) else None
)
# Proxies in front of the app that append to X-Forwarded-For (ecase/client_ip.py): one behind TLS.
ECASE_PROXY_COUNT = env_int("ECASE_PROXY_COUNT", 1 if SECURE_PROXY_SSL_HEADER else 0, minimum=0)
# No inline script or style anywhere: everything the pages need is served by the app itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Language and time ---------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Kazakhstan keeps one time zone (UTC+5) since 2024; the database stores UTC.
TIME_ZONE = env_str("ECASE_TIME_ZONE", "Asia/Almaty")
USE_I18N = True
USE_TZ = True

# --- Storage: static files, the blob store, request bodies and uploads ---------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"  # made by collectstatic, or by prepare_dirs for development
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Blob storage (issue #19; docs/STORAGE.md). Evidence files, signed PDFs: one encrypted,
# content-addressed store (ecase/blobs.py), served only by permission-checked views.
# The filesystem backend's root (and the encrypted spool of every backend, under tmp/).
ECASE_PRIVATE_STORAGE = Path(env_str("ECASE_PRIVATE_STORAGE", str(VAR_DIR / "private")))
ECASE_BLOB_STORAGE = env_str("ECASE_BLOB_STORAGE", "filesystem")  # "filesystem" | "s3"
ECASE_BLOB_S3 = {  # S3-compatible object storage through django-storages (boto3)
    "endpoint_url": env_str("ECASE_BLOB_S3_ENDPOINT", "") or None,
    "bucket_name": env_str("ECASE_BLOB_S3_BUCKET", "ecase-blobs"),
    "access_key": env_str("ECASE_BLOB_S3_ACCESS_KEY", "") or None,
    "secret_key": env_str("ECASE_BLOB_S3_SECRET_KEY", "") or None,
    "region_name": env_str("ECASE_BLOB_S3_REGION", "us-east-1"),
}
# "id:<32 bytes url-safe base64>,…", the first wraps new blobs; required in production. In
# development a per-checkout key file is made on first use (never while blobs exist without it).
ECASE_BLOB_MASTER_KEYS = env_str("ECASE_BLOB_MASTER_KEYS", "")
ECASE_BLOB_MASTER_KEY_FILE = Path(env_str("ECASE_BLOB_MASTER_KEY_FILE", str(VAR_DIR / "blob_master_keys")))
ECASE_BLOB_SEGMENT_BYTES = 1024 * 1024
# Resumable (tus) uploads of evidence (evidence/uploads.py): up to 20 GB, staged encrypted in the
# blob backend in parts of this many segments (a cut connection loses at most one part's bytes);
# an upload not finished within the hours below expires (manage.py expire_uploads removes its parts).
ECASE_MAX_RESUMABLE_UPLOAD_BYTES = env_int("ECASE_MAX_RESUMABLE_UPLOAD_BYTES", 20 * 1024**3, minimum=1024)
ECASE_UPLOAD_PART_SEGMENTS = env_int("ECASE_UPLOAD_PART_SEGMENTS", 8, minimum=1)
ECASE_UPLOAD_EXPIRY_HOURS = env_int("ECASE_UPLOAD_EXPIRY_HOURS", 72, minimum=1)

# Uploads: streamed to disk past 2.5 MB, refused past the limit (issue #3 §5).
ECASE_MAX_UPLOAD_BYTES = env_int("ECASE_MAX_UPLOAD_BYTES", 200 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = None
# A signed PDF sent to the public verification page.
ECASE_VERIFY_MAX_BYTES = env_int("ECASE_VERIFY_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# Request bodies (issue #13 item 8): one table, enforced before anything reads a body
# (ecase/body_limit.py) and mirrored by the front proxy's limit (docker-compose.yml).
# Per route name: (limit for a signed-in caller, limit for an anonymous one), in bytes; "*" is
# every other route. Anonymous callers send a login form, never an upload — except to the
# public verification page, whose limit is a signed PDF's.
ECASE_MAX_BODY_BYTES = env_int("ECASE_MAX_BODY_BYTES", 1024 * 1024, minimum=16 * 1024)
ECASE_ANONYMOUS_MAX_BODY_BYTES = env_int("ECASE_ANONYMOUS_MAX_BODY_BYTES", 16 * 1024, minimum=4 * 1024)
_MULTIPART_OVERHEAD = 64 * 1024  # the form's boundaries, headers and other fields around the file
ECASE_BODY_LIMITS = {
    "evidence:upload": (ECASE_MAX_UPLOAD_BYTES + _MULTIPART_OVERHEAD, ECASE_ANONYMOUS_MAX_BODY_BYTES),
    # A tus PATCH carries raw bytes; the view holds it to what is left of the upload's declared length.
    "evidence:resumable": (ECASE_MAX_RESUMABLE_UPLOAD_BYTES, ECASE_ANONYMOUS_MAX_BODY_BYTES),
    "verify:act": (ECASE_VERIFY_MAX_BYTES + _MULTIPART_OVERHEAD, ECASE_VERIFY_MAX_BYTES + _MULTIPART_OVERHEAD),
    # The scan of an investigating judge's decision (cases/services/sanction.py, 20 MB).
    "cases:act-sanction": (20 * 1024 * 1024 + _MULTIPART_OVERHEAD, ECASE_ANONYMOUS_MAX_BODY_BYTES),
    "*": (ECASE_MAX_BODY_BYTES, ECASE_ANONYMOUS_MAX_BODY_BYTES),
}
# Whether a bearer token in the headers is a usable one (a signed-in caller): named here, because
# ecase/body_limit.py knows no app.
ECASE_BEARER_TOKEN_USABLE = "accounts.api.tokens.token_usable"

# --- ecase's own settings ------------------------------------------------------------------------
# ERDR-style registration number. Placeholders: {yyyy} {yy} {unit} {seq}; the sequence
# restarts per unit and year. Unit codes differ in length (75, 7511) and a busy unit's
# sequence can outgrow its width, so a separator after the code keeps numbers of different
# units apart: without it unit 75's case 1000001 and unit 751's case 1 were both 26751000001.
ECASE_REGISTRATION_NUMBER_FORMAT = env_str("ECASE_REGISTRATION_NUMBER_FORMAT", "{yy}{unit}-{seq:06d}")
ECASE_DEADLINE_WARNING_DAYS = env_int("ECASE_DEADLINE_WARNING_DAYS", 5, minimum=0)

# Signed acts (issue #5): rendering workers, signatures, verification (docs/SIGNING.md).
# Absolute address printed under the QR code of every act; the verification page lives under it.
# Production has no default (checked at the end of this file): a QR code must never point at 127.0.0.1.
ECASE_PUBLIC_URL = env_url(
    "ECASE_PUBLIC_URL",
    "" if PRODUCTION else "http://127.0.0.1:8000",
    schemes=("https",) if PRODUCTION else ("https", "http"),
)
# The signer behind cases.signing.base.ActSigner; a browser-side (NCALayer) signer replaces it here.
ECASE_ACT_SIGNER = env_str("ECASE_ACT_SIGNER", "cases.signing.server.ServerKeySigner")
# Encrypts every signing key at rest; kept out of the database. Outside production a
# per-checkout passphrase in var/signing_passphrase is used when this is empty.
ECASE_SIGNING_PASSPHRASE = env_str("ECASE_SIGNING_PASSPHRASE", "")
# PEM/DER files of the roots signatures must chain to; "builtin" is the built-in CA's root.
ECASE_SIGNING_TRUST_ROOTS = env_list("ECASE_SIGNING_TRUST_ROOTS", ["builtin"])
ECASE_SIGNING_ORGANISATION = env_str("ECASE_SIGNING_ORGANISATION", "ecase")
ECASE_SIGNING_CERTIFICATE_DAYS = env_int("ECASE_SIGNING_CERTIFICATE_DAYS", 365, minimum=1)
# Rendering: one queue (a worker started with -Q must list it), bounded attempts, a hard
# time limit below the broker's visibility timeout (else Redis re-delivers a live task).
ECASE_RENDER_QUEUE = env_str("ECASE_RENDER_QUEUE", "celery")
ECASE_RENDER_TIME_LIMIT = env_int("ECASE_RENDER_TIME_LIMIT", 120, minimum=10)
ECASE_RENDER_MAX_ATTEMPTS = env_int("ECASE_RENDER_MAX_ATTEMPTS", 5, minimum=1)
# The sweep (every ECASE_RENDER_SWEEP_SECONDS) re-enqueues approved acts whose message the broker
# never received or lost (not started ECASE_RENDER_STALE_SECONDS after it was sent), and claimed
# renderings whose row no worker holds locked any more (a worker died; found at once, after
# ECASE_RENDER_CLAIM_GRACE_SECONDS between the claim and the lock). So an act is re-queued within
# ~25 s of any failure (issue #20), where 180 s + 60 s was the rule before.
ECASE_RENDER_SWEEP_SECONDS = env_int("ECASE_RENDER_SWEEP_SECONDS", 5, minimum=1)
ECASE_RENDER_STALE_SECONDS = env_int("ECASE_RENDER_STALE_SECONDS", 20, minimum=1)
ECASE_RENDER_CLAIM_GRACE_SECONDS = env_int("ECASE_RENDER_CLAIM_GRACE_SECONDS", 5, minimum=1)
# Uploads to the public verification page per client address and minute (each one is a full
# signature validation; the page needs no account).
ECASE_VERIFY_UPLOADS_PER_MINUTE = env_int("ECASE_VERIFY_UPLOADS_PER_MINUTE", 10, minimum=1)

# Audit trail (issue #6): periodic verification (the beat schedule), history seals, the export
# signing key. docs/AUDIT.md.
ECASE_AUDIT_VERIFY_MINUTES = env_int("ECASE_AUDIT_VERIFY_MINUTES", 60, minimum=5)
ECASE_EXPORT_SIGNING_DIR = Path(env_str("ECASE_EXPORT_SIGNING_DIR", str(VAR_DIR / "export_signing")))
# Encrypts the export signing key; required in production (the export refuses to sign without it).
ECASE_EXPORT_SIGNING_PASSPHRASE = env_str("ECASE_EXPORT_SIGNING_PASSPHRASE", "")

# Idempotency-Key records (accounts/idempotency.py): a client may retry a write for this long; older
# records are purged hourly. They are a response cache, not case data.
ECASE_IDEMPOTENCY_HOURS = env_int("ECASE_IDEMPOTENCY_HOURS", 24, minimum=1)

# --- JSON API (issue #7): Django REST Framework under /api/v1/, schema and docs (docs/API.md) -----


def _api_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as "600/min"; a malformed one stops start-up like every setting."""
    value = env_str(name, default).strip()
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate such as 600/min")
    return value


REST_FRAMEWORK = {
    # A system's token first; the browser's own session (with CSRF on writes) second.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "ecase.api_pagination.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_CLASSES": ["accounts.authentication.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": _api_rate("ECASE_API_RATE_TOKEN", "600/min"),
        "api_user": _api_rate("ECASE_API_RATE_USER", "600/min"),
        "api_anon": _api_rate("ECASE_API_RATE_ANON", "120/min"),
    },
    "EXCEPTION_HANDLER": "accounts.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "ecase.api_schema.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ecase JSON API",
    "DESCRIPTION": "The electronic criminal case file for other agencies' systems, under the same need-to-know "
    "rules as the browser. Authentication: `Authorization: Bearer <token>`. See docs/API.md.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar, served by the app: nothing comes from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
}

# --- Celery (DESIGN §5) and its beat schedule ----------------------------------------------------
# Without REDIS_URL the broker is a folder under var/ (made by prepare_dirs): no server needed.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any]
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # How long Redis waits for an unacknowledged message before handing it out again. Above the longest
    # task (ECASE_TASK_TIME_LIMIT, 300 s) and the longest retry countdown (300 s; a countdown message is
    # held unacknowledged), checked below; Kombu's default of an hour left a dead worker's messages
    # parked that long. The sweep recovers a dead worker's act within seconds anyway (cases/tasks.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("ECASE_BROKER_VISIBILITY_TIMEOUT", 600, minimum=60)
    }
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# The database, not the broker, records pending work; results are not kept in Celery.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("ECASE_TASK_TIME_LIMIT", 300, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
CELERY_TIMEZONE = TIME_ZONE
# Workers keep retrying the broker at start-up too (Celery 6 changes the default).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # Seals new history rows, walks every chain, AUDIT_ALERT on failure (issue #6, docs/AUDIT.md).
    "audit-verify-trail": {
        "task": "audit.verify_trail",
        "schedule": timedelta(minutes=ECASE_AUDIT_VERIFY_MINUTES),
    },
    # Re-enqueues approved acts whose rendering message was lost or whose worker died (issue #20).
    "sweep-unsigned-acts": {
        "task": "cases.sweep_act_renderings",
        "schedule": float(ECASE_RENDER_SWEEP_SECONDS),
        "options": {"queue": ECASE_RENDER_QUEUE, "expires": float(ECASE_RENDER_SWEEP_SECONDS)},
    },
    # Idempotency-Key records older than ECASE_IDEMPOTENCY_HOURS.
    "purge-idempotency-keys": {"task": "accounts.purge_idempotency_keys", "schedule": timedelta(hours=1)},
    # Orphan blobs (issue #20): a daily report, audited and logged; removing them stays manual
    # (blob_orphans --delete).
    "report-blob-orphans": {"task": "evidence.report_blob_orphans", "schedule": timedelta(hours=24)},
    # Resumable uploads abandoned past ECASE_UPLOAD_EXPIRY_HOURS (issue #19): expired, their sealed
    # parts removed from the blob backend (manage.py expire_uploads).
    "expire-uploads": {"task": "evidence.expire_uploads", "schedule": timedelta(hours=24)},
    # One warning event per statutory clock running out within 24 hours or overdue (issue #18 item 3),
    # idempotent per clock per day (cases/services/clock_warnings.py).
    "warn-clocks": {"task": "cases.warn_clocks", "schedule": timedelta(hours=24)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
_LONGEST_RETRY_COUNTDOWN = 300  # cases.tasks.BACKOFF_MAX
if (
    REDIS_URL
    and max(ECASE_RENDER_TIME_LIMIT, CELERY_TASK_TIME_LIMIT, _LONGEST_RETRY_COUNTDOWN)
    >= CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
):
    raise ImproperlyConfigured(
        "ECASE_RENDER_TIME_LIMIT, ECASE_TASK_TIME_LIMIT and the 300 s retry countdown must "
        "stay below ECASE_BROKER_VISIBILITY_TIMEOUT, or Redis re-delivers tasks still running"
    )

# --- Logging -------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ECASE_LOG_LEVEL", "INFO")},
    # Lockouts are in the audit trail; axes' own per-request lines are noise.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Production refuses to start on a development fallback (issue #13 item 9) --------------------
# SQLite, the file-system broker, the development host names, QR codes printed with 127.0.0.1 on
# legal documents, and signing keys under a passphrase generated into var/.
if PRODUCTION:
    require_for_production(
        {
            "DATABASE_URL naming a PostgreSQL database": "postgresql" not in DATABASES["default"]["ENGINE"],
            "REDIS_URL": not REDIS_URL,
            "ECASE_ALLOWED_HOSTS (explicit host names)": not env_list("ECASE_ALLOWED_HOSTS", []),
            "ECASE_PUBLIC_URL (the https:// address printed under every act's QR code)": not ECASE_PUBLIC_URL,
            "ECASE_SIGNING_PASSPHRASE": not ECASE_SIGNING_PASSPHRASE,
            "ECASE_EXPORT_SIGNING_PASSPHRASE": not ECASE_EXPORT_SIGNING_PASSPHRASE,
            "ECASE_BLOB_MASTER_KEYS (the keys that wrap every stored file's key, docs/STORAGE.md)": not ECASE_BLOB_MASTER_KEYS,
        }
    )
