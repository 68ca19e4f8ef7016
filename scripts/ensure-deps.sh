#!/bin/sh
# Installs what building and testing Xiecha needs on a fresh Debian 12 machine, and nothing
# when it is already there: librdkafka (headers + pkg-config), kcat, PostgreSQL 15 (tests start
# a throw-away server), gcc for the C baseline, tzdata (jurisdiction.timeZone names), and Python's
# jsonschema for the schema checks.
set -eu
need=""
for p in librdkafka-dev pkg-config kcat postgresql gcc tzdata; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
    echo "installing:$need" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
fi
python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install -q jsonschema
