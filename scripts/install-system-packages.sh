#!/usr/bin/env bash
# Install the Debian packages the tests and benchmarks need, only those missing. Safe to run twice.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v wrk >/dev/null || missing+=(wrk)
command -v qpdf >/dev/null || missing+=(qpdf)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v npm >/dev/null || missing+=(npm)
# The front the tests put before gunicorn (tests/test_front.py runs it unprivileged on loopback).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Debian starts a service as its package is installed: nginx would take port 80 with its default
# site. A policy-rc.d that answers 101 ("not allowed") stops that, for this install only (a
# container's own policy-rc.d is left as it is).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# ... nor start at the next boot: the suite runs its own nginx, and a production machine enables
# it once deploy/nginx.conf is in place (README, "Running in production").
if [[ " ${missing[*]} " == *" nginx "* ]] && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --quiet nginx.service || true
fi
