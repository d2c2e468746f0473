# Shared helpers for the golden tests. Each test script is called as
#   bash CASE.sh RECON_BINARY PROJECT_ROOT WORK_DIR
# inside `tests/db/pg.sh exec`, so PG* point at the throwaway cluster.
# RECON_UPDATE_GOLDEN=1 rewrites the expected files instead of comparing.
set -euo pipefail

RECON=$1
ROOT=$2
WORK=$3
SAMPLES=${RECON_SAMPLES:-$ROOT/fixtures/samples}
GOLDEN=$ROOT/fixtures/golden
failures=0

rm -rf "$WORK"
mkdir -p "$WORK"

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}

# fresh_db NAME: a new database with the default ledger schema, made current.
fresh_db() {
	export PGDATABASE=$1
	psql -q -d postgres -c "drop database if exists $1" >/dev/null
	psql -q -d postgres -c "create database $1" >/dev/null
	psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/ledger.sql" >/dev/null
}

# load_ledger DIR: orders.csv and refunds.csv of a fixture folder.
load_ledger() {
	psql -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
\copy ledger_orders(order_no, merchant_id, channel, channel_txn_id, amount_fen, currency, status, created_at, paid_at, contract_id) from '$1/orders.csv' csv header
\copy ledger_refunds(refund_no, order_no, channel_refund_id, amount_fen, status, requested_at, refunded_at) from '$1/refunds.csv' csv header
SQL
}

# demo_conf: the demo's recon.conf in $WORK/recon.conf, reports and spool inside $WORK.
demo_conf() {
	sed -e 's#^reports = .*#reports = reports#' -e 's#^spool = .*#spool = spool#' \
		"$ROOT/fixtures/demo/recon.conf" >"$WORK/recon.conf"
}

# demo_night DB: a fresh database NAME with the demo ledger, the demo's
# statements and configuration in $WORK.
demo_night() {
	fresh_db "$1"
	load_ledger "$ROOT/fixtures/demo"
	cp "$ROOT"/fixtures/demo/wechat_* "$WORK"/
	demo_conf
}

# fixture_night DB FIXTURE: a fresh database DB with the ledger of
# fixtures/FIXTURE, and every file of that folder (statements, recon.conf) in $WORK.
fixture_night() {
	fresh_db "$1"
	load_ledger "$ROOT/fixtures/$2"
	cp "$ROOT/fixtures/$2"/* "$WORK"/
}

# late_source: the conf section of a second WeChat account whose statement
# is never there (late/{yyyy-mm-dd}.csv.gz), rejected as "cannot open".
late_source() {
	printf '[source wx-late]\nchannel = wechat\nmerchant_id = 1900000999\nlocation = late/{yyyy-mm-dd}.csv.gz\n'
}

# rejected_night DB: the demo's ledger and statement beside two sources that
# are rejected whole (a file whose rows do not add up to its summary, and a
# file that is not there), with its recon.conf, in $WORK.
rejected_night() {
	fresh_db "$1"
	load_ledger "$ROOT/fixtures/demo"
	cp "$ROOT"/fixtures/demo/wechat_1900000109_20260302.csv "$WORK"/
	cp "$SAMPLES/wechat/wxjava_v2_ALL.csv" "$WORK/excerpt_20260302.csv"
	cat >"$WORK/recon.conf" <<CONF
[run]
reports = reports

$(demo_source)

[source wx-excerpt]
channel = wechat
merchant_id = XXXXXXXX
location = excerpt_{yyyymmdd}.csv

$(late_source)
CONF
}

# run_recon EXPECTED_EXIT ARGS...: runs recon, keeps stdout/stderr in $WORK/out, $WORK/err.
run_recon() {
	local want=$1 got=0
	shift
	"$RECON" "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
	if [ "$got" != "$want" ]; then
		fail "recon $* exited $got, expected $want; stderr:"
		cat "$WORK/err" >&2
	fi
}

# same_files ACTUAL_DIR EXPECTED_DIR: byte-for-byte comparison of every expected file.
# A recorded page is kept as index.html.golden: it is an output to compare
# against, not source (editors, linters and duplicate finders leave it alone).
same_files() {
	local actual=$1 expected=$2 f name
	if [ "${RECON_UPDATE_GOLDEN:-}" = 1 ]; then
		mkdir -p "$expected"
		rm -f "$expected"/*.html "$expected"/*.html.golden
		for f in "$actual"/*; do
			name=$(basename "$f")
			case $name in *.html) name=$name.golden ;; esac
			cp "$f" "$expected/$name"
		done
		return 0
	fi
	[ -d "$expected" ] || { fail "no expected files in $expected"; return 0; }
	for f in "$expected"/*; do
		name=$(basename "$f" .golden)
		if ! cmp -s "$f" "$actual/$name"; then
			fail "$actual/$name differs from $f"
			diff <(tr -d '\r' <"$f") <(tr -d '\r' <"$actual/$name") >&2 || true
		fi
	done
}

# same_text FILE EXPECTED_FILE
same_text() {
	if [ "${RECON_UPDATE_GOLDEN:-}" = 1 ]; then
		mkdir -p "$(dirname "$2")"
		cp "$1" "$2"
		return 0
	fi
	if ! cmp -s "$1" "$2"; then
		fail "$1 differs from $2"
		diff "$2" "$1" >&2 || true
	fi
}

# expect_line FILE TEXT: FILE has a line equal to TEXT.
expect_line() {
	grep -qxF -- "$2" "$1" || { fail "$1 lacks the line: $2"; sed 's/^/  | /' "$1" >&2; }
}

# expect_balanced_summary ERR_FILE DATE REPORTS_DIR: the night's summary line
# for DATE adds up per side (in = matched + discrepancies + pending +
# quarantined) and says exactly what summary.csv's "*" lines and
# discrepancies.csv say.
expect_balanced_summary() {
	local line want got side
	line=$(grep -E "^recon: $2: [0-9]+ statement rows" "$1" | tail -n 1)
	[ -n "$line" ] || { fail "$1 has no summary line for $2"; return 0; }
	got=$(printf '%s\n' "$line" | sed -E 's/ \([0-9]+ carried over from the day before\)//' | awk '{
		gsub(/[:;,]/, " ")
		n = 0
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) v[++n] = $i
		if (n != 11) exit 1
		printf "channel %s %s %s %s %s\nledger %s %s %s %s %s\nfindings %s\n", v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]
	}') || { fail "unreadable summary line: $line"; return 0; }
	want=$(tr -d '\r' <"$3/summary.csv" | awk -F, '$2 == "*" && $3 == "*" { print $4, $6, $8, $10, $12, $14 }' | sort)
	want=$(printf '%s\nfindings %s\n' "$want" "$(($(tr -d '\r' <"$3/discrepancies.csv" | wc -l) - 1))")
	[ "$(printf '%s\n' "$got" | sort)" = "$(printf '%s\n' "$want" | sort)" ] ||
		fail "the summary line of $2 does not say what $3 says: $line; expected (side in matched discrepancies pending quarantined): $(echo $want)"
	for side in channel ledger; do
		printf '%s\n' "$got" | awk -v s=$side '$1 == s && $2 != $3 + $4 + $5 + $6 { exit 1 }' ||
			fail "the $side side of the summary line of $2 does not add up: $line"
	done
}

# findings FILE: "kind|reason|order_no|difference|detail" of each row of a
# discrepancies.csv (for nights none of whose fields holds a comma or a quote).
findings() {
	tr -d '\r' <"$1" | sed 1d | awk -F, '{ print $2 "|" $4 "|" $7 "|" $14 "|" $21 }' | sort
}

# expect_findings FILE <<<LINES: exactly these findings, nothing more.
expect_findings() {
	local want got
	want=$(sort)
	got=$(findings "$1")
	[ "$got" = "$want" ] || { fail "findings of $1 differ"; diff <(echo "$want") <(echo "$got") >&2 || true; }
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
	local tries=$(($1 * 10))
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# demo_source: the [source wx-main] section of the demo's WeChat statement,
# for a recon.conf a test writes itself.
demo_source() {
	cat <<'CONF'
[source wx-main]
channel = wechat
merchant_id = 1900000109
location = wechat_1900000109_{yyyymmdd}.csv
fee_rate = 0.60%
CONF
}

sql() { psql -qtAX -c "$1"; }

expect_sql() { # expect_sql EXPECTED QUERY
	local got
	got=$(sql "$2")
	[ "$got" = "$1" ] || fail "query '$2' gave '$got', expected '$1'"
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures check(s) failed" >&2
		exit 1
	fi
	echo "ok"
}
