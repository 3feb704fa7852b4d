"""One settings module, configured by environment variables (see README, "Configuration").

The defaults make a fresh clone work with nothing else running: SQLite, Celery eager,
e-mail and SMS written to var/outbox/. Production sets DEBUG=false and the service URLs.
"""

import shutil
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

# Tenants are resolved from the Host header by portal.middleware.TenantMiddleware, which
# answers 404 for every host that is not a tenant's, so Django's own host check would only
# duplicate it and would need a redeploy for every tenant domain added in the admin. This
# is also the production answer: nothing that identifies a client or a login reads the raw
# host (rate-limit and lock-out keys carry the tenant's id; links are built from
# PORTAL_DOMAIN/PORTAL_PORT, redirects stay on the request's own host), so another port,
# capitals or a trailing dot reach the same tenant and the same counters.
ALLOWED_HOSTS = ["*"]

# Tenants live at <slug>.<PORTAL_DOMAIN>; the bare PORTAL_DOMAIN shows the tenant directory.
PORTAL_DOMAIN = env.str("PORTAL_DOMAIN", default="localhost").lower()
# How tenant URLs are printed and linked: "http" locally, "https" in production.
PORTAL_SCHEME = env.str("PORTAL_SCHEME", default="http" if DEBUG else "https")
# The port people reach the portal on, for printed links ("" for the scheme's default).
PORTAL_PORT = env.str("PORTAL_PORT", default="8000" if DEBUG else "")

INSTALLED_APPS = [
    # Our apps first: accounts overrides the createsuperuser command.
    "portal",
    "accounts",
    "billing",
    "meters",
    "payments",
    "appeals",
    "notifications",
    "privacy",
    "cabinet",
    "auditlog",  # before audit: audit's admin replaces the one auditlog registers
    "audit",
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "captcha",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every answer, the unknown-host page
    # included; before anything renders a template (request.csp_nonce).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Oversized bodies and NUL in query strings refused before anything reads them.
    "portal.middleware.RequestLimitsMiddleware",
    # Before everything that may touch tenant-owned rows (sessions load the user).
    "portal.middleware.TenantMiddleware",
    # Cache-Control: private, no-store for whoever is signed in or has a session; outside
    # SessionMiddleware, to see the session cookie a response sets.
    "portal.middleware.PrivateResponseMiddleware",
    # Django's, with cached_db sessions read in the host's round trip (portal/sessions.py).
    "portal.sessions.SessionMiddleware",
    # No LocaleMiddleware: the language is not negotiated from Accept-Language while only the
    # Russian UI exists (an English browser got allauth's and Django's English mixed into
    # Russian pages, under <html lang="en">). Every request runs in LANGUAGE_CODE.
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.ResolvedUserMiddleware",
    # The gates every page of a signed-in customer passes first (accounts' consent gate).
    "portal.pages.PageGateMiddleware",
    "portal.middleware.PlatformSuperuserMiddleware",
    # The actor of admin changes (django-auditlog), inside the request's tenant scope.
    "audit.middleware.AdminAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if not DEBUG:
    # Production serves static files from the web process (gunicorn) with WhiteNoise;
    # in development runserver serves them from the apps and static/.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "portal.urls"
# Every tenant's portal is at the root of its host. gunicorn copies a client's SCRIPT_NAME
# header into the WSGI environment when the connection comes from a trusted address (its
# forwarded_allow_ips: localhost by default, or the proxy), and Django would then build
# every link under that prefix: a page or a layout part kept in memory with such links was
# every visitor's. The prefix is fixed instead (set FORCE_SCRIPT_NAME to mount elsewhere).
FORCE_SCRIPT_NAME = env.str("FORCE_SCRIPT_NAME", default="")
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.csrf",  # after Django's own: one token a page
                "portal.context_processors.tenant",
                "billing.context_processors.account_switch",
                "appeals.context_processors.unread_appeals",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if "DATABASE_URL" not in env:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default's SQLite file lives there
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Persistent connections: a new PostgreSQL connection per request cost more than most
# pages do (docs/performance.md). Each gunicorn worker keeps one for this many seconds;
# the health check replaces one the database closed meanwhile instead of failing a
# request. Off in development (runserver's threads would each keep one); 0 closes after
# every request, None keeps them for ever.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Django's Redis cache, reusing its client (portal/cache.py).
    CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Anonymous pages kept by each process in its own memory (portal/page_cache.py): a deploy's
# new processes start without the old code's pages.
CACHES["pages"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages",
                   "OPTIONS": {"MAX_ENTRIES": 1000}}

AUTH_USER_MODEL = "accounts.User"
# The first serves the admin's username login, allauth's the portal's login by the tenant's
# login kind; both find users through the tenant-scoped manager.
AUTHENTICATION_BACKENDS = ["accounts.backends.TenantModelBackend", "accounts.backends.TenantAllauthBackend"]
# auth.W004 says the login is not globally unique. That is the design: it is unique per
# tenant (a constraint on accounts.User), and every user lookup is scoped to the tenant.
# models.W047: on the embedded SQLite a reading window's uniqueness per (tenant, supplier,
# subscriber type), which needs NULLS NOT DISTINCT, is not enforced; PostgreSQL enforces it,
# and services.reading_window takes the most specific row either way.
SILENCED_SYSTEM_CHECKS = ["auth.W004", "models.W047"]
LOGIN_URL = "account_login"
# The signed-in customer's home: an app's page, which the kernel reaches by this URL name.
LOGIN_REDIRECT_URL = "cabinet:overview"
LOGOUT_REDIRECT_URL = "portal:home"

# Argon2id at OWASP's minimum (accounts/hashers.py); docs/performance.md has the figures.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    # Length and characters come from the tenant's policy (12 to 128 on the platform).
    {"NAME": "accounts.passwords.TenantPolicyPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Django's list of 20,000 common passwords, refused in plain words (accounts/passwords.py).
    {"NAME": "accounts.passwords.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: login, logout, password change, rate limits. Every ACCOUNT_* value is read
# through accounts.allauth_settings.get_setting, which answers per tenant (login methods,
# unique e-mail). See docs/accounts.md for what allauth does here and what we do ourselves.
ALLAUTH_SETTING_GETTER = "accounts.allauth_settings.get_setting"
ACCOUNT_ADAPTER = "accounts.adapter.TenantAccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "change_password": "accounts.forms.ChangePasswordForm"}
# Must be False before the first migrate: allauth's migrations read it directly and would
# make verified e-mails unique across all tenants. Per-tenant uniqueness: accounts.User.
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
# Registration and its confirmation are ours (accounts.services); allauth must not send
# its own verification mails on top.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
# ACCOUNT_RATE_LIMITS: accounts.services.ALLAUTH_RATE_LIMITS, beside the app's other rate
# limits, answered by accounts.allauth_settings.get_setting.
# The client IP for rate limits and consent records: X-Forwarded-For is trusted only for
# this many proxies in front of the portal (0: use the connection's address).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# django-ratelimit's key="ip" reads the same trusted client address (portal/ratelimits.py).
RATELIMIT_IP_META_KEY = "portal.ratelimits.client_ip"

# The audit trail (docs/audit.md): django-auditlog writing audit.AuditEntry, which carries
# the tenant. The old value of a changed row is read through the base manager, so a save
# outside any tenant scope (a platform command) is not made to fail by the trail.
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_USE_BASE_MANAGER = True
# The library's own log table is swapped out, but its migrations (written before the model
# was swappable) would still create it, holding a foreign key to users that no flush clears.
MIGRATION_MODULES = {"auditlog": None}
# Staff two-factor in the admin (django-otp TOTP): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = "Portal"
# Widgets render through the project's templates, so templates/captcha/widgets/captcha.html
# gives the captcha a Russian alt text and its spoken alternative.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
# The captcha read aloud (a WAV from flite, Debian's `flite`, which `make run`/`make test`
# install); without flite the page offers no audio link.
CAPTCHA_FLITE_PATH = env.str("CAPTCHA_FLITE_PATH", default=shutil.which("flite") or "") or None
CAPTCHA_FONT_SIZE = 32
CAPTCHA_LETTER_ROTATION = (-25, 25)
CAPTCHA_TIMEOUT = 10  # minutes


# UI strings are written in Russian in the code (they are the msgids); an English
# translation can be added under locale/en/ without touching templates.
# Until locale/en/ is complete every page is Russian, whatever the browser asks for; then add
# ("en", "English") here and django.middleware.locale.LocaleMiddleware after the sessions'.
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# "private": files no URL serves (billing exchange files, later attachments); a view that
# checks who asks streams them.
PRIVATE_ROOT = Path(env.str("PRIVATE_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(PRIVATE_ROOT)}},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Outgoing messages. Without EMAIL_URL, e-mail is written to OUTBOX_DIR, one .eml a message;
# SMS go to the backend named by SMS_BACKEND ("file" writes to OUTBOX_DIR too).
OUTBOX_DIR = Path(env.str("OUTBOX_DIR", default=str(VAR_DIR / "outbox")))
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "portal.messaging.OutboxEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env.str("SMS_BACKEND", default="file")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_SENDER = env.str("SMS_SENDER", default="PORTAL")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)

# Celery: a Redis broker in production; with no broker configured tasks run eagerly, in the
# web process, which is what a fresh clone needs.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
# A task whose worker process died (killed, out of memory) goes back to the queue instead of
# being acknowledged as failed: every task here may run twice (status rows, row locks).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# With acks_late, the message of a task whose worker died (SIGKILL, a lost machine) goes back
# to the queue once it has been out this long (Redis transport), and every worker looks for
# such messages every eighth of it (kombu's interval × throttle; 100 s by its defaults): a
# killed worker's tasks run again within 240 + 30 s, or 300 s if it died in the midst of its
# own sweep (docs/operations.md). A message out longer than this while its worker lives (a task
# waiting for its countdown, or running) is handed to a second worker as well; so no countdown
# exceeds TASK_MAX_COUNTDOWN, half of it, leaving the other half for the run
# (tests/test_task_countdowns.py walks the code for it); longer waits are due times in the
# database that a beat sweep looks at (the sandbox's notifications), and every task may run
# twice (row locks, claimed rows, notices sent once).
BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=240)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": BROKER_VISIBILITY_TIMEOUT / 24,
    "unacked_restore_throttle": 3,
    # The sweep's lock, left by a worker killed in its midst (a sweep takes milliseconds).
    "unacked_mutex_expire": max(1, BROKER_VISIBILITY_TIMEOUT // 8),
}
TASK_MAX_COUNTDOWN = BROKER_VISIBILITY_TIMEOUT // 2
# A pool process is replaced, after the task it ran, once its resident memory passes this
# many KiB (250 MiB): WeasyPrint keeps about 0.22 MiB of every PDF receipt it renders, and a
# pool process starts at about 140 MiB, so one is replaced every 500 receipts or so, at the
# cost of one cold render (bench/receipt_memory.py, docs/performance.md). 0: no limit.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=256000) or None
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="portal")
CELERY_TIMEZONE = TIME_ZONE
# The outbox (portal.models.OutgoingMessage: the row is the job). A queued message not taken
# by a worker this many seconds after it was queued or last published is published again by
# the sweep, which beat runs every OUTBOX_SWEEP_SECONDS: a message queued while the broker was
# down is sent within OUTBOX_REPUBLISH_AFTER + OUTBOX_SWEEP_SECONDS (90 s) of the broker and a
# worker with beat being back (docs/operations.md).
OUTBOX_REPUBLISH_AFTER = env.int("OUTBOX_REPUBLISH_AFTER", default=60)
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=30.0)
OUTBOX_SWEEP_BATCH = 200
# «sending» longer than this: the worker died, or the database went away before the «sent»
# was written (longer than any send takes: SMS_GATEWAY_TIMEOUT, SMTP's timeout).
OUTBOX_SENDING_TIMEOUT = timedelta(minutes=10)
# How long a message without a one-time code may wait to be sent (a code's: its validity).
OUTBOX_MESSAGE_LIFETIME = timedelta(days=3)
CELERY_BEAT_SCHEDULE = {
    # Outgoing messages not picked up, stuck «sending», expired (portal.services.messages_sweep).
    "sweep-outbox": {"task": "portal.tasks.sweep_outbox", "schedule": OUTBOX_SWEEP_SECONDS},
    # A payment whose notification was lost: its status is fetched from the provider.
    "refresh-stale-payments": {"task": "payments.tasks.refresh_stale_payments", "schedule": 300.0},
    # The sandbox's notifications due again (their waits between tries are in the database).
    "send-due-sandbox-notifications": {"task": "payments.tasks.send_due_sandbox_notifications", "schedule": 60.0},
    # Import runs and confirmed erasures whose task was lost (the row is the job).
    "resume-import-runs": {"task": "billing.tasks.resume_import_runs", "schedule": 300.0},
    "resume-deletions": {"task": "privacy.tasks.resume_deletions", "schedule": 300.0},
    "expire-unactivated-accounts": {"task": "accounts.tasks.expire_unactivated", "schedule": 3600.0},
    # Housekeeping: rows that only pile up (every view of a captcha page inserts one).
    "delete-expired-captchas": {"task": "portal.tasks.delete_expired_captchas", "schedule": 3600.0},
    "delete-expired-sessions": {"task": "portal.tasks.delete_expired_sessions", "schedule": 3600.0},
    "delete-stale-confirmations": {"task": "accounts.tasks.delete_stale_confirmations", "schedule": 3600.0},
    # Files written by a request whose transaction rolled back (portal.services.orphan_files_delete).
    "delete-orphan-files": {"task": "portal.tasks.delete_orphan_files", "schedule": 86400.0},
    # Reading reminders: hourly, each tenant queued in its own morning (notifications.tasks).
    "dispatch-reading-reminders": {"task": "notifications.tasks.dispatch_reading_reminders", "schedule": 3600.0},
    # New invoices are notified after each import; this daily run catches a lost one.
    "dispatch-invoice-notices": {"task": "notifications.tasks.dispatch_invoice_notices", "schedule": 86400.0},
}

# Sessions are read from the cache (Redis in production) and written through to the
# database, so a logged-in request costs no session query; beat deletes expired rows.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # read with the host: portal/sessions.py
SESSION_COOKIE_HTTPONLY = True
# Cookies stay host-only (no SESSION_COOKIE_DOMAIN): a session never crosses tenants.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp), in development and production alike: scripts only
# from our own files (no inline script anywhere, the admin's included); the one inline
# <style> (a tenant's colours in base.html) carries the request's nonce. Images, the
# captcha's and its refresh (fetch) included, come from the same host; "data:" is the empty
# favicon. A payment form that posts to a provider would need its origin in form-action.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy (django-permissions-policy): the portal uses no device or browser API,
# and payments redirect to the provider's own page, so every powerful feature is denied.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture", "encrypted-media",
        "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer", "microphone", "midi",
        "payment", "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
}

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    # Off unless asked: tenants' own domains (and their subdomains) are not ours to force
    # onto HTTPS or to submit to the browsers' preload list. The deploy checks that ask for
    # them (W005, W021) are silenced only while they are off by that choice.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        SILENCED_SYSTEM_CHECKS.append("security.W005")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    if env.bool("SECURE_PROXY_SSL", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every step of every PDF at INFO (and fontTools every subset table).
    "loggers": {"weasyprint.progress": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# Payments (payments/). Provider secrets are encrypted with these Fernet keys (the first
# encrypts, every one decrypts: rotate by putting the new key first). Generate one with
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
PAYMENT_SECRETS_KEYS = env.list("PAYMENT_SECRETS_KEYS", default=[])
# The sandbox provider (a payment page of its own, notifications by Celery) imitates a real
# one for development and tests; a production server offers it only when told to.
PAYMENT_SANDBOX_ENABLED = env.bool("PAYMENT_SANDBOX_ENABLED", default=DEBUG)
# How its notifications travel: "http" to the portal's public URL, as a provider's would;
# "inprocess" into this process's own application (no server needed: tests, the embedded mode).
PAYMENT_SANDBOX_DELIVERY = env.str("PAYMENT_SANDBOX_DELIVERY",
                                   default="inprocess" if CELERY_TASK_ALWAYS_EAGER else "http")
# Seconds before a notification goes out, and the share sent twice or out of order.
PAYMENT_SANDBOX_NOTIFY_DELAY = (1, 5)
PAYMENT_SANDBOX_DUPLICATE_SHARE = 0.3
PAYMENT_SANDBOX_REORDER_SHARE = 0.3
# An abandoned sandbox payment expires (canceled) after this many minutes.
PAYMENT_SANDBOX_EXPIRY_MINUTES = 15
# YooKassa's API (tests point it at a local fake).
YOOKASSA_API_URL = env.str("YOOKASSA_API_URL", default="https://api.yookassa.ru/v3")
# A payment still pending this long after it went to the provider gets its status fetched.
PAYMENT_STALE_MINUTES = 10

# The largest request body: the customer's forms take at most 5 files of 10 MB (appeals),
# the admin's billing upload 200 MB (billing/forms.py). Bigger bodies are refused (413) before
# Django spools them to disk; the proxy in front should refuse them too (client_max_body_size).
MAX_REQUEST_BYTES = 52 * 1024 * 1024
MAX_ADMIN_REQUEST_BYTES = 202 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 25
