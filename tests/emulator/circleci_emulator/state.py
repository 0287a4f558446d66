"""Domain state of the emulator: user, tokens, projects, env vars, keys, builds, artifacts, and the build clock."""
# pylint: disable=too-many-arguments

from __future__ import annotations

import copy
import datetime
import hashlib
import os
import posixpath
import re
import threading
import time
from urllib.parse import quote

import yaml

from . import keys

SEED_EPOCH = 1717243200.0  # 2024-06-01T12:00:00Z: seeded build n was queued at SEED_EPOCH + n hours
QUEUE_SECONDS = 2.0
RUN_SECONDS = 5.0
ENV_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
VCS_ALIASES = {'github': 'github', 'gh': 'github', 'bitbucket': 'bitbucket', 'bb': 'bitbucket'}
VCS_HOST = {'github': 'github.com', 'bitbucket': 'bitbucket.org'}
VCS_SHORT = {'github': 'gh', 'bitbucket': 'bb'}
SHALLOW_FIELDS = (
    'vcs_url', 'build_url', 'build_num', 'branch', 'vcs_revision', 'committer_name', 'committer_email', 'subject', 'body',
    'why', 'dont_build', 'queued_at', 'start_time', 'stop_time', 'build_time_millis', 'username', 'reponame', 'lifecycle',
    'outcome', 'status', 'retry_of', 'previous',
)
DEFAULT_SEED_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'default_seed.yml')


class ApiError(Exception):
    """An API answer other than success: status and JSON body (or None for the HTML 404 page)."""

    def __init__(self, status: int, message=None, body=None):
        super().__init__(message or str(status))
        self.status = status
        if body is None and message is not None:
            body = {'message': message}
        self.body = body


def iso(ts) -> str | None:
    """Epoch seconds to the API's ISO form with milliseconds and Z."""
    if ts is None:
        return None
    dt = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    return dt.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (dt.microsecond // 1000)


def mask(value: str) -> str:
    """Mask like the API: "xxxx" plus the last four characters; values shorter than 4 give just "xxxx"."""
    value = '' if value is None else str(value)
    if len(value) < 4:
        return 'xxxx'
    return 'xxxx' + value[-4:]


class Clock:
    """Emulator clock: real time, sped up by a scale factor and advanced on demand."""

    def __init__(self, scale: float = 1.0):
        self._lock = threading.Lock()
        self._initial_scale = float(scale)
        self.reset()

    def reset(self):
        """Back to real time now with the start-up scale."""
        with self._lock:
            self._anchor = time.time()
            self._mono = time.monotonic()
            self.scale = self._initial_scale

    def now(self) -> float:
        """Current emulator time in epoch seconds."""
        with self._lock:
            return self._anchor + (time.monotonic() - self._mono) * self.scale

    def advance(self, seconds: float):
        """Jump forward."""
        with self._lock:
            self._anchor += float(seconds)

    def set_scale(self, scale: float):
        """Change the speed, keeping the current time."""
        current = self.now()
        with self._lock:
            self._anchor = current
            self._mono = time.monotonic()
            self.scale = float(scale)


def load_seed(seed) -> dict:
    """Load a seed from "default", a path (YAML or JSON), YAML/JSON text, or a dict."""
    if seed is None or seed == 'default':
        seed = DEFAULT_SEED_PATH
    if isinstance(seed, dict):
        return copy.deepcopy(seed)
    if isinstance(seed, bytes):
        seed = seed.decode('utf-8')
    if isinstance(seed, str) and '\n' not in seed and os.path.exists(seed):
        with open(seed, encoding='utf-8') as handle:
            seed = handle.read()
    data = yaml.safe_load(seed)
    if not isinstance(data, dict):
        raise ValueError('seed must be a mapping')
    return data


class State:  # pylint: disable=too-many-public-methods
    """All mutable API state. Every public method takes the lock."""

    def __init__(self, seed_data: dict, clock: Clock, key_cache: dict):
        self.lock = threading.RLock()
        self.clock = clock
        self.artifact_base = 'http://127.0.0.1:0'
        self.storage_base = 'http://127.0.0.1:0'
        self._key_cache = key_cache
        self.blobs = {}
        self._load(seed_data)

    # ------------------------------------------------------------------ seed
    def _cached_key(self, cache_key, kind):
        if cache_key not in self._key_cache:
            self._key_cache[cache_key] = keys.generate_key(kind)
        return self._key_cache[cache_key]

    def _load(self, seed: dict):
        user = seed.get('user') or {}
        self.user = {
            'login': user.get('login', 'acme-bot'),
            'name': user.get('name', 'Acme Bot'),
            'heroku_api_key': user.get('heroku_api_key'),
            'user_key_fingerprint': user.get('user_key_fingerprint'),
        }
        toks = seed.get('tokens') or {}
        self.tokens = {}
        if toks.get('user'):
            self.tokens[toks['user']] = {'kind': 'user'}
        if toks.get('read_only'):
            self.tokens[toks['read_only']] = {'kind': 'read_only'}
        proj_tok = toks.get('project')
        if isinstance(proj_tok, dict) and proj_tok.get('token'):
            self.tokens[proj_tok['token']] = {'kind': 'project', 'project': proj_tok.get('project')}
        for extra in toks.get('extra', []) or []:
            self.tokens[extra['token']] = {'kind': extra.get('kind', 'user'), 'project': extra.get('project')}
        self.token_names = {
            'user': toks.get('user'),
            'read_only': toks.get('read_only'),
            'project': proj_tok.get('token') if isinstance(proj_tok, dict) else None,
        }
        self.projects = {}
        self.blobs = {}
        for index, pdata in enumerate(seed.get('projects') or []):
            self._load_project(index, pdata)
        # imported here because state_v2 imports this module
        from .state_v2 import V2State  # pylint: disable=import-outside-toplevel
        self.v2 = V2State(self, seed)

    def _load_project(self, index, pdata):
        slug = pdata['slug']
        vcs, username, reponame = slug.split('/')
        vcs = VCS_ALIASES.get(vcs, vcs)
        slug = '%s/%s/%s' % (vcs, username, reponame)
        proj = {
            'slug': slug, 'vcs': vcs, 'username': username, 'reponame': reponame,
            'id': 9485764 + index * 1111,
            'followed': bool(pdata.get('followed', True)),
            'default_branch': pdata.get('default_branch', 'master'),
            'language': pdata.get('language'),
            'env_vars': {},
            'checkout_keys': [],
            'ssh_keys': [],
            'builds': {},
            'cache_clears': 0,
            'has_usable_key': True,
        }
        self.projects[slug] = proj
        for env in pdata.get('env_vars') or []:
            proj['env_vars'][str(env['name'])] = str(env['value'])
        for kidx, ck in enumerate(pdata.get('checkout_keys') or []):
            pub = self._cached_key(('checkout', slug, kidx), 'rsa')[1]
            proj['checkout_keys'].append({
                'type': ck.get('type', 'deploy-key'), 'public_key': pub,
                'time': SEED_EPOCH - 86400 * (30 - kidx),
                'login': self.user['login'] if ck.get('type') == 'github-user-key' else None,
            })
        for kidx, sk in enumerate(pdata.get('ssh_keys') or []):
            if sk.get('private_key'):
                pub = keys.parse_private_key(sk['private_key'])
            else:
                pub = self._cached_key(('ssh', slug, kidx), sk.get('generate', 'ed25519'))[1]
            proj['ssh_keys'].append({'hostname': sk.get('hostname'), 'public_key': pub})
        bspec = pdata.get('builds') or {}
        branches = bspec.get('branches') or [proj['default_branch']]
        artifacts = {int(k): v for k, v in (pdata.get('artifacts') or {}).items()}
        tests = {int(k): v for k, v in (pdata.get('tests') or {}).items()}
        for num in range(1, int(bspec.get('count', 0)) + 1):
            branch = branches[num % len(branches)] if len(branches) > 1 else branches[0]
            if num == int(bspec.get('count', 0)) and len(branches) > 1:
                branch = branches[0]
            build = self._new_build(proj, num, branch, why='github', queued_at=SEED_EPOCH + num * 3600.0 - 86400 * 365)
            build['run_seconds'] = 40.0 + (num * 7) % 60
            build['queue_seconds'] = 3.0
            build['artifacts'] = [self._make_artifact(proj, num, a) for a in artifacts.get(num, [])]
            build['tests'] = self._make_tests(tests.get(num))
            proj['builds'][num] = build

    def _make_tests(self, spec):
        if not spec:
            return []
        if isinstance(spec, list):
            return spec
        out = []
        results = ['success'] * 15 + ['failure'] * 3 + ['skipped'] * 2
        for i in range(int(spec.get('generate', 20))):
            result = results[i % len(results)]
            out.append({
                'classname': 'tests.test_module_%d' % (i % 4),
                'file': 'tests/test_module_%d.py' % (i % 4),
                'name': 'test_case_%02d' % i,
                'result': result,
                'run_time': round(0.01 + (i * 37 % 100) / 100.0, 6),
                'message': 'AssertionError: expected 1, got 2' if result == 'failure' else None,
                'source': 'pytest',
                'source_type': 'pytest',
            })
        return out

    def _make_artifact(self, proj, num, spec):
        path = spec['path']
        node = int(spec.get('node_index', 0))
        blob_id = hashlib.sha1(('%s/%d/%d/%s' % (proj['slug'], num, node, path)).encode()).hexdigest()[:20]  # nosec
        if 'size' in spec:
            self.blobs[blob_id] = {'size': int(spec['size']), 'content': None, 'name': posixpath.basename(path)}
        else:
            self.blobs[blob_id] = {'content': str(spec.get('content', '')).encode('utf-8'), 'name': posixpath.basename(path)}
        return {'path': path, 'pretty_path': spec.get('pretty_path', path), 'node_index': node, 'blob': blob_id}

    def _new_build(self, proj, num, branch, why, queued_at, **extra):
        rev = hashlib.sha1(('%s-%d-%s' % (proj['slug'], num, branch)).encode()).hexdigest()  # nosec
        build = {
            'build_num': num, 'branch': branch, 'vcs_revision': rev, 'vcs_tag': None,
            'subject': 'Change %d on %s' % (num, branch), 'body': '',
            'committer_name': 'Acme Dev', 'committer_email': 'dev@acme.example',
            'why': why, 'queued_at': queued_at, 'queue_seconds': QUEUE_SECONDS, 'run_seconds': RUN_SECONDS,
            'planned_outcome': 'failed' if 'fail' in branch else 'success',
            'initial_status': 'not_running', 'canceled_at': None, 'dont_build': None,
            'retry_of': None, 'retries': [], 'build_parameters': None, 'parallel': 1, 'ssh_users': [],
            'artifacts': [], 'tests': [], 'user_login': None,
        }
        build.update(extra)
        return build

    # ------------------------------------------------------------------ auth
    def token_info(self, token):
        """Return (kind, info) for a token string."""
        if not token:
            return 'none', None
        info = self.tokens.get(token)
        if info is None:
            return 'invalid', None
        return info['kind'], info

    # ------------------------------------------------------------------ projects
    def project(self, vcs, username, reponame, token_info=None):
        """Find a project or raise the recorded 404."""
        vcs = VCS_ALIASES.get(vcs, vcs)
        slug = '%s/%s/%s' % (vcs, username, reponame)
        proj = self.projects.get(slug)
        if proj is None:
            raise ApiError(404, 'Project not found')
        if token_info and token_info.get('kind') == 'project' and token_info.get('project') != slug:
            raise ApiError(404, 'Project not found')
        return proj

    def vcs_url(self, proj):
        """The repository URL."""
        return 'https://%s/%s/%s' % (VCS_HOST[proj['vcs']], proj['username'], proj['reponame'])

    def build_status(self, build, now=None):
        """Compute lifecycle, status, outcome, start and stop times of a build at emulator time now."""
        if now is None:
            now = self.clock.now()
        queued = build['queued_at']
        start = queued + build['queue_seconds']
        stop = start + build['run_seconds']
        if build['dont_build']:
            return {'lifecycle': 'not_run', 'status': 'not_run', 'outcome': None, 'start': None, 'stop': None}
        if build['canceled_at'] is not None:
            cstart = start if build['canceled_at'] >= start else None
            return {'lifecycle': 'finished', 'status': 'canceled', 'outcome': 'canceled', 'start': cstart, 'stop': build['canceled_at']}
        if now < start:
            init = build['initial_status']
            return {'lifecycle': init, 'status': init, 'outcome': None, 'start': None, 'stop': None}
        if now < stop:
            return {'lifecycle': 'running', 'status': 'running', 'outcome': None, 'start': start, 'stop': None}
        outcome = build['planned_outcome']
        return {'lifecycle': 'finished', 'status': outcome, 'outcome': outcome, 'start': start, 'stop': stop}

    def _brief(self, build, now):
        if build is None:
            return None
        st = self.build_status(build, now)
        millis = int((st['stop'] - st['start']) * 1000) if st['start'] is not None and st['stop'] is not None else None
        return {'build_num': build['build_num'], 'status': st['status'], 'build_time_millis': millis or 0}

    def _user_obj(self, build):
        if build['why'] in ('api', 'first-build') and not build['user_login']:
            return {'is_user': False, 'login': 'none'}
        return {'is_user': True, 'login': self.user['login'], 'avatar_url': 'https://avatars.example/u/4242?v=4',
                'name': self.user['name'], 'vcs_type': 'github', 'id': 4242}

    def render_build(self, proj, build, now=None, full=False, shallow=False):
        """Build summary (or full details) as the API shows it."""
        if now is None:
            now = self.clock.now()
        st = self.build_status(build, now)
        num = build['build_num']
        previous = None
        previous_ok = None
        for other in range(num - 1, 0, -1):
            ob = proj['builds'].get(other)
            if ob is None:
                continue
            if previous is None:
                previous = ob
            if self.build_status(ob, now)['outcome'] == 'success':
                previous_ok = ob
                break
        millis = int((st['stop'] - st['start']) * 1000) if st['start'] is not None and st['stop'] is not None else None
        vcs_url = self.vcs_url(proj)
        commit = {
            'committer_date': iso(build['queued_at'] - 60), 'body': build['body'], 'branch': build['branch'],
            'author_date': iso(build['queued_at'] - 60), 'committer_email': build['committer_email'],
            'commit': build['vcs_revision'], 'committer_login': 'acme-dev', 'committer_name': build['committer_name'],
            'subject': build['subject'], 'commit_url': '%s/commit/%s' % (vcs_url, build['vcs_revision']),
            'author_login': 'acme-dev', 'author_name': build['committer_name'], 'author_email': build['committer_email'],
        }
        finished = st['lifecycle'] == 'finished'
        data = {
            'compare': None,
            'previous_successful_build': self._brief(previous_ok, now),
            'build_parameters': build['build_parameters'],
            'oss': self.v2.is_oss(proj),
            'all_commit_details_truncated': False,
            'committer_date': commit['committer_date'],
            'body': build['body'],
            'usage_queued_at': iso(build['queued_at']),
            'fail_reason': None,
            'retry_of': build['retry_of'],
            'reponame': proj['reponame'],
            'ssh_users': list(build['ssh_users']),
            'build_url': 'https://circleci.com/%s/%s/%s/%d' % (VCS_SHORT[proj['vcs']], proj['username'], proj['reponame'], num),
            'parallel': build['parallel'],
            'failed': True if st['outcome'] == 'failed' else None,
            'branch': build['branch'],
            'username': proj['username'],
            'author_date': commit['author_date'],
            'why': build['why'],
            'user': self._user_obj(build),
            'vcs_revision': build['vcs_revision'],
            'vcs_tag': build['vcs_tag'],
            'build_num': num,
            'infrastructure_fail': False,
            'committer_email': build['committer_email'],
            'has_artifacts': bool(build['artifacts']) and finished,
            'previous': self._brief(previous, now),
            'status': st['status'],
            'committer_name': build['committer_name'],
            'retries': list(build['retries']) or None,
            'subject': build['subject'],
            'vcs_type': proj['vcs'],
            'timedout': False,
            'dont_build': build['dont_build'],
            'lifecycle': st['lifecycle'],
            'no_dependency_cache': False,
            'stop_time': iso(st['stop']),
            'ssh_disabled': False,
            'build_time_millis': millis,
            'circle_yml': {'string': 'version: 2.1\n'} if finished else None,
            'messages': ([{'type': 'error', 'message': 'We did not test this push because nobody is following the project'}]
                         if build['dont_build'] else []),
            'is_first_green_build': False,
            'job_name': None,
            'start_time': iso(st['start']),
            'canceler': None,
            'all_commit_details': [commit],
            'outcome': st['outcome'],
            'vcs_url': vcs_url,
            'author_name': build['committer_name'],
            'node': None,
            'queued_at': iso(build['queued_at']),
            'canceled': st['status'] == 'canceled',
            'author_email': build['committer_email'],
        }
        if shallow:
            return {k: data[k] for k in SHALLOW_FIELDS}
        if full:
            data['steps'] = self._steps(build, st)
            data['owners'] = [proj['username']]
            data['pull_requests'] = []
            data['platform'] = '2.0'
            data['picard'] = None
            if st['start'] is not None:
                data['node'] = [{'public_ip_addr': '10.0.0.%d' % (num % 250 + 1), 'port': 64535, 'username': 'circleci',
                                 'image_id': 'circleci/emulator', 'ssh_enabled': bool(build['ssh_users'])}]
        return data

    def _steps(self, build, st):  # pylint: disable=unused-argument
        if st['start'] is None:
            return []
        names = ['Spin up environment', 'Checkout code', 'Run tests']
        steps = []
        now_stop = st['stop']
        for idx, name in enumerate(names):
            failed_step = idx == len(names) - 1 and st['outcome'] == 'failed'
            steps.append({'name': name, 'actions': [{
                'name': name, 'bash_command': None if idx == 0 else name.lower(), 'index': 0, 'step': idx,
                'type': 'test' if idx == 2 else 'infrastructure', 'status': ('failed' if failed_step else 'success') if now_stop else 'running',
                'exit_code': (1 if failed_step else 0) if now_stop else None, 'failed': True if failed_step else None,
                'start_time': iso(st['start']), 'end_time': iso(now_stop), 'run_time_millis': 1000 if now_stop else None,
                'messages': [], 'infrastructure_fail': None, 'timedout': None, 'continue': None, 'parallel': False,
                'has_output': True, 'canceled': None,
            }]})
        return steps

    # ------------------------------------------------------------------ build lists
    def list_builds(self, projects, limit, offset, filt, shallow, branch=None):
        """Builds of the given projects, newest first, filtered and paginated."""
        now = self.clock.now()
        rows = []
        for proj in projects:
            for build in proj['builds'].values():
                if branch is not None and build['branch'] != branch:
                    continue
                rows.append((proj, build))
        rows.sort(key=lambda pb: (pb[1]['queued_at'], pb[1]['build_num']), reverse=True)
        out = []
        skipped = 0
        for proj, build in rows:
            if filt:
                st = self.build_status(build, now)
                if filt == 'completed' and st['lifecycle'] != 'finished':
                    continue
                if filt == 'successful' and st['outcome'] != 'success':
                    continue
                if filt == 'failed' and st['outcome'] not in ('failed', 'timedout', 'infrastructure_fail'):
                    continue
                if filt == 'running' and st['lifecycle'] not in ('running',):
                    continue
            if skipped < offset:
                skipped += 1
                continue
            if len(out) >= limit:
                break
            out.append(self.render_build(proj, build, now, shallow=shallow))
        return out

    def branches(self, proj, style='settings'):
        """The branches map of settings (style 'settings') or /projects (style 'projects')."""
        now = self.clock.now()
        per = {}
        for build in sorted(proj['builds'].values(), key=lambda b: b['build_num'], reverse=True):
            per.setdefault(build['branch'], []).append(build)
        out = {}
        for branch, builds in per.items():
            key = quote(branch, safe='')
            recent = []
            running = []
            last_ok = None
            last_bad = None
            for build in builds:
                st = self.build_status(build, now)
                if style == 'settings':
                    item = {'build_num': build['build_num'], 'status': st['status'], 'outcome': st['outcome'] or '',
                            'added-at': iso(build['queued_at'])}
                else:
                    item = {'added_at': iso(build['queued_at']), 'pushed_at': iso(build['queued_at'] - 30),
                            'vcs_revision': build['vcs_revision'], 'build_num': build['build_num'],
                            'status': st['status'], 'outcome': st['outcome'] or ''}
                if st['lifecycle'] != 'finished' and len(running) < 5:
                    running.append(item)
                if len(recent) < 5:
                    recent.append(item)
                if st['outcome'] == 'success' and last_ok is None:
                    last_ok = item
                if st['outcome'] not in ('success', None) and last_bad is None:
                    last_bad = item
            entry = {'running_builds': running, 'recent_builds': recent, 'pusher_logins': ['acme-dev']}
            if style == 'projects':
                if last_ok:
                    entry['last_success'] = last_ok
                if last_bad:
                    entry['last_non_success'] = last_bad
            out[key] = entry
        return out

    def ssh_key_list(self, proj):
        """ssh_keys as shown in settings and /projects."""
        return [{'hostname': k['hostname'], 'public_key': k['public_key'], 'fingerprint': keys.md5_fingerprint(k['public_key'])}
                for k in proj['ssh_keys']]

    def settings(self, proj):
        """GET .../settings body (feature_flags follow the project's v2 advanced settings)."""
        data = {
            'irc_server': None,
            'scopes': ['write-settings', 'view-builds', 'read-settings', 'trigger-builds', 'all', 'status', 'none'],
            'irc_keyword': None, 'followed': proj['followed'], 'vcs-type': proj['vcs'], 'aws': {'keypair': None},
            'slack_webhook_url': None, 'flowdock_api_token': None, 'parallel': 1, 'username': proj['username'],
            'campfire_room': None, 'extra': '', 'branches': self.branches(proj, 'settings'), 'jira': None,
            'slack_subdomain': None, 'setup': '', 'campfire_subdomain': None, 'slack_notify_prefs': None,
            'irc_password': None, 'vcs_url': self.vcs_url(proj), 'default_branch': proj['default_branch'],
            'hipchat_api_token': None, 'irc_username': None, 'language': proj['language'],
            'slack_channel_override': None, 'hipchat_notify': None, 'slack_api_token': None,
            'has_usable_key': bool(proj['checkout_keys']) or proj['has_usable_key'], 'irc_notify_prefs': None,
            'campfire_token': None, 'slack_channel': None,
            'feature_flags': {'trusty-beta': False, 'osx': False, 'set-github-status': True, 'build-prs-only': False,
                              'forks-receive-secret-env-vars': False, 'fleet': None, 'build-fork-prs': False,
                              'autocancel-builds': False, 'junit': True, 'oss': False},
            'campfire_notify_prefs': None, 'hipchat_room': None, 'post_dependencies': '', 'heroku_deploy_user': None,
            'irc_channel': None, 'oss': False, 'reponame': proj['reponame'], 'hipchat_notify_prefs': None,
            'compile': '', 'dependencies': '', 'test': '', 'ssh_keys': self.ssh_key_list(proj),
        }
        self.v2.apply_feature_flags(proj, data)
        return data

    def project_entry(self, proj):
        """One element of GET /projects."""
        sett = self.settings(proj)
        entry = {k: v for k, v in sett.items() if k not in ('vcs-type', 'jira', 'post_dependencies')}
        entry['vcs_type'] = proj['vcs']
        entry['branches'] = self.branches(proj, 'projects')
        return entry

    def me(self):
        """GET /me body."""
        heroku = self.user['heroku_api_key']
        return {
            'login': self.user['login'], 'name': self.user['name'], 'admin': False, 'basic_email_prefs': 'smart',
            'user_key_fingerprint': self.user['user_key_fingerprint'], 'days_left_in_trial': -1, 'trial_end': '2015-01-01T00:00:00.000Z',
            'heroku_api_key': mask(heroku) if heroku else None, 'avatar_url': 'https://avatars.example/u/4242?v=4',
            'selected_email': 'bot@acme.example', 'all_emails': ['bot@acme.example'], 'sign_in_count': 42,
            'created_at': '2015-01-01T00:00:00.000Z', 'github_id': 4242, 'bitbucket': None, 'bitbucket_authorized': False,
            'github_oauth_scopes': ['user:email', 'repo'], 'pusher_id': 'emulator-pusher', 'parallelism': 1,
            'containers': 1, 'projects': {self.vcs_url(p): {'on_dashboard': True, 'emails': 'default'}
                                          for p in self.projects.values() if p['followed']},
        }

    # ------------------------------------------------------------------ env vars
    def env_list(self, proj):
        """Env vars, masked, sorted by name."""
        return [{'name': n, 'value': mask(v)} for n, v in sorted(proj['env_vars'].items())]

    def env_set(self, proj, body):
        """Add or overwrite an env var."""
        if not isinstance(body, dict):
            raise ApiError(400, 'Request body must be a JSON object')
        name = body.get('name')
        value = body.get('value')
        if not isinstance(name, str) or not name:
            raise ApiError(400, 'name is required')
        if not ENV_NAME_RE.match(name):
            raise ApiError(400, 'Environment variable name must contain only letters, numbers and underscores and must not start with a number')
        if value is None:
            raise ApiError(400, 'value is required')
        if isinstance(value, (dict, list)):
            raise ApiError(400, 'value must be a string')
        value = value if isinstance(value, str) else str(value)
        proj['env_vars'][name] = value
        self.v2.env_written(proj, name)
        return {'name': name, 'value': mask(value)}

    # ------------------------------------------------------------------ checkout keys
    def _preferred_index(self, proj):
        for idx, key in enumerate(proj['checkout_keys']):
            if key['type'] == 'github-user-key':
                return idx
        return 0 if proj['checkout_keys'] else None

    def checkout_key_view(self, proj, idx, digest='md5'):
        """One checkout key as the API shows it."""
        key = proj['checkout_keys'][idx]
        fpr = keys.sha256_fingerprint(key['public_key']) if digest == 'sha256' else keys.md5_fingerprint(key['public_key'])
        return {'public_key': key['public_key'] + ' \n', 'type': key['type'], 'fingerprint': fpr, 'login': key['login'],
                'preferred': idx == self._preferred_index(proj), 'time': iso(key['time'])}

    def find_checkout_key(self, proj, fingerprint):
        """Index of the checkout key with that MD5 or SHA256 fingerprint."""
        for idx, key in enumerate(proj['checkout_keys']):
            if fingerprint in (keys.md5_fingerprint(key['public_key']), keys.sha256_fingerprint(key['public_key'])):
                return idx
        raise ApiError(404, 'checkout key not found')

    def create_checkout_key(self, proj, body):
        """Generate a real RSA key pair and store the public half."""
        ktype = body.get('type') if isinstance(body, dict) else None
        if ktype not in ('deploy-key', 'github-user-key'):
            raise ApiError(400, "Invalid type: must be 'deploy-key' or 'github-user-key'")
        pub = keys.generate_key('rsa')[1]
        proj['checkout_keys'].append({'type': ktype, 'public_key': pub, 'time': self.clock.now(),
                                      'login': self.user['login'] if ktype == 'github-user-key' else None})
        return len(proj['checkout_keys']) - 1

    # ------------------------------------------------------------------ ssh keys
    def add_ssh_key(self, proj, body):
        """Parse the private key for real; store hostname + public key (duplicates kept)."""
        if not isinstance(body, dict):
            raise ApiError(400, 'it looks like private key is invalid key.  Double check')
        try:
            pub = keys.parse_private_key(body.get('private_key'))
        except keys.InvalidKey as exc:
            raise ApiError(400, 'it looks like private key is invalid key.  Double check') from exc
        hostname = body.get('hostname')
        proj['ssh_keys'].append({'hostname': hostname if isinstance(hostname, str) else None, 'public_key': pub})

    def delete_ssh_key(self, proj, body):
        """Remove keys matching fingerprint (MD5 or SHA256) and, if given, hostname."""
        if not isinstance(body, dict) or not isinstance(body.get('fingerprint'), str) or not body.get('fingerprint'):
            raise ApiError(400, 'fingerprint is required')
        fpr = body['fingerprint']
        host = body.get('hostname')
        keep = []
        for key in proj['ssh_keys']:
            match = fpr in (keys.md5_fingerprint(key['public_key']), keys.sha256_fingerprint(key['public_key']))
            if match and (not host or host == key['hostname']):
                continue
            keep.append(key)
        proj['ssh_keys'] = keep

    # ------------------------------------------------------------------ builds
    def get_build(self, proj, num):
        """A build or the 404."""
        build = proj['builds'].get(num)
        if build is None:
            raise ApiError(404, 'Build not found')
        return build

    def trigger(self, proj, branch=None, revision=None, tag=None, parallel=None, build_parameters=None, why='api',
                initial='not_running', retry_of=None):
        """Create a new build; it lives on the emulator clock."""
        num = max(proj['builds'], default=0) + 1
        branch = branch or proj['default_branch']
        build = self._new_build(proj, num, branch, why=why, queued_at=self.clock.now())
        if revision:
            build['vcs_revision'] = revision
        build['vcs_tag'] = tag
        if tag:
            build['branch'] = None if branch == proj['default_branch'] and not revision else branch
            build['planned_outcome'] = 'failed' if 'fail' in tag else build['planned_outcome']
        build['subject'] = None if why == 'api' else build['subject']
        build['build_parameters'] = build_parameters if build_parameters is not None else ({} if why == 'api' else None)
        build['parallel'] = int(parallel) if isinstance(parallel, int) and parallel > 0 else 1
        build['initial_status'] = initial
        build['retry_of'] = retry_of
        if not proj['followed']:
            build['dont_build'] = 'no-followers'
        for spec in ({'path': 'report/index.html', 'content': '<html><body>build %d</body></html>\n' % num},
                     {'path': 'test-results/junit.xml', 'content': '<?xml version="1.0"?>\n<testsuite tests="1"/>\n'}):
            build['artifacts'].append(self._make_artifact(proj, num, spec))
        build['tests'] = [{'classname': 'tests.smoke', 'file': 'tests/smoke.py', 'name': 'test_smoke',
                           'result': 'failure' if build['planned_outcome'] == 'failed' else 'success', 'run_time': 0.5,
                           'message': None, 'source': 'pytest', 'source_type': 'pytest'}]
        proj['builds'][num] = build
        return build

    def retry(self, proj, num, ssh=False):
        """Retry a build (optionally with SSH enabled)."""
        old = self.get_build(proj, num)
        new = self.trigger(proj, branch=old['branch'], revision=old['vcs_revision'], why='retry', initial='scheduled', retry_of=num)
        new['subject'] = old['subject']
        new['user_login'] = self.user['login']
        new['build_parameters'] = old['build_parameters']
        if ssh:
            new['ssh_users'] = [{'github_id': 4242, 'login': self.user['login']}]
        old['retries'].append(new['build_num'])
        return new

    def cancel(self, proj, num):
        """Cancel a queued or running build."""
        build = self.get_build(proj, num)
        st = self.build_status(build)
        if st['lifecycle'] != 'finished' and not build['dont_build']:
            build['canceled_at'] = self.clock.now()
        return build

    def latest_build(self, proj, branch, filt):
        """Latest build for latest/artifacts."""
        now = self.clock.now()
        filt = filt or 'completed'
        for build in sorted(proj['builds'].values(), key=lambda b: b['build_num'], reverse=True):
            if branch and build['branch'] != branch:
                continue
            st = self.build_status(build, now)
            if filt == 'completed' and st['lifecycle'] != 'finished':
                continue
            if filt == 'successful' and st['outcome'] != 'success':
                continue
            if filt == 'failed' and st['outcome'] != 'failed':
                continue
            return build
        raise ApiError(404, 'Build not found')

    def artifact_url(self, proj, build, art):
        """URL of an artifact on the artifacts listener (build number and project id stand for the real host name)."""
        segs = []
        for seg in art['path'].split('/'):
            segs.append('%2E' * len(seg) if seg in ('.', '..') else quote(seg, safe=''))
        return '%s/%d-%d-%s/%d/%s' % (self.artifact_base, build['build_num'], proj['id'], VCS_SHORT[proj['vcs']],
                                      art['node_index'], '/'.join(segs).lstrip('/'))

    def artifacts(self, proj, build):
        """Artifact list of a finished build."""
        if self.build_status(build)['lifecycle'] != 'finished':
            return []
        return [{'path': a['path'], 'pretty_path': a['pretty_path'], 'node_index': a['node_index'],
                 'url': self.artifact_url(proj, build, a)} for a in build['artifacts']]

    def resolve_artifact(self, host_key, node, path):
        """Find (project, build, artifact) for an artifacts-listener request."""
        match = re.match(r'^(\d+)-(\d+)-(gh|bb)$', host_key)
        if not match:
            return None
        num, pid = int(match.group(1)), int(match.group(2))
        for proj in self.projects.values():
            if proj['id'] != pid:
                continue
            build = proj['builds'].get(num)
            if build is None or self.build_status(build)['lifecycle'] != 'finished':
                return None
            for art in build['artifacts']:
                if art['node_index'] != node:
                    continue
                cands = {art['path'].lstrip('/'), posixpath.normpath('/' + art['path']).lstrip('/')}
                if path.lstrip('/') in cands or posixpath.normpath('/' + path).lstrip('/') in cands:
                    return proj, build, art
        return None

    # ------------------------------------------------------------------ admin view
    def dump(self):
        """Full state for test verification (clear values included)."""
        now = self.clock.now()
        projects = []
        for proj in self.projects.values():
            by_status = {}
            for build in proj['builds'].values():
                status = self.build_status(build, now)['status']
                by_status[status] = by_status.get(status, 0) + 1
            latest = sorted(proj['builds'].values(), key=lambda b: b['build_num'], reverse=True)[:10]
            projects.append({
                'slug': proj['slug'], 'vcs_type': proj['vcs'], 'username': proj['username'], 'reponame': proj['reponame'],
                'followed': proj['followed'], 'default_branch': proj['default_branch'],
                'env_vars': [{'name': n, 'value': v, 'masked': mask(v)} for n, v in sorted(proj['env_vars'].items())],
                'checkout_keys': [dict(self.checkout_key_view(proj, i), fingerprint_sha256=keys.sha256_fingerprint(k['public_key']))
                                  for i, k in enumerate(proj['checkout_keys'])],
                'ssh_keys': [dict(k, fingerprint=keys.md5_fingerprint(k['public_key']),
                                  fingerprint_sha256=keys.sha256_fingerprint(k['public_key'])) for k in proj['ssh_keys']],
                'build_cache_clears': proj['cache_clears'],
                'builds': {'count': len(proj['builds']), 'latest_build_num': max(proj['builds'], default=None),
                           'by_status': by_status,
                           'latest': [{'build_num': b['build_num'], 'branch': b['branch'], 'why': b['why'],
                                       **{k: v for k, v in self.build_status(b, now).items() if k in ('lifecycle', 'status', 'outcome')}}
                                      for b in latest]},
            })
        out = {'user': dict(self.user), 'projects': projects, 'clock': {'now': iso(now), 'scale': self.clock.scale}}
        out.update(self.v2.dump())
        return out
