// Byte-for-byte parity of the C++ template engine with real Django
// (Debian's python3-django 3.2, run with /usr/bin/python3).
//
// Every corpus case is rendered by tests/django/render_with_django.py (all
// cases in one Python process) and by build/native/tools/ll-render:
//   tests/django/template_corpus/ok/NAME.html + NAME.json   outputs must be equal
//   tests/django/template_corpus/errors/CASE/main.html      both must fail
//     (+ partials, optional context.json)
//   tests/django/template_corpus/site/*.json                contexts for the real
//     src/templates/index.html
//   tests/django/template_corpus/django_cases.json          the cases of Django's own
//     template tests (tests/django/port_django_tests.py); where Django 5.2
//     differs from 3.2, tests/django/template_corpus/django52.json says so and wins
//
// Run from the repository root after the native build:
//   cmake --preset native && cmake --build --preset native
//   node --test tests/node/template_corpus.test.js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = '/usr/bin/python3'; // Debian's interpreter: the one with Django
const DJANGO = path.join(ROOT, 'tests/django/render_with_django.py');
const LL_RENDER = path.join(ROOT, 'build/native/tools/ll-render');
const CORPUS = path.join(ROOT, 'tests/django/template_corpus');
const EMPTY_CONTEXT = path.join(CORPUS, 'site/index_empty.json');

function collectCases() {
  const cases = [];
  const ok = path.join(CORPUS, 'ok');
  for (const file of readdirSync(ok).sort()) {
    if (!file.endsWith('.json')) continue;
    const name = file.slice(0, -'.json'.length) + '.html';
    if (existsSync(path.join(ok, name))) {
      cases.push({ label: `ok/${name}`, dir: ok, name, context: path.join(ok, file), expectError: false });
    }
  }
  const site = path.join(CORPUS, 'site');
  for (const file of readdirSync(site).sort()) {
    cases.push({
      label: `src/templates/index.html with site/${file}`,
      dir: path.join(ROOT, 'src/templates'),
      name: 'index.html',
      context: path.join(site, file),
      expectError: false,
    });
  }
  const errors = path.join(CORPUS, 'errors');
  for (const dir of readdirSync(errors).sort()) {
    const context = path.join(errors, dir, 'context.json');
    cases.push({
      label: `errors/${dir}`,
      dir: path.join(errors, dir),
      name: 'main.html',
      context: existsSync(context) ? context : EMPTY_CONTEXT,
      expectError: true,
    });
  }
  return cases;
}

function renderAllWithDjango(cases) {
  const input = JSON.stringify(cases.map(({ dir, name, context }) => ({ dir, name, context })));
  const r = spawnSync(PYTHON, [DJANGO, '--batch'], { input, encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`cannot run ${PYTHON} ${DJANGO}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${DJANGO} --batch exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function renderWithLlRender({ dir, name, context }) {
  const r = spawnSync(LL_RENDER, [dir, name, context], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`cannot run ${LL_RENDER}: ${r.error.message}`);
  return { ok: r.status === 0, output: r.stdout, error: r.stderr };
}

const cases = collectCases();

test('the template corpus is present and ll-render is built', () => {
  assert.ok(cases.length > 50, `only ${cases.length} corpus cases`);
  assert.ok(existsSync(LL_RENDER), `${LL_RENDER} missing: cmake --preset native && cmake --build --preset native`);
});

const django = existsSync(LL_RENDER) ? renderAllWithDjango(cases) : [];

cases.forEach((c, i) => {
  test(c.label, { skip: !existsSync(LL_RENDER) && 'll-render is not built' }, () => {
    const expected = django[i];
    const actual = renderWithLlRender(c);
    if (c.expectError) {
      assert.equal(expected.ok, false, `Django rendered without error:\n${expected.output}`);
      assert.equal(actual.ok, false, `ll-render rendered without error:\n${actual.output}`);
      return;
    }
    assert.equal(expected.ok, true, `Django failed: ${expected.error}`);
    assert.equal(actual.ok, true, `ll-render failed: ${actual.error}`);
    assert.equal(actual.output, expected.output);
  });
});

// ---------------------------------------------------------------------------
// Django's own template tests, ported.

const PORTED = path.join(CORPUS, 'django_cases.json');
const ported = JSON.parse(readFileSync(PORTED, 'utf8')).cases;
const django52 = JSON.parse(readFileSync(path.join(CORPUS, 'django52.json'), 'utf8')).cases;

function runJson(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, maxBuffer: 256 << 20 });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const portedDjango = existsSync(LL_RENDER) ? runJson(PYTHON, [DJANGO, '--cases', PORTED]) : [];
const portedLl = existsSync(LL_RENDER) ? runJson(LL_RENDER, ['--cases', PORTED]) : [];

test('Django\'s own template tests are ported', () => {
  assert.ok(ported.length > 1000, `only ${ported.length} ported cases`);
});

ported.forEach((c, i) => {
  const override = Object.entries(django52)
    .filter(([prefix]) => c.name.startsWith(prefix))
    .sort((a, b) => b[0].length - a[0].length)[0]?.[1];
  const skip = !existsSync(LL_RENDER) ? 'll-render is not built' : override?.expect === 'skip' ? override.why : false;
  test(`django: ${c.name}`, { skip }, () => {
    const expected = portedDjango[i];
    const actual = portedLl[i];
    if (override?.expect === 'error') {
      assert.equal(actual.ok, false, `Django 5.2 fails here (${override.why}); ll-render rendered:\n${actual.output}`);
      return;
    }
    if (!expected.ok) {
      assert.equal(actual.ok, false, `Django failed (${expected.error}); ll-render rendered:\n${actual.output}`);
      return;
    }
    assert.equal(actual.ok, true, `ll-render failed: ${actual.error}`);
    assert.equal(actual.output, expected.output);
  });
});
