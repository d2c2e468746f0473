#!/usr/bin/env bash
# Compares recon's findings with the DuckDB race's (bench/duckdb/race.mjs) for
# one night: the multiset of (kind, reason, order_no) over discrepancies.csv
# and pending.csv (pending rows keep their kind, PENDING), columns found by
# header name, recon's BOM and CRLF stripped.
#   bench/duckdb/compare.sh RECON_REPORT_DIR DUCKDB_OUTDIR
# COMPARE_COLUMNS widens the comparison, e.g.
#   COMPARE_COLUMNS="kind reason order_no channel_txn_id ledger_amount channel_amount expected_fee channel_fee"
# (plain comma splitting: the columns compared must come before any free-text
# column that could hold a quoted comma, which holds for the ones above).
# Exit 0 when the findings are the same, 1 when they differ, 2 on a setup error.
set -euo pipefail

die() {
	echo "compare: $*" >&2
	exit 2
}

[[ $# -eq 2 ]] || die "usage: bench/duckdb/compare.sh RECON_REPORT_DIR DUCKDB_OUTDIR"
COLUMNS_WANTED=${COMPARE_COLUMNS:-kind reason order_no}
for d in "$1" "$2"; do
	for f in discrepancies.csv pending.csv; do
		[[ -f $d/$f ]] || die "no $d/$f"
	done
done

TMP=$(mktemp -d /tmp/recon-bench-compare.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# FILE → the wanted columns of every data row, tab-separated
extract() {
	sed '1s/^\xEF\xBB\xBF//; s/\r$//' "$1" | awk -F, -v want="$COLUMNS_WANTED" -v file="$1" '
		NR == 1 {
			n = split(want, w, " ")
			for (i = 1; i <= NF; i++) at[$i] = i
			for (j = 1; j <= n; j++)
				if (!(w[j] in at)) { print "compare: " file " has no column " w[j] > "/dev/stderr"; exit 2 }
			next
		}
		{
			row = $(at[w[1]])
			for (j = 2; j <= n; j++) row = row "\t" $(at[w[j]])
			print row
		}'
}

for side in recon duckdb; do
	dir=$1
	[[ $side == duckdb ]] && dir=$2
	{ extract "$dir/discrepancies.csv" && extract "$dir/pending.csv"; } >"$TMP/$side.raw" || exit 2
	LC_ALL=C sort "$TMP/$side.raw" >"$TMP/$side"
done

if cmp -s "$TMP/recon" "$TMP/duckdb"; then
	echo "same findings: $(wc -l <"$TMP/recon") ($COLUMNS_WANTED)"
	exit 0
fi
# comm on sorted input counts repeated lines, so a finding reported twice on one side shows
LC_ALL=C comm -23 "$TMP/recon" "$TMP/duckdb" >"$TMP/recon-only"
LC_ALL=C comm -13 "$TMP/recon" "$TMP/duckdb" >"$TMP/duckdb-only"
echo "findings differ ($COLUMNS_WANTED): recon $(wc -l <"$TMP/recon"), duckdb $(wc -l <"$TMP/duckdb")"
echo "only in recon ($(wc -l <"$TMP/recon-only")), first 10:"
head -n 10 "$TMP/recon-only" | sed 's/^/  /'
echo "only in duckdb ($(wc -l <"$TMP/duckdb-only")), first 10:"
head -n 10 "$TMP/duckdb-only" | sed 's/^/  /'
exit 1
