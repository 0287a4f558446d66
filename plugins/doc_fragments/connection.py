# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Connection options every module shares (kept in step with module_utils/_module.py CONNECTION_SPEC)."""

    DOCUMENTATION = r'''
options:
  api_token:
    description:
      - A CircleCI API token (a personal API token, or a project API token for project-scoped work).
      - Sent only in the C(Circle-Token) header, to O(api_url)'s host and to the artifact hosts the API names; never in a URL,
        never across a redirect to another host, and never in a message.
      - If not set, the environment variable E(CIRCLECI_TOKEN) is used, then E(CIRCLE_TOKEN).
      - Required, checked before any request, except by the modules that read a project's builds, artifact lists and test
        metadata (M(community.circleci.build_info) with a project, M(community.circleci.artifact_info),
        M(community.circleci.artifact), M(community.circleci.test_metadata_info)). CircleCI answers those without a token
        for F/OSS projects, and any other project fails with a message saying that a token is needed.
      - Checked before any request; a token with surrounding white space (a newline read from a file) is refused.
    type: str
  api_url:
    description:
      - The base URL of the CircleCI API v1.1.
      - Set it for CircleCI Server installations (V(https://circleci.example.com/api/v1.1)) or a local emulator.
      - If not set, the environment variable E(CIRCLECI_API_URL) is used, then the default.
      - An answer that does not come from the CircleCI API (an HTML page, a 404 without CircleCI's message) fails with a
        message that asks to check this option.
    type: str
    default: https://circleci.com/api/v1.1
  api_v2_url:
    description:
      - The base URL of the CircleCI API v2, for the modules and projects (C(circleci/...)) that need it.
      - By default derived from O(api_url), V(https://circleci.com/api/v1.1) giving V(https://circleci.com/api/v2);
        set it only when a CircleCI Server installation serves v2 elsewhere.
      - If not set, the environment variable E(CIRCLECI_API_V2_URL) is used, then the derived URL.
    type: str
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate. Only set to V(false) on a trusted network.
      - Wins over the E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) environment variables, which only replace the default
        CA bundle when O(ca_path) is not set.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates (or a directory of them) to verify the server with, for example a CircleCI Server's
        private CA. Wins over E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE); a path that does not exist fails before any request.
    type: path
  timeout:
    description:
      - Seconds to wait for the server to answer one request.
    type: float
    default: 30
  retries:
    description:
      - How many times to retry a request that was rate limited (HTTP 429, honouring C(Retry-After)) or whose connection
        timed out while opening; and, where repeating it is harmless (reads, deletions and overwriting writes), one that
        failed with HTTP 500, 502, 503 or 504, a reset, a read timeout or a cut-off answer. A refused connection fails at once.
      - A request that may create something (trigger or retry a build, add a checkout key or an SSH key) is never
        repeated once it may have reached CircleCI; when its answer is lost, the modules read the resource again to learn
        whether it was made (see the user guide's retry table).
      - Waits grow exponentially with random jitter; retries stop when the overall deadline of 300 seconds would be passed.
      - Proxies are taken from the usual environment variables (E(HTTPS_PROXY), E(HTTP_PROXY), E(NO_PROXY)).
    type: int
    default: 5
  max_concurrency:
    description:
      - How many requests may be in flight at once, across everything one task does (many projects, many variables).
      - The client also adapts to CircleCI's rate limit. On a 429 answer it caps its request rate below what just
        succeeded and waits for C(Retry-After); it raises the cap again while no 429 comes.
      - If not set, the environment variable E(CIRCLECI_MAX_CONCURRENCY) is used, then the default.
    type: int
    default: 8
notes:
  - Every module of this collection is in the action group C(community.circleci.circleci), so the connection
    options can be set once with C(module_defaults) (C(group/community.circleci.circleci)).
requirements:
  - requests
'''
