#!/usr/bin/env bash
# Smoke test of the benchmark pieces (issue 7), no timing: generate a ~100k-row
# WeChat ALL bill and its ledger, load the ledger into a throwaway PostgreSQL
# (tests/db/pg.sh), run `recon run` for the date, and compare recon's counts per
# kind (discrepancies.csv) and its pending items (pending.csv) with the
# generator's expected.txt.
#   bench/smoke.sh BUILD_DIR        (BENCH_ROWS, BENCH_SEED, BENCH_DATE override)
# Exit 0 when the counts match, 1 when they differ, 2 on a setup error.
set -euo pipefail

die() {
	echo "bench smoke: $*" >&2
	exit 2
}

[[ $# -eq 1 ]] || die "usage: bench/smoke.sh BUILD_DIR"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$1" && pwd) || die "no build directory $1"
GEN=$BUILD/bench/recon-bench-gen
RECON=$BUILD/recon
[[ -x $GEN ]] || die "$GEN not built"
[[ -x $RECON ]] || die "$RECON not built"
ROWS=${BENCH_ROWS:-100000}
SEED=${BENCH_SEED:-7}
DATE=${BENCH_DATE:-2026-03-02}
PG=$ROOT/tests/db/pg.sh

TMP=$(mktemp -d /tmp/recon-bench-smoke.XXXXXX)
DIR=$TMP/data
STATE=$TMP/pg
cleanup() {
	"$PG" stop "$STATE" || true
	if [[ -n ${BENCH_KEEP:-} ]]; then
		echo "bench smoke: kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

"$GEN" --rows "$ROWS" --date "$DATE" --seed "$SEED" --out "$DIR"
"$PG" start "$STATE" >/dev/null
"$PG" exec "$STATE" psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/ledger.sql" >/dev/null
"$PG" exec "$STATE" psql -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
\\copy ledger_orders(order_no, merchant_id, channel, channel_txn_id, amount_fen, currency, status, created_at, paid_at, contract_id) from '$DIR/orders.csv' csv header
\\copy ledger_refunds(refund_no, order_no, channel_refund_id, amount_fen, status, requested_at, refunded_at) from '$DIR/refunds.csv' csv header
SQL

set +e
"$PG" exec "$STATE" "$RECON" run --date "$DATE" --config "$DIR/recon.conf" >"$TMP/run.log" 2>&1
rc=$?
set -e
if [[ $rc -ne 0 && $rc -ne 1 ]]; then
	cat "$TMP/run.log" >&2
	echo "bench smoke: recon run exited $rc" >&2
	exit 1
fi

REP=$DIR/reports/$DATE
[[ -f $REP/discrepancies.csv && -f $REP/pending.csv ]] || die "no reports in $REP"

# expected: non-comment lines, zero counts dropped, sorted
grep -v '^#' "$DIR/expected.txt" | awk 'NF == 2 && $2 != 0 { print $1, $2 }' | sort >"$TMP/expected"
# actual: column 2 (kind) of discrepancies.csv, BOM and CRLF stripped; rows of pending.csv
{
	sed '1s/^\xEF\xBB\xBF//; s/\r$//' "$REP/discrepancies.csv" | awk -F, 'NR > 1 { n[$2]++ } END { for (k in n) print k, n[k] }'
	sed 's/\r$//' "$REP/pending.csv" | awk 'NR > 1 { n++ } END { if (n) print "PENDING", n }'
} | sort >"$TMP/actual"

if diff -u --label expected.txt --label recon "$TMP/expected" "$TMP/actual" >"$TMP/diff"; then
	echo "bench smoke: $ROWS rows, counts match"
	exit 0
fi
cat "$TMP/diff"
# by reason, to say where recon and the generator disagree
echo "recon's findings by kind and reason:"
sed '1s/^\xEF\xBB\xBF//; s/\r$//' "$REP/discrepancies.csv" | awk -F, 'NR > 1 { n[$2 " " $4]++ } END { for (k in n) print "  " k, n[k] }' | sort
sed 's/\r$//' "$REP/pending.csv" | awk -F, 'NR > 1 { n[$2 " " $4]++ } END { for (k in n) print "  " k, n[k] }' | sort
grep '^#' "$DIR/expected.txt" | sed 's/^/  /'
echo "bench smoke: $ROWS rows, counts differ"
exit 1
