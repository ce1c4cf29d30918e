# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Prometheus connection options, documented once (the spec is prometheus_argument_spec() in _prometheus.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the Prometheus HTTP API, without C(/api/v1), for example V(http://prometheus.monitoring:9090).
      - Anything that serves the Prometheus query API works, with its path prefix - Thanos Query, Mimir or Cortex
        (V(https://mimir.example.com/prometheus)), VictoriaMetrics, or Grafana's data source proxy
        (V(https://grafana.example.com/api/datasources/proxy/uid/<uid>)).
      - If not set, the environment variable E(PROMETHEUS_URL) is used.
      - Without a URL, M(karmada.runbooks.prometheus_query) fails and the check modules report their finding as
        C(unknown), so a diagnosis without Prometheus still completes.
    type: str
  bearer_token:
    description:
      - "Token sent as C(Authorization: Bearer <token>), for example a service account token in front of an OAuth proxy."
      - If not set, the environment variable E(PROMETHEUS_TOKEN) is used.
      - Mutually exclusive with O(username).
    type: str
    aliases: [token]
  username:
    description:
      - User name for HTTP basic authentication; needs O(password).
      - If not set, the environment variable E(PROMETHEUS_USERNAME) is used.
    type: str
  password:
    description:
      - Password for HTTP basic authentication.
      - If not set, the environment variable E(PROMETHEUS_PASSWORD) is used.
    type: str
  ca_cert:
    description:
      - Path of a PEM file with the CA certificate(s) to verify the server with.
      - If not set, the environment variable E(PROMETHEUS_CA_CERT) is used.
    type: path
  client_cert:
    description:
      - Path of a PEM client certificate for mutual TLS. It may contain the private key too.
      - If not set, the environment variable E(PROMETHEUS_CLIENT_CERT) is used.
    type: path
  client_key:
    description:
      - Path of the PEM private key of O(client_cert), when the certificate file does not contain it.
      - If not set, the environment variable E(PROMETHEUS_CLIENT_KEY) is used.
    type: path
  validate_certs:
    description:
      - Verify the server's TLS certificate. Only switch this off for a test server.
    type: bool
    default: true
  use_proxy:
    description:
      - Use the proxy that the environment variables E(https_proxy) and E(http_proxy) name (E(no_proxy) is honoured).
    type: bool
    default: true
  headers:
    description:
      - Extra HTTP headers sent with every query, for example C(X-Scope-OrgID) to pick a Mimir or Cortex tenant.
      - They are logged like any other option; put credentials in O(bearer_token) or O(password), which are not.
    type: dict
    default: {}
  request_timeout:
    description:
      - Seconds to wait for each query. A check stops at its first unanswered query and reports C(unknown).
    type: int
    default: 15
    aliases: [timeout]
"""
