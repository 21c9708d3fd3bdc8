#!/usr/bin/python3
"""Port the template cases of Django's own test suite into the corpus.

  port_django_tests.py <django-source>/tests > tests/django/template_corpus/django_cases.json

<django-source> is Debian's source package python-django (3.2), the tests
of which run against the installed python3-django. Every @setup test in
tests/template_tests/syntax_tests/ and filter_tests/ is run with real Django;
each engine.render_to_string() call is recorded with its templates, context
and engine options. A case whose context has no JSON form (objects of the
test's own classes, lazy strings, Decimal, ...) or that needs a test-only tag
library is left out, and the reason is counted in "left_out".
"""
import datetime
import importlib
import inspect
import json
import math
import re
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render_with_django  # noqa: E402  (configures settings like the corpus)


class Unconvertible(Exception):
    pass


def to_json(value, depth=0):
    from django.utils.safestring import SafeData
    if depth > 50:
        raise Unconvertible('too deep')
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise Unconvertible('float nan/inf')
        return value
    if isinstance(value, str):
        if isinstance(value, SafeData):
            return {'$safe': str(value)}
        if type(value) is not str:
            raise Unconvertible(type(value).__name__)
        return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None and value.utcoffset() is None:
            raise Unconvertible('tzinfo')
        text = value.isoformat()
        return {'$datetime': text}
    if isinstance(value, datetime.date):
        return {'$date': value.isoformat()}
    if isinstance(value, datetime.time):
        if value.tzinfo is not None:
            raise Unconvertible('aware time')
        return {'$time': value.isoformat()}
    if type(value) in (list, tuple):
        if type(value) is tuple and value:
            raise Unconvertible('tuple')
        return [to_json(v, depth + 1) for v in value]
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise Unconvertible('non-str dict key')
        if len(value) == 1 and next(iter(value)).startswith('$'):
            raise Unconvertible('dict looks tagged')
        return {k: to_json(v, depth + 1) for k, v in value.items()}
    raise Unconvertible(type(value).__name__)


def main(argv):
    tests_dir = os.path.abspath(argv[1])
    sys.path.insert(0, tests_dir)
    from django.template.engine import Engine

    records = []
    current = {}
    original_init = Engine.__init__
    original_render = Engine.render_to_string

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        loaders = kwargs.get('loaders') or []
        templates = None
        for loader in loaders:
            if isinstance(loader, tuple) and loader[0].endswith('cached.Loader'):
                for inner in loader[1]:
                    if isinstance(inner, tuple) and inner[0].endswith('locmem.Loader'):
                        templates = inner[1]
        self._ll_templates = templates
        self._ll_libraries = kwargs.get('libraries') or {}

    def render_to_string(self, template_name, context=None):
        entry = {'engine': self, 'template': template_name, 'context': context}
        try:
            output = original_render(self, template_name, context)
            entry['output'] = output
            return output
        except Exception as e:
            entry['error'] = type(e).__name__
            raise
        finally:
            if not self.debug:
                entry['test'] = current.get('name')
                records.append(entry)

    Engine.__init__ = init
    Engine.render_to_string = render_to_string

    modules = []
    for sub in ('syntax_tests', 'filter_tests'):
        for fn in sorted(os.listdir(os.path.join(tests_dir, 'template_tests', sub))):
            if fn.startswith('test_') and fn.endswith('.py'):
                modules.append('template_tests.%s.%s' % (sub, fn[:-3]))
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as e:  # e.g. numpy missing
            sys.stderr.write('skip module %s: %s\n' % (name, e))
            continue
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not hasattr(cls, 'run'):
                continue
            for meth in sorted(m for m in dir(cls) if m.startswith('test')):
                current['name'] = '%s.%s.%s' % (name.split('.')[-1], cls_name, meth)
                try:
                    test = cls(meth)
                    if hasattr(test, 'setUp'):
                        test.setUp()
                    getattr(test, meth)()
                except Exception:
                    pass

    cases, left_out, seen = [], {}, set()
    for r in records:
        engine = r['engine']
        templates = engine._ll_templates
        reason = None
        if templates is None:
            reason = 'not an @setup test'
        elif any(re.search(r'{%%\s*load\b[^%%]*\b%s\b' % re.escape(lib), t)
                 for lib in engine._ll_libraries for t in templates.values()):
            reason = 'test-only tag libraries'
        elif not engine.autoescape:
            reason = 'engine autoescape off'
        elif any(re.search(r'\|time(since|until)(?!:)', t) for t in templates.values()):
            reason = 'timesince/timeuntil of the current time: flaky across a minute boundary'
        context = None
        if reason is None:
            try:
                context = to_json(r['context'] or {})
            except Unconvertible as e:
                reason = 'context: %s' % e
        if reason:
            left_out[reason] = left_out.get(reason, 0) + 1
            continue
        options = {}
        if engine.string_if_invalid:
            options['string_if_invalid'] = engine.string_if_invalid
        key = json.dumps([r['test'], r['template'], context, options], sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        used = {k: v for k, v in templates.items()}
        case = {
            'name': '%s/%s%s' % (r['test'], r['template'], ' [INVALID]' if options else ''),
            'templates': used,
            'template': r['template'],
            'context': context,
            'options': options,
        }
        if 'error' in r:
            case['django32_error'] = r['error']
        else:
            case['django32_output'] = r['output']
        cases.append(case)
    json.dump({'source': 'Django 3.2.25 tests/template_tests (syntax_tests, filter_tests)',
               'left_out': left_out, 'cases': cases}, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    render_with_django.setup()
    sys.exit(main(sys.argv))
