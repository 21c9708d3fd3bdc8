#!/usr/bin/python3
"""Render Django templates with real Django, as the reference for ll-render.

Run with Debian's interpreter (python3-django 3.2): /usr/bin/python3.

  render_with_django.py <template_dir> <template_name> <context.json>
      prints the rendered template; on an exception prints it to stderr, exit 1.
  render_with_django.py --batch < cases.json
      cases.json is a list of {"dir", "name", "context"} (context: a JSON file
      path); prints a JSON list of {"ok", "output", "error"} in the same order.
  render_with_django.py --cases django_cases.json
      the ported cases of Django's own tests (tests/django/port_django_tests.py):
      each {"name", "templates", "template", "context", "options"} renders
      from in-memory templates; prints a JSON list of {"ok", "output", "error"}.

Contexts use the tagged JSON forms of src/template/README.md: {"$safe": s}
is mark_safe(s), {"$date": "YYYY-MM-DD"}, {"$datetime": "YYYY-MM-DDTHH:MM[:SS]"}
and {"$time": "HH:MM[:SS]"} are datetime objects.

The engine is configured like the C++ one: DjangoTemplates with the static
library as a builtin, STATIC_URL '/static/', the LocalLibrary URL names, naive
datetimes in UTC, and a `date` filter that first parses ISO-8601 strings
(the C++ engine's context is JSON, so dates arrive as strings).
"""
import datetime
import json
import os
import re
import sys
import time
import types

import django
from django.conf import settings

ROUTES = [
    ('index', 'catalog/'),
    ('books', 'catalog/books/'),
    ('book-detail', 'catalog/book/<pk>'),
    ('authors', 'catalog/authors/'),
    ('author-detail', 'catalog/author/<pk>'),
    ('bookinstances', 'catalog/bookinstances/'),
    ('genres', 'catalog/genres/'),
    ('languages', 'catalog/languages/'),
    ('login', 'accounts/login/'),
    ('logout', 'accounts/logout/'),
]

# The subset of ISO 8601 the C++ |date filter accepts (src/template/dateformat.cpp).
ISO_RE = re.compile(
    r'([0-9]{4})-([0-9]{2})-([0-9]{2})'
    r'(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?'
    r'(Z|[+-][0-9]{2}:[0-9]{2})?)?\Z')


def parse_iso(text):
    m = ISO_RE.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second, frac, tz = m.groups()
    tzinfo = None
    if tz == 'Z':
        tzinfo = datetime.timezone.utc
    elif tz:
        hours, minutes = int(tz[1:3]), int(tz[4:6])
        if hours > 23 or minutes > 59:
            return None
        sign = -1 if tz[0] == '-' else 1
        tzinfo = datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))
    try:
        return datetime.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0),
            int(second or 0), int((frac or '').ljust(6, '0')), tzinfo=tzinfo)
    except ValueError:
        return None


def install_modules():
    from django import template
    from django.template import defaultfilters
    from django.urls import path

    filters = types.ModuleType('ll_harness_filters')
    filters.register = template.Library()

    @filters.register.filter(expects_localtime=True, is_safe=False)
    def date(value, arg=None):
        if isinstance(value, str):
            parsed = parse_iso(value)
            if parsed is not None:
                value = parsed
        return defaultfilters.date(value, arg)

    urls = types.ModuleType('ll_harness_urls')
    urls.urlpatterns = [path(route, lambda request, **kw: None, name=name) for name, route in ROUTES]
    sys.modules['ll_harness_filters'] = filters
    sys.modules['ll_harness_urls'] = urls


def setup():
    os.environ['TZ'] = 'UTC'
    time.tzset()
    settings.configure(
        DEBUG=False,
        USE_TZ=False,
        TIME_ZONE='UTC',
        LANGUAGE_CODE='en-us',
        ROOT_URLCONF='ll_harness_urls',
        STATIC_URL='/static/',
        MEDIA_URL='/media/',
        INSTALLED_APPS=[],
        TEMPLATES=[],
    )
    install_modules()
    django.setup()


_backends = {}


def backend_for(directory):
    from django.template.backends.django import DjangoTemplates
    if directory not in _backends:
        _backends[directory] = DjangoTemplates({
            'NAME': 'corpus%d' % len(_backends),
            'DIRS': [directory],
            'APP_DIRS': False,
            'OPTIONS': {'builtins': ['django.templatetags.static', 'll_harness_filters']},
        })
    return _backends[directory]


def tagged(obj):
    """json object_hook: the tagged forms as Python values."""
    from django.utils.safestring import mark_safe
    if len(obj) == 1:
        (tag, value), = obj.items()
        if tag == '$safe' and isinstance(value, str):
            return mark_safe(value)
        if tag == '$date' and isinstance(value, str):
            return datetime.date.fromisoformat(value)
        if tag == '$datetime' and isinstance(value, str):
            parsed = parse_iso(value)
            if parsed is not None:
                return parsed
        if tag == '$time' and isinstance(value, str):
            return datetime.time.fromisoformat(value)
    return obj


def render(directory, name, context_path):
    with open(context_path, encoding='utf-8') as f:
        context = json.load(f, object_hook=tagged)
    return backend_for(os.path.abspath(directory)).get_template(name).render(context)


def render_case(case):
    try:
        return {'ok': True, 'output': render(case['dir'], case['name'], case['context'])}
    except Exception as e:  # any exception is a failed render, as for the C++ engine
        return {'ok': False, 'output': '', 'error': '%s: %s' % (type(e).__name__, e)}


def render_ported(case):
    from django.template import Context
    from django.template.engine import Engine
    try:
        engine = Engine(
            loaders=[('django.template.loaders.locmem.Loader', case['templates'])],
            builtins=['django.templatetags.static', 'll_harness_filters'],
            string_if_invalid=case.get('options', {}).get('string_if_invalid', ''),
            autoescape=case.get('options', {}).get('autoescape', True),
        )
        context = json.loads(json.dumps(case['context']), object_hook=tagged)
        output = engine.get_template(case['template']).render(Context(context, autoescape=engine.autoescape))
        return {'ok': True, 'output': output}
    except Exception as e:
        return {'ok': False, 'output': '', 'error': '%s: %s' % (type(e).__name__, e)}


def main(argv):
    setup()
    if len(argv) == 3 and argv[1] == '--cases':
        with open(argv[2], encoding='utf-8') as f:
            cases = json.load(f)['cases']
        sys.stdout.write(json.dumps([render_ported(c) for c in cases]))
        return 0
    if argv[1:] == ['--batch']:
        cases = json.load(sys.stdin)
        sys.stdout.write(json.dumps([render_case(c) for c in cases]))
        return 0
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    result = render_case({'dir': argv[1], 'name': argv[2], 'context': argv[3]})
    if not result['ok']:
        sys.stderr.write(result['error'] + '\n')
        return 1
    sys.stdout.buffer.write(result['output'].encode('utf-8'))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
