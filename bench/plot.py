#!/usr/bin/python3
"""bench/plot.py scaling.json out.png: time per request vs session size and
template render time vs template size (Debian's python3-matplotlib)."""
import json
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

data = json.load(open(sys.argv[1]))
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))

s = data['session']
x = [r['payload'] for r in s]
dep = data.get('deployed')
for key, label, style in [
    ('native', 'native', 'k-o'),
    ('wasi_exports', 'WASI, exports only', 'b--s'),
    ('wasi_shim', 'WASI, through the shim' + (' (deployed)' if dep == 'wasi' else ''), 'b-s'),
    ('emscripten_exports', 'Emscripten, exports only', 'r--^'),
    ('emscripten_shim', 'Emscripten, through the shim' + (' (deployed)' if dep == 'emscripten' else ''), 'r-^'),
]:
    ys = [r[key] for r in s]
    if all(v is not None for v in ys):
        a.plot(x, ys, style, label=label, markersize=4)
a.set_xlabel('session payload (bytes of JSON)')
a.set_ylabel('CPU µs per /catalog/ request')
a.set_yscale('log')
a.set_title('Request time vs session size')
a.grid(True, which='both', alpha=0.3)
a.legend(fontsize=7)

t = data['template']
if t:
    b.plot([r['template_bytes'] / 1024 for r in t], [r['native_us'] for r in t], 'k-o', markersize=4)
    b.set_xlabel('template source (KiB)')
    b.set_ylabel('µs per render (native)')
    b.set_title('Template render time vs template size')
    b.grid(True, alpha=0.3)
else:
    b.text(0.5, 0.5, 'template engine not built', ha='center')
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
print('wrote', sys.argv[2])
