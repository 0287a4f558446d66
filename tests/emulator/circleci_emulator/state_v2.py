"""API v2 state: organizations, project identities and advanced settings, standalone projects, VCS repositories not
yet set up, contexts, webhooks, schedules, OIDC claims, and the paging tokens.

It lives beside the v1.1 ``State`` (as ``state.v2``) and shares its projects: a classic (GitHub OAuth / Bitbucket)
project *is* the v1.1 project dict, so environment variables and checkout keys are one set seen by both APIs.
Standalone projects (GitHub App, GitLab, standalone: ``circleci/<org id>/<project id>``) live only here, so v1.1 never
finds them. All methods run under the emulator lock (the router and the admin API take it). Errors are ``ApiError``.
"""

from __future__ import annotations

import datetime
import re
import secrets
import uuid

from . import keys
from .state import ApiError, ENV_NAME_RE, SEED_EPOCH, VCS_ALIASES, VCS_HOST, mask

NAMESPACE = uuid.UUID('5d0c8f3e-2b7a-4e61-9c4d-0a1b2c3d4e5f')  # derived ids: uuid5(NAMESPACE, "<kind>:<key>")
B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
SEED_MS = int((SEED_EPOCH - 30 * 86400) * 1000)  # 2024-05-02T12:00:00.000Z: "created" time of seeded v2 objects
ORG_PREFIX = {'github': 'gh', 'bitbucket': 'bb'}
PROVIDER = {'github': 'GitHub', 'bitbucket': 'Bitbucket', 'circleci': 'CircleCI'}
ADVANCED_DEFAULTS = {
    'autocancel_builds': False, 'build_fork_prs': False, 'build_prs_only': False, 'disable_ssh': False,
    'forks_receive_secret_env_vars': False, 'oss': False, 'set_github_status': True, 'setup_workflows': False,
    'write_settings_requires_admin': False, 'pr_only_branch_overrides': [],
}
# advanced setting -> v1.1 feature flag (the reference lists these as the same switches)
V11_FLAGS = {
    'autocancel_builds': 'autocancel-builds', 'build_fork_prs': 'build-fork-prs', 'build_prs_only': 'build-prs-only',
    'forks_receive_secret_env_vars': 'forks-receive-secret-env-vars', 'set_github_status': 'set-github-status', 'oss': 'oss',
}
WEEKDAYS = ('MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN')
MONTHS = ('JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC')
WEBHOOK_EVENTS = ('workflow-completed', 'job-completed')
TTL_RE = re.compile(r'^([0-9]+(ms|s|m|h|d|w)){1,7}$')
PROJECT_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$')
SYSTEM_ACTOR = {'id': 'd9b3fcaa-6032-405a-8c13-5d2d3f0afe3e', 'login': 'system-actor', 'name': 'Scheduled'}
OPTION_CHOICES = {'webhook_timestamps': ('underscore', 'hyphen', 'both'), 'absent_context_variable_delete': (404, 200)}
MAX_PAGE_TOKENS = 5000


# ---------------------------------------------------------------------- ids and times
def derived_id(kind: str, key: str) -> str:
    """A stable UUID for a seeded object that has no explicit id."""
    return str(uuid.uuid5(NAMESPACE, '%s:%s' % (kind, key)))


def b58encode(uid: str) -> str:
    """Base58 (Bitcoin alphabet) of the 16 UUID bytes, as CircleCI writes the ids of ``circleci/...`` slugs."""
    raw = uuid.UUID(uid).bytes
    num = int.from_bytes(raw, 'big')
    out = ''
    while num:
        num, rem = divmod(num, 58)
        out = B58[rem] + out
    pad = len(raw) - len(raw.lstrip(b'\0'))
    return '1' * pad + out


def b58decode(text: str):
    """The UUID a base58 id stands for, or None."""
    if not text or any(c not in B58 for c in text) or len(text) > 24:
        return None
    num = 0
    for char in text:
        num = num * 58 + B58.index(char)
    pad = len(text) - len(text.lstrip('1'))
    body = num.to_bytes((num.bit_length() + 7) // 8, 'big') if num else b''
    raw = b'\0' * pad + body
    if len(raw) != 16:
        return None
    return str(uuid.UUID(bytes=raw))


def parse_uuid(text):
    """Canonical UUID string, or None (strict: only the hyphenated form)."""
    if not isinstance(text, str) or len(text) != 36:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def parse_id(text):
    """UUID or base58 id → canonical UUID string, or None. Both forms name the same object."""
    return parse_uuid(text) or b58decode(text or '')


def iso_ms(ms):
    """Integer epoch milliseconds → ISO 8601 UTC with milliseconds (exact, no float rounding)."""
    if ms is None:
        return None
    dt = datetime.datetime.fromtimestamp(ms // 1000, tz=datetime.timezone.utc)
    return dt.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (ms % 1000)


def _bad(message):
    return ApiError(400, message)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _str_list(value):
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# ---------------------------------------------------------------------- state
class V2State:  # pylint: disable=too-many-instance-attributes,too-many-public-methods
    """Everything only API v2 knows; classic projects are borrowed from the v1.1 state."""

    def __init__(self, state, seed: dict):
        self.state = state
        self.clock = state.clock
        self._last_ms = 0
        self._seq = 0
        self.config = {'page_size': 20, 'webhook_timestamps': 'underscore', 'absent_context_variable_delete': 404}
        self.set_config(seed.get('api_v2') or {})
        self.user_id = str((seed.get('user') or {}).get('id') or derived_id('user', state.user['login']))
        toks = seed.get('tokens') or {}
        self.legacy_tokens = {t['token'] for t in (toks.get('extra') or []) if t.get('legacy_format')}
        self.page_tokens = {}
        self.orgs = []          # org records, seed order
        self.meta = {}          # project slug (v1.1 form, or circleci/<org uuid>/<project uuid>) -> v2 facts
        self.standalone = {}    # slug -> project dict (same shape as a v1.1 project)
        self.repositories = {}  # v1.1 slug -> VCS repository not yet set up on CircleCI
        self.contexts = {}
        self.webhooks = {}
        self.schedules = {}
        self.claims = {}        # (org id, project id or None) -> claims
        self._load(seed)

    # ------------------------------------------------------------------ helpers
    def stamp(self) -> int:
        """Now in epoch ms on the emulator clock, strictly later than every earlier stamp (tests see updates move)."""
        now = int(self.clock.now() * 1000)
        self._last_ms = max(now, self._last_ms + 1)
        return self._last_ms

    def next_seq(self) -> int:
        """Creation order of contexts, restrictions, webhooks, schedules."""
        self._seq += 1
        return self._seq

    def set_config(self, options: dict):
        """Apply emulator options (page size, webhook timestamp spelling, status of deleting an absent context var)."""
        for key, value in (options or {}).items():
            if key == 'page_size':
                if not _is_int(value) or value < 1:
                    raise ValueError('page_size must be a positive integer')
            elif key in OPTION_CHOICES:
                if value not in OPTION_CHOICES[key]:
                    raise ValueError('%s must be one of %s' % (key, ', '.join(str(c) for c in OPTION_CHOICES[key])))
            else:
                raise ValueError('unknown api_v2 option %r' % key)
            self.config[key] = value
        return dict(self.config)

    # ------------------------------------------------------------------ seed
    def _load(self, seed):
        for odata in seed.get('organizations') or []:
            org = self._add_org(odata)
            for pdata in odata.get('projects') or []:
                self._add_standalone(org, pdata)
        extras = {}
        for pdata in seed.get('projects') or []:
            vcs, user, repo = pdata['slug'].split('/')
            extras['%s/%s/%s' % (VCS_ALIASES.get(vcs, vcs), user, repo)] = pdata
        for slug, proj in self.state.projects.items():
            self._classic_meta(proj, extras.get(slug) or {})
        for rdata in seed.get('repositories') or []:
            vcs, user, repo = rdata['slug'].split('/')
            slug = '%s/%s/%s' % (VCS_ALIASES.get(vcs, vcs), user, repo)
            if slug not in self.state.projects:
                self.repositories[slug] = {
                    'slug': slug, 'default_branch': rdata.get('default_branch', 'main'),
                    'branches': list(rdata.get('branches') or [rdata.get('default_branch', 'main')]),
                    'has_config': bool(rdata.get('has_config', True)), 'language': rdata.get('language'),
                    'public': bool(rdata.get('public', False)), 'uuid': rdata.get('uuid'),
                }
        for cdata in seed.get('contexts') or []:
            self._seed_context(cdata)
        for wdata in seed.get('webhooks') or []:
            self._seed_webhook(wdata)
        for sdata in seed.get('schedules') or []:
            self._seed_schedule(sdata)
        for odata in seed.get('oidc_claims') or []:
            self._seed_claims(odata)

    def _add_org(self, odata):
        vcs = {'gh': 'github', 'bb': 'bitbucket'}.get(odata.get('vcs_type'), odata.get('vcs_type'))
        if vcs not in ('github', 'bitbucket', 'circleci'):
            raise ValueError('organization vcs_type must be github, bitbucket or circleci')
        oid = odata['id'] if 'id' in odata else derived_id('org', '%s/%s' % (vcs, odata['name']))
        org = {'id': str(oid) if oid else None, 'vcs_type': vcs, 'name': str(odata['name']),
               'avatar_url': odata.get('avatar_url') or 'https://avatars.example/o/%s.png' % odata['name'],
               'member': bool(odata.get('member', True))}
        self.orgs.append(org)
        return org

    def _classic_org(self, vcs, name):
        for org in self.orgs:
            if org['vcs_type'] == vcs and org['name'] == name:
                return org
        return self._add_org({'vcs_type': vcs, 'name': name})

    def _classic_meta(self, proj, pdata):
        org = self._classic_org(proj['vcs'], proj['username'])
        advanced = dict(ADVANCED_DEFAULTS, pr_only_branch_overrides=[])
        advanced.update(pdata.get('settings') or {})
        if pdata.get('oss'):
            advanced['oss'] = True
        meta = {'id': str(pdata.get('uuid') or derived_id('project', proj['slug'])), 'org_id': org['id'],
                'kind': 'classic', 'advanced': advanced, 'public': bool(pdata.get('public', pdata.get('oss', False))),
                'env_created': {name: SEED_MS for name in proj['env_vars']}}
        self.meta[proj['slug']] = meta
        return meta

    def _add_standalone(self, org, pdata):
        if org['vcs_type'] != 'circleci':
            raise ValueError('only circleci organizations hold standalone projects in the seed')
        pid = str(pdata.get('id') or derived_id('project', '%s/%s' % (org['id'], pdata['name'])))
        slug = 'circleci/%s/%s' % (org['id'], pid)
        proj = {'slug': slug, 'vcs': 'circleci', 'username': org['name'], 'reponame': str(pdata['name']), 'id': None,
                'followed': True, 'default_branch': pdata.get('default_branch', 'main'), 'language': None,
                'env_vars': {}, 'checkout_keys': [], 'ssh_keys': [], 'builds': {}, 'cache_clears': 0,
                'has_usable_key': True}
        for env in pdata.get('env_vars') or []:
            proj['env_vars'][str(env['name'])] = str(env['value'])
        for kidx, ck in enumerate(pdata.get('checkout_keys') or []):
            pub = self.state._cached_key(('checkout', slug, kidx), 'rsa')[1]  # pylint: disable=protected-access
            proj['checkout_keys'].append({'type': ck.get('type', 'deploy-key'), 'public_key': pub,
                                          'time': SEED_EPOCH - 86400 * (30 - kidx), 'login': None})
        advanced = dict(ADVANCED_DEFAULTS, pr_only_branch_overrides=[])
        advanced.update(pdata.get('settings') or {})
        self.standalone[slug] = proj
        self.meta[slug] = {'id': pid, 'org_id': org['id'], 'kind': 'standalone', 'advanced': advanced, 'public': False,
                           'env_created': {name: SEED_MS for name in proj['env_vars']}}
        return proj

    def _seed_project(self, ref):
        """A project named in the seed: v1.1 slug, circleci/<org name or id>/<project name or id>, or a project id."""
        parts = str(ref).split('/')
        if len(parts) == 3 and parts[0] == 'circleci':
            for slug, proj in self.standalone.items():
                meta = self.meta[slug]
                org = self.org_by_id(meta['org_id'])
                if parts[1] in (org['name'], org['id']) and parts[2] in (proj['reponame'], meta['id']):
                    return proj, meta
        found = self.find_project(parts) if len(parts) == 3 else self.project_by_id(str(ref))
        if found is None:
            raise ValueError('seed names an unknown project %r' % ref)
        return found

    def _seed_org(self, ref):
        org = self.org_by_slug(str(ref)) or self.org_by_id(str(ref))
        if org is None:
            for cand in self.orgs:
                if cand['vcs_type'] == 'circleci' and 'circleci/%s' % cand['name'] == ref:
                    return cand
            raise ValueError('seed names an unknown organization %r' % ref)
        return org

    def _seed_context(self, cdata):
        org = self._seed_org(cdata['owner'])
        cid = str(cdata.get('id') or derived_id('context', '%s/%s' % (org['id'], cdata['name'])))
        ctx = {'id': cid, 'name': str(cdata['name']), 'org_id': org['id'], 'created_at': SEED_MS + self._seq * 1000,
               'seq': self.next_seq(), 'variables': {}, 'restrictions': []}
        self.contexts[cid] = ctx
        for var in cdata.get('variables') or []:
            ctx['variables'][str(var['name'])] = {'value': str(var['value']), 'created_at': ctx['created_at'],
                                                  'updated_at': ctx['created_at']}
        for rdata in cdata.get('restrictions') or []:
            rtype = rdata.get('type', 'project')
            value = rdata.get('value')
            if rtype == 'project':
                value = self._seed_project(rdata.get('project') or value)[1]['id']
            ctx['restrictions'].append({'id': str(rdata.get('id') or derived_id('restriction', '%s/%s/%s' % (cid, rtype, value))),
                                        'type': rtype, 'value': str(value), 'seq': self.next_seq()})

    def _seed_webhook(self, wdata):
        meta = self._seed_project(wdata['project'])[1]
        wid = str(wdata.get('id') or derived_id('webhook', '%s/%s' % (meta['id'], wdata['name'])))
        self.webhooks[wid] = {'id': wid, 'name': wdata['name'], 'url': wdata['url'],
                              'events': list(wdata.get('events') or ['workflow-completed']),
                              'verify_tls': bool(wdata.get('verify_tls', True)), 'secret': str(wdata.get('signing_secret', '')),
                              'scope_id': meta['id'], 'scope_type': 'project', 'created_at': SEED_MS, 'updated_at': SEED_MS,
                              'seq': self.next_seq()}

    def _seed_schedule(self, sdata):
        proj, meta = self._seed_project(sdata['project'])
        sid = str(sdata.get('id') or derived_id('schedule', '%s/%s' % (meta['id'], sdata['name'])))
        self.schedules[sid] = {
            'id': sid, 'name': sdata['name'], 'description': sdata.get('description'), 'project': proj['slug'],
            'timetable': check_timetable(sdata['timetable']), 'parameters': check_parameters(sdata.get('parameters')),
            'actor': sdata.get('attribution_actor', 'current'), 'created_at': SEED_MS, 'updated_at': SEED_MS,
            'seq': self.next_seq()}

    def _seed_claims(self, odata):
        org = self._seed_org(odata['org'])
        pid = self._seed_project(odata['project'])[1]['id'] if odata.get('project') else None
        claims = self.claims.setdefault((org['id'], pid), {})
        if odata.get('audience') is not None:
            claims['audience'] = list(odata['audience'])
            claims['audience_updated_at'] = SEED_MS
        if odata.get('ttl') is not None:
            claims['ttl'] = str(odata['ttl'])
            claims['ttl_updated_at'] = SEED_MS

    # ------------------------------------------------------------------ organizations
    def org_by_id(self, oid):
        """Org record by UUID (or base58) id, or None."""
        oid = parse_id(oid) if oid else None
        for org in self.orgs:
            if oid and org['id'] == oid:
                return org
        return None

    def org_by_slug(self, text):
        """Org by slug: gh/<name>, github/<name>, bb/<name>, bitbucket/<name>, circleci/<uuid or base58 id>."""
        parts = str(text or '').split('/')
        if len(parts) != 2:
            return None
        vcs = VCS_ALIASES.get(parts[0], parts[0])
        if vcs == 'circleci':
            org = self.org_by_id(parts[1])
            return org if org and org['vcs_type'] == 'circleci' else None
        for org in self.orgs:
            if org['vcs_type'] == vcs and org['name'] == parts[1]:
                return org
        return None

    @staticmethod
    def org_slug(org):
        """The slug CircleCI answers for an org (circleci orgs: base58 id)."""
        if org['vcs_type'] == 'circleci':
            return 'circleci/%s' % b58encode(org['id'])
        return '%s/%s' % (ORG_PREFIX[org['vcs_type']], org['name'])

    def collaborations(self):
        """GET /me/collaborations: the member orgs, as a bare array."""
        return [{'id': o['id'], 'vcs-type': o['vcs_type'], 'name': o['name'], 'avatar_url': o['avatar_url'],
                 'slug': self.org_slug(o)} for o in self.orgs if o['member']]

    def owner_org(self, org, missing='Organization does not exist.'):
        """Raise unless org exists on CircleCI (has an id) and the user is a member of it."""
        if org is None or not org['id']:
            raise ApiError(404, missing)
        if not org['member']:
            raise ApiError(403, 'Permission denied.')
        return org

    # ------------------------------------------------------------------ projects
    def meta_of(self, proj):
        """v2 facts of a project (created for a classic project the v1.1 state gained later)."""
        meta = self.meta.get(proj['slug'])
        if meta is None:
            meta = self._classic_meta(proj, {})
        return meta

    def find_project(self, parts):
        """(project, meta) for slug parts [vcs, org, repo], or None. circleci ids may be UUIDs or base58."""
        vcs, org, name = parts
        vcs = VCS_ALIASES.get(vcs, vcs)
        if vcs in ('github', 'bitbucket'):
            proj = self.state.projects.get('%s/%s/%s' % (vcs, org, name))
            return (proj, self.meta_of(proj)) if proj else None
        if vcs == 'circleci':
            oid, pid = parse_id(org), parse_id(name)
            proj = self.standalone.get('circleci/%s/%s' % (oid, pid)) if oid and pid else None
            return (proj, self.meta[proj['slug']]) if proj and self._visible(self.meta[proj['slug']]) else None
        return None

    def _visible(self, meta):
        """Projects of an organization the user is not a member of are hidden, like unknown ones."""
        org = self.org_by_id(meta['org_id'])
        return org is None or org['member']

    def project_by_id(self, pid):
        """(project, meta) by project UUID, or None (also for projects the user cannot see)."""
        pid = parse_uuid(pid)
        if not pid:
            return None
        for proj in list(self.state.projects.values()) + list(self.standalone.values()):
            meta = self.meta_of(proj)
            if meta['id'] == pid:
                return (proj, meta) if self._visible(meta) else None
        return None

    def v2_slug(self, proj, meta):
        """The slug CircleCI answers: gh/<org>/<repo>, bb/..., circleci/<base58 org>/<base58 project>."""
        if meta['kind'] == 'standalone':
            return 'circleci/%s/%s' % (b58encode(meta['org_id']), b58encode(meta['id']))
        return '%s/%s/%s' % (ORG_PREFIX[proj['vcs']], proj['username'], proj['reponame'])

    def project_view(self, proj, meta):
        """GET /project/{slug} body."""
        org = self.org_by_id(meta['org_id']) or {'name': proj['username'], 'vcs_type': proj['vcs'], 'id': meta['org_id']}
        vcs_url = '' if meta['kind'] == 'standalone' else 'https://%s/%s/%s' % (VCS_HOST[proj['vcs']], proj['username'], proj['reponame'])
        return {'slug': self.v2_slug(proj, meta), 'name': proj['reponame'], 'id': meta['id'],
                'organization_name': org['name'], 'organization_slug': self.org_slug(org), 'organization_id': meta['org_id'],
                'vcs_info': {'vcs_url': vcs_url, 'provider': PROVIDER[proj['vcs']], 'default_branch': proj['default_branch']}}

    def _next_v11_index(self):
        used = {p['id'] for p in self.state.projects.values()}
        index = len(self.state.projects)
        while 9485764 + index * 1111 in used:
            index += 1
        return index

    def create_classic(self, vcs, org, name, check_config=True):
        """Set up a VCS repository as a CircleCI project, visible to v1.1 too (not followed, like the real service)."""
        vcs = VCS_ALIASES.get(vcs, vcs)
        slug = '%s/%s/%s' % (vcs, org, name)
        if slug in self.state.projects:
            raise ApiError(409, 'Project already exists.')
        repo = self.repositories.get(slug)
        if repo is None:
            raise ApiError(404, 'Project not found.')
        if check_config and ('main' not in repo['branches'] or not repo['has_config']):
            raise ApiError(404, 'Branch not found.')
        self.state._load_project(self._next_v11_index(), {  # pylint: disable=protected-access
            'slug': slug, 'followed': False, 'default_branch': repo['default_branch'], 'language': repo['language']})
        del self.repositories[slug]
        proj = self.state.projects[slug]
        meta = self._classic_meta(proj, {'uuid': repo['uuid'], 'public': repo['public']})
        return proj, meta

    def setup_for_follow(self, vcs, org, name):
        """v1.1 follow of a repository that is not a project yet sets it up (no config check), as the real follow does."""
        slug = '%s/%s/%s' % (VCS_ALIASES.get(vcs, vcs), org, name)
        if slug in self.repositories and slug not in self.state.projects:
            self.create_classic(vcs, org, name, check_config=False)

    def create_standalone(self, org, name):
        """POST /organization/{org-id}/project for a circleci org."""
        if not isinstance(name, str) or not PROJECT_NAME_RE.match(name):
            raise _bad("Field 'name' must be 1-100 letters, digits, '.', '_' or '-'.")
        for slug, proj in self.standalone.items():
            if self.meta[slug]['org_id'] == org['id'] and proj['reponame'] == name:
                raise ApiError(409, 'Project already exists.')
        return self._add_standalone(org, {'name': name, 'id': str(uuid.uuid4())})

    def delete_project(self, proj, meta):
        """DELETE /project/{slug}: standalone only; its schedules, webhooks and project claims go with it."""
        if meta['kind'] != 'standalone':
            raise ApiError(405, 'Only standalone projects can be deleted.')
        del self.standalone[proj['slug']]
        del self.meta[proj['slug']]
        self.schedules = {k: s for k, s in self.schedules.items() if s['project'] != proj['slug']}
        self.webhooks = {k: w for k, w in self.webhooks.items() if w['scope_id'] != meta['id']}
        self.claims = {k: c for k, c in self.claims.items() if k[1] != meta['id']}

    # ------------------------------------------------------------------ advanced settings
    def settings_view(self, meta):
        """{"advanced": {...}} with every setting."""
        adv = meta['advanced']
        return {'advanced': dict(adv, pr_only_branch_overrides=list(adv['pr_only_branch_overrides']))}

    def patch_settings(self, meta, body, enforce_public=True):
        """PATCH .../settings: validate everything first, then apply only the keys given."""
        if not isinstance(body, dict) or not body:
            raise _bad('No JSON fields found.')
        for key in body:
            if key != 'advanced':
                raise _bad("Unexpected JSON field '%s'" % key)
        adv = body['advanced']
        if not isinstance(adv, dict):
            raise _bad("Field 'advanced' must be an object.")
        if not adv:
            raise _bad('No JSON fields found.')
        for key, value in adv.items():
            if key not in ADVANCED_DEFAULTS:
                raise _bad("Unknown advanced setting '%s'." % key)
            if key == 'pr_only_branch_overrides':
                if not _str_list(value):
                    raise _bad("Setting 'pr_only_branch_overrides' must be an array of strings.")
                if len(value) > 100:
                    raise _bad("Field 'pr_only_branch_overrides' only supports up to 100 branches.")
            elif not isinstance(value, bool):
                raise _bad("Setting '%s' must be boolean." % key)
        if enforce_public and adv.get('oss') is True and not meta['public']:
            raise _bad("Feature flag 'oss' is not settable for this project.")
        for key, value in adv.items():
            meta['advanced'][key] = list(value) if isinstance(value, list) else value
        return self.settings_view(meta)

    def apply_feature_flags(self, proj, data):
        """Make v1.1 settings' feature_flags (and top-level oss) show the advanced settings they correspond to."""
        adv = self.meta_of(proj)['advanced']
        for key, flag in V11_FLAGS.items():
            data['feature_flags'][flag] = adv[key]
        data['oss'] = adv['oss']

    def is_oss(self, proj):
        """The F/OSS switch (advanced setting oss) of a project."""
        return bool(self.meta_of(proj)['advanced']['oss'])

    def is_oss_slug(self, vcs, org, name):
        """is_oss for v1.1 path parts; False for unknown projects."""
        proj = self.state.projects.get('%s/%s/%s' % (VCS_ALIASES.get(vcs, vcs), org, name))
        return bool(proj) and self.is_oss(proj)

    # ------------------------------------------------------------------ project env vars and checkout keys
    def env_written(self, proj, name):
        """Called by the shared env var writer (v1.1 and v2): an overwrite is a new variable, so created-at moves."""
        self.meta_of(proj)['env_created'][name] = self.stamp()

    def env_view(self, proj, name):
        """One v2 project variable (masked)."""
        created = self.meta_of(proj)['env_created'].get(name)
        return {'name': name, 'value': mask(proj['env_vars'][name]), 'created-at': iso_ms(created)}

    def checkout_key_view(self, proj, idx, digest='md5'):
        """One checkout key in v2 spelling (public-key, created-at; the v1.1 view says public_key, time)."""
        view = self.state.checkout_key_view(proj, idx, digest)
        return {'public-key': view['public_key'], 'type': view['type'], 'fingerprint': view['fingerprint'],
                'preferred': view['preferred'], 'created-at': view['time']}

    # ------------------------------------------------------------------ paging
    def page(self, route_key, pairs, token):
        """One page of (sort key, item) pairs, sorted by key. Tokens are opaque, bound to one list, and resume after
        the last key served, so deleting between pages skips nothing."""
        start = 0
        if token:
            entry = self.page_tokens.get(token)
            if entry is None or entry[0] != route_key:
                raise _bad('Invalid page-token.')
            start = next((i for i, pair in enumerate(pairs) if pair[0] > entry[1]), len(pairs))
        size = self.config['page_size']
        chunk = pairs[start:start + size]
        next_token = None
        if start + size < len(pairs):
            next_token = secrets.token_urlsafe(24)
            if len(self.page_tokens) >= MAX_PAGE_TOKENS:
                self.page_tokens.pop(next(iter(self.page_tokens)))
            self.page_tokens[next_token] = (route_key, chunk[-1][0])
        return {'items': [item for dummy, item in chunk], 'next_page_token': next_token}

    # ------------------------------------------------------------------ contexts
    def context(self, cid):
        """A context or 404 Context not found."""
        ctx = self.contexts.get(parse_uuid(cid) or '')
        if ctx is None:
            raise ApiError(404, 'Context not found.')
        return ctx

    @staticmethod
    def context_view(ctx):
        """id, name, created_at (never variables or restrictions)."""
        return {'id': ctx['id'], 'name': ctx['name'], 'created_at': iso_ms(ctx['created_at'])}

    def create_context(self, org, name):
        """New context; names are unique per owner."""
        if not isinstance(name, str) or not name.strip():
            raise _bad("Field 'name' is required.")
        if len(name) > 512:
            raise _bad("Field 'name' must be at most 512 characters.")
        if any(c['org_id'] == org['id'] and c['name'] == name for c in self.contexts.values()):
            raise ApiError(409, 'A context already exists with this name')
        now = self.stamp()
        ctx = {'id': str(uuid.uuid4()), 'name': name, 'org_id': org['id'], 'created_at': now, 'seq': self.next_seq(),
               'variables': {}, 'restrictions': []}
        self.contexts[ctx['id']] = ctx
        return ctx

    @staticmethod
    def context_var_view(ctx, name):
        """A context variable without its value (no route ever returns it)."""
        var = ctx['variables'][name]
        return {'variable': name, 'created_at': iso_ms(var['created_at']), 'updated_at': iso_ms(var['updated_at']),
                'context_id': ctx['id']}

    def put_context_var(self, ctx, name, value):
        """Upsert: created_at kept, updated_at moves on every write, even with the same value."""
        if not ENV_NAME_RE.match(name or ''):
            raise _bad('Environment variable name must contain only letters, numbers and underscores and must not start with a number.')
        if not isinstance(value, str):
            raise _bad("Field 'value' is required and must be a string.")
        now = self.stamp()
        var = ctx['variables'].get(name)
        if var is None:
            ctx['variables'][name] = {'value': value, 'created_at': now, 'updated_at': now}
        else:
            var['value'] = value
            var['updated_at'] = now
        return self.context_var_view(ctx, name)

    def restriction_view(self, ctx, res):
        """A restriction; project_id (deprecated) only on project restrictions, name null for expressions."""
        view = {'id': res['id'], 'context_id': ctx['id'], 'name': None, 'restriction_type': res['type'],
                'restriction_value': res['value']}
        if res['type'] == 'project':
            found = self.project_by_id(res['value'])
            view['project_id'] = res['value']
            view['name'] = found[0]['reponame'] if found else None
        return view

    def add_restriction(self, ctx, body):
        """POST .../restrictions: project (a project UUID of the context's org) or expression; no duplicates."""
        if not isinstance(body, dict) or not body:
            raise _bad('No JSON fields found.')
        for key in body:
            if key not in ('project_id', 'restriction_type', 'restriction_value'):
                raise _bad("Unexpected JSON field '%s'" % key)
        if 'project_id' in body:
            if 'restriction_type' in body or 'restriction_value' in body:
                raise _bad("Field 'project_id' cannot be combined with 'restriction_type' and 'restriction_value'.")
            rtype, value = 'project', body['project_id']
        else:
            rtype, value = body.get('restriction_type'), body.get('restriction_value')
            if not isinstance(rtype, str) or not isinstance(value, str):
                raise _bad("Fields 'restriction_type' and 'restriction_value' are required strings.")
        if rtype == 'project':
            found = self.project_by_id(value) if isinstance(value, str) else None
            if found is None:
                raise _bad('Project does not exist, or user does not have access to this project.')
            if found[1]['org_id'] != ctx['org_id']:
                raise _bad('This restriction cannot be applied to this context.')
            value = found[1]['id']
        elif rtype == 'expression':
            check_expression(value)
        else:
            raise _bad('This restriction cannot be applied to this context.')
        if any(r['type'] == rtype and r['value'] == value for r in ctx['restrictions']):
            raise ApiError(409, "The restriction you're trying to add already exists.")
        res = {'id': str(uuid.uuid4()), 'type': rtype, 'value': value, 'seq': self.next_seq()}
        ctx['restrictions'].append(res)
        view = self.restriction_view(ctx, res)
        view.pop('context_id')
        return view

    # ------------------------------------------------------------------ webhooks
    def webhook(self, wid):
        """A webhook or 404."""
        hook = self.webhooks.get(parse_uuid(wid) or '')
        if hook is None:
            raise ApiError(404, 'Webhook not found.')
        return hook

    def webhook_view(self, hook):
        """The secret comes back masked; timestamps spelled as configured (api_v2.webhook_timestamps)."""
        view = {'id': hook['id'], 'name': hook['name'], 'url': hook['url'], 'events': list(hook['events']),
                'verify-tls': hook['verify_tls'], 'signing-secret': mask(hook['secret']),
                'scope': {'id': hook['scope_id'], 'type': hook['scope_type']}}
        style = self.config['webhook_timestamps']
        if style in ('underscore', 'both'):
            view['created_at'] = iso_ms(hook['created_at'])
            view['updated_at'] = iso_ms(hook['updated_at'])
        if style in ('hyphen', 'both'):
            view['created-at'] = iso_ms(hook['created_at'])
            view['updated-at'] = iso_ms(hook['updated_at'])
        return view

    def create_webhook(self, body):
        """POST /webhook: all six fields required; scope is a project id."""
        if not isinstance(body, dict):
            raise _bad('Request body must be a JSON object.')
        for field in ('name', 'events', 'url', 'verify-tls', 'signing-secret', 'scope'):
            if field not in body:
                raise _bad("Field '%s' is required." % field)
        fields = check_webhook_fields(body)
        scope = body['scope']
        if not isinstance(scope, dict) or scope.get('type') != 'project' or not isinstance(scope.get('id'), str):
            raise _bad("Field 'scope' must be {\"id\": <project id>, \"type\": \"project\"}.")
        found = self.project_by_id(scope['id'])
        if found is None:
            raise ApiError(404, 'Project not found')
        now = self.stamp()
        hook = {'id': str(uuid.uuid4()), 'scope_id': found[1]['id'], 'scope_type': 'project', 'created_at': now,
                'updated_at': now, 'seq': self.next_seq()}
        hook.update(fields)
        self.webhooks[hook['id']] = hook
        return hook

    def update_webhook(self, hook, body):
        """PUT /webhook/{id}: partial; scope may be sent (empty or unchanged) but never changed."""
        if not isinstance(body, dict):
            raise _bad('Request body must be a JSON object.')
        scope = body.get('scope')
        if scope not in (None, {}):
            same = isinstance(scope, dict) and ('id' not in scope or parse_uuid(scope['id']) == hook['scope_id']) \
                and scope.get('type') in (None, hook['scope_type'])
            if not same:
                raise _bad('The scope of a webhook cannot be changed.')
        hook.update(check_webhook_fields(body))
        hook['updated_at'] = self.stamp()
        return hook

    # ------------------------------------------------------------------ schedules
    def schedule(self, sid):
        """A schedule or 404."""
        sched = self.schedules.get(parse_uuid(sid) or '')
        if sched is None:
            raise ApiError(404, 'Schedule not found.')
        return sched

    def schedule_view(self, sched):
        """Hyphenated keys, project-slug in v2 form, actor resolved from attribution-actor."""
        proj = self.state.projects.get(sched['project']) or self.standalone.get(sched['project'])
        actor = SYSTEM_ACTOR if sched['actor'] == 'system' else {'id': self.user_id, 'login': self.state.user['login'],
                                                                 'name': self.state.user['name']}
        return {'id': sched['id'], 'name': sched['name'], 'description': sched['description'],
                'project-slug': self.v2_slug(proj, self.meta_of(proj)) if proj else sched['project'],
                'timetable': {k: list(v) if isinstance(v, list) else v for k, v in sched['timetable'].items()},
                'parameters': dict(sched['parameters']), 'actor': dict(actor),
                'created-at': iso_ms(sched['created_at']), 'updated-at': iso_ms(sched['updated_at'])}

    def create_schedule(self, proj, meta, body):
        """POST /project/{slug}/schedule."""
        if meta['kind'] == 'standalone':
            raise _bad('Scheduled pipelines are not yet available for GitHub App, GitLab or standalone projects.')
        if not isinstance(body, dict):
            raise _bad('Request body must be a JSON object.')
        for field in ('name', 'timetable', 'attribution-actor', 'parameters'):
            if field not in body:
                raise _bad("Field '%s' is required." % field)
        fields = check_schedule_fields(body, None)
        now = self.stamp()
        sched = {'id': str(uuid.uuid4()), 'project': proj['slug'], 'description': None, 'created_at': now,
                 'updated_at': now, 'seq': self.next_seq()}
        sched.update(fields)
        self.schedules[sched['id']] = sched
        return sched

    def update_schedule(self, sched, body):
        """PATCH /schedule/{id}: fields left out keep their value; parameters replace the map; timetable merges."""
        if not isinstance(body, dict):
            raise _bad('Request body must be a JSON object.')
        sched.update(check_schedule_fields(body, sched))
        sched['updated_at'] = self.stamp()
        return sched

    # ------------------------------------------------------------------ OIDC claims
    def claims_view(self, org_id, project_id):
        """Only org_id (and project_id) are always there; claims never set are absent."""
        view = {'org_id': org_id}
        if project_id:
            view['project_id'] = project_id
        claims = self.claims.get((org_id, project_id)) or {}
        for key in ('audience', 'audience_updated_at', 'ttl', 'ttl_updated_at'):
            if key in claims:
                value = claims[key]
                view[key] = iso_ms(value) if key.endswith('_at') else (list(value) if isinstance(value, list) else value)
        return view

    def patch_claims(self, org_id, project_id, body):
        """PATCH: audience (non-empty list of strings) and/or ttl (duration pattern)."""
        if not isinstance(body, dict) or not body:
            raise ApiError(400, body={'error': 'at least one of audience or ttl is required'})
        for key in body:
            if key not in ('audience', 'ttl'):
                raise ApiError(400, body={'error': 'unknown field %s' % key})
        if 'audience' in body:
            aud = body['audience']
            if not _str_list(aud) or not aud or any(not a.strip() for a in aud):
                raise ApiError(400, body={'error': 'audience: must be a non-empty list of non-empty strings'})
        if 'ttl' in body and (not isinstance(body['ttl'], str) or not TTL_RE.match(body['ttl'])):
            raise ApiError(400, body={'error': 'ttl: must match ^([0-9]+(ms|s|m|h|d|w)){1,7}$'})
        claims = self.claims.setdefault((org_id, project_id), {})
        if 'audience' in body:
            claims['audience'] = list(body['audience'])
            claims['audience_updated_at'] = self.stamp()
        if 'ttl' in body:
            claims['ttl'] = body['ttl']
            claims['ttl_updated_at'] = self.stamp()

    def delete_claims(self, org_id, project_id, which):
        """DELETE ?claims=audience,ttl."""
        names = [n.strip() for n in (which or '').split(',') if n.strip()]
        if not names or any(n not in ('audience', 'ttl') for n in names):
            raise ApiError(400, body={'error': 'claims: must be a comma-separated list of audience, ttl'})
        claims = self.claims.get((org_id, project_id)) or {}
        for name in names:
            claims.pop(name, None)
            claims.pop(name + '_updated_at', None)

    # ------------------------------------------------------------------ admin view
    def dump(self):
        """v2 part of GET /_emulator/state: clear values, secrets and timestamps."""
        projects = []
        for proj in list(self.state.projects.values()) + list(self.standalone.values()):
            meta = self.meta_of(proj)
            entry = {'slug': proj['slug'], 'v2_slug': self.v2_slug(proj, meta), 'id': meta['id'],
                     'organization_id': meta['org_id'], 'kind': meta['kind'], 'public': meta['public'],
                     'advanced': self.settings_view(meta)['advanced'],
                     'env_var_created_at': {n: iso_ms(t) for n, t in sorted(meta['env_created'].items()) if n in proj['env_vars']}}
            if meta['kind'] == 'standalone':
                entry['name'] = proj['reponame']
                entry['env_vars'] = [{'name': n, 'value': v, 'masked': mask(v)} for n, v in sorted(proj['env_vars'].items())]
                views = [self.checkout_key_view(proj, i) for i in range(len(proj['checkout_keys']))]
                entry['checkout_keys'] = [dict(view, public_key=view['public-key'],  # also as the classic projects show them
                                               fingerprint_sha256=keys.sha256_fingerprint(view['public-key'].strip()))
                                          for view in views]
            projects.append(entry)
        return {
            'organizations': [dict(o, slug=self.org_slug(o) if o['id'] or o['vcs_type'] != 'circleci' else None) for o in self.orgs],
            'v2_projects': projects,
            'repositories': [dict(r) for r in self.repositories.values()],
            'contexts': [{'id': c['id'], 'name': c['name'], 'owner_id': c['org_id'], 'created_at': iso_ms(c['created_at']),
                          'variables': [{'name': n, 'value': v['value'], 'created_at': iso_ms(v['created_at']),
                                         'updated_at': iso_ms(v['updated_at'])} for n, v in sorted(c['variables'].items())],
                          'restrictions': [self.restriction_view(c, r) for r in c['restrictions']]}
                         for c in self.contexts.values()],
            'webhooks': [dict(self.webhook_view(h), signing_secret=h['secret']) for h in self.webhooks.values()],
            'schedules': [self.schedule_view(s) for s in self.schedules.values()],
            'oidc_claims': [self.claims_view(o, p) for (o, p) in self.claims],
            'api_v2': dict(self.config, user_id=self.user_id),
        }


# ---------------------------------------------------------------------- validation (pure functions)
def check_expression(value):
    """A light check of an expression restriction: non-empty, balanced quotes and parentheses."""
    if not isinstance(value, str) or not value.strip():
        raise _bad("Field 'restriction_value' is required.")
    depth = 0
    quote_char = None
    for char in value:
        if quote_char:
            if char == quote_char:
                quote_char = None
        elif char in '"\'':
            quote_char = char
        elif char == '(':
            depth += 1
        elif char == ')':
            depth -= 1
            if depth < 0:
                break
    if quote_char or depth != 0:
        raise _bad('Invalid expression: unbalanced quotes or parentheses.')


def check_webhook_fields(body):
    """The writable webhook fields present in body, validated; keys in storage spelling."""
    out = {}
    if 'name' in body:
        if not isinstance(body['name'], str) or not body['name'].strip():
            raise _bad("Field 'name' must be a non-empty string.")
        out['name'] = body['name']
    if 'events' in body:
        events = body['events']
        if not _str_list(events) or not events or any(e not in WEBHOOK_EVENTS for e in events) or len(set(events)) != len(events):
            raise _bad("Field 'events' must be a non-empty list of workflow-completed, job-completed.")
        out['events'] = list(events)
    if 'url' in body:
        url = body['url']
        if not isinstance(url, str) or not re.match(r'^https://[^/\s?#]+', url):
            raise _bad("Field 'url' must be an https URL.")
        out['url'] = url
    if 'verify-tls' in body:
        if not isinstance(body['verify-tls'], bool):
            raise _bad("Field 'verify-tls' must be a boolean.")
        out['verify_tls'] = body['verify-tls']
    if 'signing-secret' in body:
        if not isinstance(body['signing-secret'], str) or not body['signing-secret']:
            raise _bad("Field 'signing-secret' must be a non-empty string.")
        out['secret'] = body['signing-secret']
    return out


def _int_list(value, low, high, field):
    if not isinstance(value, list) or not value or any(not _is_int(v) or v < low or v > high for v in value) \
            or len(set(value)) != len(value):
        raise _bad("Field '%s' must be a non-empty list of distinct integers from %d to %d." % (field, low, high))
    return list(value)


def _name_list(value, allowed, field):
    if not _str_list(value) or not value or any(v not in allowed for v in value) or len(set(value)) != len(value):
        raise _bad("Field '%s' must be a non-empty list of distinct values from %s." % (field, ', '.join(allowed)))
    return list(value)


def check_timetable(tt, base=None):
    """A full timetable (merged over base for PATCH): per-hour 1-60, hours-of-day 0-23, exactly one of
    days-of-week / days-of-month (giving one in a PATCH drops the other), optional months."""
    if not isinstance(tt, dict):
        raise _bad("Field 'timetable' must be an object.")
    for key in tt:
        if key not in ('per-hour', 'hours-of-day', 'days-of-week', 'days-of-month', 'months'):
            raise _bad("Unexpected timetable field '%s'." % key)
    if 'days-of-week' in tt and 'days-of-month' in tt:
        raise _bad("Use either 'days-of-week' or 'days-of-month' in a timetable, not both.")
    merged = dict(base or {})
    if 'days-of-week' in tt:
        merged.pop('days-of-month', None)
    if 'days-of-month' in tt:
        merged.pop('days-of-week', None)
    merged.update(tt)
    for field in ('per-hour', 'hours-of-day'):
        if field not in merged:
            raise _bad("Timetable field '%s' is required." % field)
    if not _is_int(merged['per-hour']) or not 1 <= merged['per-hour'] <= 60:
        raise _bad("Timetable field 'per-hour' must be an integer from 1 to 60.")
    out = {'per-hour': merged['per-hour'], 'hours-of-day': _int_list(merged['hours-of-day'], 0, 23, 'hours-of-day')}
    if 'days-of-week' in merged:
        out['days-of-week'] = _name_list(merged['days-of-week'], WEEKDAYS, 'days-of-week')
    elif 'days-of-month' in merged:
        out['days-of-month'] = _int_list(merged['days-of-month'], 1, 31, 'days-of-month')
    else:
        raise _bad("A timetable needs 'days-of-week' or 'days-of-month'.")
    if 'months' in merged:
        out['months'] = _name_list(merged['months'], MONTHS, 'months')
    return out


def check_parameters(params):
    """Pipeline parameters: string, integer or boolean values; exactly one of branch or tag."""
    if not isinstance(params, dict):
        raise _bad("Field 'parameters' must be an object.")
    for key, value in params.items():
        if not isinstance(value, (str, int, bool)):
            raise _bad("Parameter '%s' must be a string, an integer or a boolean." % key)
    if ('branch' in params) == ('tag' in params):
        raise _bad("Field 'parameters' must contain either 'branch' or 'tag'.")
    ref = params.get('branch', params.get('tag'))
    if not isinstance(ref, str) or not ref:
        raise _bad("Parameter 'branch' or 'tag' must be a non-empty string.")
    return dict(params)


def check_schedule_fields(body, current):
    """Writable schedule fields present in body, validated, in storage form."""
    out = {}
    for key in body:
        if key not in ('name', 'description', 'timetable', 'attribution-actor', 'parameters'):
            raise _bad("Unexpected JSON field '%s'" % key)
    if 'name' in body:
        if not isinstance(body['name'], str) or not body['name'].strip():
            raise _bad("Field 'name' must be a non-empty string.")
        out['name'] = body['name']
    if 'description' in body:
        if body['description'] is not None and not isinstance(body['description'], str):
            raise _bad("Field 'description' must be a string or null.")
        out['description'] = body['description']
    if 'timetable' in body:
        out['timetable'] = check_timetable(body['timetable'], current['timetable'] if current else None)
    if 'attribution-actor' in body:
        if body['attribution-actor'] not in ('current', 'system'):
            raise _bad("Field 'attribution-actor' must be 'current' or 'system'.")
        out['actor'] = body['attribution-actor']
    if 'parameters' in body:
        out['parameters'] = check_parameters(body['parameters'])
    return out


__all__ = ['V2State', 'b58encode', 'b58decode', 'parse_id', 'parse_uuid', 'derived_id', 'iso_ms']
