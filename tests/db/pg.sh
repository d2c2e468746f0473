#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the db and golden tests, on a Unix socket
# only (no TCP). Usage:
#   pg.sh start STATE_DIR      initdb + start; writes STATE_DIR/env (PGHOST, PGPORT, PGDATABASE, PGUSER)
#   pg.sh exec  STATE_DIR CMD  runs CMD with that environment
#   pg.sh stop  STATE_DIR      stops the cluster and removes its files
# The cluster lives in mktemp -d under /tmp because the server user must be able
# to traverse every parent directory. As root, initdb and the server run as postgres.
set -euo pipefail

SERVICE=pg.sh
USAGE="pg.sh start|stop STATE_DIR | pg.sh exec STATE_DIR CMD [ARG]..."
# shellcheck source=../service_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

find_bindir() {
	if [[ -n "${PGBIN:-}" ]]; then
		echo "$PGBIN"
		return
	fi
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4 -n -r); do
		if [[ -x "$d/initdb" ]]; then
			echo "$d"
			return
		fi
	done
	if command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return
	fi
	die "cannot find initdb: install the PostgreSQL server or set PGBIN"
}

# Runs a command as the cluster's owner.
as_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

stop_cluster() {
	local state=$1
	[[ -f "$state/env" ]] || return 0
	local dir
	dir=$(sed -n 's/^RECON_PG_DIR=//p' "$state/env")
	rm -f "$state/env"
	# Only ever remove what start created.
	if [[ "$dir" == /tmp/recon-pg.* && -d "$dir" ]]; then
		if [[ -f "$dir/data/postmaster.pid" ]]; then
			as_owner "$(find_bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 ||
				echo "pg.sh: warning: pg_ctl stop failed for $dir/data" >&2
		fi
		rm -rf "$dir"
	fi
}

start_cluster() {
	local state=$1
	mkdir -p "$state"
	stop_cluster "$state"
	local bindir
	bindir=$(find_bindir)
	if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
		die "running as root but there is no postgres user to run the server"
	fi
	local dir port
	dir=$(mktemp -d /tmp/recon-pg.XXXXXX)
	chmod 700 "$dir"
	if [[ $(id -u) -eq 0 ]]; then
		chown postgres: "$dir"
	fi
	port=$((5432 + 1 + RANDOM % 20000))
	# Record the directory first, so a failed start is still cleaned up by stop.
	printf 'RECON_PG_DIR=%s\n' "$dir" >"$state/env"

	local locale=C.UTF-8
	if ! locale -a 2>/dev/null | grep -qi '^c\.utf-\?8$'; then
		locale=C
	fi
	if ! as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale="$locale" \
		--no-sync >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		die "initdb failed (log above)"
	fi
	if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-k $dir -c listen_addresses='' -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null; then
		cat "$dir/server.log" >&2 || true
		die "the server did not start (log above)"
	fi
	local tries=0
	until "$bindir/pg_isready" -q -h "$dir" -p "$port" -U postgres; do
		tries=$((tries + 1))
		((tries < 100)) || die "the server at $dir:$port is not ready"
		sleep 0.1
	done
	"$bindir/createdb" -h "$dir" -p "$port" -U postgres recon_test || die "createdb recon_test failed"
	cat >"$state/env" <<ENV
RECON_PG_DIR=$dir
PGHOST=$dir
PGPORT=$port
PGDATABASE=recon_test
PGUSER=postgres
ENV
	echo "pg.sh: cluster on $dir port $port, database recon_test"
}

start_service() { start_cluster "$1"; }
stop_service() { stop_cluster "$1"; }
check_exec() {
	[[ -f "$1/env" ]] || die "no cluster recorded in $1: run 'pg.sh start $1' first"
	grep -q '^PGHOST=' "$1/env" || die "the cluster recorded in $1 did not start"
	# none of the caller's connection settings may reach the throwaway cluster
	unset PGSERVICE PGPASSWORD PGHOSTADDR PGOPTIONS
}

service_main "$@"
