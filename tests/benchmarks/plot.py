"""Draw wall time against project count from bench.py results: the collection (role no-op), the uri baseline, the limit.

    python plot.py RESULTS.json OUT.png [--compare OTHER.json ...]

Runs in the bench virtual environment (matplotlib, tests/benchmarks/requirements.txt). --compare adds
the role no-op of other result files (e.g. an older commit) as dashed lines.
"""
from __future__ import annotations

import argparse
import json

import matplotlib
import matplotlib.ticker

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position


def series(results, key):
    points = [(block['projects'], block['rows'][key]['seconds']) for block in results['counts'] if key in block['rows']]
    return [x for x, dummy in points], [y for dummy, y in points]


def limit_series(results):
    points = [(block['projects'], block['limit_noop']) for block in results['counts'] if block.get('limit_noop')]
    return [x for x, dummy in points], [y for dummy, y in points]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('results')
    parser.add_argument('output')
    parser.add_argument('--compare', action='append', default=[])
    parser.add_argument('--note', default=None, help='a line of text under the plot (e.g. about the load)')
    options = parser.parse_args()
    with open(options.results, encoding='utf-8') as handle:
        results = json.load(handle)
    figure, axes = plt.subplots(figsize=(7.5, 4.8), dpi=110)
    label = results.get('collection_commit') or results['label']
    for key, name, style in (('uri_noop', 'careful ansible.builtin.uri loop (no collection)', dict(color='tab:red', marker='s')),
                             ('role_noop', 'project_settings role, no-op (%s)' % label, dict(color='tab:blue', marker='o')),
                             ('module_noop', 'project_settings module, no-op (%s)' % label, dict(color='tab:cyan', marker='.'))):
        x, y = series(results, key)
        if x:
            axes.plot(x, y, label=name, linewidth=2, **style)
    for path in options.compare:
        with open(path, encoding='utf-8') as handle:
            other = json.load(handle)
        x, y = series(other, 'role_noop')
        if x:
            axes.plot(x, y, label='project_settings role, no-op (%s)' % (other.get('collection_commit') or other['label']),
                      linestyle='--', marker='o', color='tab:purple')
    x, y = limit_series(results)
    if x:
        axes.plot(x, y, label='limit: floor + requests x RTT / concurrency', color='black', linestyle=':', marker='^')
    axes.set_xlabel('projects (%d variables each, already converged)' % results['vars'])
    axes.set_ylabel('wall time, s (median)')
    axes.set_xscale('log')
    axes.set_yscale('log')
    counts = sorted({block['projects'] for block in results['counts']})
    axes.set_xticks(counts)
    axes.set_xticklabels([str(count) for count in counts])
    axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    axes.yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter('%g'))
    axes.set_title('No-op converge, %d ms per API answer (%s, load %.1f-%.1f)' % (
        results['latency_ms'], results['date'], results['load_min'], results['load_max']), fontsize=9)
    axes.grid(True, which='both', alpha=0.3)
    axes.legend(fontsize=8)
    if options.note:
        figure.text(0.01, 0.01, options.note, fontsize=7, wrap=True)
        figure.tight_layout(rect=(0, 0.06, 1, 1))
    else:
        figure.tight_layout()
    figure.savefig(options.output)


if __name__ == '__main__':
    main()
