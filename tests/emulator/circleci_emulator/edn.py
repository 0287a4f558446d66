"""Minimal EDN rendering: what the real API answers when the client does not ask for JSON."""

from __future__ import annotations

import json


def to_edn(value) -> str:
    """Render a JSON-like value as Clojure EDN text."""
    if value is None:
        return 'nil'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return '{' + ', '.join(':%s %s' % (str(k).replace(' ', '-'), to_edn(v)) for k, v in value.items()) + '}'
    if isinstance(value, (list, tuple)):
        return '[' + ' '.join(to_edn(v) for v in value) + ']'
    return json.dumps(str(value))
