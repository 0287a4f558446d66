# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small stateful stand-in for CircleCI API v2 contexts, behind the scripted transport of ``fakes.py``.

Shaped as the reference describes the routes (``../shared/reference/v2``): lists are
``{"items", "next_page_token"}`` pages, a context variable is ``{variable, created_at, updated_at,
context_id}`` and never shows its value, ``PUT`` is an upsert whose ``updated_at`` moves on every
write, restrictions are ``{id, context_id, project_id?, name, restriction_type, restriction_value}``.
``install(transport)`` routes the v2 context paths to it; ``fail(method, pattern, *steps)`` puts
scripted answers (faults) in front of a route for the next matching requests.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

from ansible_collections.community.circleci.tests.unit.fakes import answer

V2 = '/api/v2'
ORG_GH = 'b0de2883-ba52-4530-abc0-d74091c72852'
ORG_CLOUD = '311ada03-9e36-4e03-893b-c0f0d7ac28c9'
PROJECT_API = 'a7f0bf1b-1ba3-5830-9a6a-4e502a5352b3'
COLLABORATIONS = [
    {'id': ORG_GH, 'vcs-type': 'github', 'name': 'acme', 'avatar_url': '', 'slug': 'gh/acme'},
    {'id': ORG_CLOUD, 'vcs-type': 'circleci', 'name': 'acme-cloud', 'avatar_url': '', 'slug': 'circleci/74hDwQgJ7BDtfqPpy7htUY'},
]


class FakeContexts:
    """Contexts, their variables (with clear values, for the tests to look at) and restrictions; one clock tick per write."""

    def __init__(self, page_size=20):
        self.page_size = page_size
        self.contexts = {}     # id -> {id, name, org, created_at, variables: {name: {value, created_at, updated_at}}, restrictions: []}
        self.tick = 0
        self.faults = []       # [(method, regex, [steps])]
        self.projects = {'github/acme/api': {'id': PROJECT_API, 'name': 'api', 'org': ORG_GH}}

    # -- state for tests ------------------------------------------------------------------------------------

    def stamp(self):
        self.tick += 1
        return '2024-06-01T12:%02d:%02d.000Z' % (self.tick // 60, self.tick % 60)

    def add_context(self, name, org=ORG_GH, variables=None, restrictions=()):
        cid = str(uuid.uuid5(uuid.NAMESPACE_URL, '%s/%s' % (org, name)))
        now = '2024-05-02T12:00:00.000Z'
        self.contexts[cid] = {'id': cid, 'name': name, 'org': org, 'created_at': now, 'restrictions': [],
                              'variables': {key: {'value': value, 'created_at': now, 'updated_at': now}
                                            for key, value in (variables or {}).items()}}
        for kind, value in restrictions:
            self.contexts[cid]['restrictions'].append(self._restriction(cid, kind, value))
        return cid

    def set_var(self, cid, name, value):
        """Write behind the module's back (updated_at moves)."""
        var = self.contexts[cid]['variables'].setdefault(name, {'created_at': self.stamp()})
        var.update(value=value, updated_at=self.stamp())

    def values(self, cid):
        return {name: var['value'] for name, var in self.contexts[cid]['variables'].items()}

    def fail(self, method, pattern, *steps):
        """Answer the next matching requests with ``steps`` (a step may be a function of the request), then serve again."""
        self.faults.append((method, pattern, list(steps)))
        return self

    # -- the transport side -------------------------------------------------------------------------------

    def install(self, transport):
        transport.on('GET', r'^/api/v2/', self.handle)
        for method in ('POST', 'PUT', 'DELETE'):
            transport.on(method, r'^/api/v2/', self.handle)
        return self

    def handle(self, request):
        for index, (method, pattern, steps) in enumerate(self.faults):
            if method == request.method and re.search(pattern, request.path_url) and steps:
                step = steps.pop(0)
                if not steps:
                    self.faults.pop(index)
                return step(request) if callable(step) else step
        return self.serve(request)

    def serve(self, request):
        parts = urlsplit(request.path_url)
        segments = [unquote(part) for part in parts.path[len(V2) + 1:].split('/')]
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        body = json.loads(request.body) if request.body else None
        method = request.method
        if segments == ['me', 'collaborations']:
            return answer(body=COLLABORATIONS)
        if segments[0] == 'project' and method == 'GET':
            project = self.projects.get('/'.join(segments[1:]))
            return answer(body={'id': project['id'], 'name': project['name']}) if project else answer(404, body={'message': 'Project not found'})
        if segments == ['context'] and method == 'GET':
            found = [self._context_view(c) for c in self.contexts.values() if c['org'] == query.get('owner-id')]
            return self._page(found, query)
        if segments == ['context'] and method == 'POST':
            org = body['owner']['id']
            if any(c['org'] == org and c['name'] == body['name'] for c in self.contexts.values()):
                return answer(409, body={'message': 'A context already exists with this name'})
            cid = str(uuid.uuid4())
            self.contexts[cid] = {'id': cid, 'name': body['name'], 'org': org, 'created_at': self.stamp(), 'variables': {}, 'restrictions': []}
            return answer(body=self._context_view(self.contexts[cid]))
        context = self.contexts.get(segments[1]) if len(segments) > 1 else None
        if context is None:
            return answer(404, body={'message': 'Context not found.'})
        if len(segments) == 2 and method == 'DELETE':
            del self.contexts[context['id']]
            return answer(body={'message': 'Context deleted.'})
        if segments[2] == 'environment-variable':
            return self._variables(context, segments[3:], method, body, query)
        if segments[2] == 'restrictions':
            return self._restrictions(context, segments[3:], method, body, query)
        return answer(404, body={'message': 'Not found.'})

    def _variables(self, context, rest, method, body, query):
        if not rest and method == 'GET':
            items = [{'variable': name, 'created_at': var['created_at'], 'updated_at': var['updated_at'], 'context_id': context['id']}
                     for name, var in sorted(context['variables'].items())]
            return self._page(items, query)
        name = rest[0]
        if method == 'PUT':
            now = self.stamp()
            var = context['variables'].setdefault(name, {'created_at': now})
            var.update(value=body['value'], updated_at=now)
            return answer(body={'variable': name, 'created_at': var['created_at'], 'updated_at': now, 'context_id': context['id']})
        if name not in context['variables']:
            return answer(404, body={'message': 'Environment variable not found.'})
        del context['variables'][name]
        return answer(body={'message': 'Environment variable deleted.'})

    def _restrictions(self, context, rest, method, body, query):
        if not rest and method == 'GET':
            return self._page([dict(item, context_id=context['id']) for item in context['restrictions']], query)
        if not rest and method == 'POST':
            kind, value = body['restriction_type'], body['restriction_value']
            if kind not in ('project', 'expression'):
                return answer(400, body={'message': 'This restriction cannot be applied to this context.'})
            if any(item['restriction_type'] == kind and item['restriction_value'] == value for item in context['restrictions']):
                return answer(409, body={'message': "The restriction you're trying to add already exists."})
            item = self._restriction(context['id'], kind, value)
            context['restrictions'].append(item)
            return answer(201, body=item)
        keep = [item for item in context['restrictions'] if item['id'] != rest[0]]
        if len(keep) == len(context['restrictions']):
            return answer(404, body={'message': 'Context restriction not found.'})
        context['restrictions'] = keep
        return answer(body={'message': 'Context restriction deleted.'})

    def _restriction(self, cid, kind, value):
        item = {'id': str(uuid.uuid5(uuid.NAMESPACE_URL, '%s/%s/%s' % (cid, kind, value))), 'name': None,
                'restriction_type': kind, 'restriction_value': value}
        if kind == 'project':
            item.update(project_id=value, name='api' if value == PROJECT_API else None)
        return item

    @staticmethod
    def _context_view(context):
        return {'id': context['id'], 'name': context['name'], 'created_at': context['created_at']}

    def _page(self, items, query):
        start = int(query.get('page-token') or 0)
        chunk = items[start:start + self.page_size]
        following = str(start + self.page_size) if start + self.page_size < len(items) else None
        return answer(body={'items': chunk, 'next_page_token': following})
