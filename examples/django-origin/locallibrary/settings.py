"""Settings for the example origin: the MDN LocalLibrary behind the Worker.

Session settings come from the environment with the names and defaults the
Worker uses (README.md, "Configuration"; src/config/settings.cpp), so one set
of variables configures both sides and they read each other's cookies:

  SECRET_KEY (required), SECRET_KEY_FALLBACKS, SESSION_ENGINE,
  SESSION_COOKIE_NAME, SESSION_COOKIE_AGE, SESSION_COOKIE_DOMAIN,
  SESSION_COOKIE_PATH, SESSION_COOKIE_SECURE, SESSION_COOKIE_HTTPONLY,
  SESSION_COOKIE_SAMESITE, SESSION_SAVE_EVERY_REQUEST,
  SESSION_EXPIRE_AT_BROWSER_CLOSE, SESSION_SERIALIZER

Values are parsed as the Worker parses them (booleans true/false/1/0, any
case; SECRET_KEY_FALLBACKS a JSON array or one key; SESSION_COOKIE_SAMESITE
Lax/Strict/None/false) and a value that cannot be parsed is an
ImproperlyConfigured naming the setting, never a silent default.

The origin's own variables: DEBUG (default false), ALLOWED_HOSTS and
CSRF_TRUSTED_ORIGINS (comma-separated, added to the loopback defaults),
SQLITE_PATH (default db.sqlite3 next to manage.py).

Works with Debian 12's Django 3.2 and with Django 5.2 (SECRET_KEY_FALLBACKS
is read by 4.1+ and ignored by 3.2).
"""
import json
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = os.environ


def _bool(name, default):
    raw = env.get(name)
    if raw is None or raw == '':
        return default
    value = raw.strip().lower()
    if value in ('true', '1', 'yes', 'on'):
        return True
    if value in ('false', '0', 'no', 'off'):
        return False
    raise ImproperlyConfigured(f'{name}: must be a boolean (True/False, true/false, 1/0), not {raw!r}')


def _list(name):
    return [item.strip() for item in env.get(name, '').split(',') if item.strip()]


# ---------------------------------------------------------------- secrets

SECRET_KEY = env.get('SECRET_KEY', '')
if not SECRET_KEY:
    raise ImproperlyConfigured('SECRET_KEY: is not set; use the same key as the Worker (.dev.vars locally)')

_fallbacks = env.get('SECRET_KEY_FALLBACKS', '')
if _fallbacks.startswith('['):
    try:
        SECRET_KEY_FALLBACKS = json.loads(_fallbacks)
    except ValueError:
        SECRET_KEY_FALLBACKS = None
    if not isinstance(SECRET_KEY_FALLBACKS, list) or not all(isinstance(k, str) and k for k in SECRET_KEY_FALLBACKS):
        raise ImproperlyConfigured('SECRET_KEY_FALLBACKS: must be a JSON array of non-empty strings')
else:
    SECRET_KEY_FALLBACKS = [_fallbacks] if _fallbacks else []

DEBUG = _bool('DEBUG', False)

# ---------------------------------------------------------------- behind the Worker

# The Worker forwards the visitor's host and scheme (X-Forwarded-Host,
# X-Forwarded-Proto). Trusting these headers is only safe because the origin
# listens on loopback / a private address that only the Worker reaches.
ALLOWED_HOSTS = ['127.0.0.1', 'localhost', '[::1]'] + _list('ALLOWED_HOSTS')
USE_X_FORWARDED_HOST = True
SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')
# Django 4.0+ checks the Origin header of unsafe requests against these.
CSRF_TRUSTED_ORIGINS = _list('CSRF_TRUSTED_ORIGINS')

# ---------------------------------------------------------------- application

INSTALLED_APPS = [
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'django.contrib.staticfiles',
    'catalog.apps.CatalogConfig',
]

MIDDLEWARE = [
    'django.middleware.security.SecurityMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
    'django.middleware.clickjacking.XFrameOptionsMiddleware',
]

ROOT_URLCONF = 'locallibrary.urls'
WSGI_APPLICATION = 'locallibrary.wsgi.application'

TEMPLATES = [{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    # templates/registration/ (login, logged_out) before the apps' templates,
    # so ours win over django.contrib.admin's registration/logged_out.html.
    'DIRS': [BASE_DIR / 'templates'],
    'APP_DIRS': True,
    'OPTIONS': {
        'context_processors': [
            'django.template.context_processors.debug',
            'django.template.context_processors.request',
            'django.contrib.auth.context_processors.auth',
            'django.contrib.messages.context_processors.messages',
        ],
    },
}]

DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.sqlite3',
        'NAME': env.get('SQLITE_PATH') or str(BASE_DIR / 'db.sqlite3'),
    }
}
# BigAutoField: "id" integer ... AUTOINCREMENT and bigint foreign keys on
# SQLite, exactly the tables of migrations/0002_catalog.sql.
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'

AUTH_PASSWORD_VALIDATORS = [
    {'NAME': 'django.contrib.auth.password_validation.UserAttributeSimilarityValidator'},
    {'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator'},
    {'NAME': 'django.contrib.auth.password_validation.CommonPasswordValidator'},
    {'NAME': 'django.contrib.auth.password_validation.NumericPasswordValidator'},
]

LANGUAGE_CODE = 'en-us'
TIME_ZONE = 'UTC'
USE_I18N = True
USE_TZ = True

# The Worker serves /static/* (worker/public/static) from Workers static
# assets before any request reaches the origin; the origin serves nothing
# under /static/ (see README.md here).
STATIC_URL = '/static/'

# As in the tutorial: after logging in, go to the home page.
LOGIN_REDIRECT_URL = '/'

# ---------------------------------------------------------------- sessions (as the Worker)

SESSION_ENGINE = env.get('SESSION_ENGINE') or 'django.contrib.sessions.backends.signed_cookies'
SESSION_COOKIE_NAME = env.get('SESSION_COOKIE_NAME') or 'sessionid'
_age = env.get('SESSION_COOKIE_AGE')
if _age:
    try:
        SESSION_COOKIE_AGE = int(_age)
    except ValueError:
        SESSION_COOKIE_AGE = -1
    if not 0 <= SESSION_COOKIE_AGE <= 400 * 24 * 3600:
        raise ImproperlyConfigured(f'SESSION_COOKIE_AGE: must be an integer number of seconds between 0 and {400 * 24 * 3600}')
else:
    SESSION_COOKIE_AGE = 60 * 60 * 24 * 7 * 2
_domain = env.get('SESSION_COOKIE_DOMAIN', '')
SESSION_COOKIE_DOMAIN = None if _domain.lower() in ('', 'none') else _domain
SESSION_COOKIE_PATH = env.get('SESSION_COOKIE_PATH') or '/'
if not SESSION_COOKIE_PATH.startswith('/') or ';' in SESSION_COOKIE_PATH:
    raise ImproperlyConfigured("SESSION_COOKIE_PATH: must start with '/' and contain no ';'")
SESSION_COOKIE_SECURE = _bool('SESSION_COOKIE_SECURE', False)
SESSION_COOKIE_HTTPONLY = _bool('SESSION_COOKIE_HTTPONLY', True)
_samesite = env.get('SESSION_COOKIE_SAMESITE', 'Lax') or 'Lax'
if _samesite.lower() not in ('lax', 'strict', 'none', 'false'):
    raise ImproperlyConfigured("SESSION_COOKIE_SAMESITE: must be 'Lax', 'Strict', 'None' or False")
SESSION_COOKIE_SAMESITE = False if _samesite.lower() == 'false' else _samesite.capitalize()
SESSION_SAVE_EVERY_REQUEST = _bool('SESSION_SAVE_EVERY_REQUEST', False)
SESSION_EXPIRE_AT_BROWSER_CLOSE = _bool('SESSION_EXPIRE_AT_BROWSER_CLOSE', False)
SESSION_SERIALIZER = env.get('SESSION_SERIALIZER') or 'django.contrib.sessions.serializers.JSONSerializer'
if SESSION_SERIALIZER != 'django.contrib.sessions.serializers.JSONSerializer':
    # The Worker reads JSON sessions only (pickle was removed in Django 5.0).
    raise ImproperlyConfigured('SESSION_SERIALIZER: only django.contrib.sessions.serializers.JSONSerializer is supported')
