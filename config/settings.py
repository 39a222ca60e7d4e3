"""Settings for Students Tracker, read from environment variables only (12-factor).

Development defaults work with nothing installed (SQLite in var/); ENVIRONMENT=production
refuses to start with an insecure setting.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# FileAwareEnv reads NAME_FILE when NAME is unset, for secrets mounted as files.
env = environ.FileAwareEnv()

ENVIRONMENT = env.str("ENVIRONMENT", default="development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("ENVIRONMENT must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"
TESTING = env.bool("TESTING", default=False)

DEBUG = env.bool("DEBUG", default=False)


def _development_secret_key() -> str:
    # Kept in var/ so that restarting `make run` does not sign everybody out.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or ("" if PRODUCTION else _development_secret_key())
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Where e-mailed links point (invitations, password resets).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

if PRODUCTION:
    insecure = []
    if DEBUG:
        insecure.append("DEBUG must be off")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        insecure.append("SECRET_KEY must be set to a random value of 50+ characters")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        insecure.append("ALLOWED_HOSTS must list the site's host names")
    if insecure:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(insecure))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "template_partials",
    "csp",
    "ninja",
    "axes",
    "tracker.core",
    "tracker.org",
    "tracker.accounts",
    "tracker.audit",
    "tracker.students",
    "tracker.scheduling",
    "tracker.attendance",
    "tracker.finance",
    "tracker.messaging",
    "tracker.reports",
    "tracker.search",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    # First, to time and count all the rest (tracker/core/observability.py).
    "tracker.core.observability.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Headers every response carries, the cached feed's and API problems' included.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "tracker.core.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tracker.core.middleware.RequestContextMiddleware",
    "tracker.core.middleware.ProblemJsonMiddleware",
    "tracker.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Repeated reads from the cache, before the rest (tracker/core/cached_reads.py).
    "tracker.core.cached_reads.CachedReadMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Idle timeout, absolute lifetime, revoked sessions, the second factor (after django-otp).
    "tracker.accounts.security.SessionSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it can replace any response of a locked-out sign-in attempt.
    "axes.middleware.AxesMiddleware",
]

# The API reads that CachedReadMiddleware may answer from the cache.
CACHED_READS = [
    "tracker.scheduling.cached.FEED",
    "tracker.students.cached.LIST",
    "tracker.messaging.cached.THREADS",
    "tracker.reports.cached.DASHBOARD",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "tracker.core.context_processors.site",
            ],
        },
    },
]

FORM_RENDERER = "tracker.core.forms.FormRenderer"

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# WAL lets readers run beside the writer; IMMEDIATE + timeout makes concurrent writers queue
# instead of failing with "database is locked".
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Reads that may lag (reports, staff dashboards, exports) go to a read replica when one is
# given (tracker/core/db_router.py); all else, every write and every migration, to the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = environ.Env.db_url_config(DATABASE_REPLICA_URL)
    for _name in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        if _name in DATABASES["default"]:
            DATABASES["replica"][_name] = DATABASES["default"][_name]
    # Tests have no replication: the replica's name stands for the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["tracker.core.db_router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Encryption of personal data at rest ------------------------------------------------
# Comma-separated base64 keys of 32 bytes; the first encrypts, all decrypt (rotation).
# Without it, development generates one into var/; production refuses to start.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_ENCRYPTION_KEY_FILE = env.str(
    "FIELD_ENCRYPTION_KEY_FILE", default=str(VAR_DIR / "field_encryption_key")
)
if PRODUCTION and not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "Refusing to start in production: set FIELD_ENCRYPTION_KEYS "
        "(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
    )

# --- Cache: Redis when REDIS_URL is set, otherwise this process's memory -------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "tracker.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    # Sessions are read from Redis and written through to the database, so a Redis
    # restart signs nobody out and revoking a session deletes it from both.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # One-time sign-in links by e-mail (django-sesame): valid 15 minutes, used once.
    "sesame.backends.ModelBackend",
]
SESAME_MAX_AGE = 15 * 60
SESAME_ONE_TIME = True

# --- Security: sessions, second factor, rate limits, privacy, backups (issue 9) -------------
# Signed-in browser sessions end after this long without a request, and in any case after
# the absolute lifetime.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)
# Admins must set up an authenticator app before using the app (default on in production).
REQUIRE_ADMIN_2FA = env.bool("REQUIRE_ADMIN_2FA", default=PRODUCTION)
OTP_TOTP_ISSUER = "Students Tracker"
# API rate limits (per token when signed in, per client address otherwise), e.g. "600/m".
API_RATE_LIMIT_USER = env.str("API_RATE_LIMIT_USER", default="600/m")
API_RATE_LIMIT_ANON = env.str("API_RATE_LIMIT_ANON", default="60/m")
# Archived students' personal data is removed this many months after archiving
# (`manage.py apply_retention`); 0 keeps it.
STUDENT_RETENTION_MONTHS = env.int("STUDENT_RETENTION_MONTHS", default=24)
# `manage.py backup`: where, how many to keep, and the key that encrypts them (base64, 32
# bytes; by default derived from the first field-encryption key).
BACKUP_DIR = env.path("BACKUP_DIR", default=str(VAR_DIR / "backups"))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
BACKUP_KEY = env.str("BACKUP_KEY", default="")
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # an invitation link stays valid for three days
ACCESS_TOKEN_TTL = timedelta(minutes=env.int("ACCESS_TOKEN_MINUTES", default=15))
REFRESH_TOKEN_TTL = timedelta(days=env.int("REFRESH_TOKEN_DAYS", default=30))

# Sign-in throttling (django-axes): 5 failures for one username, or from one address,
# within 15 minutes lock further attempts for 15 minutes, even with the right password.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "tracker.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "tracker.core.request_context.client_ip_for_axes"
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit trail; no second log of addresses
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is slow on purpose; tests hash thousands of passwords and test nothing about it.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation: stored in UTC, shown in the business's (or user's) zone --------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Africa/Johannesburg")
USE_I18N = True
USE_TZ = True
CURRENCY = env.str("CURRENCY", default="ZAR")
# Cancelled closer to the start than this counts as a late cancellation.
LATE_CANCELLATION_HOURS = env.int("LATE_CANCELLATION_HOURS", default=24)
# Share of the price billed for a late cancellation by the student, and for a student who
# missed a session without notice (percent).
LATE_CANCELLATION_SHARE = env.int("LATE_CANCELLATION_SHARE", default=100)
NO_SHOW_SHARE = env.int("NO_SHOW_SHARE", default=LATE_CANCELLATION_SHARE)
# Days a payer has to pay an issued invoice.
INVOICE_PAYMENT_DAYS = env.int("INVOICE_PAYMENT_DAYS", default=14)
INVOICE_ISSUER = env.str("INVOICE_ISSUER", default="Students Tracker tutoring")
INVOICE_ISSUER_DETAILS = env.str("INVOICE_ISSUER_DETAILS", default="")

# --- Static files, served by the app itself through WhiteNoise ---------------------------
STATIC_URL = "static/"
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- E-mail: console by default; EMAIL_URL=smtp+tls://user:pass@host:587 in production ----
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Students Tracker <noreply@localhost>")

# --- Security headers and cookies --------------------------------------------------------
HTTPS = env.bool("HTTPS", default=PRODUCTION)
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: htmx and FullCalendar load from /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- API ---------------------------------------------------------------------------------
# Trust X-Forwarded-For only from the proxies we are told about, so a client cannot pick
# its own address to dodge a rate limit.
NINJA_NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# A cursor is the first sort field's value plus how many rows sharing it to skip; lists
# sorted by surname or date share values by the hundred (ninja's limit is 100, and past
# it the next page failed with a 500).
NINJA_PAGINATION_MAX_OFFSET = 100_000

# --- Observability: metrics, logs, tracing (README "Observability") -------------------------
# /metrics answers whoever sends `Authorization: Bearer <METRICS_TOKEN>` when it is set;
# otherwise only clients in METRICS_ALLOWED_NETWORKS (as NUM_PROXIES makes out the client's
# address): loopback in development, nobody in production unless configured (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list(
    "METRICS_ALLOWED_NETWORKS", default=[] if PRODUCTION else ["127.0.0.1/32", "::1/128"]
)
try:
    for _network in METRICS_ALLOWED_NETWORKS:
        ipaddress.ip_network(_network, strict=False)
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {error}") from None
if PRODUCTION and METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "Refusing to start in production: METRICS_TOKEN needs 32+ characters"
    )
# One JSON object per line (for a log collector) or readable lines (for a terminal).
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'text'")
# One line per request (tracker.access); ACCESS_LOG=false leaves it to a proxy in front.
ACCESS_LOG = env.bool("ACCESS_LOG", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.core.observability.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "tracker.core.observability.json_formatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Every failed sign-in is in the audit trail already.
        "axes": {"level": "WARNING"},
        "tracker.access": {"level": "INFO" if ACCESS_LOG else "WARNING"},
    },
}
