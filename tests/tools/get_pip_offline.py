"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test creates each test virtual environment without pip and then runs a
cached ``get_pip_<version>.py`` to put a pinned pip into it. The script is
normally fetched from a download host this machine cannot reach, so
``make setup`` copies this file to ``~/.ansible/test/cache/get_pip_<version>.py``
instead.

It is run with the new environment's interpreter and get-pip style arguments,
for example ``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``.
It seeds pip from the interpreter's bundled ``ensurepip`` wheel and then lets
that pip install the requested packages from the configured package index.
"""

from __future__ import annotations

import subprocess
import sys

# Options understood by get-pip.py only; pip itself rejects them.
GET_PIP_ONLY_OPTIONS = frozenset(('--no-setuptools', '--no-wheel'))


def pip_install_arguments(argv):
    """Return the ``pip install`` arguments for the given get-pip arguments."""
    return [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]


def seed_pip():
    """Install the pip wheel bundled with this interpreter (no network needed).

    ensurepip runs in a child process: it points PIP_CONFIG_FILE at /dev/null
    while it works, and that must not leak into the ``pip install`` below,
    which needs the machine's pip configuration (index, proxy CA).
    """
    result = subprocess.run(
        [sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    if result.returncode != 0:
        sys.stdout.write(result.stdout.decode('utf-8', 'replace'))
        raise SystemExit(result.returncode)


def main(argv):
    """Seed pip, then install what the caller asked for."""
    seed_pip()
    arguments = pip_install_arguments(argv)
    if not any(not arg.startswith('-') for arg in arguments):
        return 0
    command = [sys.executable, '-m', 'pip', 'install', '--quiet'] + arguments
    return subprocess.call(command)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
