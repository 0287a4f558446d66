"""API v2 on the API listener (``/api/v2``): path parsing, the routing table, the authentication rules and the handlers.

``server.route()`` hands every ``/api/v2/`` request here. Everything before that point (request log, counters,
latency, fault rules) is the code path v1.1 uses, so both versions are treated alike; the answer goes out as JSON
whatever the Accept header says. Handlers are small: parse the request, call ``V2State`` (``state_v2.py``), render.
Errors are ``ApiError``s; on the OIDC claim routes their body is ``{"error": ...}`` instead of ``{"message": ...}``.
See docs/emulator.md ("API v2") for the choices made where the reference is silent.
"""

from __future__ import annotations

import json
from typing import Callable, NamedTuple
from urllib.parse import unquote

from .state import ApiError
from .state_v2 import parse_uuid

PREFIX = '/api/v2'
WRITE_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')
CLASSIC_VCS = ('gh', 'github', 'bb', 'bitbucket')
MSG_QUERY_AUTH = ('Support for query parameter authentication has been deprecated to improve security. Please use a '
                  'supported authentication method such as header-based, or basic authentication.')
MSG_NEW_TOKEN = 'New format tokens are needed to authenticate this API endpoint. Create a new API token for access.'
MSG_CREATE_405 = 'Create projects using the API is currently supported for classic Github OAuth and Bitbucket projects only.'


def handles(path):
    """True for the paths this module serves."""
    return path == PREFIX or path.startswith(PREFIX + '/')


# ---------------------------------------------------------------------- request parsing
def parse_path(path):
    """Segments after /api/v2, with a project slug folded into the one segment '@', and the slug's three parts.

    The slug may come raw (gh/acme/api) or with escaped slashes (gh%2Facme%2Fapi); other segments are unescaped
    normally, so a SHA-256 fingerprint must be sent URL-encoded. Returns (None, None) for an empty segment."""
    raw = path[len(PREFIX):].split('/')[1:]
    if not raw or '' in raw:
        return None, None
    if raw[0] != 'project' or len(raw) < 2:
        return [unquote(s) for s in raw], None
    parts = []
    index = 1
    while len(parts) < 3 and index < len(raw):
        seg = raw[index]
        index += 1
        parts.extend(unquote(seg).split('/') if '%2f' in seg.lower() else [unquote(seg)])
    if len(parts) != 3 or '' in parts:
        return None, None
    return ['project', '@'] + [unquote(s) for s in raw[index:]], parts


class Request:  # pylint: disable=too-many-instance-attributes,too-few-public-methods
    """What a handler needs about one request."""

    def __init__(self, emu, method, slug, query, raw, kind, token, way):  # pylint: disable=too-many-arguments
        self.emu = emu
        self.st = emu.state
        self.v2 = emu.state.v2
        self.method = method
        self.slug = slug
        self.query = query
        self.raw = raw
        self.kind = kind
        self.token = token
        self.way = way

    def arg(self, name):
        """Last value of a query parameter, or None."""
        values = self.query.get(name)
        return values[-1] if values else None

    def body(self):
        """The JSON body, None when there is none; 400 Invalid JSON body. otherwise."""
        if not self.raw.strip():
            return None
        try:
            return json.loads(self.raw.decode('utf-8'))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, 'Invalid JSON body.') from exc

    def object_body(self):
        """The JSON body, which must be an object."""
        body = self.body()
        if not isinstance(body, dict):
            raise ApiError(400, 'Request body must be a JSON object.')
        return body

    def project(self, missing='Project not found'):
        """(project, meta) of the slug in the path, or 404."""
        found = self.v2.find_project(self.slug)
        if found is None:
            raise ApiError(404, missing)
        return found

    def page(self, route_key, pairs):
        """One page of sorted (key, item) pairs, following ?page-token=."""
        return self.v2.page(route_key, sorted(pairs, key=lambda pair: pair[0]), self.arg('page-token'))


class Route(NamedTuple):
    """One endpoint. newer: one of the newer services (refuses ?circle-token=, refuses old-format tokens).
    oidc: errors are {"error": ...}."""
    method: str
    pattern: tuple
    handler: Callable
    newer: bool = False
    oidc: bool = False


def authenticate(req, rt):
    """The same token sources as v1.1; project tokens are not accepted by v2 (401, like an unknown token)."""
    if rt.newer and req.way == 'query':
        raise ApiError(401, MSG_QUERY_AUTH)
    if req.kind == 'none':
        raise ApiError(401, 'You must log in first.')
    if req.kind not in ('user', 'read_only'):
        raise ApiError(401, 'Invalid token provided.')
    if rt.newer and req.token in req.v2.legacy_tokens:
        raise ApiError(401, MSG_NEW_TOKEN)
    if req.method in WRITE_METHODS and req.kind == 'read_only':
        raise ApiError(403, 'Forbidden' if rt.oidc else 'Permission denied.')


def find_route(method, segs):
    """(route, path parameters); 404 for an unknown path, 405 for a known path with another method."""
    path_known = False
    for rt in ROUTES:
        if len(rt.pattern) != len(segs):
            continue
        params = []
        for pat, seg in zip(rt.pattern, segs):
            if pat == '*' and seg != '@':
                params.append(seg)
            elif pat != seg:
                break
        else:
            path_known = True
            if rt.method == method or (method == 'HEAD' and rt.method == 'GET'):
                return rt, params
    if path_known:
        raise ApiError(405, 'Method not allowed.')
    raise ApiError(404, 'Not found.')


def route(emu, method, path, query, raw, headers, info, kind, token_way):  # pylint: disable=too-many-arguments,unused-argument
    """Answer one /api/v2 request: (status, JSON payload). Runs under the emulator lock."""
    rt = None
    try:
        segs, slug = parse_path(path)
        if segs is None:
            raise ApiError(404, 'Not found.')
        rt, params = find_route(method, segs)
        req = Request(emu, method, slug, query, raw, kind, token_way[0], token_way[1])
        authenticate(req, rt)
        return rt.handler(req, *params)
    except ApiError as exc:
        body = exc.body if exc.body is not None else {'message': 'Not found.'}
        if rt is not None and rt.oidc and set(body) == {'message'}:
            body = {'error': body['message']}
        return exc.status, body
    except Exception:  # pylint: disable=broad-except
        return 500, ({'error': 'internal server error'} if rt is not None and rt.oidc else {'message': 'Internal server error.'})


# ---------------------------------------------------------------------- handlers: user, projects, settings
# pylint: disable=missing-function-docstring
def me(req):
    return 200, {'id': req.v2.user_id, 'login': req.st.user['login'], 'name': req.st.user['name']}


def collaborations(req):
    return 200, req.v2.collaborations()


def project_get(req):
    return 200, req.v2.project_view(*req.project())


def project_create(req):
    """POST /project/{provider}/{org}/{project}: classic only, no body, answers the advanced settings (201)."""
    vcs = req.slug[0]
    if vcs == 'circleci':
        raise ApiError(405, MSG_CREATE_405)
    if req.raw.strip():
        raise ApiError(400, 'Unexpected request body provided.')
    if vcs not in CLASSIC_VCS:
        raise ApiError(404, 'Project not found.')
    dummy, meta = req.v2.create_classic(*req.slug)
    return 201, req.v2.settings_view(meta)


def project_delete(req):
    proj, meta = req.project('Project not found.')
    req.v2.delete_project(proj, meta)
    return 200, {'message': 'Project deleted.'}


def org_project_create(req, org_id):
    """POST /organization/{org-id}/project {"name"}: standalone project in a circleci org; in a classic org the
    repository must exist on the VCS, as for the classic route."""
    org = req.v2.owner_org(req.v2.org_by_id(org_id))
    name = req.object_body().get('name')
    if org['vcs_type'] == 'circleci':
        proj = req.v2.create_standalone(org, name)
        return 200, req.v2.project_view(proj, req.v2.meta_of(proj))
    if not isinstance(name, str) or not name:
        raise ApiError(400, "Field 'name' is required.")
    return 200, req.v2.project_view(*req.v2.create_classic(org['vcs_type'], org['name'], name))


def settings_get(req):
    return 200, req.v2.settings_view(req.project('Project not found.')[1])


def settings_patch(req):
    meta = req.project('Project not found.')[1]
    return 200, req.v2.patch_settings(meta, req.body())


# ---------------------------------------------------------------------- handlers: project env vars, checkout keys
def env_list(req):
    proj = req.project()[0]
    return 200, req.page(('envvar', proj['slug']), [((n,), req.v2.env_view(proj, n)) for n in proj['env_vars']])


def env_create(req):
    proj = req.project()[0]
    body = req.object_body()
    if not isinstance(body.get('value'), str):
        raise ApiError(400, "Field 'value' is required and must be a string.")
    name = req.st.env_set(proj, body)['name']
    return 201, req.v2.env_view(proj, name)


def _env_name(proj, name):
    if name not in proj['env_vars']:
        raise ApiError(404, 'Environment variable not found.')
    return name


def env_get(req, name):
    proj = req.project()[0]
    return 200, req.v2.env_view(proj, _env_name(proj, name))


def env_delete(req, name):
    proj = req.project()[0]
    del proj['env_vars'][_env_name(proj, name)]
    return 200, {'message': 'Environment variable deleted.'}


def _digest(req):
    digest = req.arg('digest') or 'md5'
    if digest not in ('md5', 'sha256'):
        raise ApiError(400, "Query parameter 'digest' must be 'md5' or 'sha256'.")
    return digest


def _checkout_key(req, proj, fingerprint):
    try:
        return req.st.find_checkout_key(proj, fingerprint)
    except ApiError as exc:
        raise ApiError(404, 'Checkout key not found.') from exc


def ck_list(req):
    proj = req.project()[0]
    digest = _digest(req)
    pairs = [((k['time'], k['public_key']), req.v2.checkout_key_view(proj, i, digest)) for i, k in enumerate(proj['checkout_keys'])]
    return 200, req.page(('checkout-key', proj['slug'], digest), pairs)


def ck_create(req):
    """type deploy-key or user-key (stored, and answered, as github-user-key); not for circleci projects."""
    proj, meta = req.project()
    ktype = req.object_body().get('type')
    if ktype not in ('deploy-key', 'user-key'):
        raise ApiError(400, "Field 'type' must be 'deploy-key' or 'user-key'.")
    if meta['kind'] == 'standalone':
        raise ApiError(400, 'Checkout keys cannot be created for GitHub App, GitLab or standalone projects.')
    idx = req.st.create_checkout_key(proj, {'type': 'github-user-key' if ktype == 'user-key' else 'deploy-key'})
    return 201, req.v2.checkout_key_view(proj, idx)


def ck_get(req, fingerprint):
    proj = req.project()[0]
    idx = _checkout_key(req, proj, fingerprint)
    return 200, req.v2.checkout_key_view(proj, idx, 'sha256' if fingerprint.startswith('SHA256:') else 'md5')


def ck_delete(req, fingerprint):
    proj = req.project()[0]
    del proj['checkout_keys'][_checkout_key(req, proj, fingerprint)]
    return 200, {'message': 'Checkout key deleted.'}


# ---------------------------------------------------------------------- handlers: schedules
def sched_list(req):
    proj = req.project()[0]
    pairs = [((s['seq'],), req.v2.schedule_view(s)) for s in req.v2.schedules.values() if s['project'] == proj['slug']]
    return 200, req.page(('schedule', proj['slug']), pairs)


def sched_create(req):
    proj, meta = req.project()
    return 201, req.v2.schedule_view(req.v2.create_schedule(proj, meta, req.body()))


def sched_get(req, sid):
    return 200, req.v2.schedule_view(req.v2.schedule(sid))


def sched_patch(req, sid):
    sched = req.v2.schedule(sid)
    body = req.body()
    return 200, req.v2.schedule_view(req.v2.update_schedule(sched, {} if body is None else body))


def sched_delete(req, sid):
    del req.v2.schedules[req.v2.schedule(sid)['id']]
    return 200, {'message': 'Schedule deleted.'}


# ---------------------------------------------------------------------- handlers: contexts
def _owner(req, owner_id, owner_slug, owner_type):
    """The organization named by owner-id / owner-slug (exactly one), owner-type organization (default) or account."""
    if owner_type not in ('organization', 'account'):
        raise ApiError(400, "owner-type must be 'organization' or 'account'.")
    if owner_id and owner_slug:
        raise ApiError(400, 'Give either an owner id or an owner slug, not both.')
    if not owner_id and not owner_slug:
        raise ApiError(400, 'An owner id or an owner slug is required.')
    if owner_type == 'account':
        if owner_slug:
            raise ApiError(400, 'An account can only be named by its id.')
        raise ApiError(404, 'Account does not exist.')  # accounts exist on CircleCI server only
    if owner_id:
        if not parse_uuid(owner_id):
            raise ApiError(400, 'The owner id must be a UUID.')
        return req.v2.owner_org(req.v2.org_by_id(owner_id))
    return req.v2.owner_org(req.v2.org_by_slug(owner_slug))


def ctx_list(req):
    org = _owner(req, req.arg('owner-id'), req.arg('owner-slug'), req.arg('owner-type') or 'organization')
    pairs = [((c['seq'],), req.v2.context_view(c)) for c in req.v2.contexts.values() if c['org_id'] == org['id']]
    return 200, req.page(('context', org['id']), pairs)


def ctx_create(req):
    body = req.object_body()
    owner = body.get('owner')
    if not isinstance(owner, dict):
        raise ApiError(400, "Field 'owner' is required: {\"id\" or \"slug\", \"type\"}.")
    org = _owner(req, owner.get('id'), owner.get('slug'), owner.get('type') or 'organization')
    return 200, req.v2.context_view(req.v2.create_context(org, body.get('name')))


def ctx_get(req, cid):
    return 200, req.v2.context_view(req.v2.context(cid))


def ctx_delete(req, cid):
    del req.v2.contexts[req.v2.context(cid)['id']]
    return 200, {'message': 'Context deleted.'}


def ctxvar_list(req, cid):
    ctx = req.v2.context(cid)
    return 200, req.page(('context-var', ctx['id']), [((n,), req.v2.context_var_view(ctx, n)) for n in ctx['variables']])


def ctxvar_put(req, cid, name):
    ctx = req.v2.context(cid)
    return 200, req.v2.put_context_var(ctx, name, req.object_body().get('value'))


def ctxvar_delete(req, cid, name):
    """Absent variable: 404 by default, 200 with api_v2.absent_context_variable_delete: 200 (the Go fake's way)."""
    ctx = req.v2.context(cid)
    if name not in ctx['variables']:
        if req.v2.config['absent_context_variable_delete'] == 404:
            raise ApiError(404, 'Environment variable not found.')
        return 200, {'message': 'Environment variable deleted.'}
    del ctx['variables'][name]
    return 200, {'message': 'Environment variable deleted.'}


def _ctx_strict(req, cid):
    """Restriction routes validate the id first (400 context_id is invalid.)."""
    if not parse_uuid(cid):
        raise ApiError(400, 'context_id is invalid.')
    return req.v2.context(cid)


def restr_list(req, cid):
    ctx = _ctx_strict(req, cid)
    pairs = [((r['seq'],), req.v2.restriction_view(ctx, r)) for r in ctx['restrictions']]
    return 200, req.page(('restriction', ctx['id']), pairs)


def restr_create(req, cid):
    ctx = _ctx_strict(req, cid)
    return 201, req.v2.add_restriction(ctx, req.body())


def restr_delete(req, cid, rid):
    ctx = _ctx_strict(req, cid)
    if not parse_uuid(rid):
        raise ApiError(400, 'restriction_id is invalid.')
    keep = [r for r in ctx['restrictions'] if r['id'] != parse_uuid(rid)]
    if len(keep) == len(ctx['restrictions']):
        raise ApiError(404, 'Context restriction not found.')
    ctx['restrictions'] = keep
    return 200, {'message': 'Context restriction deleted.'}


# ---------------------------------------------------------------------- handlers: webhooks
def hook_list(req):
    scope_id, scope_type = req.arg('scope-id'), req.arg('scope-type')
    if not scope_id or not scope_type:
        raise ApiError(400, "Query parameters 'scope-id' and 'scope-type' are required.")
    if scope_type != 'project':
        raise ApiError(400, "scope-type must be 'project'.")
    if not parse_uuid(scope_id):
        raise ApiError(400, 'scope-id must be a UUID.')
    found = req.v2.project_by_id(scope_id)
    if found is None:
        raise ApiError(404, 'Project not found')
    pid = found[1]['id']
    pairs = [((h['seq'],), req.v2.webhook_view(h)) for h in req.v2.webhooks.values() if h['scope_id'] == pid]
    return 200, req.page(('webhook', pid), pairs)


def hook_create(req):
    return 201, req.v2.webhook_view(req.v2.create_webhook(req.body()))


def hook_get(req, wid):
    return 200, req.v2.webhook_view(req.v2.webhook(wid))


def hook_put(req, wid):
    hook = req.v2.webhook(wid)
    body = req.body()
    return 200, req.v2.webhook_view(req.v2.update_webhook(hook, {} if body is None else body))


def hook_delete(req, wid):
    del req.v2.webhooks[req.v2.webhook(wid)['id']]
    return 200, {'message': 'Webhook deleted.'}


# ---------------------------------------------------------------------- handlers: OIDC custom claims
def _oidc_org(req, org_id):
    """400 for a malformed id; 403 (never 404) for an unknown org or one the user is not a member of."""
    if not parse_uuid(org_id):
        raise ApiError(400, body={'error': 'OwnerID: must be a valid UUID.'})
    org = req.v2.org_by_id(org_id)
    if org is None or not org['member']:
        raise ApiError(403, body={'error': 'Forbidden'})
    return org['id']


def _oidc_project(req, org_id, project_id):
    oid = _oidc_org(req, org_id)
    if not parse_uuid(project_id):
        raise ApiError(400, body={'error': 'ProjectID: must be a valid UUID.'})
    found = req.v2.project_by_id(project_id)
    if found is None or found[1]['org_id'] != oid:
        raise ApiError(403, body={'error': 'Forbidden'})
    return oid, found[1]['id']


def org_claims_get(req, org_id):
    return 200, req.v2.claims_view(_oidc_org(req, org_id), None)


def org_claims_patch(req, org_id):
    oid = _oidc_org(req, org_id)
    req.v2.patch_claims(oid, None, req.body())
    return 200, req.v2.claims_view(oid, None)


def org_claims_delete(req, org_id):
    oid = _oidc_org(req, org_id)
    req.v2.delete_claims(oid, None, req.arg('claims'))
    return 200, req.v2.claims_view(oid, None)


def project_claims_get(req, org_id, project_id):
    return 200, req.v2.claims_view(*_oidc_project(req, org_id, project_id))


def project_claims_patch(req, org_id, project_id):
    oid, pid = _oidc_project(req, org_id, project_id)
    req.v2.patch_claims(oid, pid, req.body())
    return 200, req.v2.claims_view(oid, pid)


def project_claims_delete(req, org_id, project_id):
    oid, pid = _oidc_project(req, org_id, project_id)
    req.v2.delete_claims(oid, pid, req.arg('claims'))
    return 200, req.v2.claims_view(oid, pid)
# pylint: enable=missing-function-docstring


P = ('project', '@')
CLAIMS_ORG = ('org', '*', 'oidc-custom-claims')
CLAIMS_PROJECT = ('org', '*', 'project', '*', 'oidc-custom-claims')
ROUTES = (
    Route('GET', ('me',), me),
    Route('GET', ('me', 'collaborations'), collaborations),
    Route('GET', P, project_get),
    Route('POST', P, project_create, newer=True),
    Route('DELETE', P, project_delete, newer=True),
    Route('POST', ('organization', '*', 'project'), org_project_create, newer=True),
    Route('GET', P + ('settings',), settings_get, newer=True),
    Route('PATCH', P + ('settings',), settings_patch, newer=True),
    Route('GET', P + ('envvar',), env_list),
    Route('POST', P + ('envvar',), env_create),
    Route('GET', P + ('envvar', '*'), env_get),
    Route('DELETE', P + ('envvar', '*'), env_delete),
    Route('GET', P + ('checkout-key',), ck_list),
    Route('POST', P + ('checkout-key',), ck_create),
    Route('GET', P + ('checkout-key', '*'), ck_get),
    Route('DELETE', P + ('checkout-key', '*'), ck_delete),
    Route('GET', P + ('schedule',), sched_list),
    Route('POST', P + ('schedule',), sched_create),
    Route('GET', ('schedule', '*'), sched_get),
    Route('PATCH', ('schedule', '*'), sched_patch),
    Route('DELETE', ('schedule', '*'), sched_delete),
    Route('GET', ('context',), ctx_list),
    Route('POST', ('context',), ctx_create),
    Route('GET', ('context', '*'), ctx_get),
    Route('DELETE', ('context', '*'), ctx_delete),
    Route('GET', ('context', '*', 'environment-variable'), ctxvar_list),
    Route('PUT', ('context', '*', 'environment-variable', '*'), ctxvar_put),
    Route('DELETE', ('context', '*', 'environment-variable', '*'), ctxvar_delete),
    Route('GET', ('context', '*', 'restrictions'), restr_list, newer=True),
    Route('POST', ('context', '*', 'restrictions'), restr_create, newer=True),
    Route('DELETE', ('context', '*', 'restrictions', '*'), restr_delete, newer=True),
    Route('GET', ('webhook',), hook_list),
    Route('POST', ('webhook',), hook_create),
    Route('GET', ('webhook', '*'), hook_get),
    Route('PUT', ('webhook', '*'), hook_put),
    Route('DELETE', ('webhook', '*'), hook_delete),
    Route('GET', CLAIMS_ORG, org_claims_get, oidc=True),
    Route('PATCH', CLAIMS_ORG, org_claims_patch, oidc=True),
    Route('DELETE', CLAIMS_ORG, org_claims_delete, oidc=True),
    Route('GET', CLAIMS_PROJECT, project_claims_get, oidc=True),
    Route('PATCH', CLAIMS_PROJECT, project_claims_patch, oidc=True),
    Route('DELETE', CLAIMS_PROJECT, project_claims_delete, oidc=True),
)


# ---------------------------------------------------------------------- admin (/_emulator/v2/...)
def _admin_context(v2state, ref):
    """A context by id or by (unique) name."""
    if parse_uuid(ref) in v2state.contexts:
        return v2state.contexts[parse_uuid(ref)]
    named = [c for c in v2state.contexts.values() if c['name'] == ref]
    if len(named) != 1:
        raise ApiError(404, 'no context with id or unique name %r' % ref)
    return named[0]


def admin(emu, method, sub, data):
    """Act behind the modules' back (never logged or counted). Returns (status, body); runs under the lock.

    GET|POST /config; POST /contexts/<id or name>/envvar {"name","value"} or {"name","delete":true};
    DELETE /contexts/<id or name>; POST /projects/<slug>/settings {"advanced":{...}} (or the settings themselves);
    POST /webhooks/<id> {fields as PUT /webhook/{id} takes them}; POST /schedules/<id> {fields as PATCH /schedule/{id}};
    DELETE /webhooks/<id>; DELETE /schedules/<id>."""
    v2state = emu.state.v2
    parts = sub.strip('/').split('/')
    data = data if isinstance(data, dict) else {}
    if parts == ['config'] and method in ('GET', 'POST'):
        return 200, v2state.set_config(data if method == 'POST' else {})
    if len(parts) == 3 and parts[0] == 'contexts' and parts[2] == 'envvar' and method == 'POST':
        ctx = _admin_context(v2state, parts[1])
        name = data.get('name')
        if data.get('delete'):
            ctx['variables'].pop(name, None)
            return 200, {'deleted': name}
        return 200, dict(v2state.put_context_var(ctx, name, data.get('value')), value=data.get('value'))
    if len(parts) == 2 and parts[0] == 'contexts' and method == 'DELETE':
        del v2state.contexts[_admin_context(v2state, parts[1])['id']]
        return 200, {'deleted': parts[1]}
    if len(parts) == 5 and parts[0] == 'projects' and parts[4] == 'settings' and method == 'POST':
        found = v2state.find_project(parts[1:4])
        if found is None:
            raise ApiError(404, 'Project not found')
        body = data if 'advanced' in data else {'advanced': data}
        return 200, v2state.patch_settings(found[1], body, enforce_public=False)
    if len(parts) == 2 and parts[0] in ('webhooks', 'schedules') and method == 'POST':
        # Change fields behind the module's back, with the API's own rules (webhook: partial PUT, the secret
        # included; schedule: PATCH); updated_at moves.
        if parts[0] == 'webhooks':
            return 200, dict(v2state.webhook_view(v2state.update_webhook(v2state.webhook(parts[1]), data)))
        return 200, v2state.schedule_view(v2state.update_schedule(v2state.schedule(parts[1]), data))
    if len(parts) == 2 and parts[0] in ('webhooks', 'schedules') and method == 'DELETE':
        store = v2state.webhooks if parts[0] == 'webhooks' else v2state.schedules
        if parse_uuid(parts[1]) not in store:
            raise ApiError(404, 'no such %s' % parts[0][:-1])
        del store[parse_uuid(parts[1])]
        return 200, {'deleted': parts[1]}
    return 404, {'message': 'unknown admin endpoint %s /v2%s' % (method, sub)}
