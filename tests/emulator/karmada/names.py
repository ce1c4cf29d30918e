"""Karmada's naming rules (pkg/util/names), reproduced so emulated objects carry real names."""

from __future__ import annotations

EXECUTION_SPACE_PREFIX = "karmada-es-"
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def execution_space(cluster):
    return EXECUTION_SPACE_PREFIX + cluster


def cluster_of(namespace):
    if not namespace.startswith(EXECUTION_SPACE_PREFIX):
        raise ValueError("the execution space name is in wrong format")
    return namespace[len(EXECUTION_SPACE_PREFIX):]


def _fnv32a(data):
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _safe_encode(text):
    return "".join(_SAFE_ALPHABET[b % len(_SAFE_ALPHABET)] for b in text.encode())


def binding_name(kind, name):
    """ResourceBinding / ClusterResourceBinding name for a resource template."""
    return f"{name}-{kind}".lower().replace(":", ".")


def work_name(kind, name, namespace=""):
    """Work name: ``<name>-<hash>``; Deployment default/nginx gives nginx-687f7fb96f.

    GenerateWorkName (pkg/util/names/names.go, v1.18.2) replaces ``:`` with ``.`` and lower-cases
    the name *before* hashing, so ``system:foo`` hashes as ``system.foo``.
    """
    name = name.replace(":", ".").lower()
    key = f"{namespace}-{name}-{kind}" if namespace else f"{name}-{kind}"
    digest = _fnv32a(key.lower().encode())
    return f"{name}-{_safe_encode(str(digest))}"
