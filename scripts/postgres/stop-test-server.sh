#!/bin/sh
# Stops a server started by scripts/postgres/start-test-server.sh DIR and removes DIR.
#
#   scripts/postgres/stop-test-server.sh DIR [--keep]
#
# With --keep the cluster directory (data and logs) is left in place.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 DIR [--keep]" >&2
    exit 2
fi
DIR=$1
KEEP=${2:-}

if [ ! -d "$DIR/data" ]; then
    echo "$0: $DIR holds no test cluster" >&2
    exit 1
fi
DIR=$(cd "$DIR" && pwd)

BIN=""
if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/pg_ctl" ]; then
    BIN=$PG_BIN
else
    # The cluster's major version picks the binaries.
    v=$(cat "$DIR/data/PG_VERSION" 2>/dev/null || true)
    if [ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then
        BIN=/usr/lib/postgresql/$v/bin
    elif command -v pg_ctl >/dev/null 2>&1; then
        BIN=$(dirname "$(command -v pg_ctl)")
    else
        echo "$0: pg_ctl not found (set PG_BIN)" >&2
        exit 1
    fi
fi

if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null || true
    else
        q() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }
        su postgres -s /bin/sh -c "$(q "$BIN/pg_ctl") -D $(q "$DIR/data") -m fast -w -t 60 stop" >/dev/null || true
    fi
else
    "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null || true
fi

if [ -f "$DIR/data/postmaster.pid" ]; then
    echo "$0: the server in $DIR did not stop; see $DIR/server.log" >&2
    exit 1
fi
if [ "$KEEP" != "--keep" ]; then
    rm -rf "$DIR"
fi
