"""One settings module, driven by environment variables with safe local defaults.

Secrets come from the environment or from files named by ``*_FILE`` variables; see
docs/operations.md. Nothing secret is committed: a local key file is generated under ``var/``
on first start when no key is configured (development and demo only).
"""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.keys import load_keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(__import__("os").environ.get("ZHIYUAN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

from zhiyuan.core.env import env, env_bool, env_int, env_list  # noqa: E402

DEBUG = env_bool("ZHIYUAN_DEBUG", False)
ZHIYUAN_DEMO = env_bool("ZHIYUAN_DEMO", False)  # allows manage.py demo_seed (published passwords)
KEYS = load_keys(VAR_DIR)
SECRET_KEY = KEYS.secret_key
SECRET_KEY_FALLBACKS = list(KEYS.secret_key_fallbacks)  # keys_rotate secret (docs/operations.md "Keys")
ALLOWED_HOSTS = env_list("ZHIYUAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("ZHIYUAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves its vendored Swagger UI files from /static/ninja/ (no CDN: ARCHITECTURE "static assets")
    "zhiyuan.core",  # before django_tasks: its db_worker command (heartbeat, lost tasks) wins
    "django_tasks",  # background tasks (TASKS below)
    "django_tasks.backends.database",
    "zhiyuan.regions",
    "zhiyuan.accounts",
    "zhiyuan.volunteers",
    "zhiyuan.organizations",
    "zhiyuan.stations",
    "zhiyuan.insurance",
    "zhiyuan.training",
    "zhiyuan.activities",
    "zhiyuan.records",
    "zhiyuan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zhiyuan.core.middleware.PrivateNoStoreMiddleware",  # personal data is never cached (issue #11)
    "zhiyuan.core.middleware.ContentSecurityPolicyMiddleware",  # own-origin scripts and styles only
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "zhiyuan.core.api.ApiErrorShapeMiddleware",  # /api/ 404, 405 and 500 in the JSON error shape
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zhiyuan.accounts.middleware.TwoFactorRequiredMiddleware",
    "zhiyuan.accounts.middleware.SessionIdleRefreshMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "zhiyuan.urls"
WSGI_APPLICATION = "zhiyuan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zhiyuan" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhiyuan.accounts.context_processors.navigation",
                "zhiyuan.core.context_processors.notifications",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
# SQLite (WAL) by default; PostgreSQL via DATABASE_URL=postgres://user@host:5432/name
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'zhiyuan.sqlite3'}"),
        conn_max_age=env_int("ZHIYUAN_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # ARCHITECTURE.md performance notes: WAL, synchronous=NORMAL, busy_timeout and IMMEDIATE
    # transactions so concurrent writers wait instead of failing with "database is locked";
    # the backend queues writers on a file lock so the next one starts the moment the last commits.
    DATABASES["default"]["ENGINE"] = "zhiyuan.core.sqlite_writer"
    # Tests run in memory, as with Django's own SQLite engine (said outright: pytest-django
    # recognises that engine by name only and would give parallel workers files named after ours).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts and security ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["zhiyuan.accounts.backends.MobileBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "zhiyuan.accounts.validators.ComplexityValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# 等保 level 3: lockout after repeated failures, session time-out.
ZHIYUAN_LOGIN_MAX_FAILURES = env_int("ZHIYUAN_LOGIN_MAX_FAILURES", 5)
ZHIYUAN_LOGIN_LOCKOUT_SECONDS = env_int("ZHIYUAN_LOGIN_LOCKOUT_SECONDS", 15 * 60)
SESSION_COOKIE_AGE = env_int("ZHIYUAN_SESSION_SECONDS", 30 * 60)
# Idle time-out: a request extends the session, saved at most once a minute (accounts.middleware.
# SessionIdleRefreshMiddleware) rather than on every request (SESSION_SAVE_EVERY_REQUEST).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ENGINE = "zhiyuan.accounts.sessions"  # Django's db engine, its per-request read written out
ZHIYUAN_SESSION_REFRESH_SECONDS = env_int("ZHIYUAN_SESSION_REFRESH_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("ZHIYUAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Requests per minute, per client address (login) or per token (API).
ZHIYUAN_LOGIN_RATE = env_int("ZHIYUAN_LOGIN_RATE", 20)
ZHIYUAN_API_TOKEN_RATE = env_int("ZHIYUAN_API_TOKEN_RATE", 600)
ZHIYUAN_TOTP_ISSUER = env("ZHIYUAN_TOTP_ISSUER", "志愿服务信息系统")
# How many reverse proxies, each appending to X-Forwarded-For, stand in front (0: the header is
# ignored). ZHIYUAN_TRUST_X_FORWARDED_FOR=1, the former switch, means one.
ZHIYUAN_TRUSTED_PROXIES = env_int("ZHIYUAN_TRUSTED_PROXIES", 1 if env_bool("ZHIYUAN_TRUST_X_FORWARDED_FOR", False) else 0)
# HTTPS (docs/operations.md "Behind a reverse proxy"): off by default, as the demo serves plain HTTP.
SECURE_SSL_REDIRECT = env_bool("ZHIYUAN_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("ZHIYUAN_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ZHIYUAN_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("ZHIYUAN_HSTS_PRELOAD", False)
if env_bool("ZHIYUAN_PROXY_TLS_HEADER", False):
    # Only behind a proxy that sets (and never passes on from the client) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Where public region pickers open (registration, profile, applications): the deployment's home
# province or city, e.g. 441300000000 for 惠州市; empty: the list of provinces.
ZHIYUAN_HOME_REGION = env("ZHIYUAN_HOME_REGION", "")
# Maps (core.maps): a Leaflet tile URL template ("" = no base map, pages still work offline),
# its attribution, and where maps open ("lat,lng,zoom").
ZHIYUAN_MAP_TILE_URL = env("ZHIYUAN_MAP_TILE_URL", "")
ZHIYUAN_MAP_ATTRIBUTION = env("ZHIYUAN_MAP_ATTRIBUTION", "")
ZHIYUAN_MAP_CENTER = env("ZHIYUAN_MAP_CENTER", "")
# Account recovery (accounts.recovery): one-time codes a manager issues, SMS codes for
# self-service, and the SMS channel (core.sms: console | locmem | aliyun).
ZHIYUAN_PASSWORD_RESET_CODE_HOURS = env_int("ZHIYUAN_PASSWORD_RESET_CODE_HOURS", 24)
ZHIYUAN_RECOVERY_CODE_MINUTES = env_int("ZHIYUAN_RECOVERY_CODE_MINUTES", 10)
ZHIYUAN_RECOVERY_CODE_ATTEMPTS = env_int("ZHIYUAN_RECOVERY_CODE_ATTEMPTS", 5)
ZHIYUAN_RECOVERY_SMS_PER_MOBILE_HOUR = env_int("ZHIYUAN_RECOVERY_SMS_PER_MOBILE_HOUR", 3)
ZHIYUAN_RECOVERY_SMS_PER_IP_HOUR = env_int("ZHIYUAN_RECOVERY_SMS_PER_IP_HOUR", 10)
ZHIYUAN_TOTP_RESET_REQUEST_HOURS = env_int("ZHIYUAN_TOTP_RESET_REQUEST_HOURS", 72)
ZHIYUAN_SMS_BACKEND = env("ZHIYUAN_SMS_BACKEND", "console")
ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_ID = env("ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_ID", "")
ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_SECRET = env("ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_SECRET", "")
ZHIYUAN_SMS_ALIYUN_SIGN_NAME = env("ZHIYUAN_SMS_ALIYUN_SIGN_NAME", "")
ZHIYUAN_SMS_ALIYUN_TEMPLATES = [tuple(p.split("=", 1)) for p in env_list("ZHIYUAN_SMS_ALIYUN_TEMPLATES", []) if "=" in p]

# --- notifications (SPEC ACT-7; core/notifications.py, docs/operations.md "Notifications") ----
# E-mail: SMTP when ZHIYUAN_EMAIL_HOST is set, else the console backend (demo, development:
# messages go to the log); ZHIYUAN_EMAIL_BACKEND overrides (smtp | console | locmem | dummy |
# a dotted path). Tests use Django's locmem backend. Sent by the background worker, never in
# a request.
_EMAIL_BACKENDS = {k: f"django.core.mail.backends.{k}.EmailBackend" for k in ("smtp", "console", "locmem", "dummy")}
EMAIL_HOST = env("ZHIYUAN_EMAIL_HOST", "") or "localhost"
_email_backend = env("ZHIYUAN_EMAIL_BACKEND", "") or ("smtp" if env("ZHIYUAN_EMAIL_HOST", "") else "console")
EMAIL_BACKEND = _EMAIL_BACKENDS.get(_email_backend, _email_backend)
EMAIL_PORT = env_int("ZHIYUAN_EMAIL_PORT", 587)
EMAIL_HOST_USER = env("ZHIYUAN_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("ZHIYUAN_EMAIL_HOST_PASSWORD", "")  # or ZHIYUAN_EMAIL_HOST_PASSWORD_FILE
EMAIL_USE_TLS = env_bool("ZHIYUAN_EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("ZHIYUAN_EMAIL_USE_SSL", False)
if EMAIL_USE_SSL:
    EMAIL_USE_TLS = False  # Django refuses both at once
EMAIL_TIMEOUT = env_int("ZHIYUAN_EMAIL_TIMEOUT", 10)  # seconds; a slow server fails the delivery, not the worker
DEFAULT_FROM_EMAIL = env("ZHIYUAN_EMAIL_FROM", "志愿服务信息系统 <noreply@localhost>")
# The site's address in e-mailed links (https://zhiyuan.example.gov.cn); empty: paths only.
ZHIYUAN_SITE_URL = env("ZHIYUAN_SITE_URL", "")
# Read notices are deleted this many days after they were read (manage.py notifications_sweep).
ZHIYUAN_NOTIFICATION_KEEP_DAYS = env_int("ZHIYUAN_NOTIFICATION_KEEP_DAYS", 180)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "zhiyuan_cache",
    }
}

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "zhiyuan" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("ZHIYUAN_STATIC_ROOT", str(BASE_DIR / "staticfiles")))  # collectstatic writes here
STATICFILES_DIRS = [BASE_DIR / "zhiyuan" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
WHITENOISE_USE_FINDERS = DEBUG

# --- logging: personal data never goes to logs (ids are masked before logging) ---------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_forbidden": {"()": "zhiyuan.core.logging.QuietForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("ZHIYUAN_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # 403s are warnings without a traceback (a refusal is not a fault)
        "django.request": {"filters": ["quiet_forbidden"]},
    },
}

# A request body (JSON or form fields, not uploaded files) over this size is refused with 413
# (core.api: RequestDataTooBig); Django's default, stated here because the API relies on it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("ZHIYUAN_MAX_BODY_BYTES", 2_621_440)

# --- background tasks (ARCHITECTURE: django-tasks, the backport of Django 6's tasks) ----------
# The database backend queues tasks in the database; ``manage.py db_worker`` runs them
# (python3 run.py starts one beside gunicorn; docs/operations.md "Background worker").
TASKS = {"default": {"BACKEND": env("ZHIYUAN_TASKS_BACKEND", "django_tasks.backends.database.DatabaseBackend")}}

# --- bulk import of volunteers (VOL-10; zhiyuan/volunteers/imports/, services/import_jobs.py) --
# Uploaded files wait here, encrypted, until their job has run; never served over HTTP.
ZHIYUAN_PRIVATE_DIR = Path(env("ZHIYUAN_PRIVATE_DIR", str(VAR_DIR / "private")))
# Plaintext that must touch the disk stays in a 0700 directory under it, not in /tmp: uploads over
# FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) while the request is read, and the worker's temporary
# SQLite table of a workbook's shared strings (xlsx_stream). The import sweep deletes leftovers.
FILE_UPLOAD_TEMP_DIR = str(ZHIYUAN_PRIVATE_DIR / "tmp")
for _private in (ZHIYUAN_PRIVATE_DIR, Path(FILE_UPLOAD_TEMP_DIR)):
    _private.mkdir(parents=True, exist_ok=True, mode=0o700)
    __import__("os").chmod(_private, 0o700)
ZHIYUAN_IMPORT_MAX_ROWS = env_int("ZHIYUAN_IMPORT_MAX_ROWS", 200_000)  # data rows per file
ZHIYUAN_IMPORT_MAX_UPLOAD_MB = env_int("ZHIYUAN_IMPORT_MAX_UPLOAD_MB", 20)
# Bounds on an upload's inflated parts (imports/guard.py): size of one part, and its inflation
# ratio when over 1 MB (real sheets 8-15; a deflate bomb ~1000).
ZHIYUAN_IMPORT_MAX_PART_MB = env_int("ZHIYUAN_IMPORT_MAX_PART_MB", 256)
ZHIYUAN_IMPORT_MAX_RATIO = env_int("ZHIYUAN_IMPORT_MAX_RATIO", 100)
# The import check is not a free lookup (imports/lookups.py): checks (dry runs, all-or-nothing)
# per manager and window; a run with at least FLAG_MIN_HITS registered documents or mobiles,
# most of them outside the manager's scope, is flagged in the audit log.
ZHIYUAN_IMPORT_CHECK_LIMIT = env_int("ZHIYUAN_IMPORT_CHECK_LIMIT", 10)
ZHIYUAN_IMPORT_CHECK_WINDOW_SECONDS = env_int("ZHIYUAN_IMPORT_CHECK_WINDOW_SECONDS", 3600)
ZHIYUAN_IMPORT_FLAG_MIN_HITS = env_int("ZHIYUAN_IMPORT_FLAG_MIN_HITS", 5)
ZHIYUAN_IMPORT_INLINE_ROWS = env_int("ZHIYUAN_IMPORT_INLINE_ROWS", 2_000)  # up to this: run in the request
ZHIYUAN_IMPORT_CHUNK_ROWS = env_int("ZHIYUAN_IMPORT_CHUNK_ROWS", 1_000)  # rows per chunk (progress, transactions)
ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS = env_int("ZHIYUAN_IMPORT_ATOMIC_MAX_ROWS", 5_000)  # all-or-nothing in one transaction
ZHIYUAN_IMPORT_REPEAT_SECONDS = env_int("ZHIYUAN_IMPORT_REPEAT_SECONDS", 600)  # same file again = same job
# Training (TRN-2): holders of a certificate are reminded this many days before it expires
# (manage.py training_renewal_reminders, run daily).
ZHIYUAN_TRAINING_RENEWAL_DAYS = env_int("ZHIYUAN_TRAINING_RENEWAL_DAYS", 30)
ZHIYUAN_WORKER_HEARTBEAT_SECONDS = env_int("ZHIYUAN_WORKER_HEARTBEAT_SECONDS", 10)  # a worker says it is alive
ZHIYUAN_WORKER_LOST_SECONDS = env_int("ZHIYUAN_WORKER_LOST_SECONDS", 120)  # no heartbeat this long: its tasks fail
ZHIYUAN_IMPORT_MAX_SECONDS = env_int("ZHIYUAN_IMPORT_MAX_SECONDS", 3_600)  # wall clock per import job
ZHIYUAN_IMPORT_MAX_MEMORY_MB = env_int("ZHIYUAN_IMPORT_MAX_MEMORY_MB", 1_024)  # worker memory while a job runs
ZHIYUAN_IMPORT_STALE_MINUTES = env_int("ZHIYUAN_IMPORT_STALE_MINUTES", 30)  # running without progress = failed
ZHIYUAN_IMPORT_FILE_DAYS = env_int("ZHIYUAN_IMPORT_FILE_DAYS", 2)  # files of jobs that never ran are deleted
ZHIYUAN_IMPORT_REPORT_DAYS = env_int("ZHIYUAN_IMPORT_REPORT_DAYS", 90)  # finished jobs and their reports
ZHIYUAN_IMPORT_PREVIEW_DAYS = env_int("ZHIYUAN_IMPORT_PREVIEW_DAYS", 1)  # a check's preview rows (names, masked ids)

# ACT-4/ACT-5 check-in and check-out (zhiyuan/activities/attendance.py; docs/operations.md "Check-in")
ZHIYUAN_SHIFT_REMINDER_HOURS = env_int("ZHIYUAN_SHIFT_REMINDER_HOURS", 24)  # remind accepted volunteers this long before
ZHIYUAN_ATTENDANCE_QR_TTL_SECONDS = env_int("ZHIYUAN_ATTENDANCE_QR_TTL_SECONDS", 45)  # a QR token lives this long (kept in 30–60)
ZHIYUAN_ATTENDANCE_QR_REFRESH_SECONDS = env_int("ZHIYUAN_ATTENDANCE_QR_REFRESH_SECONDS", 15)  # the screen shows a new one
ZHIYUAN_ATTENDANCE_CODE_STEP_SECONDS = env_int("ZHIYUAN_ATTENDANCE_CODE_STEP_SECONDS", 60)  # code turns; last one counts
ZHIYUAN_ATTENDANCE_CODE_MAX_FAILURES = env_int("ZHIYUAN_ATTENDANCE_CODE_MAX_FAILURES", 5)  # wrong codes per volunteer and window
ZHIYUAN_ATTENDANCE_CODE_FAILURE_WINDOW_SECONDS = env_int("ZHIYUAN_ATTENDANCE_CODE_FAILURE_WINDOW_SECONDS", 600)
ZHIYUAN_ATTENDANCE_EARLY_MINUTES = env_int("ZHIYUAN_ATTENDANCE_EARLY_MINUTES", 30)  # check-in opens before the shift starts
ZHIYUAN_ATTENDANCE_LATE_MINUTES = env_int("ZHIYUAN_ATTENDANCE_LATE_MINUTES", 10)  # flagged late / early leave beyond this
ZHIYUAN_ATTENDANCE_CHECKOUT_AFTER_MINUTES = env_int("ZHIYUAN_ATTENDANCE_CHECKOUT_AFTER_MINUTES", 30)  # then auto-closed
ZHIYUAN_ATTENDANCE_GEOFENCE_TOLERANCE_M = env_int("ZHIYUAN_ATTENDANCE_GEOFENCE_TOLERANCE_M", 50)  # added to the activity's radius
ZHIYUAN_ATTENDANCE_ALLOW_NO_POSITION = env_bool("ZHIYUAN_ATTENDANCE_ALLOW_NO_POSITION", True)  # accepted, flagged no_position
ZHIYUAN_ATTENDANCE_OFFLINE_AFTER_SECONDS = env_int("ZHIYUAN_ATTENDANCE_OFFLINE_AFTER_SECONDS", 120)  # older device time = offline
ZHIYUAN_ATTENDANCE_OFFLINE_GRACE_HOURS = env_int("ZHIYUAN_ATTENDANCE_OFFLINE_GRACE_HOURS", 24)  # offline: accepted this long
ZHIYUAN_ATTENDANCE_CLOCK_SKEW_SECONDS = env_int("ZHIYUAN_ATTENDANCE_CLOCK_SKEW_SECONDS", 30)  # a device clock may be ahead
# FUN-4 insurance (docs/operations.md "Insurance")
ZHIYUAN_INSURANCE_EXPIRY_ALERT_DAYS = env_int("ZHIYUAN_INSURANCE_EXPIRY_ALERT_DAYS", 30)  # policies ending this soon are flagged
ZHIYUAN_INSURANCE_DOCUMENT_MAX_MB = env_int("ZHIYUAN_INSURANCE_DOCUMENT_MAX_MB", 10)  # a policy document (PDF/PNG/JPEG)
ZHIYUAN_INSURANCE_IMPORT_MAX_MB = env_int("ZHIYUAN_INSURANCE_IMPORT_MAX_MB", 5)  # an insurer's list, read in the request
ZHIYUAN_INSURANCE_IMPORT_MAX_ROWS = env_int("ZHIYUAN_INSURANCE_IMPORT_MAX_ROWS", 5_000)
ZHIYUAN_INSURANCE_REASON_LOOKBACK_DAYS = env_int("ZHIYUAN_INSURANCE_REASON_LOOKBACK_DAYS", 366)  # ended policies a "no" may name
# REC-1 service hours (docs/operations.md "Service hours"): exact times are stored; what is
# credited is rounded to a unit (1 = the exact minutes) and capped per volunteer and day (0 = no cap).
ZHIYUAN_HOURS_ROUNDING_MINUTES = env_int("ZHIYUAN_HOURS_ROUNDING_MINUTES", 1)
ZHIYUAN_HOURS_ROUNDING = env("ZHIYUAN_HOURS_ROUNDING", "down")  # down / nearest / up
ZHIYUAN_HOURS_DAILY_CAP_MINUTES = env_int("ZHIYUAN_HOURS_DAILY_CAP_MINUTES", 0)
ZHIYUAN_HOURS_BULK_MAX = env_int("ZHIYUAN_HOURS_BULK_MAX", 200)  # attendances per bulk confirmation
ZHIYUAN_HONOUR_MAX_MINUTES = env_int("ZHIYUAN_HONOUR_MAX_MINUTES", 100 * 60)  # one honour grant
ZHIYUAN_RECORDS_EVIDENCE_MAX_MB = env_int("ZHIYUAN_RECORDS_EVIDENCE_MAX_MB", 5)  # a correction's evidence file
# --- exports (issue #7 item 3; core/exports.py, core/export_jobs.py) ---------------------------
# Up to SYNC_ROWS rows stream in the request; more run as a background job (at most JOB_MAX_ROWS
# rows) whose encrypted file waits under ZHIYUAN_PRIVATE_DIR/exports for LINK_HOURS, then
# ``manage.py exports_sweep`` deletes it.
ZHIYUAN_EXPORT_SYNC_ROWS = env_int("ZHIYUAN_EXPORT_SYNC_ROWS", 50_000)
ZHIYUAN_EXPORT_JOB_MAX_ROWS = env_int("ZHIYUAN_EXPORT_JOB_MAX_ROWS", 1_000_000)
ZHIYUAN_EXPORT_LINK_HOURS = env_int("ZHIYUAN_EXPORT_LINK_HOURS", 24)
ZHIYUAN_EXPORT_JOBS_PER_USER = env_int("ZHIYUAN_EXPORT_JOBS_PER_USER", 3)  # queued or running at once

# Data files shipped with the repository.
ZHIYUAN_DATA_DIR = BASE_DIR / "data"
