# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Canary test: every secret option holds a unique canary; none may show up anywhere a user or a server could see it.

Run: ``make canary`` (or ``.venv/bin/python tests/robustness/canary.py``). Runs canary.yml through ansible-playbook
-vvv against an emulator seeded with the canary token, then searches the complete output, every task result (dumped
by callback_plugins/canary_dump.py), the diffs and the emulator's request log for each canary, in clear, URL-encoded
and base64 forms and cut short (everything but its last four characters). The masked form CircleCI shows (``xxxx``
and the last four characters) is allowed. Exits 1 on any hit, naming where. See README.md here.
"""

from __future__ import annotations

import argparse
import importlib
import base64
import binascii
import json
import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote, quote_plus

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as h  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(h.HERE, 'canary.yml')
SEED = os.path.join(h.ROOT, 'tests', 'emulator', 'circleci_emulator', 'default_seed.yml')
# Each canary ends in four characters found nowhere else, so its masked form (xxxx + last four) is recognisable
# and never mistaken for a leak, while everything before them (the "core") must never appear.
CANARY_SUFFIXES = {
    'token': 'Tk7Q', 'refused_token': 'Rf3Z', 'env_single': 'Es1W', 'env_a': 'Ea2X', 'env_b': 'Eb3Y',
    'expected_a': 'Xa4J', 'expected_b': 'Xb5K', 'heroku_key': 'Hk6R', 'ps_value': 'Pv8M', 'build_param': 'Bp9N',
    'env_error': 'Ee0P', 'ctx_single': 'Cs1A', 'ctx_a': 'Ca2B', 'ctx_expected': 'Cx3C', 'hook_secret': 'Hs4D',
    'ps_hook_secret': 'Ph5E', 'ps_ctx_value': 'Pc6F',
}
# Every option marked no_log in an argument spec, and the canary.yml variables that fill it. The test fails when a
# module gains a no_log option that is not listed here (see no_log_options).
COVERAGE = {
    'api_token': ['token', 'refused_token'],
    'env_var.value': ['env_single', 'env_error'],
    'env_var.variables[].value': ['env_a', 'env_b'],
    'env_var_info.expected': ['expected_a', 'expected_b'],
    'heroku_key.api_key': ['heroku_key'],
    'ssh_key.private_key': ['private_key'],
    'project_settings.projects[].env_vars[].value': ['ps_value'],
    'project_settings.projects[].ssh_keys[].private_key': ['ps_private_key'],
    'build.build_parameters': ['build_param'],
    'context_env_var.value': ['ctx_single'],
    'context_env_var.variables[].value': ['ctx_a'],
    'context_info.expected': ['ctx_expected'],
    'webhook.signing_secret': ['hook_secret'],
    'project_settings.projects[].webhooks[].signing_secret': ['ps_hook_secret'],
    'project_settings.contexts[].variables[].value': ['ps_ctx_value'],
}


def no_log_options():
    """``module.option`` (lists shown as ``option[]``; the connection's own as ``api_token``) of every no_log option.

    Read from the argument spec each module really builds (its main() runs until AnsibleModule is created), so an
    option stated in a module_utils resource spec is found as well as one written in the module.
    """
    sys.path.insert(0, h.BUILD)
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

    class Captured(Exception):
        pass

    def capture(self, argument_spec, *args, **kwargs):  # pylint: disable=unused-argument
        raise Captured(argument_spec)

    def walk(spec, prefix, found):
        for name, option in spec.items():
            path = prefix + name
            if option.get('no_log'):
                found.add(path)
            if option.get('options'):
                walk(option['options'], path + ('[].' if option.get('type') == 'list' else '.'), found)

    found = set()
    original = basic.AnsibleModule.__init__
    basic.AnsibleModule.__init__ = capture
    try:
        for name in h.module_names():
            module = importlib.import_module('ansible_collections.community.circleci.plugins.modules.' + name)
            try:
                module.main()
            except Captured as captured:
                options = set()
                walk(captured.args[0], '', options)
                found.update(option if option == 'api_token' else '%s.%s' % (name, option) for option in options)
    finally:
        basic.AnsibleModule.__init__ = original
    return found


def uncovered(found):
    """The no_log options no canary fills."""
    return sorted(found - set(COVERAGE))


def ledger_needles(path):
    """The ledger's key and digests, which must not appear outside the ledger file either."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding='utf-8') as handle:
        document = json.load(handle)
    needles = {'ledger_key': (document['key'], False)}
    for name, record in document.get('variables', {}).items():
        needles['ledger_digest %s' % name] = (record['digest'].split(':', 1)[-1], False)
    return needles


def make_canaries(run_id):
    canaries = {label: 'CANARY-%s-%s-%s' % (label.replace('_', ''), run_id, suffix) for label, suffix in CANARY_SUFFIXES.items()}
    keys = {label: h.new_private_key() for label in ('private_key', 'private_key_path', 'ps_private_key')}
    return canaries, keys


def base64_forms(text):
    """What ``text`` looks like inside base64 of any longer text, at each of the three alignments (plain and URL-safe)."""
    data = text.encode('utf-8')
    forms = set()
    for shift in range(3):
        chunk = data[shift:]
        chunk = chunk[:len(chunk) - len(chunk) % 3]
        if len(chunk) >= 12:
            encoded = base64.b64encode(chunk).decode('ascii')
            forms.update((encoded, encoded.replace('+', '-').replace('/', '_')))
    return forms


def needles_for(label, secret, is_key):
    """``form -> needle``: the strings whose presence means ``secret`` leaked."""
    if is_key:
        body = ''.join(line for line in secret.splitlines() if line and not line.startswith('-----'))
        core = body[24:]  # past the DER header every Ed25519 PKCS#8 key shares: only the private seed
        forms = {'key body': core, 'key body, URL-encoded': quote(core, safe='')}
        for index, form in enumerate(sorted(base64_forms(secret.strip()))):
            forms['base64 of the key file #%d' % index] = form
        return forms
    core = secret[:-4]
    forms = {'clear (or cut short)': core, 'URL-encoded': quote(core, safe=''), 'form-encoded': quote_plus(core),
             'hex': binascii.hexlify(secret.encode()).decode()}
    for index, form in enumerate(sorted(base64_forms(secret))):
        forms['base64 #%d' % index] = form
    unique = {}
    for name, needle in forms.items():  # URL-encoding leaves a plain canary alone: one report per distinct string
        if needle and needle not in unique.values():
            unique[name] = needle
    return unique


def search(sources, secrets):
    """Every (secret, form, source, context) found."""
    hits = []
    for label, (secret, is_key) in secrets.items():
        for form, needle in needles_for(label, secret, is_key).items():
            for where, text in sources:
                start = text.find(needle)
                if start >= 0:
                    hits.append((label, form, where, text[max(0, start - 80):start + len(needle) + 40].replace('\n', '\\n')))
    return hits


def self_test(secrets):
    """The search must find every leaked form and must not take a masked form for a leak."""
    problems = []
    for label, (secret, is_key) in secrets.items():
        shown = secret.strip()
        leaked = {
            'clear': 'x %s y' % shown, 'cut short': 'value=%s...' % shown[:-4],
            'URL-encoded': '/path?v=%s' % quote(shown, safe=''),
            'JSON': json.dumps({'v': shown}),
        }
        for offset in range(3):
            leaked['base64 at offset %d' % offset] = base64.b64encode(('Basic:'[:offset + 3] + shown + ':').encode()).decode()
        for form, text in leaked.items():
            if not search([(form, text)], {label: (secret, is_key)}):
                problems.append('self-test: the %s form of canary %s was not found' % (form, label))
        if not is_key and search([('masked', 'value xxxx%s' % secret[-4:])], {label: (secret, is_key)}):
            problems.append('self-test: the masked form of canary %s was taken for a leak' % label)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--playbook', default=PLAYBOOK, help='another playbook with the same variables (to check the checker)')
    options = parser.parse_args()
    h.require_collection()
    started = time.monotonic()
    run_id = uuid.uuid4().hex
    canaries, keys = make_canaries(run_id)
    scratch = h.scratch_dir('circleci-canary-')
    output_dir = os.path.join(h.OUTPUT, 'canary')
    os.makedirs(output_dir, exist_ok=True)
    secrets = {label: (value, False) for label, value in canaries.items()}
    secrets.update({label: (value, True) for label, value in keys.items()})
    problems = self_test(secrets)

    with open(SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    seed['tokens']['user'] = canaries['token']  # the canary is the token the emulator accepts
    emulator = h.Emulator()
    try:
        emulator.seed(seed)
        emulator.reset()
        registered = emulator.admin('POST', '/canaries', {'values': list(canaries.values())}, ok=(200, 201, 204, 404, 405))
        canary_endpoint = registered.status_code < 400
        key_path = os.path.join(scratch, 'canary_ed25519')
        with open(key_path, 'w', encoding='utf-8') as handle:
            handle.write(keys['private_key_path'])
        os.chmod(key_path, 0o600)
        variables = dict({'canary_' + label: value for label, value in canaries.items()},
                         canary_private_key=keys['private_key'], canary_ps_private_key=keys['ps_private_key'],
                         canary_private_key_path=key_path, canary_api_url=emulator.api_url, canary_admin_url=emulator.admin_url,
                         canary_dest=os.path.join(scratch, 'artifacts'), canary_ledger=os.path.join(scratch, 'ledger.json'),
                         ansible_python_interpreter=h.PYTHON)
        vars_path = os.path.join(scratch, 'vars.json')
        with open(vars_path, 'w', encoding='utf-8') as handle:
            json.dump(variables, handle)
        config_path = os.path.join(scratch, 'ansible.cfg')  # no configuration from the caller's environment
        with open(config_path, 'w', encoding='utf-8') as handle:
            handle.write('[defaults]\n')
        dump_path = os.path.join(output_dir, 'results.jsonl')
        if os.path.exists(dump_path):
            os.remove(dump_path)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=h.BUILD, ANSIBLE_CALLBACK_PLUGINS=os.path.join(h.HERE, 'callback_plugins'),
                   ANSIBLE_CALLBACKS_ENABLED='canary_dump', ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_NOCOLOR='1',
                   ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0', ANSIBLE_HOME=os.path.join(scratch, 'ansible'),
                   ANSIBLE_LOCAL_TEMP=os.path.join(scratch, 'tmp'), ANSIBLE_REMOTE_TEMP=os.path.join(scratch, 'tmp'),
                   ANSIBLE_CONFIG=config_path, CANARY_DUMP_FILE=dump_path)
        for name in ('CIRCLECI_TOKEN', 'CIRCLE_TOKEN', 'CIRCLECI_API_URL'):
            env.pop(name, None)
        playbook = subprocess.run([os.path.join(os.path.dirname(h.PYTHON), 'ansible-playbook'), '-vvv', '-e', '@' + vars_path, options.playbook],
                                  cwd=scratch, env=env, capture_output=True, text=True, check=False, timeout=900)
        with open(os.path.join(output_dir, 'ansible-playbook.log'), 'w', encoding='utf-8') as handle:
            handle.write(playbook.stdout + '\n--- stderr ---\n' + playbook.stderr)
        if playbook.returncode != 0:
            problems.append('ansible-playbook exited %d (see %s)' % (playbook.returncode, os.path.join(output_dir, 'ansible-playbook.log')))

        records = []
        if os.path.exists(dump_path):
            with open(dump_path, encoding='utf-8') as handle:
                records = [json.loads(line) for line in handle if line.strip()]
        tasks_run = sum(1 for record in records if record['status'] in ('ok', 'failed'))
        diffs = [record for record in records if record['status'] == 'diff' or 'diff' in record['result']]
        for record in records:
            if record['status'] == 'failed':
                problems.append('task failed: %s: %s' % (record['task'], str(record['result'].get('msg'))[:300]))
        log = emulator.requests()
        leaks = emulator.leaks()
        foreign = emulator.admin('GET', '/foreign').json().get('requests', [])
        canary_report = None
        if canary_endpoint:
            canary_report = emulator.admin('GET', '/canaries', ok=(200, 404, 405))
            canary_report = canary_report.json() if canary_report.status_code == 200 else None
    finally:
        emulator.stop()

    sources = [
        ('ansible-playbook -vvv stdout', playbook.stdout),
        ('ansible-playbook -vvv stderr', playbook.stderr),
        ('task results (callback dump)', '\n'.join(json.dumps({'task': r['task'], 'result': {k: v for k, v in r['result'].items() if k != 'diff'}},
                                                              ensure_ascii=False) for r in records if r['status'] != 'diff')),
        ('diffs', '\n'.join(json.dumps(r['result'].get('diff'), ensure_ascii=False) for r in diffs)),
        ('emulator request log (paths, queries)', '\n'.join(json.dumps(entry, ensure_ascii=False) for entry in log)),
    ]
    secrets.update(ledger_needles(os.path.join(scratch, 'ledger.json')))
    hits = search(sources, secrets)
    for entry in log:
        if entry.get('auth') not in ('header', 'none') and entry.get('listener') in ('api', 'artifacts'):
            problems.append('token sent by %s (not the Circle-Token header): %s %s' % (entry['auth'], entry['method'], entry['path']))
    for entry in foreign:  # the other origin a write was redirected to must have received nothing of ours
        problems.append('a request reached the foreign origin: %s %s (token %s, canary %s, %d body bytes)' % (
            entry.get('method'), entry.get('path'), entry.get('token_present'), entry.get('canary_found'), entry.get('body_length') or 0))
    for leak in leaks:
        problems.append('token reached the storage host: %s %s %s' % (leak['method'], leak['path'], leak['found']))
    missing = uncovered(no_log_options())
    for option in missing:
        problems.append('no_log option %s has no canary in canary.yml (add it to COVERAGE and the playbook)' % option)
    masked_seen = sum(('xxxx' + canaries[label][-4:]) in playbook.stdout for label in canaries)

    print('Canary test: %d canaries (%d strings, %d private keys), %d task results, %d diffs, %d API requests, %.0f s' % (
        len(secrets), len(canaries), len(keys), tasks_run, len(diffs), len(log), time.monotonic() - started))
    print('  no_log options covered: %s' % ', '.join(sorted(COVERAGE)))
    print('  searched: %s' % '; '.join('%s (%d kB)' % (where, len(text) // 1024) for where, text in sources))
    print('  masked forms (xxxx + last four, allowed) seen in the output for %d canaries' % masked_seen)
    if canary_endpoint:
        print('  emulator canaries endpoint: registered; its report: %s' % json.dumps(canary_report)[:500])
    else:
        print('  emulator canaries endpoint: not available (POST /_emulator/canaries answered %d); skipped' % registered.status_code)
    for label, form, where, context in hits:
        problems.append('LEAK of %s (%s) in %s: ...%s...' % (label, form, where, context))
    report = {'run_id': run_id, 'hits': [dict(zip(('canary', 'form', 'where', 'context'), hit)) for hit in hits],
              'problems': problems, 'tasks': tasks_run, 'diffs': len(diffs), 'requests': len(log), 'canary_endpoint': canary_endpoint}
    with open(os.path.join(output_dir, 'canary.json'), 'w', encoding='utf-8') as handle:
        json.dump(report, handle, indent=1)
    h.shutil.rmtree(scratch, ignore_errors=True)
    for problem in problems:
        print('  FAIL: %s' % problem)
    if problems:
        print('FAIL: %d problem(s); details in %s' % (len(problems), os.path.relpath(output_dir, os.getcwd())))
        return 1
    print('OK: no canary found anywhere')
    return 0


if __name__ == '__main__':
    sys.exit(main())
