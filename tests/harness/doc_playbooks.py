"""Docs are tests: run every YAML block of the documentation against the CircleCI emulator, as written.

`make docs-test` (part of `make test`) and `make compat` (once per ansible-core) run this.

What is extracted (each a "block"):
  - README.md and roles/*/README.md: every ```yaml / ```yml / ```yaml+jinja fence;
  - docs/docsite/rst/*.rst: every `.. code-block:: yaml` / `yaml+jinja` (and `code::`, `sourcecode::`);
  - plugins/modules/*.py: each module's EXAMPLES (one block per module).

How each block is classified and run:
  - a playbook (a list of plays): run with ansible-playbook as it is;
  - a task list: run inside a play on localhost whose module_defaults for group/community.circleci.circleci give
    the emulator's api_url and a user token (what "set the connection once" in the docs means);
  - anything else (a vars file, an execution environment definition...): a snippet. It must be listed in the
    manifest with a reason; a `vars` snippet is run as the vars file of the role the manifest names.

The manifest, tests/harness/doc_playbooks.yml, is the one reviewed place that says what a block gets from outside:
extra vars (vault variables, host paths), environment variables (the connection), per-block setup of the emulator
(`setup`), and extra checks (`check_first`: a --check --diff run first; `idempotent`: a second run changes nothing;
`expect_files`). The text of a document is never changed. A block that is not covered (a snippet not listed), a
manifest entry that matches no block, or a block that fails, fails the run.

Before each block the emulator is reset to its seed. Requests can only reach this machine: CIRCLECI_* variables
are removed from the environment and HTTP(S)_PROXY points at a closed local port (NO_PROXY=127.0.0.1,localhost).

Usage: python tests/harness/doc_playbooks.py [--ansible-bin DIR] [--only SUBSTRING ...] [--list] [--keep]
                                             [--compat] [--workdir DIR]
"""
from __future__ import annotations

import argparse
import ast
import fnmatch
import glob
import json
import os
import re
import shutil
import string
import subprocess
import sys
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from github_stub import GitHubStub  # noqa: E402  pylint: disable=wrong-import-position

MANIFEST = os.path.join(HERE, 'doc_playbooks.yml')
DOC_GLOBS = ('README.md', 'roles/*/README.md', 'docs/docsite/rst/*.rst', 'plugins/modules/*.py')
YAML_LANGUAGES = ('yaml', 'yml', 'yaml+jinja')
DEAD_PROXY = 'http://127.0.0.1:9'
# Seconds one ansible-playbook run of a block may take: a safety net for a hung run, generous for a loaded machine.
DEFAULT_TIMEOUT = 900
ENTRY_KEYS = {'name', 'block', 'kind', 'reason', 'role', 'env', 'extra_vars', 'setup', 'emulator', 'github',
              'check_first', 'idempotent', 'expect_files', 'timeout', 'unset_env'}


class DocsTestError(Exception):
    pass


@dataclass(eq=False)
class Block:
    path: str            # relative to ROOT
    index: int           # 1-based, within its file
    line: int            # first line of the block's text in the file
    text: str
    kind: str = ''       # playbook, tasks, snippet, invalid
    name: str = ''
    error: str = ''
    entry: dict = field(default_factory=dict)

    @property
    def label(self):
        return '%s:%d block %d%s' % (self.path, self.line, self.index, " '%s'" % self.name if self.name else '')

    @property
    def slug(self):
        base = re.sub(r'[^A-Za-z0-9]+', '-', '%s-%d' % (self.path, self.index)).strip('-').lower()
        return base[-80:]


# --- extraction -----------------------------------------------------------------------------------------------

def markdown_blocks(path, text):
    blocks, lines, i = [], text.split('\n'), 0
    while i < len(lines):
        match = re.match(r'^(\s*)(```+|~~~+)\s*([\w+.-]*)\s*$', lines[i])
        if not match:
            i += 1
            continue
        indent, fence, language = match.groups()
        start, i = i + 1, i + 1
        while i < len(lines) and not re.match(r'^\s*' + re.escape(fence) + r'\s*$', lines[i]):
            i += 1
        if language.lower() in YAML_LANGUAGES:
            body = '\n'.join(line[len(indent):] if line.startswith(indent) else line for line in lines[start:i])
            blocks.append(Block(path, len(blocks) + 1, start + 1, body + '\n'))
        i += 1
    return blocks


def rst_blocks(path, text):
    blocks, lines, i = [], text.split('\n'), 0
    while i < len(lines):
        match = re.match(r'^(\s*)\.\. (?:code-block|code|sourcecode)::\s*(\S*)\s*$', lines[i])
        i += 1
        if not match:
            continue
        directive_indent, language = len(match.group(1)), match.group(2).lower()
        while i < len(lines) and re.match(r'^\s+:[\w-]+:', lines[i]):  # options such as :caption:
            i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        start = i
        body_indent = len(lines[i]) - len(lines[i].lstrip()) if i < len(lines) else 0
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > directive_indent):
            i += 1
        if language in YAML_LANGUAGES and body_indent > directive_indent:
            body = '\n'.join(line[body_indent:] for line in lines[start:i]).rstrip('\n')
            blocks.append(Block(path, len(blocks) + 1, start + 1, body + '\n'))
    return blocks


def examples_blocks(path, text):
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and any(getattr(target, 'id', None) == 'EXAMPLES' for target in node.targets):
            value = node.value.value
            line = node.lineno + (1 if value.startswith('\n') else 0)
            return [Block(path, 1, line, value.lstrip('\n'))]
    return []


class _Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """YAML as Ansible reads it, for classifying only: !unsafe and !vault are accepted."""


_Loader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))
_Loader.add_constructor('!vault', lambda loader, node: loader.construct_scalar(node))


def classify(block):
    try:
        data = yaml.load(block.text, Loader=_Loader)  # nosec - SafeLoader subclass
    except yaml.YAMLError as error:
        block.kind, block.error = 'invalid', 'not valid YAML: %s' % error
        return
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        if all('hosts' in item or 'import_playbook' in item or 'ansible.builtin.import_playbook' in item for item in data):
            block.kind = 'playbook'
        elif not any('hosts' in item for item in data):
            block.kind = 'tasks'
        else:
            block.kind, block.error = 'invalid', 'mixes plays and tasks'
            return
        block.name = str(data[0].get('name', ''))
    else:
        block.kind = 'snippet'


def extract(root=ROOT):
    blocks = []
    for pattern in DOC_GLOBS:
        for full in sorted(glob.glob(os.path.join(root, pattern))):
            path = os.path.relpath(full, root)
            with open(full, encoding='utf-8') as handle:
                text = handle.read()
            if path.endswith('.md'):
                found = markdown_blocks(path, text)
            elif path.endswith('.rst'):
                found = rst_blocks(path, text)
            else:
                found = examples_blocks(path, text)
            for block in found:
                classify(block)
            blocks.extend(found)
    return blocks


# --- manifest -------------------------------------------------------------------------------------------------

def load_manifest(path=MANIFEST):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def match_manifest(blocks, manifest):
    """Attach each manifest entry to its block; return the list of coverage problems."""
    problems = []
    documents = manifest.get('documents') or {}
    by_path = {}
    for block in blocks:
        by_path.setdefault(block.path, []).append(block)
    for path, entries in documents.items():
        found = by_path.get(path)
        if found is None:
            problems.append('%s: listed in %s, but no such document has YAML blocks' % (path, os.path.relpath(MANIFEST, ROOT)))
            continue
        for entry in entries:
            unknown = set(entry) - ENTRY_KEYS
            if unknown:
                problems.append('%s: entry %r has unknown keys %s' % (path, entry.get('name', entry.get('block')), sorted(unknown)))
            if 'block' in entry:
                candidates = [block for block in found if block.index == entry['block']]
            elif 'name' in entry:
                candidates = [block for block in found if block.name == entry['name']]
            else:
                problems.append('%s: an entry needs name (of the first play or task) or block (its number)' % path)
                continue
            if len(candidates) != 1:
                problems.append('%s: entry %r matches %d blocks (blocks here: %s)' % (
                    path, entry.get('name', entry.get('block')), len(candidates),
                    '; '.join('%d %s %r' % (block.index, block.kind, block.name) for block in found)))
                continue
            block = candidates[0]
            if block.entry:
                problems.append('%s: two entries for block %d' % (path, block.index))
            if 'name' in entry and 'block' in entry and block.name != entry['name']:
                problems.append('%s: block %d is now %r, the manifest says %r' % (path, block.index, block.name, entry['name']))
            block.entry = entry
    for block in blocks:
        kind = block.entry.get('kind')
        if block.kind == 'invalid':
            problems.append('%s: %s' % (block.label, block.error))
        elif block.kind == 'snippet':
            if kind not in ('snippet', 'vars') or not block.entry.get('reason'):
                problems.append('%s: not a playbook nor a task list; list it in %s as kind: snippet (or vars, with role) '
                                'with a reason, or make it runnable' % (block.label, os.path.relpath(MANIFEST, ROOT)))
            elif kind == 'vars' and not block.entry.get('role'):
                problems.append('%s: kind vars needs role: the role it is the variables of' % block.label)
        elif kind in ('snippet', 'vars'):
            problems.append('%s: listed as a %s, but it is a %s: it must run' % (block.label, kind, block.kind))
    return problems


# --- the emulator and the run ---------------------------------------------------------------------------------

class Emulator:
    def __init__(self, state_file, tls=False):
        self.state_file, self.tls, self.info = state_file, tls, None

    def _ensure(self, *args):
        command = [sys.executable, '-m', 'circleci_emulator.ensure', '--state-file', self.state_file] + list(args)
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'tests', 'emulator'))
        return subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout

    def start(self):
        self._ensure('--stop')
        args = ['--time-scale', '50'] + (['--tls'] if self.tls else [])
        self.info = json.loads(self._ensure(*args))
        return self.info

    def stop(self):
        self._ensure('--stop')

    def admin(self, method, path, body=None):
        import ssl  # pylint: disable=import-outside-toplevel
        context = ssl.create_default_context(cafile=self.info['ca_path']) if self.info.get('ca_path') else None
        data = json.dumps(body).encode('utf-8') if body is not None else None
        request = urllib.request.Request(self.info['admin_url'] + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:  # nosec - local emulator
            return json.loads(answer.read() or b'null')


def ssh_private_key():
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ed25519  # pylint: disable=import-outside-toplevel
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption()).decode('ascii')


def substitute(value, facts):
    if isinstance(value, str):
        return string.Template(value).substitute(facts)
    if isinstance(value, list):
        return [substitute(item, facts) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, facts) for key, item in value.items()}
    return value


def slug_vcs(project):
    vcs, rest = project.split('/', 1)
    return {'gh': 'github', 'bb': 'bitbucket'}.get(vcs, vcs) + '/' + rest


class Runner:
    def __init__(self, args, manifest):
        self.args, self.manifest = args, manifest
        self.ansible_playbook = os.path.join(args.ansible_bin, 'ansible-playbook')
        self.workdir = args.workdir
        self.emulators: dict[str, Emulator] = {}
        self.github = None

    def emulator(self, kind):
        if kind not in self.emulators:
            emulator = Emulator(os.path.join(self.workdir, 'emulator-%s.json' % kind), tls=(kind == 'tls'))
            emulator.start()
            self.emulators[kind] = emulator
        return self.emulators[kind]

    def close(self):
        for emulator in self.emulators.values():
            emulator.stop()
        if self.github:
            self.github.__exit__(None, None, None)

    def facts(self, block, emulator, directory):
        info = emulator.info
        facts = dict(api_url=info['api_url'], admin_url=info['admin_url'], user_token=info['tokens']['user'],
                     readonly_token=info['tokens']['read_only'], project_token=info['tokens']['project'],
                     ca_path=info.get('ca_path') or '', tmp=directory, python=sys.executable, root=ROOT,
                     state_file=emulator.state_file)
        if block.entry.get('github'):
            if self.github is None:
                self.github = GitHubStub(token='docs-test-github-token').__enter__()
            self.github.reset()
            facts.update(github_url=self.github.url, github_token=self.github.token)
        return facts

    def setup(self, block, emulator, directory, facts, extra_vars):
        for step in substitute(block.entry.get('setup') or [], facts):
            if 'env_var' in step:
                spec = step['env_var']
                emulator.admin('POST', '/projects/%s/envvar' % slug_vcs(spec['project']),
                               {'name': spec['name'], 'value': spec['value']})
            elif 'delete_env_var' in step:
                spec = step['delete_env_var']
                emulator.admin('POST', '/projects/%s/envvar' % slug_vcs(spec['project']), {'name': spec['name'], 'delete': True})
            elif 'ssh_key_file' in step:
                path = os.path.join(directory, step['ssh_key_file'])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, 'w', encoding='ascii') as handle:
                    handle.write(ssh_private_key())
                os.chmod(path, 0o600)
            elif 'ssh_key_var' in step:
                extra_vars[step['ssh_key_var']] = ssh_private_key()
            elif 'file' in step:
                path = os.path.join(directory, step['file'])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, 'w', encoding='utf-8') as handle:
                    handle.write(step.get('content', ''))
            else:
                raise DocsTestError('%s: unknown setup step %r' % (block.label, step))

    def playbook_text(self, block, facts):
        if block.kind == 'playbook':
            return block.text
        header = textwrap.dedent('''\
            # docs-test: {label}, wrapped in a play that gives the connection once ({kind}).
            - name: "docs-test: {path} block {index}"
              hosts: localhost
              gather_facts: false
            ''').format(label=block.label, kind=block.kind, path=block.path, index=block.index)
        connection = dict(api_url=facts['api_url'], api_token=facts['user_token'])
        if facts['ca_path']:
            connection['ca_path'] = facts['ca_path']
        header += ('  module_defaults:\n    group/community.circleci.circleci:\n'
                   + ''.join('      %s: %s\n' % (key, json.dumps(value)) for key, value in connection.items()))
        if block.kind == 'tasks':
            return header + '  tasks:\n' + textwrap.indent(block.text, '    ')
        # vars: the snippet is the vars file of the role the manifest names
        return header + '  vars_files:\n    - vars.yml\n  roles:\n    - role: %s\n' % block.entry['role']

    def environment(self, block, facts):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(('CIRCLECI_', 'ANSIBLE_')) and key not in ('CIRCLE_TOKEN', 'HEROKU_API_KEY')}
        env.update(
            ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build'),
            ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_LOCALHOST_WARNING='false',
            ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_RETRY_FILES_ENABLED='false',
            ANSIBLE_CALLBACK_RESULT_FORMAT='yaml', ANSIBLE_DEPRECATION_WARNINGS='false',
            ANSIBLE_LOCAL_TEMP=os.path.join(self.workdir, 'ansible-tmp'),
            HTTPS_PROXY=DEAD_PROXY, HTTP_PROXY=DEAD_PROXY, https_proxy=DEAD_PROXY, http_proxy=DEAD_PROXY,
            NO_PROXY='127.0.0.1,localhost', no_proxy='127.0.0.1,localhost',
        )
        env.update({key: str(value) for key, value in
                    substitute(dict(self.manifest.get('defaults', {}).get('env') or {}, **(block.entry.get('env') or {})),
                               facts).items()})
        for name in block.entry.get('unset_env') or []:
            env.pop(name, None)
        return env

    def run_block(self, block):
        kind = block.entry.get('emulator', 'plain')
        emulator = self.emulator(kind)
        directory = os.path.join(self.workdir, 'blocks', block.slug)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        emulator.admin('POST', '/reset')
        facts = self.facts(block, emulator, directory)
        extra_vars = substitute(dict(self.manifest.get('defaults', {}).get('extra_vars') or {},
                                     **(block.entry.get('extra_vars') or {})), facts)
        self.setup(block, emulator, directory, facts, extra_vars)
        if block.entry.get('kind') == 'vars':
            with open(os.path.join(directory, 'vars.yml'), 'w', encoding='utf-8') as handle:
                handle.write(block.text)
        playbook = os.path.join(directory, 'playbook.yml')
        with open(playbook, 'w', encoding='utf-8') as handle:
            handle.write(self.playbook_text(block, facts))
        with open(os.path.join(directory, 'extra_vars.json'), 'w', encoding='utf-8') as handle:
            json.dump(extra_vars, handle)
        env = self.environment(block, facts)
        runs = ([('check', ['--check', '--diff'])] if block.entry.get('check_first') else []) + [('run', [])]
        if block.entry.get('idempotent'):
            runs.append(('again', []))
        log = []
        for name, options in runs:
            command = [self.ansible_playbook, 'playbook.yml', '-e', '@extra_vars.json'] + options
            try:
                done = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True,
                                      timeout=block.entry.get('timeout', DEFAULT_TIMEOUT), check=False)
                output, status = done.stdout + done.stderr, done.returncode
            except subprocess.TimeoutExpired as expired:
                output, status = as_text(expired.stdout) + as_text(expired.stderr) + '\n(timed out)', -1
            log.append('$ (%s) %s\n%s' % (name, ' '.join(command[1:]), output))
            with open(os.path.join(directory, 'output.log'), 'w', encoding='utf-8') as handle:
                handle.write('\n'.join(log))
            if status != 0:
                return '%s run: ansible-playbook exited %d' % (name, status), output
            if name == 'again':
                changed = [int(count) for count in re.findall(r'\bchanged=(\d+)', output)]
                if not changed or any(changed):
                    return 'second run changed something (idempotent: true): changed=%s' % changed, output
        for relative in substitute(block.entry.get('expect_files') or [], facts):
            if not os.path.exists(os.path.join(directory, relative)):
                return 'expected file %s was not written' % relative, '\n'.join(log)
        return None, '\n'.join(log)

    BATCHABLE_KEYS = {'name', 'block', 'extra_vars', 'setup', 'timeout'}

    def batchable(self, block):
        """Plain task lists share one ansible-playbook run, each on an inventory host of its own."""
        return (block.kind == 'tasks' and not block.entry.get('kind') and set(block.entry) <= self.BATCHABLE_KEYS
                and not any('ssh_key_var' in step for step in block.entry.get('setup') or []))

    def run_batch(self, blocks):
        """Run task lists in one ansible-playbook: block N is a play on host docs_block_N (a local connection),
        so that no registered variable of one block is seen by another, and a failing block stops only its
        own host. Before each block's play, a play on the same host resets the emulator and runs its setup.
        Returns {block: (error, output)}."""
        emulator = self.emulator('plain')
        directory = os.path.join(self.workdir, 'blocks', 'batch')
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        python = os.path.join(os.path.dirname(self.ansible_playbook), 'python')
        facts = self.facts(Block('batch', 0, 0, ''), emulator, directory)
        extra_vars = substitute(dict(self.manifest.get('defaults', {}).get('extra_vars') or {}), facts)
        inventory, plays, hosts = ['[docs]'], [], {}
        for number, block in enumerate(blocks, 1):
            host = 'docs_block_%d' % number
            hosts[host] = block
            inventory.append('%s ansible_connection=local ansible_python_interpreter=%s' % (host, python))
            for key, value in substitute(block.entry.get('extra_vars') or {}, facts).items():
                if key in extra_vars and extra_vars[key] != value:
                    raise DocsTestError('%s: extra var %s differs from another batched block\'s' % (block.label, key))
                extra_vars[key] = value
            admin = []
            for step in substitute(block.entry.get('setup') or [], facts):
                if 'ssh_key_file' in step:
                    self.setup(block, emulator, directory, facts, extra_vars)
                elif 'env_var' in step or 'delete_env_var' in step:
                    spec = step.get('env_var') or step['delete_env_var']
                    body = {'name': spec['name'], 'value': spec['value']} if 'env_var' in step else {'name': spec['name'], 'delete': True}
                    admin.append(('/projects/%s/envvar' % slug_vcs(spec['project']), body))
                else:
                    raise DocsTestError('%s: setup step %r cannot be batched' % (block.label, step))
            plays.append('- name: "docs-test: reset the emulator for %s"\n  hosts: %s\n  gather_facts: false\n  tasks:\n'
                         % (block.label.replace('"', "'"), host))
            for path, body in [('/reset', None)] + admin:
                plays.append('    - ansible.builtin.uri: {url: %s, method: POST%s}\n'
                             % (json.dumps(facts['admin_url'] + path), ', body_format: json, body: %s' % json.dumps(body) if body else ''))
            plays.append(self.playbook_text(block, facts).replace('  hosts: localhost\n', '  hosts: %s\n' % host, 1))
        with open(os.path.join(directory, 'inventory.ini'), 'w', encoding='utf-8') as handle:
            handle.write('\n'.join(inventory) + '\n')
        with open(os.path.join(directory, 'playbook.yml'), 'w', encoding='utf-8') as handle:
            handle.write(''.join(plays))
        with open(os.path.join(directory, 'extra_vars.json'), 'w', encoding='utf-8') as handle:
            json.dump(extra_vars, handle)
        command = [self.ansible_playbook, '-i', 'inventory.ini', 'playbook.yml', '-e', '@extra_vars.json']
        env = self.environment(Block('batch', 0, 0, ''), facts)
        try:
            done = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True,
                                  timeout=sum(block.entry.get('timeout', DEFAULT_TIMEOUT) for block in blocks), check=False)
            output, status = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as expired:
            output, status = as_text(expired.stdout) + as_text(expired.stderr) + '\n(timed out)', -1
        with open(os.path.join(directory, 'output.log'), 'w', encoding='utf-8') as handle:
            handle.write(output)
        # Split the output at each block's plays; read each host's line of the recap.
        sections, current = {}, None
        for line in output.split('\n'):
            match = re.match(r'^PLAY \[docs-test: (?:reset the emulator for )?(.*?)\]', line)
            if match:
                current = next((block for block in blocks if match.group(1) in (block.label.replace('"', "'"),
                                                                                '%s block %d' % (block.path, block.index))), current)
            if current is not None:
                sections.setdefault(current, []).append(line)
        recap = dict(re.findall(r'^(docs_block_\d+)\s+:\s+(.*)$', output, re.M))
        results = {}
        for host, block in hosts.items():
            text = '\n'.join(sections.get(block, []))
            line = recap.get(host, '')
            if not line:
                results[block] = ('ansible-playbook exited %d before the block ran' % status, output)
            elif re.search(r'\b(failed|unreachable)=[1-9]', line):
                results[block] = ('batched run: %s' % ' '.join(line.split()), text)
            else:
                results[block] = (None, text)
        if status != 0 and all(result[0] is None for result in results.values()):
            for block in blocks:
                results[block] = ('batched run: ansible-playbook exited %d' % status, output)
        return results


def as_text(output):
    """What a timed-out subprocess had written (bytes or text, or None)."""
    if output is None:
        return ''
    return output if isinstance(output, str) else output.decode('utf-8', 'replace')


def tail(output, lines=60):
    """The end of ansible-playbook's output, from the failed task on where possible."""
    text = output.rstrip('\n').split('\n')
    for i in range(len(text) - 1, -1, -1):
        if text[i].startswith(('fatal:', 'failed:', '[ERROR]', 'ERROR!')):
            start = max(0, i - 8)
            for j in range(i, -1, -1):
                if text[j].startswith('TASK ['):
                    start = j
                    break
            return '\n'.join(text[start:start + lines])
    return '\n'.join(text[-lines:])


def smoke_problems(manifest):
    """The smoke playbook of `make compat` must use every module."""
    problems = []
    for extra in manifest.get('compat_playbooks') or []:
        if not extra.get('every_module'):
            continue
        with open(os.path.join(ROOT, extra['path']), encoding='utf-8') as handle:
            text = handle.read()
        for module in sorted(glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py'))):
            name = os.path.basename(module)[:-3]
            if name != '__init__' and not re.search(r'^\s*-?\s*community\.circleci\.%s:' % re.escape(name), text, re.M):
                problems.append('%s: does not use community.circleci.%s (it must use every module once)' % (extra['path'], name))
    return problems


def compat_blocks(manifest):
    blocks = []
    for extra in manifest.get('compat_playbooks') or []:
        with open(os.path.join(ROOT, extra['path']), encoding='utf-8') as handle:
            block = Block(extra['path'], 1, 1, handle.read())
        classify(block)
        block.entry = dict((key, value) for key, value in extra.items() if key in ENTRY_KEYS)
        blocks.append(block)
    return blocks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--ansible-bin', default=os.path.dirname(sys.executable),
                        help='directory of the ansible-playbook to use (default: this Python\'s)')
    parser.add_argument('--only', action='append', default=[], help='run only blocks whose label contains this (glob)')
    parser.add_argument('--list', action='store_true', help='list the blocks and how each is run, then stop')
    parser.add_argument('--keep', action='store_true', help='keep the work directory')
    parser.add_argument('--compat', action='store_true', help='also run the compat playbooks of the manifest')
    parser.add_argument('--no-batch', action='store_true', help='one ansible-playbook run per block, task lists too')
    parser.add_argument('--workdir', default=os.path.join(ROOT, '.build', 'docs-test'))
    args = parser.parse_args(argv)
    args.ansible_bin, args.workdir = os.path.abspath(args.ansible_bin), os.path.abspath(args.workdir)

    manifest = load_manifest()
    blocks = extract()
    problems = match_manifest(blocks, manifest) + smoke_problems(manifest)
    if args.compat:
        blocks += compat_blocks(manifest)

    if args.list:
        for block in blocks:
            how = block.entry.get('kind') or block.kind
            print('%-9s %s%s' % (how, block.label, ('  (%s)' % block.entry['reason']) if block.entry.get('reason') else ''))
    if problems:
        print('docs-test: the docs and %s do not agree:' % os.path.relpath(MANIFEST, ROOT))
        for problem in problems:
            print('  - ' + problem)
        return 1
    if args.list:
        return 0

    selected = [block for block in blocks
                if not args.only or any(fnmatch.fnmatch(block.label, '*%s*' % pattern) for pattern in args.only)]
    runnable = [block for block in selected if block.entry.get('kind') != 'snippet']
    version = subprocess.run([os.path.join(args.ansible_bin, 'ansible-playbook'), '--version'],
                             capture_output=True, text=True, check=True).stdout.split('\n')[0]
    print('docs-test: %d blocks to run with %s (%s), %d snippets listed with a reason' % (
        len(runnable), version, args.ansible_bin, len(selected) - len(runnable)), flush=True)
    os.makedirs(args.workdir, exist_ok=True)
    runner = Runner(args, manifest)
    failures, started = [], time.monotonic()

    def report(block, error, output, took):
        how = block.entry.get('kind') or block.kind
        if error is None:
            print('PASS  %-8s %s (%s)' % (how, block.label, took), flush=True)
            return
        failures.append(block)
        print('FAIL  %-8s %s (%s): %s' % (how, block.label, took, error), flush=True)
        print('      the document: %s, line %d; as run: %s' % (
            block.path, block.line, os.path.join(args.workdir, 'blocks', 'batch' if runner.batchable(block) else block.slug,
                                                 'playbook.yml')))
        print(textwrap.indent(tail(output), '      | '), flush=True)

    try:
        batch = [block for block in runnable if runner.batchable(block)] if not args.no_batch else []
        if batch:
            began = time.monotonic()
            try:
                results = runner.run_batch(batch)
            except (DocsTestError, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
                results = {block: ('could not run the batch: %s' % exc, '') for block in batch}
            took = '%.1fs for %d task lists in one ansible-playbook run' % (time.monotonic() - began, len(batch))
            for block in batch:
                report(block, *results[block], took)
        for block in runnable:
            if block in batch:
                continue
            began = time.monotonic()
            try:
                error, output = runner.run_block(block)
            except (DocsTestError, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
                error, output = 'could not run it: %s' % exc, ''
            report(block, error, output, '%.1fs' % (time.monotonic() - began))
    finally:
        runner.close()
        if not args.keep and not failures:
            shutil.rmtree(os.path.join(args.workdir, 'blocks'), ignore_errors=True)
    print('docs-test: %.0fs; %s' % (time.monotonic() - started, ', '.join(block.label for block in failures) or 'all passed'))
    print('%d passed, %d failed' % (len(runnable) - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
