#!/usr/bin/env bash
# Set up everything lwsyslog needs on a fresh Debian/Ubuntu machine, then run one job:
#   sudo bash bootstrap.sh demo   the end-to-end demo (the README's main command)
#   sudo bash bootstrap.sh test   lint, type checks and the whole test suite (what CI runs)
# Idempotent: packages already present are not reinstalled; the venv is reused.
set -euo pipefail
cd "$(dirname "$0")"

job=${1:-}
case "$job" in
  demo|test) ;;
  *) echo "usage: sudo bash bootstrap.sh demo|test" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap.sh: run as root (apt packages, a private journald namespace, Apache)" >&2
  exit 2
fi

# rsyslog + RELP + OpenSSL for the chain (and GnuTLS for the TLS syslog input of Windows
# hosts); apache2 as the real web server; systemd for journald; gcc and python3-dev for any
# Python dependency without a wheel for this machine; fail2ban for the baseline benchmark;
# openssl for certificates; util-linux for unshare/nsenter; bsdutils for logger; chromium to
# open the HTML report as a person would; dpkg-dev, logrotate and man-db to build and test the
# Debian package; nftables and iproute2 for the deployment guide's firewall and its test hosts;
# dnsmasq-base as the real DNS server on 127.0.0.1 of the crawler tests.
packages=(rsyslog rsyslog-relp rsyslog-openssl rsyslog-gnutls apache2 apache2-utils systemd
  gcc python3-dev python3-venv openssl util-linux bsdutils fail2ban curl chromium dpkg-dev
  logrotate man-db nftables iproute2 dnsmasq-base)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap.sh: installing ${missing[*]}" >&2
  apt-get update -qq
  # The services must not start on install: the demo and tests run their own private instances.
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -n "$policy_added" ] && rm -f /usr/sbin/policy-rc.d
fi

# The distribution's interpreter, the one the Debian package runs the program on (built with
# profile-guided and link-time optimisation), also when another python3 comes first on the PATH
# (pyenv): tests and benchmarks then measure what is shipped. PYTHON overrides it.
python=${PYTHON:-python3}
if [ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ]; then
  python=/usr/bin/python3
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[sigma,dev]' 'setuptools>=70.1'
# Then the per-line modules compiled to C by mypyc (setup.py, lwsyslog/compiled.py): mypyc
# type-checks what it compiles, so it builds in this venv, with the dependencies above. The
# .so files land beside the .py files (git-ignored) and are imported first; after editing one
# of those modules, run this script again (tests/unit/test_compiled.py says when it is due).
LWSYSLOG_COMPILE=1 .venv/bin/python -m pip install -q --disable-pip-version-check \
  --no-build-isolation --no-deps -e .

case "$job" in
  demo) exec .venv/bin/lwsyslog demo ;;
  test)
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy
    exec .venv/bin/python -m pytest -q -p no:cacheprovider tests
    ;;
esac
