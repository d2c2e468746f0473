#!/usr/bin/env bash
# The workbench's load bench (issue 21): a year of nights in a private
# PostgreSQL (bench/workbench/year.sql: 365 business dates, 1 M findings,
# 50 k open items), recon serve on loopback, 20 signed-in users, and each
# kind of page asked for by all of them at once for a while with wrk
# (Debian's wrk: one thread and one connection per user). Prints, per page,
# the requests answered and the latency at the median and the 99th
# percentile against the issue's limits (100 ms, 300 ms).
#
# usage: bench/workbench/run.sh BUILD_DIR [--work DIR] [--nights N] [--findings N] [--open N]
#                               [--users N] [--seconds S]
#   --work DIR   keep the cluster and the year there (default: a temporary directory, removed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
die() { printf 'bench: %s\n' "$*" >&2; exit 2; }
[[ $# -ge 1 ]] || die "usage: bench/workbench/run.sh BUILD_DIR [--work DIR] [--nights N] [--findings N] [--open N] [--users N] [--seconds S]"
BUILD=$(cd "$1" && pwd)
shift
WORK="" NIGHTS=365 FINDINGS=1000000 OPEN=50000 USERS=20 SECONDS_EACH=20
while [[ $# -gt 0 ]]; do
	case $1 in
	--work) WORK=$2 && shift ;;
	--nights) NIGHTS=$2 && shift ;;
	--findings) FINDINGS=$2 && shift ;;
	--open) OPEN=$2 && shift ;;
	--users) USERS=$2 && shift ;;
	--seconds) SECONDS_EACH=$2 && shift ;;
	*) die "unknown argument $1" ;;
	esac
	shift
done
for n in "$NIGHTS" "$FINDINGS" "$OPEN" "$USERS" "$SECONDS_EACH"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "numbers must be positive: $n"
done
((OPEN <= FINDINGS)) || die "--open is more than --findings"
RECON=$BUILD/recon
[[ -x $RECON ]] || die "$RECON is not built"
command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk; scripts/bootstrap.sh installs it)"
PG=$ROOT/tests/db/pg.sh

KEEP=1
if [[ -z $WORK ]]; then
	WORK=$(mktemp -d /tmp/recon-wb-bench.XXXXXX)
	KEEP=0
fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
STATE=$WORK/pg
LISTS=$WORK/lists
SERVER=""
cleanup() {
	[[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null
	if ((!KEEP)); then
		"$PG" stop "$STATE" >/dev/null 2>&1 || true
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
pgx() { "$PG" exec "$STATE" "$@"; }
LAST=2026-03-02
stamp="nights=$NIGHTS findings=$FINDINGS open=$OPEN last=$LAST"

cp "$ROOT/bench/workbench/recon.conf" "$WORK/recon.conf" # (year.sql's source)
PW='bench clerk passphrase'
if ! pgx psql -qAtc "SELECT stamp FROM bench_meta" 2>/dev/null | grep -qx "$stamp"; then
	"$PG" start "$STATE" >/dev/null
	echo "bench: writing a year of nights ($stamp)"
	pgx psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/ledger.sql" >/dev/null
	printf '%s\n' "$PW" | pgx "$RECON" user add admin --role admin --by bench --config "$WORK/recon.conf" >/dev/null # (migrates)
	t0=$(date +%s)
	pgx psql -q -v ON_ERROR_STOP=1 -v nights="$NIGHTS" -v findings="$FINDINGS" -v open="$OPEN" -v last="$LAST" \
		-f "$ROOT/bench/workbench/year.sql" >/dev/null
	for ((u = 1; u <= USERS; u++)); do
		printf '%s\n' "$PW" | pgx "$RECON" user add "clerk$u" --role clerk --by bench --config "$WORK/recon.conf" >/dev/null
	done
	pgx psql -q -v ON_ERROR_STOP=1 -c "VACUUM ANALYZE" -c "CREATE TABLE bench_meta AS SELECT '$stamp'::text AS stamp" >/dev/null
	echo "bench: written in $(($(date +%s) - t0)) s"
fi
pgx psql -qAt -c "SELECT 'bench: ' || (SELECT count(*) FROM recon_runs) || ' nights, ' ||
	(SELECT count(*) FROM recon_discrepancies) || ' findings, ' ||
	(SELECT count(*) FROM recon_register WHERE status IN ('open', 'acknowledged')) || ' open items (' ||
	(SELECT sum(n) FROM recon_item_unworked) || ' never worked), ' || (SELECT count(*) FROM recon_items) ||
	' items worked, ' || (SELECT count(*) FROM recon_item_events) || ' events'"

mkdir -p "$LISTS"
pgx psql -qAt -c "SELECT business_date FROM recon_runs ORDER BY 1" >"$LISTS/dates.txt"
pgx psql -qAt -c "SELECT id FROM recon_items TABLESAMPLE SYSTEM (1) LIMIT 2000" >"$LISTS/ids.txt"
pgx psql -qAt -c "SELECT (e->>'i') FROM recon_item_unworked, json_array_elements(data::json) e LIMIT 2000" >>"$LISTS/ids.txt"
pgx psql -qAt -c "SELECT order_no FROM recon_discrepancies TABLESAMPLE SYSTEM (1) LIMIT 4000" >"$LISTS/orders.txt"

PORT=$((20000 + RANDOM % 20000))
URL=http://127.0.0.1:$PORT
# (not through pgx: a function run in the background is a subshell, and $! would be it, not the server)
"$PG" exec "$STATE" "$RECON" serve --listen "127.0.0.1:$PORT" --config "$WORK/recon.conf" 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 100); do
	curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS "$URL/healthz" >/dev/null || die "recon serve did not start: $(cat "$WORK/serve.log")"
: >"$LISTS/cookies.txt"
for ((u = 1; u <= USERS; u++)); do
	jar=$WORK/jar$u
	rm -f "$jar"
	curl -sS -o "$WORK/login.html" -b "$jar" -c "$jar" "$URL/login"
	csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$WORK/login.html" | sed 's/.*value="//; s/"//')
	curl -sS -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "name=clerk$u" \
		--data-urlencode "password=$PW" "$URL/login"
	awk '$6 == "recon_session" { print $7 }' "$jar" >>"$LISTS/cookies.txt"
done
[[ $(grep -c . "$LISTS/cookies.txt") == "$USERS" ]] || die "not every user could log in: $(tail -3 "$WORK/serve.log")"
# warm: each page once, as a morning's first clerk would
curl -sS -o /dev/null -b "recon_session=$(head -1 "$LISTS/cookies.txt")" "$URL/items"

# wrk's latency as milliseconds ("1.23ms", "456.00us", "1.02s")
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.1f", n }'; }
echo
echo "bench: $USERS users at once, ${SECONDS_EACH} s a page, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $(date +%F)"
printf '%-16s %10s %9s %10s %10s  %s\n' page requests "req/s" "p50 ms" "p99 ms" "verdict (p50 < 100, p99 < 300)"
fails=0
for page in nights night queue queue-filtered queue-page night-items night-items-all item search; do
	PAGE=$page LISTS=$LISTS wrk -t "$USERS" -c "$USERS" -d "${SECONDS_EACH}s" --latency --timeout 10s \
		-s "$ROOT/bench/workbench/pages.lua" "$URL" >"$WORK/wrk-$page.txt" 2>&1 || die "wrk failed: $(cat "$WORK/wrk-$page.txt")"
	p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$WORK/wrk-$page.txt")")
	p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$WORK/wrk-$page.txt")")
	reqs=$(awk '/requests in/ { print $1 }' "$WORK/wrk-$page.txt")
	rate=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk-$page.txt")
	bad=$(awk '/Non-2xx or 3xx responses/ { print $NF }' "$WORK/wrk-$page.txt")
	verdict=ok
	awk -v a="$p50" -v b="$p99" 'BEGIN { exit !(a < 100 && b < 300) }' || verdict=SLOW
	[[ -z $bad ]] || verdict="$verdict, $bad answers not 2xx"
	[[ $verdict == ok ]] || fails=1
	printf '%-16s %10s %9s %10s %10s  %s\n' "$page" "$reqs" "$rate" "$p50" "$p99" "$verdict"
done
grep -c '" 200 ' "$WORK/serve.log" | sed 's/^/bench: the server answered 200 to /; s/$/ requests/'
exit $fails
