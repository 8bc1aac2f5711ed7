#!/usr/bin/env bash
# tests/run.sh: the README's test command: install what the tests need, then lint, type-check and test.
# Usage: bash tests/run.sh [pytest args]. Debian packages (lighttpd, for the HTTP push tests)
# are installed with apt-get when missing, which needs root (as in CI) or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg; do
    [ -n "$pkg" ] || continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done < .ci/apt-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -m ruff check .
python3 -m mypy
python3 -m pytest -q -n 2 "$@"
# Verdicts must not depend on the validated-context cache: the whole suite again without it.
GATEKEEPER_NO_CACHE=1 python3 -m pytest -q -n 2 "$@"
