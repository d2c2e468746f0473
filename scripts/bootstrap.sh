#!/usr/bin/env bash
# Set-up for a fresh Debian 12 machine, then one of:
#   scripts/bootstrap.sh demo   build, start a private PostgreSQL under var/, load the demo ledger
#                               (fixtures/demo), reconcile the two demo nights, print where the reports are
#   scripts/bootstrap.sh test   build (plain, Release, AddressSanitizer+UBSan; warnings are errors),
#                               run the whole test suite (the unit tests again on the Release build)
# Installs missing Debian packages first (needs root or sudo).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=${1:-}
JOBS=$(nproc 2>/dev/null || echo 2)
PACKAGES=(build-essential cmake pkg-config clang-format libcsv-dev zlib1g-dev libisal-dev libpq-dev libssl-dev
	libcurl4-openssl-dev libpcre2-dev libcmocka-dev libmicrohttpd-dev postgresql postgresql-contrib acl openssl curl
	openssh-server openssh-client chromium fonts-wqy-microhei time
	libreoffice-calc-nogui slurm-wlm munge wrk)

say() { printf '==> %s\n' "$*"; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

case "$MODE" in
demo | test) ;;
*) die "usage: scripts/bootstrap.sh demo|test" ;;
esac

install_packages() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	# the benchmark's DuckDB side (bench/duckdb) runs on Node.js; any node on the PATH will do
	command -v node >/dev/null || missing+=(nodejs)
	command -v npm >/dev/null || missing+=(npm)
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
		sudo=(sudo)
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() { # build DIR [cmake args...]
	local dir=$1
	shift
	say "building in $dir"
	cmake -S "$ROOT" -B "$dir" -DRECON_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$JOBS"
}

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The server runs as postgres, which must be able to reach the data directory.
grant_traverse() {
	[ "$(id -u)" -eq 0 ] || return 0
	local d=$1
	while [ "$d" != "/" ]; do
		if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
			say "granting postgres search access to $d (setfacl u:postgres:x)"
			setfacl -m u:postgres:x "$d"
		fi
		d=$(dirname "$d")
	done
}

start_demo_pg() {
	local base=$ROOT/var/pg
	mkdir -p "$base"
	grant_traverse "$base"
	[ "$(id -u)" -eq 0 ] && chown postgres "$base"
	# a port of its own per checkout, so two clones' demos do not collide (socket only, no TCP)
	local port=$((54000 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 900))
	export PGHOST=$base PGPORT=$port PGUSER=postgres PGDATABASE=recon_demo
	[ "$(id -u)" -ne 0 ] && export PGUSER=$(id -un)
	if [ ! -f "$base/data/PG_VERSION" ]; then
		say "initdb $base/data"
		as_postgres "$PGBIN/initdb" -D "$base/data" -A trust -E UTF8 --locale=C.UTF-8 -U "$PGUSER" >/dev/null
	fi
	if ! as_postgres "$PGBIN/pg_ctl" -D "$base/data" status >/dev/null 2>&1; then
		say "starting PostgreSQL on $base (socket only, port $PGPORT)"
		as_postgres "$PGBIN/pg_ctl" -D "$base/data" -l "$base/server.log" -w \
			-o "-k $base -c listen_addresses='' -p $PGPORT" start >/dev/null
	fi
	psql -q -d postgres -tAc "select 1 from pg_database where datname='recon_demo'" | grep -q 1 ||
		psql -q -d postgres -c "create database recon_demo" >/dev/null
}

install_packages
[ -n "$PGBIN" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"

if [ "$MODE" = demo ]; then
	build "$ROOT/build"
	start_demo_pg
	say "loading the demo ledger (fixtures/demo/orders.csv, refunds.csv)"
	psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/ledger.sql" >/dev/null
	psql -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
truncate ledger_orders, ledger_refunds;
\copy ledger_orders(order_no, merchant_id, channel, channel_txn_id, amount_fen, currency, status, created_at, paid_at, contract_id) from '$ROOT/fixtures/demo/orders.csv' csv header
\copy ledger_refunds(refund_no, order_no, channel_refund_id, amount_fen, status, requested_at, refunded_at) from '$ROOT/fixtures/demo/refunds.csv' csv header
SQL
	say "reconciling the demo nights 2026-03-02 and 2026-03-03"
	set +e
	"$ROOT/build/recon" run --config "$ROOT/fixtures/demo/recon.conf" --from 2026-03-02 --to 2026-03-03
	rc=$?
	set -e
	case $rc in
	0) say "reconciled: no discrepancies (exit 0)" ;;
	1) say "reconciled: discrepancies found (exit 1) - open discrepancies.csv" ;;
	3) say "reconciled, but a statement was rejected (exit 3) - see quarantine.csv" ;;
	*) die "recon run failed with exit $rc" ;;
	esac
	say "reports are in $ROOT/var/demo/reports/2026-03-02 and $ROOT/var/demo/reports/2026-03-03"
	say "private PostgreSQL: PGHOST=$PGHOST PGPORT=$PGPORT PGDATABASE=$PGDATABASE psql"
	say "stop it with: runuser -u postgres -- $PGBIN/pg_ctl -D $ROOT/var/pg/data stop"
	say "the workbench on these nights (README: \"The workbench\"): with the PostgreSQL line above,"
	say "  build/recon user add YOU --role clerk --config fixtures/demo/recon.conf   (asks for a password)"
	say "  build/recon serve --config fixtures/demo/recon.conf   then open http://127.0.0.1:8470/"
	exit 0
fi

# test: the whole suite, plain and under the sanitizers
if command -v clang-format >/dev/null; then
	say "checking formatting (.clang-format)"
	(cd "$ROOT" && find src include tests -name '*.[ch]' -print0 | xargs -0 clang-format --dry-run --Werror)
fi
# ctest shows a skipped test's name, not its output: say why (only the sftp tests skip, for a non-root user)
say_skipped() {
	grep -h '^SKIPPED: ' "$1/Testing/Temporary/LastTest.log" 2>/dev/null | sort -u | sed 's/^/==> /' || true
}
build "$ROOT/build"
say "running the test suite"
(cd "$ROOT/build" && ctest --output-on-failure -j "$JOBS")
say_skipped "$ROOT/build"
# what the benchmark and packagers build: Release (-O3) with warnings as errors
build "$ROOT/build-rel" -DCMAKE_BUILD_TYPE=Release
say "running the unit tests of the Release build"
(cd "$ROOT/build-rel" && ctest --output-on-failure -j "$JOBS" -L unit)
build "$ROOT/build-asan" -DRECON_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
say "running the test suite under AddressSanitizer + UndefinedBehaviorSanitizer"
(cd "$ROOT/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$JOBS")
say_skipped "$ROOT/build-asan"
say "all tests passed"
