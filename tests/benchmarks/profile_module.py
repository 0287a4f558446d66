"""Profile a module's no-op run in-process: where the seconds go, for N projects x M variables.

    python tests/benchmarks/profile_module.py [--collection-root DIR] [--emulator-dir DIR]
           [--module project_settings|env_var_info] [--projects 100,500] [--vars 30] [--latency-ms 50]

For each project count the emulator is seeded with the converged state, then the module's main()
runs in a fresh child process with its arguments in a file, as `python -m <module> ARGS_FILE` takes
them (the path tests/integration/targets/artifact/files/peak_rss.py uses), twice:

1. timed: wall-clock wrappers (no profiler overhead) around the imports, AnsibleModule.__init__ (argument-spec
   validation, no_log value collection), ArgumentSpecValidator.validate, the module's own work (requests and
   compare), exit_json, and within it remove_values (the no_log scrub of the result, which holds the
   invocation's module_args too) and the JSON encoding;
2. under cProfile: the functions with the most cumulative and own time (the main thread only; the
   request threads show up as the main thread waiting).

Also `python -X importtime` of the module (cryptography, requests, ansible.module_utils.basic).
Prints a summary and writes .build/bench/profile-<label>-<module>-<N>.{json,txt}.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  pylint: disable=wrong-import-position

MODULE_PACKAGE = 'ansible_collections.community.circleci.plugins.modules.'


def module_args(module, api_url, projects, count):
    if module == 'project_settings':
        return dict(api_url=api_url, api_token=bench.TOKEN, projects=bench.desired(projects, count))
    return dict(api_url=api_url, api_token=bench.TOKEN, projects=[bench.slug(n) for n in range(1, projects + 1)],
                expected=bench.expected(count))


def child(mode, module, args_path, profile_path):
    """In the child: run main() once, timed or profiled; print the facts as JSON on the real stdout."""
    started = time.perf_counter()
    timings = {}
    cpu = {}
    holder = {}
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
    timings['import ansible.module_utils.basic'] = time.perf_counter() - started
    mark = time.perf_counter()
    imported = __import__(MODULE_PACKAGE + module, fromlist=['main'])
    timings['import the module (requests, collection module_utils, ...)'] = time.perf_counter() - mark
    sys.argv = [MODULE_PACKAGE + module, args_path]  # read the way `python -m module ARGS_FILE` reads them

    def timed(owner, name, label, keep_self=False):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            if keep_self:
                holder['module'] = args[0]
            mark, cpu_mark = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                timings[label] = timings.get(label, 0.0) + time.perf_counter() - mark
                # CPU time of this thread: what the step costs whatever the machine's load.
                cpu[label] = cpu.get(label, 0.0) + time.thread_time() - cpu_mark
        setattr(owner, name, wrapper)

    if mode == 'timed':
        from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel
        timed(basic.AnsibleModule, '__init__', 'AnsibleModule.__init__ (argument spec, no_log values)', keep_self=True)
        timed(ArgumentSpecValidator, 'validate', 'ArgumentSpecValidator.validate')
        timed(basic.AnsibleModule, 'exit_json', 'exit_json (all of it)')
        timed(basic, 'remove_values', 'remove_values (no_log scrub; every call, the result\'s included)')
        timed(basic.AnsibleModule, '_log_invocation', '_log_invocation (syslog/journal line of the arguments)')
        timed(basic.AnsibleModule, '_record_module_result', 'JSON encoding and print of the result')
    real_stdout = sys.stdout
    sys.stdout = io.StringIO()
    profiler = cProfile.Profile() if mode == 'cprofile' else None
    mark, cpu_mark, process_mark = time.perf_counter(), time.thread_time(), time.process_time()
    try:
        if profiler:
            profiler.runcall(imported.main)
        else:
            imported.main()
    except SystemExit:
        pass
    finally:
        main_seconds = time.perf_counter() - mark
        cpu['main() (main thread)'] = time.thread_time() - cpu_mark
        cpu['main() (all threads)'] = time.process_time() - process_mark
        output = sys.stdout.getvalue()
        sys.stdout = real_stdout
    if profiler:
        profiler.dump_stats(profile_path)
    try:
        result = json.loads(output)
    except ValueError:
        result = {'unparsable': output[-500:]}
    module_object = holder.get('module')
    facts = dict(main_seconds=main_seconds, process_python_seconds=time.perf_counter() - started, timings=timings, cpu_seconds=cpu,
                 result_bytes=len(output), changed=result.get('changed'), failed=result.get('failed'), msg=result.get('msg'),
                 api_requests=result.get('api_requests'),
                 no_log_values=len(module_object.no_log_values) if module_object is not None else None)
    print(json.dumps(facts))


def run_child(mode, collection_root, module, args_path, profile_path):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(part for part in (collection_root, env.get('PYTHONPATH')) if part)
    started = time.monotonic()
    answer = subprocess.run([sys.executable, os.path.abspath(__file__), '--child', mode, module, args_path, profile_path],
                            check=True, capture_output=True, text=True, env=env)
    facts = json.loads(answer.stdout.strip().splitlines()[-1])
    facts['process_wall_seconds'] = time.monotonic() - started
    return facts


def import_times(collection_root, module):
    """Cumulative import time (s) of the heaviest top-level packages, from python -X importtime."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(part for part in (collection_root, env.get('PYTHONPATH')) if part)
    started = time.monotonic()
    answer = subprocess.run([sys.executable, '-X', 'importtime', '-c', 'import %s%s' % (MODULE_PACKAGE, module)],
                            check=True, capture_output=True, text=True, env=env)
    wall = time.monotonic() - started
    heaviest = {}
    for line in answer.stderr.splitlines():
        if not line.startswith('import time:') or '|' not in line:
            continue
        parts = line[len('import time:'):].split('|')
        try:
            cumulative = int(parts[1].strip())
        except ValueError:
            continue
        name = parts[2].rstrip()
        top = name.strip()
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 2 or top.split('.')[0] in ('cryptography', 'requests', 'urllib3'):
            key = top if top.split('.')[0] not in ('cryptography', 'requests', 'urllib3') else top.split('.')[0]
            heaviest[key] = max(heaviest.get(key, 0), cumulative / 1e6)
    top = dict(sorted(heaviest.items(), key=lambda item: -item[1])[:12])
    return dict(interpreter_and_imports_wall=round(wall, 3), heaviest=top, cryptography_loaded='cryptography' in heaviest)


def profile_text(profile_path, limit=25):
    stream = io.StringIO()
    stats = pstats.Stats(profile_path, stream=stream)
    stats.strip_dirs().sort_stats('cumulative').print_stats(limit)
    stats.sort_stats('tottime').print_stats(limit)
    stats.print_callers('remove_values|heuristic_log_sanitize|_log_invocation')
    return stream.getvalue()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--child':
        child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--collection-root', default=os.path.join(bench.ROOT, '.build'))
    parser.add_argument('--emulator-dir', default=os.path.join(bench.ROOT, 'tests', 'emulator'))
    parser.add_argument('--module', default='project_settings', choices=['project_settings', 'env_var_info'])
    parser.add_argument('--projects', default='100,500')
    parser.add_argument('--vars', type=int, default=30)
    parser.add_argument('--latency-ms', type=int, default=50)
    parser.add_argument('--label', default='this-tree')
    parser.add_argument('--cprofile-max', type=int, default=100,
                        help='profile with cProfile only up to this many projects (its per-call overhead swamps remove_values beyond)')
    options = parser.parse_args()
    root = os.path.abspath(options.collection_root)
    os.makedirs(bench.OUT, exist_ok=True)
    emulator = bench.Emulator(os.path.abspath(options.emulator_dir), os.path.join(bench.OUT, 'emulator-profile-%s.json' % options.label))
    emulator.start()
    summary = {}
    try:
        imports = import_times(root, options.module)
        for projects in [int(part) for part in options.projects.split(',')]:
            emulator.seed(bench.seed(projects, options.vars, 'converged'))
            emulator.latency(options.latency_ms)
            base = os.path.join(bench.OUT, 'profile-%s-%s-%d' % (options.label, options.module, projects))
            args_path = base + '.args.json'
            with open(args_path, 'w', encoding='utf-8') as handle:
                json.dump({'ANSIBLE_MODULE_ARGS': module_args(options.module, emulator.facts['api_url'], projects, options.vars)}, handle)
            load = os.getloadavg()[0]
            emulator.clear()
            timed = run_child('timed', root, options.module, args_path, base + '.prof')
            timed['requests'] = emulator.counters().get('total')
            timed['load_1min'] = round(load, 2)
            entry = dict(timed=timed, imports=imports)
            if projects <= options.cprofile_max:
                entry['cprofile'] = run_child('cprofile', root, options.module, args_path, base + '.prof')
                with open(base + '.txt', 'w', encoding='utf-8') as handle:
                    handle.write(profile_text(base + '.prof'))
            with open(base + '.json', 'w', encoding='utf-8') as handle:
                json.dump(entry, handle, indent=1)
            os.unlink(args_path)  # it holds the (fake) secrets of the benchmark data
            summary[projects] = entry
            wall = timed['process_wall_seconds']
            print('\n%s, %d projects x %d vars (load %.1f): process %.2f s, main() %.2f s, result %d bytes, %s no_log values, %s requests' % (
                options.module, projects, options.vars, load, wall, timed['main_seconds'], timed['result_bytes'],
                timed['no_log_values'], timed['requests']))
            cpu = timed.get('cpu_seconds', {})
            for label, seconds in timed['timings'].items():
                print('  %-60s %7.3f s  %5.1f %%   CPU %7.3f s' % (label, seconds, 100.0 * seconds / wall, cpu.get(label, 0.0)))
            for label in ('main() (main thread)', 'main() (all threads)'):
                if label in cpu:
                    print('  CPU of %-53s %7.3f s' % (label, cpu[label]))
            work = timed['main_seconds'] - sum(seconds for label, seconds in timed['timings'].items()
                                               if label.startswith(('AnsibleModule.__init__', 'exit_json')))
            print('  %-60s %7.3f s  %5.1f %%' % ('the module\'s own work (requests, compare)', work, 100.0 * work / wall))
            other = wall - timed['process_python_seconds']
            print('  %-60s %7.3f s  %5.1f %%' % ('interpreter start-up and exit (process wall - time in Python)', other, 100.0 * other / wall))
    finally:
        emulator.stop()
    print('\nimports (python -X importtime, cumulative s): %s' % json.dumps(summary[next(iter(summary))]['imports']))


if __name__ == '__main__':
    main()
