#!/usr/bin/env bash
# pg.sh — a throwaway PostgreSQL server for tests.
#
#   .ci/pg.sh start    start one (or reuse the running one) and print its DSN:
#                      postgres://odn@127.0.0.1:PORT/odn?sslmode=disable
#   .ci/pg.sh stop     stop it and delete its files (no-op when none runs)
#   .ci/pg.sh status   print the DSN and exit 0 when running, exit 1 otherwise
#   .ci/pg.sh check    exit 0 when the PostgreSQL server binaries are installed
#   .ci/pg.sh restart  restart the running server (fast shutdown: sessions are
#                      cut, committed data kept) on the same port and data, for
#                      fault tests where clients must recover
#
# The cluster lives in a temp dir (fsync off: tests only, never real data),
# listens on 127.0.0.1 on a free port and on a unix socket in that dir, and
# trusts connections (role odn is a superuser of this throwaway cluster, so
# tests may create and drop databases and extensions). PostgreSQL refuses
# to run as root, so as root the server runs as user postgres.
#
# Environment:
#   ODN_PG_STATE  state file (default: per user and per checkout, in /tmp);
#                 point it elsewhere to run several servers side by side
#   ODN_PG_BIN    directory holding initdb, pg_ctl, postgres (default: the
#                 newest /usr/lib/postgresql/*/bin, then $PATH)
#   ODN_PG_TMP    parent of the cluster dir (default /tmp, which user
#                 postgres can reach; $TMPDIR may not be)
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd -P)
state=${ODN_PG_STATE:-/tmp/odn-pg-$(id -u)-$(printf '%s' "$repo" | cksum | cut -d' ' -f1).state}
[[ $state == /* ]] || state=$PWD/$state
# User postgres may not be allowed into the caller's directory (e.g. /root).
cd /

# find_bin sets $bin to the directory holding the server binaries.
find_bin() {
	local d
	if [[ -n ${ODN_PG_BIN:-} ]]; then
		[[ -x $ODN_PG_BIN/pg_ctl ]] || die "ODN_PG_BIN=$ODN_PG_BIN has no pg_ctl"
		bin=$ODN_PG_BIN
		return 0
	fi
	d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	if [[ -n $d && -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then
		bin=$d
		return 0
	fi
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null && command -v postgres >/dev/null; then
		bin=$(dirname "$(command -v pg_ctl)")
		return 0
	fi
	return 1
}

# as_pg runs a command as the cluster owner: user postgres when we are root.
as_pg() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# port_free reports whether nothing accepts connections on 127.0.0.1:$1.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

dsn_for() { printf 'postgres://odn@127.0.0.1:%s/odn?sslmode=disable\n' "$1"; }

# load_state sets dir, port and bin from the state file; fails when absent.
load_state() {
	[[ -f $state ]] || return 1
	dir='' port='' bin=''
	# shellcheck disable=SC1090
	. "$state"
	[[ -n $dir && -n $port && -n $bin ]]
}

running() {
	load_state && [[ -d $dir/data ]] && as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

cmd_stop() {
	if ! load_state; then
		rm -f "$state"
		return 0
	fi
	if [[ -d $dir/data ]]; then
		# immediate: the cluster is thrown away, no need for a checkpoint.
		as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	fi
	case $dir in
	/*/odn-pg.*) rm -rf "$dir" ;;
	*) echo "$prog: not removing unexpected dir $dir" >&2 ;;
	esac
	rm -f "$state"
}

cmd_start() {
	if running; then
		dsn_for "$port"
		return 0
	fi
	cmd_stop # a stale state file from a crashed run
	find_bin || die "PostgreSQL server binaries not found (apt-get install postgresql, or set ODN_PG_BIN)"
	if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
		die "running as root but there is no user postgres to own the cluster"
	fi

	dir=$(mktemp -d "${ODN_PG_TMP:-/tmp}/odn-pg.XXXXXX")
	port=
	# Until the state file is written, a failure must not leave a server
	# or files behind.
	# shellcheck disable=SC2154 # rc is assigned inside the trap
	trap 'rc=$?; if [[ -f $dir/data/postmaster.pid ]]; then as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi; rm -rf "$dir"; exit $rc' EXIT
	trap 'exit 130' INT TERM
	chmod 0755 "$dir"
	[[ $(id -u) -eq 0 ]] && chown postgres: "$dir"

	as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
		--encoding=UTF8 --no-locale --no-instructions >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	cat >>"$dir/data/postgresql.conf" <<CONF

# odn throwaway test server (.ci/pg.sh): speed over durability.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
wal_level = minimal
max_wal_senders = 0
shared_buffers = 128MB
log_min_messages = warning
log_min_error_statement = panic
CONF

	local started=''
	for _ in {1..20}; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		port_free "$port" || continue
		if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "-p $port" -w -t 60 start >/dev/null 2>&1; then
			started=1
			break
		fi
		# Lost a race for the port, or a real failure: look at the log.
		grep -q 'could not bind\|Address already in use' "$dir/postgres.log" 2>/dev/null ||
			{ tail -n 30 "$dir/postgres.log" >&2 2>/dev/null || true; die "postgres failed to start"; }
	done
	[[ -n $started ]] || die "no free port found"

	local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres)
	if [[ ! -x $bin/psql ]]; then
		command -v psql >/dev/null || die "psql not found"
		psql[0]=psql
	fi
	as_pg "${psql[@]}" -c "CREATE ROLE odn LOGIN SUPERUSER" -c "CREATE DATABASE odn OWNER odn" >/dev/null ||
		die "creating role and database odn failed"

	printf 'dir=%q\nport=%q\nbin=%q\n' "$dir" "$port" "$bin" >"$state.tmp"
	mv "$state.tmp" "$state"
	trap - EXIT INT TERM
	dsn_for "$port"
}

# cmd_restart stops the server the way an administrator's restart does
# (fast: every session is terminated) and starts it again with the same
# data and port. Not "immediate": with fsync off, a crash would lose
# acknowledged commits, which says nothing about odn.
cmd_restart() {
	running || { echo "$prog: not running" >&2; exit 1; }
	as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "-p $port" -w -t 60 start >/dev/null 2>&1
	dsn_for "$port"
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
restart) cmd_restart ;;
status)
	running || { echo "$prog: not running" >&2; exit 1; }
	dsn_for "$port"
	;;
check) find_bin ;;
*)
	echo "usage: $prog start|stop|restart|status|check" >&2
	exit 2
	;;
esac
