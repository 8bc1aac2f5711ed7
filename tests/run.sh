#!/usr/bin/env bash
# tests/run.sh: the README's test command: install what the tests need into a virtual environment,
# then lint, type-check and test. Usage: bash tests/run.sh [pytest args].
#
# Debian packages (lighttpd for the HTTP push tests, python3-venv for the virtual environment)
# are installed with apt-get when missing, which needs root (as in CI) or sudo. Everything
# Python goes into the virtual environment $GATEKEEPER_VENV (default: .venv in this clone),
# created when missing with `python3 -m venv`: never into the system Python, which Debian and
# Ubuntu refuse anyway (PEP 668, "externally-managed-environment").
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg; do
    [ -n "$pkg" ] || continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done < .ci/apt-packages.txt
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

venv="${GATEKEEPER_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
    echo "creating the virtual environment $venv"
    python3 -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install -q --disable-pip-version-check -e '.[test]'
"$py" -m ruff check .
"$py" -m mypy
"$py" -m pytest -q -n 2 "$@"
# Verdicts must not depend on the validated-context cache: the whole suite again without it.
GATEKEEPER_NO_CACHE=1 "$py" -m pytest -q -n 2 "$@"
