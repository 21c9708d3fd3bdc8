#!/usr/bin/python3
"""Drive real Django's signed_cookies session backend from the command line.

Run with Debian's interpreter (python3-django 3.2.25 lives there):

    /usr/bin/python3 tests/django/django_session_tool.py SUBCOMMAND ...

Subcommands (each prints one JSON object or list on stdout):

  mint --secret S --data JSON [--time T]
      {"cookie", "json", "after_json"}: the cookie value SessionStore().update(data); save()
      produces (at unix time T if given); "json" is Django's serialization of the data and
      "after_json" the serialization after the LocalLibrary counter view ran on it.
  read --secret S --cookie V [--fallbacks JSON] [--max-age N] [--time T]
      {"data", "valid", "json"}: what SessionStore(session_key=V).load() gives.
  middleware --secret S --cookie V|none --view counter|read|none|flush [--time T]
             [--status N] [--settings JSON]
      {"status", "set_cookie": [...], "vary"}: the exact Set-Cookie value(s)
      (Morsel.OutputString, i.e. the header value) and Vary header SessionMiddleware emits.
  vectors
      The golden vectors (fixed time 1700000000, SECRET_KEY "django-insecure-example-key").
  batch
      Reads a JSON list of {"cmd": ..., <same arguments, snake_case>} from stdin and prints
      the list of results; one interpreter start for many operations.

Regenerate the committed golden vectors with (from the repository root):

    /usr/bin/python3 tests/django/django_session_tool.py vectors > tests/django/golden_vectors.json

Django 3.2 has no SECRET_KEY_FALLBACKS (added in 4.1). Wherever fallbacks are given
(--fallbacks, or SECRET_KEY_FALLBACKS in --settings), this tool emulates 4.1+ by loading
with signing.loads(key=...) for SECRET_KEY and then each fallback in turn; new cookies are
always signed with SECRET_KEY only, as in 4.1+. Note 3.2 also still accepts legacy SHA-1
signatures, which 4.0+ rejects.

JSON written by this tool is strict (no NaN/Infinity): when session data holds non-finite
floats, "data" is null and "data_nonfinite" is true; "json" always carries Django's exact
serialization (json.dumps with separators=(",", ":"), the bytes inside the cookie).
"""
import argparse
import json
import sys
from contextlib import ExitStack
from unittest import mock

import django
from django.conf import settings

SIGNED_COOKIES = 'django.contrib.sessions.backends.signed_cookies'
COOKIE_SALT = 'django.contrib.sessions.backends.signed_cookies'
DEFAULT_SECRET = 'django-insecure-example-key'
VECTOR_TIME = 1700000000
DEFAULT_AGE = 1209600

settings.configure(
    SECRET_KEY=DEFAULT_SECRET,
    SESSION_ENGINE=SIGNED_COOKIES,
    INSTALLED_APPS=['django.contrib.contenttypes', 'django.contrib.sessions'],
    ALLOWED_HOSTS=['*'],
    USE_TZ=True,
)
django.setup()

from django.contrib.sessions.backends import signed_cookies  # noqa: E402
from django.contrib.sessions.middleware import SessionMiddleware  # noqa: E402
from django.core import signing  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import override_settings  # noqa: E402


class FallbackSessionStore(signed_cookies.SessionStore):
    """signed_cookies.SessionStore with Django 4.1+'s SECRET_KEY_FALLBACKS, emulated on 3.2."""

    def load(self):
        for key in [settings.SECRET_KEY, *getattr(settings, 'SECRET_KEY_FALLBACKS', [])]:
            try:
                return signing.loads(
                    self.session_key, key=key, serializer=self.serializer,
                    max_age=self.get_session_cookie_age(), salt=COOKIE_SALT,
                )
            except Exception:
                pass
        self.create()
        return {}


def store_class():
    return FallbackSessionStore if getattr(settings, 'SECRET_KEY_FALLBACKS', None) else signed_cookies.SessionStore


def dumps(data):
    """Django's JSONSerializer text (the bytes signed into the cookie)."""
    return json.dumps(data, separators=(',', ':'))


def strict(result, data):
    try:
        json.dumps(data, allow_nan=False)
        result['data'] = data
    except ValueError:
        result['data'] = None
        result['data_nonfinite'] = True
    return result


def counter(data):
    data = dict(data)
    data['num_visits'] = data.get('num_visits', 0) + 1
    return data


def context(secret, time=None, overrides=None, fallbacks=None):
    stack = ExitStack()
    values = dict(overrides or {})
    values['SECRET_KEY'] = secret
    if fallbacks is not None:
        values['SECRET_KEY_FALLBACKS'] = list(fallbacks)
    stack.enter_context(override_settings(**values))
    if time is not None:
        stack.enter_context(mock.patch('time.time', return_value=time))
    return stack


def parse_data(data):
    return json.loads(data) if isinstance(data, str) else data


def mint(secret, data, time=None):
    data = parse_data(data)
    with context(secret, time):
        s = signed_cookies.SessionStore()
        s.update(data)
        s.save()
        return {'cookie': s.session_key, 'json': dumps(data), 'after_json': dumps(counter(data))}


def encode(secret, data, time=None):
    """SessionBase.encode: what db/cache/file backends store (salt django.contrib.sessions.SessionStore)."""
    with context(secret, time):
        s = signed_cookies.SessionStore()
        assert s.key_salt == 'django.contrib.sessions.SessionStore'
        return s.encode(parse_data(data))


def read(secret, cookie, fallbacks=None, max_age=None, time=None):
    overrides = {'SESSION_COOKIE_AGE': int(max_age)} if max_age is not None else None
    with context(secret, time, overrides, fallbacks):
        s = store_class()(session_key=cookie)
        data = s.load()
        valid = not s.modified  # load() calls create() (modified=True) on any failure
        result = {'valid': valid, 'json': dumps(data) if valid else None}
        return strict(result, data if valid else None)


def run_view(view, status):
    def get_response(request):
        if view == 'counter':
            request.session['num_visits'] = request.session.get('num_visits', 0) + 1
        elif view == 'read':
            request.session.get('num_visits')
        elif view == 'flush':
            request.session.flush()
        elif view != 'none':
            raise SystemExit('unknown view %r' % view)
        return HttpResponse('ok', status=status)
    return get_response


def middleware(secret, cookie=None, view='counter', time=None, status=200, settings_overrides=None):
    overrides = dict(settings_overrides or {})
    fallbacks = overrides.pop('SECRET_KEY_FALLBACKS', None)
    with context(secret, time, overrides, fallbacks):
        headers = {}
        if cookie is not None and cookie != 'none':
            headers['HTTP_COOKIE'] = '%s=%s' % (settings.SESSION_COOKIE_NAME, cookie)
        request = RequestFactory().get('/catalog/', **headers)
        mw = SessionMiddleware(run_view(view, int(status)))
        mw.SessionStore = store_class()
        response = mw(request)
        return {
            'status': response.status_code,
            'set_cookie': [m.OutputString() for m in response.cookies.values()],
            'vary': response.get('Vary'),
            'session_json': dumps(request.session._session_cache)
            if hasattr(request.session, '_session_cache') else None,
        }


def vectors():
    long_text = ' '.join('The quick brown fox jumps over the lazy dog %d.' % i for i in range(60))
    specs = [
        ('uncompressed', DEFAULT_SECRET, {'num_visits': 1}),
        ('uncompressed_second_visit', DEFAULT_SECRET, {'num_visits': 2}),
        ('compressed_short', DEFAULT_SECRET, {'num_visits': 3, 'note': 'x' * 120}),
        ('compressed_long', DEFAULT_SECRET, {'num_visits': 12, 'text': long_text, 'list': list(range(200))}),
        ('unicode', DEFAULT_SECRET, {
            'num_visits': 7, 'name': 'Zo\u00eb \u00c5ngstr\u00f6m', 'emoji': '\U0001F600',
            'cjk': '\u65e5\u672c\u8a9e', 'mixed': 'a\u00e9\u20ac\U0001F600\U0001F1FA\U0001F1F8z',
            'escapes': 'tab\tnl\ncr\r"q" \\ / \u0000 \u001f \u007f \u2028',
            '\u00e9\U0001F600key': 'non-ASCII key',
        }),
        ('nested', DEFAULT_SECRET, {
            'zeta': 1, 'alpha': 2, 'num_visits': 10,
            'cart': {'items': [{'id': 1, 'qty': 2}, {'id': 42, 'qty': 1, 'tags': ['a', 'b']}], 'meta': {}},
            'empty_list': [], 'empty_str': '', 'deep': [[[[1, [2, {'k': [3]}]]]]],
        }),
        ('floats', DEFAULT_SECRET, {
            'num_visits': 4, 'one': 1.0, 'tenth': 0.1, 'big': 1e16, 'small': 1e-05,
            'pi_ish': 123456789.123, 'neg': -2.5, 'neg_zero': -0.0, 'third': 1 / 3,
            'tiny': 5e-324, 'max': 1.7976931348623157e308, 'e15': 1e15, 'e_4': 0.0001,
            'list': [1.0, 2.5e-07, 1e22, 100.0],
        }),
        ('ints', DEFAULT_SECRET, {
            'num_visits': 5, 'zero': 0, 'neg': -17, 'max_safe_plus_2': 9007199254740993,
            'max64': 9223372036854775807, 'min64': -9223372036854775808,
            'max_u64': 18446744073709551615,
        }),
        ('booleans_null', DEFAULT_SECRET, {'num_visits': 6, 't': True, 'f': False, 'n': None, 'l': [True, None, False]}),
        ('fallback_key', 'old-key', {'num_visits': 5}),
        ('expired', DEFAULT_SECRET, {'num_visits': 9}, VECTOR_TIME - DEFAULT_AGE - 1),
        ('max_age_boundary', DEFAULT_SECRET, {'num_visits': 8}, VECTOR_TIME - DEFAULT_AGE),
        ('empty', DEFAULT_SECRET, {}),
    ]
    out = []
    for spec in specs:
        name, secret, data = spec[:3]
        signed_at = spec[3] if len(spec) > 3 else VECTOR_TIME
        loader = {'secret': DEFAULT_SECRET, 'fallbacks': ['old-key'] if secret == 'old-key' else []}
        minted = mint(secret, data, signed_at)
        loaded = read(loader['secret'], minted['cookie'], fallbacks=loader['fallbacks'] or None, time=VECTOR_TIME)
        after = middleware(loader['secret'], minted['cookie'], 'counter', time=VECTOR_TIME,
                           settings_overrides={'SECRET_KEY_FALLBACKS': loader['fallbacks']} if loader['fallbacks'] else None)
        out.append({
            'name': name,
            'secret': secret,
            'data': data,
            'json': minted['json'],
            'compressed': minted['cookie'].startswith('.'),
            'cookie': minted['cookie'],
            'time': signed_at,
            'encoded': encode(secret, data, signed_at),
            # How to load it: at unix time "now" with SECRET_KEY load_secret (+ fallbacks),
            # default SESSION_COOKIE_AGE; "valid" is what Django's load() decided.
            'now': VECTOR_TIME,
            'load_secret': loader['secret'],
            'load_fallbacks': loader['fallbacks'],
            'valid': loaded['valid'],
            # The counter view (num_visits = get('num_visits', 0) + 1) run by SessionMiddleware
            # at "now": the stored JSON and the exact Set-Cookie / Vary headers.
            'after_json': after['session_json'],
            'after_set_cookie': after['set_cookie'],
            'after_vary': after['vary'],
        })
    return out


def batch(ops):
    funcs = {'mint': mint, 'read': read, 'middleware': middleware, 'vectors': vectors, 'encode': encode}
    results = []
    for op in ops:
        op = dict(op)
        cmd = op.pop('cmd')
        try:
            results.append(funcs[cmd](**op))
        except Exception as e:  # report per operation; the caller asserts on it
            results.append({'error': '%s: %s' % (type(e).__name__, e)})
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)

    m = sub.add_parser('mint')
    m.add_argument('--secret', required=True)
    m.add_argument('--data', required=True)
    m.add_argument('--time', type=int)

    r = sub.add_parser('read')
    r.add_argument('--secret', required=True)
    r.add_argument('--cookie', required=True)
    r.add_argument('--fallbacks', type=json.loads)
    r.add_argument('--max-age', type=int)
    r.add_argument('--time', type=int)

    w = sub.add_parser('middleware')
    w.add_argument('--secret', required=True)
    w.add_argument('--cookie', required=True, help="cookie value, or 'none' for no Cookie header")
    w.add_argument('--view', required=True, choices=['counter', 'read', 'none', 'flush'])
    w.add_argument('--time', type=int)
    w.add_argument('--status', type=int, default=200)
    w.add_argument('--settings', type=json.loads, help='settings overrides as a JSON object')

    sub.add_parser('vectors')
    sub.add_parser('batch', help='JSON list of operations on stdin')

    a = p.parse_args(argv)
    if a.cmd == 'mint':
        result = mint(a.secret, a.data, a.time)
    elif a.cmd == 'read':
        result = read(a.secret, a.cookie, a.fallbacks, a.max_age, a.time)
    elif a.cmd == 'middleware':
        result = middleware(a.secret, None if a.cookie == 'none' else a.cookie, a.view, a.time, a.status, a.settings)
    elif a.cmd == 'vectors':
        print(json.dumps(vectors(), indent=1, allow_nan=False))
        return
    else:
        result = batch(json.load(sys.stdin))
    print(json.dumps(result, allow_nan=False))


if __name__ == '__main__':
    main()
