"""The Django side of the comparison: Debian's python3-django 3.2 under
gunicorn, the MDN LocalLibrary home view with the signed_cookies session
engine, rendering the very templates the Worker renders (src/templates/).

The catalog counts are fixed numbers in the view (the Workers compared use a
fake D1 with the same fixed counts), so no database is configured.
"""
import os

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))

SECRET_KEY = os.environ.get('BENCH_SECRET_KEY', 'bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG')
DEBUG = False
ALLOWED_HOSTS = ['*']
ROOT_URLCONF = 'benchsite.urls'
WSGI_APPLICATION = 'benchsite.wsgi.application'

INSTALLED_APPS = ['django.contrib.sessions']
# What the Worker sends too: SecurityMiddleware (nosniff, Referrer-Policy),
# sessions, X-Frame-Options.
MIDDLEWARE = [
    'django.middleware.security.SecurityMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.clickjacking.XFrameOptionsMiddleware',
]
SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'
DATABASES = {}

TEMPLATES = [{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    'DIRS': [os.path.join(REPO, 'src', 'templates')],
    'APP_DIRS': False,
    'OPTIONS': {'context_processors': ['django.template.context_processors.request']},
}]
STATIC_URL = '/static/'
USE_TZ = True
LOGGING_CONFIG = None
