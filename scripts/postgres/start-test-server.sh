#!/bin/sh
# Starts a throw-away PostgreSQL server for tests and prints its URL.
#
#   scripts/postgres/start-test-server.sh DIR PORT
#
# initdb's a cluster in DIR (which must not exist or be empty), starts it on 127.0.0.1:PORT with trust
# authentication on loopback and fsync off (test speed; never use this for real data), waits until it accepts
# connections, creates the database xiecha_test, and prints on stdout:
#
#   postgres://postgres@127.0.0.1:PORT/xiecha_test
#
# Use it as XIECHA_TEST_POSTGRES_URL. Stop it with scripts/postgres/stop-test-server.sh DIR.
# initdb and postgres refuse to run as root, so as root they run as the `postgres` system user (created if
# missing). The binaries come from PG_BIN, else pg_config --bindir, else the newest /usr/lib/postgresql/*/bin
# (Debian: apt-get install -y postgresql).
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 DIR PORT" >&2
    exit 2
fi
DIR=$1
PORT=$2
case $PORT in
    '' | *[!0-9]*) echo "$0: PORT must be a number, not '$PORT'" >&2; exit 2 ;;
esac

find_bin() {
    if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then echo "$PG_BIN"; return; fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        if [ -x "$d/initdb" ]; then echo "$d"; return; fi
    done
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir; return
    fi
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
    echo "$0: no PostgreSQL server binaries found (install them: apt-get install -y postgresql, or set PG_BIN)" >&2
    exit 1
}
BIN=$(find_bin)

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
if [ -n "$(ls -A "$DIR")" ]; then
    echo "$0: $DIR is not empty; stop the old server and remove it first" >&2
    exit 1
fi

# Run a command as the cluster owner: ourselves, or `postgres` when we are root.
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/sh postgres 2>/dev/null \
            || adduser --system --group --home /var/lib/postgresql --shell /bin/sh postgres >/dev/null
    fi
    chown postgres:postgres "$DIR"
    # Every parent directory must be traversable by postgres.
    d=$DIR
    while [ "$d" != "/" ]; do
        d=$(dirname "$d")
        perm=$(stat -c %A "$d")
        case $perm in ?????????x | ?????????t | ?????????T) ;; *) chmod o+x "$d" ;; esac
    done
    as_owner() {
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            # su needs one command string; quote every argument.
            cmd=""
            for a in "$@"; do cmd="$cmd '$(printf %s "$a" | sed "s/'/'\\\\''/g")'"; done
            su postgres -s /bin/sh -c "$cmd"
        fi
    }
else
    as_owner() { "$@"; }
fi

DATA=$DIR/data
SOCK=$DIR/socket
SOCK_CONF=$(printf %s "$SOCK" | sed "s/'/''/g")  # postgresql.conf quotes ' as ''
as_owner mkdir -p "$DATA" "$SOCK"
as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }

# Loopback only, trust (set by --auth=trust), no durability: this server is for tests.
cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK_CONF'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 128MB
log_min_messages = warning
CONF

as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 start >/dev/null \
    || { echo "$0: the server did not start; its log:" >&2; cat "$DIR/server.log" >&2; exit 1; }

i=0
until "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres; do
    i=$((i + 1))
    if [ $i -ge 60 ]; then
        echo "$0: the server on 127.0.0.1:$PORT is not ready after 30 s; its log:" >&2
        cat "$DIR/server.log" >&2
        exit 1
    fi
    sleep 0.5
done

"$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE xiecha_test" >/dev/null

echo "postgres://postgres@127.0.0.1:$PORT/xiecha_test"
