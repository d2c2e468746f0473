# The workbook read back by another program: LibreOffice (headless) opens
# the demo night's recon-<date>.xlsx, and every sheet holds exactly the rows
# of the CSV reports — per kind the same orders, reasons and amounts, pending
# the same, the summary the same counts.
source "$(dirname "$0")/lib.sh"

command -v soffice >/dev/null || fail "soffice (libreoffice-calc-nogui) is not installed: scripts/bootstrap.sh installs it"
demo_night golden_workbook
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
REP=$WORK/reports/2026-03-02

mkdir -p "$WORK/lo"
cp "$REP/recon-2026-03-02.xlsx" "$WORK/lo/"
# every sheet to its own CSV (UTF-8, comma, quoted text), values as stored
(cd "$WORK/lo" && HOME=$WORK/lo timeout 300 soffice --headless \
	--convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' \
	recon-2026-03-02.xlsx >convert.log 2>&1) || fail "LibreOffice could not read the workbook: $(cat "$WORK/lo/convert.log")"

# kind, order_no, reason, ledger, channel, difference (amounts as numbers) from one CSV
rows_of() { # FILE KIND_COLUMN(0: use KIND) KIND
	sed '1s/^\xEF\xBB\xBF//; s/\r$//' "$1" | awk -F, -v kc="$2" -v kind="${3:-}" 'NR > 1 {
		k = kc ? $kc : kind
		if (kc) { o = $7; r = $4; a = $12; b = $13; d = $14 } else { o = $3; r = $6; a = $9; b = $10; d = $11 }
		printf "%s|%s|%s|%s|%s|%s\n", k, o, r, a == "" ? "" : sprintf("%.2f", a), b == "" ? "" : sprintf("%.2f", b), d == "" ? "" : sprintf("%.2f", d)
	}' | sort
}

sheets=0
for f in "$WORK"/lo/recon-2026-03-02-*.csv; do
	name=${f#"$WORK"/lo/recon-2026-03-02-}
	name=${name%.csv}
	sheets=$((sheets + 1))
	case $name in
	"汇总 Summary")
		# the summary's counts: rows_in, matched, discrepancies, pending per channel and side
		got=$(awk -F, 'NR > 1 { print $1, $2, $4, $6, $8, $10 }' "$f" | sort)
		want=$(sed '1s/^\xEF\xBB\xBF//; s/\r$//' "$REP/summary.csv" | awk -F, 'NR > 1 && $2 != "*" { print $2, $3, $6, $8, $10, $12 }' | sort)
		[[ -n $got && $got == "$want" ]] || fail "summary sheet differs from summary.csv: got [$got] want [$want]"
		;;
	"待处理 Pending")
		rows_of "$f" 0 PENDING >"$WORK/got"
		rows_of "$REP/pending.csv" 2 >"$WORK/want"
		cmp -s "$WORK/got" "$WORK/want" || fail "pending sheet differs from pending.csv: $(diff "$WORK/want" "$WORK/got" | head -5)"
		;;
	*)
		rows_of "$f" 0 "$name" >"$WORK/got"
		rows_of "$REP/discrepancies.csv" 2 | grep "^$name|" >"$WORK/want" || true
		[[ -s $WORK/want ]] || fail "sheet $name has no rows in discrepancies.csv"
		cmp -s "$WORK/got" "$WORK/want" || fail "sheet $name differs from discrepancies.csv: $(diff "$WORK/want" "$WORK/got" | head -5)"
		;;
	esac
done
kinds=$(sed '1s/^\xEF\xBB\xBF//; s/\r$//' "$REP/discrepancies.csv" | awk -F, 'NR > 1 { print $2 }' | sort -u | wc -l)
[[ $sheets -eq $((kinds + 2)) ]] || fail "$sheets sheets for $kinds kinds (want a summary, one per kind and pending)"
finish
