# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Context environment variables (API v2): options, the plan, applying it, and drift, with or without a ledger.

For internal collection use only: names and behaviour may change without notice.

A context variable's value is write-only: ``GET /context/{id}/environment-variable`` gives names and
``created_at``/``updated_at``, never the value, not even masked. So without a ledger a stored value
cannot be compared with a desired one at all: an existing variable is either written on every run
(``update_value: always``) or left alone (``on_create``, reported as ``unverified``). With a ledger
(``_ledger.py``) the last write is provable: ``when_changed`` writes only when the desired value's
digest differs from the one recorded, or when CircleCI's ``updated_at`` differs from the one recorded
(the variable was rewritten outside the playbook, reported in ``rewritten``).

Names, values and their validation are env_var's (``_env_vars``: ITEM_SPEC, check_variables,
value_problem). A write is one ``PUT .../environment-variable/{name}`` (an upsert: replaying it is
harmless, and a variable is never deleted and created again); deletions run last, after every write
succeeded.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._bulk import APPLIED_KEY, ChangePlan, apply_phases, failure_entry, new_outcome
from ansible_collections.community.circleci.plugins.module_utils._contexts import (
    OWNER_SPEC,
    VARIABLE_PATH,
    check_name,
    check_owner,
    find_context,
    owner_of,
    read_variables,
    variable_list,
)
from ansible_collections.community.circleci.plugins.module_utils._env_vars import (
    ITEM_SPEC,
    STATES,
    Change,
    check_variables,
    desired_variables,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    NOT_APPLIED,
    CircleCIError,
    InputError,
)
from ansible_collections.community.circleci.plugins.module_utils._ledger import Ledger, LedgerError, entry_key, same_time
from ansible_collections.community.circleci.plugins.module_utils._slug import canonical_id

UPDATE_VALUE_CHOICES = ('always', 'on_create', 'when_changed')
TO_BE_WRITTEN = '(to be written)'  # the diff's "after" of a variable check mode would write
WRITTEN = '(written)'  # ... of a variable written whose new updated_at CircleCI did not give

SPEC = dict(
    context=dict(type='str'),
    context_id=dict(type='str'),
    owner=OWNER_SPEC,
    name=dict(type='str'),
    value=ITEM_SPEC['value'],
    state=dict(type='str', choices=list(STATES), default='present'),
    variables=dict(type='list', elements='dict', options=ITEM_SPEC),
    purge=dict(type='bool', default=False),
    update_value=dict(type='str', choices=list(UPDATE_VALUE_CHOICES)),
    ledger=dict(type='path'),
)
RULES = dict(
    mutually_exclusive=[('name', 'variables'), ('value', 'variables'), ('context', 'context_id')],
    required_one_of=[('name', 'variables'), ('context', 'context_id')],
    required_by={'context': ('owner',)},
)


def update_value_of(params):
    """The update_value in force: as given, else ``when_changed`` with a ledger and ``on_create`` without."""
    return params.get('update_value') or ('when_changed' if params.get('ledger') else 'on_create')


def check_options(params):
    """The rules AnsibleModule cannot state; InputError before any request."""
    if params.get('context') is not None:
        check_name(params['context'], 'context')
    if params.get('context_id') is not None and canonical_id(params['context_id']) is None:
        raise InputError('context_id %r is not a context id (a UUID, as the context\'s page and the API show it)' % params['context_id'])
    if params.get('owner') is not None:
        check_owner(params['owner'])
    if params.get('ledger') and params.get('context_id') is not None and params.get('owner') is None:
        raise InputError('ledger entries are keyed by owner, context and name: give owner with context_id')
    if update_value_of(params) == 'when_changed' and not params.get('ledger'):
        raise InputError('update_value=when_changed needs a ledger: CircleCI never returns a context variable\'s value, so '
                         'only a ledger of what was written can tell whether it changed. Set ledger, or use on_create or always')
    check_variables(desired_variables(params))


def context_ref(client, params, check_mode=False, warn=None):
    """``(context, owner)``: the context as ``{id, name, created_at}`` (``id`` None when it does not exist) and its owner.

    With ``context_id`` the context is not looked up (its variables' list answers 404 when it does not
    exist), and the owner is resolved only when a ledger needs its id.
    """
    owner = None
    if params.get('owner') is not None and (params.get('context') is not None or params.get('ledger')):
        owner = owner_of(client, params['owner'])
    if params.get('context_id') is not None:
        return {'id': canonical_id(params['context_id']), 'name': None, 'created_at': None}, owner
    found = find_context(client, owner['id'], params['context'])
    if found is None:
        if warn is not None and check_mode:
            warn('context %s does not exist in %s (yet): check mode plans its variables as if it were empty'
                 % (params['context'], owner['slug']))
        return {'id': None, 'name': params['context'], 'created_at': None}, owner
    return found, owner


def context_result(context, owner):
    """The context as results return it (the same keys as the context module's)."""
    return {'id': context.get('id'), 'name': context.get('name'), 'created_at': context.get('created_at'),
            'owner_id': owner['id'] if owner else None, 'owner_slug': owner['slug'] if owner else None}


class LedgerView:
    """The ledger seen from one context: keys by variable name; a stand-in that knows nothing without a ledger."""

    def __init__(self, ledger, owner, context):
        self.ledger = ledger
        self.usable = ledger is not None and owner is not None and context.get('id') is not None
        self._prefix = (owner['id'], context.get('id')) if self.usable else None

    def key(self, name):
        return entry_key(self._prefix[0], self._prefix[1], name)

    def lookup(self, name):
        return self.ledger.lookup(self.key(name)) if self.usable else None

    def matches(self, name, value):
        return self.usable and self.ledger.matches(self.key(name), value)

    def rewritten(self, name, times):
        """Whether CircleCI's ``updated_at`` differs from the one recorded when the ledger's write was made."""
        record = self.lookup(name)
        return record is not None and not same_time(record.get('updated_at'), (times or {}).get('updated_at'))


# -- the plan -----------------------------------------------------------------------------------------

class ContextVarPlan(ChangePlan):
    """What converging a context's variables takes; the clear values stay inside (Change.value).

    ``before`` is ``{name: {created_at, updated_at}}`` as read; ``rewritten`` the names whose
    ``updated_at`` differs from the ledger's record.
    """

    def __init__(self, before, add, update, delete, unchanged, unverified, rewritten):
        super().__init__(add, update, delete, unchanged, unverified)
        self.before = before
        self.rewritten = rewritten

    def after(self, written=None, deleted=None):
        """``{name: times}`` once the named writes (``{name: times}``) and deletions are done; by default all, times unknown."""
        if written is None:
            written = {change.name: {'created_at': None, 'updated_at': None} for change in self.writes}
        if deleted is None:
            deleted = [change.name for change in self.delete]
        after = {name: dict(times) for name, times in self.before.items()}
        for name, times in written.items():
            created = (self.before.get(name) or {}).get('created_at')
            after[name] = {'created_at': created or times.get('created_at'), 'updated_at': times.get('updated_at')}
        for name in deleted:
            after.pop(name, None)
        return after

    def diff(self, after=None):
        """Before/after ``{name: updated_at}``; a write still to be made shows TO_BE_WRITTEN. Never a value."""
        unknown = TO_BE_WRITTEN if after is None else WRITTEN
        after = self.after() if after is None else after
        return {'before': {name: times.get('updated_at') for name, times in sorted(self.before.items())},
                'after': {name: times.get('updated_at') or unknown for name, times in sorted(after.items())}}

    def to_result(self):
        """The result as if applied (check mode): names, timestamps and reasons only."""
        result = self.names_result()
        result.update(rewritten=list(self.rewritten), variables=variable_list(self.after()), diff=self.diff())
        return result


def plan_context_vars(current, desired, purge=False, update_value='on_create', ledger=None):
    """Plan how to go from ``current`` (``{name: times}``) to ``desired`` ({name, value, state} items); pure.

    ``update_value``: ``on_create`` leaves an existing variable alone (its value cannot be compared:
    ``unverified``); ``always`` writes every present variable; ``when_changed`` (needs ``ledger``, a
    LedgerView) writes one whose desired value differs from the one recorded as written, that CircleCI
    shows as rewritten since, or that the ledger has no record of. Raises InputError for unusable input.
    """
    check_variables(desired)
    ledger = ledger or LedgerView(None, None, {})
    if update_value == 'when_changed' and not ledger.usable:
        raise InputError('update_value=when_changed needs a ledger')
    add, update, delete, unchanged, unverified, rewritten = [], [], [], [], [], []
    listed = set()
    for item in desired:
        name, value, state = item['name'], item.get('value'), item.get('state') or 'present'
        listed.add(name)
        stored = current.get(name)
        if stored is not None and ledger.rewritten(name, stored):
            rewritten.append(name)
        if state == 'absent':
            if stored is None:
                unchanged.append(Change(name, 'none', 'absent already', None))
            else:
                delete.append(Change(name, 'delete', 'state is absent', None))
            continue
        if stored is None:
            gone = ledger.lookup(name) is not None
            add.append(Change(name, 'add', 'not set (deleted outside this playbook since it was written)' if gone else 'not set', value))
        elif update_value == 'always':
            update.append(Change(name, 'update', 'update_value is always: the value is written even if it is the same', value))
        elif update_value == 'on_create':
            unchanged.append(Change(name, 'none', 'exists; CircleCI never returns the value, so it was not compared '
                                                  '(update_value is on_create)', None))
            unverified.append(name)
        elif name in rewritten:
            update.append(Change(name, 'update', 'rewritten outside this playbook: CircleCI shows updated_at %s, the ledger '
                                                 'recorded %s' % (stored.get('updated_at'), ledger.lookup(name).get('updated_at')), value))
        elif ledger.lookup(name) is None:
            update.append(Change(name, 'update', 'the ledger has no record of it: written once, so that the ledger can vouch for it', value))
        elif not ledger.matches(name, value):
            update.append(Change(name, 'update', 'the value differs from the one last written (ledger digest)', value))
        else:
            unchanged.append(Change(name, 'none', 'unchanged since written: the same value (ledger digest) and updated_at %s'
                                                  % stored.get('updated_at'), None))
    if purge:
        for name in current:
            if name not in listed:
                delete.append(Change(name, 'delete', 'not listed, and purge is true', None))
                if ledger.rewritten(name, current[name]):
                    rewritten.append(name)
    return ContextVarPlan(dict(current), add, update, delete, unchanged, unverified, rewritten)


# -- applying -----------------------------------------------------------------------------------------

def apply_context_var_plan(client, context_id, plan):
    """Carry out a plan: PUTs concurrently, then DELETEs; no new request after the first failure.

    Returns ``added``, ``updated``, ``deleted`` (names), ``written`` (``{name: times}`` CircleCI gave for
    each write, times None when its answer did not say), ``failures`` and ``not_attempted``. A write whose
    answer was lost is settled by reading the variables once: a moved ``updated_at`` shows it landed.
    """
    answers = {}

    def write(change):
        answer = client.v2.put(VARIABLE_PATH, context_id, change.name, body={'value': change.value}, repeatable=True, expect='json')
        answers[change.name] = answer if isinstance(answer, dict) else {}

    def remove(change):
        client.v2.delete(VARIABLE_PATH, context_id, change.name, missing_ok=True)  # gone already meets the goal

    def settle(uncertain, outcome):
        _settle(client, context_id, plan, uncertain, outcome)

    outcome = apply_phases(client, [(plan.writes, write), (plan.delete, remove)], settle, new_outcome(written={}))
    for name in outcome['added'] + outcome['updated']:
        answer = answers.get(name) or {}
        outcome['written'].setdefault(name, {'created_at': answer.get('created_at'), 'updated_at': answer.get('updated_at')})
    return outcome


def _settle(client, context_id, plan, uncertain, outcome):
    """Read the variables once to learn which of the writes whose answer was lost were applied."""
    try:
        stored = read_variables(client, context_id)
    except CircleCIError:
        stored = None
    for change, error in uncertain:
        before, now = plan.before.get(change.name), (stored or {}).get(change.name)
        if stored is not None:
            if change.action == 'delete':
                landed, untouched = now is None, now is not None and now == before
            else:
                landed = now is not None and (before is None or not same_time(now.get('updated_at'), before.get('updated_at')))
                untouched = now == before
            if landed:
                outcome[APPLIED_KEY[change.action]].append(change.name)
                if change.action != 'delete':
                    outcome['written'][change.name] = dict(now)
                continue
            if untouched and not error.may_still_run:
                error.outcome = NOT_APPLIED
        outcome['failures'].append(failure_entry(change, error))


def _record(client, context_id, ledger_view, plan, applied):
    """Bring the ledger up to date with what was applied (not saved yet); reads the variables once if an answer lacked updated_at."""
    values = {change.name: change.value for change in plan.writes}
    if any(not times.get('updated_at') for times in applied['written'].values()):
        stored = read_variables(client, context_id)
        for name, times in applied['written'].items():
            if not times.get('updated_at') and name in stored:
                applied['written'][name] = dict(stored[name])
    for name, times in applied['written'].items():
        if times.get('updated_at'):
            ledger_view.ledger.record(ledger_view.key(name), times['updated_at'], values[name])
        else:
            ledger_view.ledger.forget(ledger_view.key(name))
    for name in applied['deleted']:
        ledger_view.ledger.forget(ledger_view.key(name))
    for failure in applied['failures']:
        if failure['outcome'] != NOT_APPLIED:  # may have landed: a stale record would claim a rewrite next time
            ledger_view.ledger.forget(ledger_view.key(failure['name']))


# -- converging ---------------------------------------------------------------------------------------

def converge_context_vars(client, params, check_mode=False, warn=None, ref=None):
    """Read the context's variables once, plan, and (unless check_mode) apply: the module result.

    Requests: with ``context`` and ``owner``, one GET for the owner and the context list (one GET per page);
    with ``context_id``, none of those (one GET for the owner when a ledger needs its id); with ``ref``,
    ``(context, owner)`` as context_ref gives them, found already by the caller, none either (a context whose
    ``id`` is None is still to be created: planned as empty). Then the variables
    (one GET per page) and one PUT or DELETE per change. The ledger is read before any request and written
    once after the writes (never in check mode).
    """
    check_options(params)
    desired = desired_variables(params)
    update_value = update_value_of(params)
    ledger = Ledger.load(params['ledger']) if params.get('ledger') else None
    if ledger is not None:
        if not check_mode:
            ledger.check_writable()
        if warn is not None and ledger.loose_permissions():
            warn(ledger.loose_permissions())
    context, owner = ref if ref is not None else context_ref(client, params, check_mode=check_mode, warn=warn)
    current = read_variables(client, context['id']) if context['id'] is not None else {}
    view = LedgerView(ledger, owner, context)
    if update_value == 'when_changed' and not view.usable:  # only a context still to be created, in check mode
        update_value = 'always'
    plan = plan_context_vars(current, desired, purge=params.get('purge'), update_value=update_value, ledger=view)
    result = plan.to_result()
    result['context'] = context_result(context, owner)
    if check_mode or not plan.changed:
        return result
    if context['id'] is None:
        raise CircleCIError('Context %s does not exist in %s: create it first (community.circleci.context), then set its '
                            'variables; nothing was written' % (context['name'], owner['slug']),
                            result=dict(result, changed=False, added=[], updated=[], deleted=[], variables=[],
                                        diff={'before': {}, 'after': {}}))
    applied = apply_context_var_plan(client, context['id'], plan)
    save_error = None
    if view.usable:
        try:
            _record(client, context['id'], view, plan, applied)
        except CircleCIError as error:  # the read that fills missing times failed: record nothing uncertain
            for name in applied['written']:
                view.ledger.forget(view.key(name))
            save_error = error
        try:
            view.ledger.save()
        except LedgerError as error:
            save_error = error
    after = plan.after(applied['written'], applied['deleted'])
    result.update({key: applied[key] for key in ('added', 'updated', 'deleted', 'failures', 'not_attempted')})
    result['changed'] = bool(applied['added'] or applied['updated'] or applied['deleted']
                             or any(failure['outcome'] != NOT_APPLIED for failure in applied['failures']))
    result['variables'] = variable_list(after)
    result['diff'] = plan.diff(after)
    if applied['failures']:
        raise CircleCIError(failure_message(result), result=result)
    if save_error is not None:
        raise CircleCIError(str(save_error), result=result)
    return result


def failure_message(result):
    """A message for a converge whose requests did not all succeed: what was applied, what failed, what next."""
    applied = ['%s %s' % (key, ', '.join(result[key])) for key in ('added', 'updated', 'deleted') if result.get(key)]
    failed = ['%s %s: %s' % (item['action'], item['name'], item['reason']) for item in result.get('failures') or []]
    context = result.get('context') or {}
    label = 'context %s' % (context.get('name') or context.get('id'))
    if applied:
        parts = ['Variables of %s were only partly converged' % label, 'applied: %s' % '; '.join(applied)]
    else:
        parts = ['Variables of %s were not converged' % label, 'applied: nothing']
    parts.append('failed: %s' % ' | '.join(failed))
    if result.get('not_attempted'):
        parts.append('not attempted: %s' % ', '.join(result['not_attempted']))
    parts.append('Nothing applied was undone; running the task again converges the rest' if applied
                 else 'Running the task again retries every change')
    return '. '.join(part.rstrip('.') for part in parts) + '.'


# -- drift --------------------------------------------------------------------------------------------

def drift_report(current, expected, ledger=None, allow_unexpected=False):
    """Compare a context's variables with ``expected`` (``{name: value or None}``), in env_var_info's words.

    ``missing``, ``unexpected`` and ``in_sync`` as env_var_info; ``masked_mismatch`` is always empty
    (CircleCI shows no value, not even masked); ``unverified``: names expected with a value that nothing
    can vouch for (no ledger, or no record). With a ledger (a LedgerView): ``rewritten``, the variables
    whose ``updated_at`` differs from the one recorded (rewritten outside the playbook since it wrote
    them), and ``digest_mismatch``, names whose expected value differs from the one recorded as written.
    Both count as drift.
    """
    ledger = ledger or LedgerView(None, None, {})
    missing, unverified, mismatch = [], [], []
    rewritten = [name for name in current if ledger.rewritten(name, current[name])]
    for name, value in expected.items():
        if name not in current:
            missing.append(name)
        elif value is None or name in rewritten:
            continue
        elif ledger.lookup(name) is None:
            unverified.append(name)
        elif not ledger.matches(name, value):
            mismatch.append(name)
    unexpected = [name for name in current if name not in expected]
    return {
        'missing': missing,
        'unexpected': unexpected,
        'masked_mismatch': [],
        'unverified': unverified,
        'rewritten': rewritten,
        'digest_mismatch': mismatch,
        'in_sync': not (missing or mismatch or rewritten or (unexpected and not allow_unexpected)),
    }


def ledger_status(ledger, name, times):
    """For a listed variable: ``unchanged`` (CircleCI shows the updated_at recorded), ``rewritten``, ``unrecorded``; None without a ledger."""
    if ledger is None or not ledger.usable:
        return None
    if ledger.lookup(name) is None:
        return 'unrecorded'
    return 'rewritten' if ledger.rewritten(name, times) else 'unchanged'
