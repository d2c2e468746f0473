# The workbook read back by another program: LibreOffice (headless) opens
# the demo night's recon-<date>.xlsx, and every sheet holds exactly the rows
# of the CSV reports — per kind the same orders, reasons and amounts, pending
# the same, the summary the same columns as summary.csv (totals included),
# its balance proof and per-kind table the same numbers; notes, settlement
# and quarantine as their CSVs; the open items as open_items.csv. The night has a note (DEMO-P001 booked under
# alipay, paid through WeChat) and a second account whose statement is
# missing (quarantined) so that every sheet has a row.
source "$(dirname "$0")/lib.sh"

command -v soffice >/dev/null || fail "soffice (libreoffice-calc-nogui) is not installed: scripts/bootstrap.sh installs it"
demo_night golden_workbook
psql -q -c "update ledger_orders set channel = 'alipay' where order_no = 'DEMO-P001'"
# a second account whose statement is missing: rejected, named in quarantine.csv
{
	echo
	late_source
} >>"$WORK/recon.conf"
run_recon 3 run --config "$WORK/recon.conf" --date 2026-03-02
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

# the sheets' names: exactly these, a kind's "<Chinese> <CODE>"
want_names=$( (
	printf '%s\n' "汇总 Summary" "待核对 PENDING" "已匹配备注 Notes" "结算 Settlement" "隔离 Quarantine" \
		"未结差异 open_items"
	sed '1s/^\xEF\xBB\xBF//; s/\r$//' "$REP/discrepancies.csv" | awk -F, 'NR > 1 { print $3 " " $2 }'
) | sort -u)
got_names=$(for f in "$WORK"/lo/recon-2026-03-02-*.csv; do n=${f#"$WORK"/lo/recon-2026-03-02-}; echo "${n%.csv}"; done | sort)
[[ $got_names == "$want_names" ]] || fail "sheet names: got [$got_names] want [$want_names]"
[[ -f "$WORK/lo/recon-2026-03-02-短款 SHORT_PAYMENT.csv" ]] || fail "no sheet 短款 SHORT_PAYMENT"
# the reason in the glossary's words, as reason_cn in discrepancies.csv, in the last column
grep -q '渠道实收少于账本金额' "$WORK/lo/recon-2026-03-02-短款 SHORT_PAYMENT.csv" ||
	fail "the short-payment sheet lacks its reason_cn: $(tail -n +2 "$WORK/lo/recon-2026-03-02-短款 SHORT_PAYMENT.csv" | head -2)"

for f in "$WORK"/lo/recon-2026-03-02-*.csv; do
	name=${f#"$WORK"/lo/recon-2026-03-02-}
	name=${name%.csv}
	case $name in
	"汇总 Summary" | "结算 Settlement" | "隔离 Quarantine" | "未结差异 open_items") ;; # below
	"待核对 PENDING")
		rows_of "$f" 0 PENDING >"$WORK/got"
		rows_of "$REP/pending.csv" 2 >"$WORK/want"
		cmp -s "$WORK/got" "$WORK/want" || fail "pending sheet differs from pending.csv: $(diff "$WORK/want" "$WORK/got" | head -5)"
		;;
	"已匹配备注 Notes")
		rows_of "$f" 0 MATCHED >"$WORK/got"
		rows_of "$REP/notes.csv" 2 >"$WORK/want"
		[[ -s $WORK/want ]] || fail "notes.csv has no row"
		cmp -s "$WORK/got" "$WORK/want" || fail "notes sheet differs from notes.csv: $(diff "$WORK/want" "$WORK/got" | head -5)"
		grep -q '^MATCHED|DEMO-P001|other_channel|100.00|100.00|' "$WORK/got" || fail "notes sheet lacks DEMO-P001: $(cat "$WORK/got")"
		;;
	*)
		kind=${name#* }
		rows_of "$f" 0 "$kind" >"$WORK/got"
		rows_of "$REP/discrepancies.csv" 2 | grep "^$kind|" >"$WORK/want" || true
		[[ -s $WORK/want ]] || fail "sheet $name has no rows in discrepancies.csv"
		cmp -s "$WORK/got" "$WORK/want" || fail "sheet $name differs from discrepancies.csv: $(diff "$WORK/want" "$WORK/got" | head -5)"
		;;
	esac
done

# summary, settlement, quarantine: cell by cell against their CSVs (numbers compared as numbers)
python3 - "$WORK/lo" "$REP" >"$WORK/sheets.log" 2>&1 <<'PY' || fail "summary/settlement/quarantine sheets: $(cat "$WORK/sheets.log")"
import csv, re, sys
lo, rep = sys.argv[1], sys.argv[2]
problems = []
def read(path):
    with open(path, encoding='utf-8-sig', newline='') as f:
        return list(csv.reader(f))
def norm(v):
    return '%.5f' % float(v) if re.fullmatch(r'-?[0-9]+(\.[0-9]+)?', v) else v
def same(what, got, want):
    if [norm(v) for v in got] != [norm(v) for v in want]:
        problems.append('%s: got %s, want %s' % (what, got, want))
def sheet(name):
    rows = read('%s/recon-2026-03-02-%s.csv' % (lo, name))
    return [r + [''] * (60 - len(r)) for r in rows]

# 汇总 Summary: summary.csv's columns (headings "<中文> <column>"), its lines, "*" as 合计 total
summ, s = read(rep + '/summary.csv'), sheet('汇总 Summary')
head = summ[0]
same('summary heading', [h.split(' ')[-1] for h in s[0][:len(head)]], head)
if s[0][len(head)]:
    problems.append('summary heading has more columns than summary.csv: %s' % s[0][len(head)])
for i, line in enumerate(summ[1:], 1):
    got = ['*' if v == '合计 total' else v for v in s[i][:len(head)]]
    same('summary line %d' % i, got, line)
if any(s[len(summ)][:len(head)]):
    problems.append('summary table has more lines than summary.csv: %s' % s[len(summ)])
# the balance proof: a line per summary.csv line, rows_in and the four parts, their sum, the verdict
p = next(i for i, r in enumerate(s) if r[0].startswith('平衡校验 balance proof'))
col = {h: j for j, h in enumerate(head)}
for i, line in enumerate(summ[1:]):
    r = s[p + 2 + i]
    parts = [int(line[col[c]]) for c in ('matched_rows', 'discrepancy_rows', 'pending_rows', 'quarantined_rows')]
    same('proof line %d' % i, [r[3], r[4], r[5], r[6], r[7], r[8], r[9]],
         [line[col['rows_in']]] + [str(x) for x in parts] + [str(sum(parts)),
          '平衡 yes' if int(line[col['rows_in']]) == sum(parts) else '不平衡 NO'])
    amounts = [line[col[c]] for c in ('matched_amount', 'discrepancy_amount', 'pending_amount', 'quarantined_amount')]
    same('proof amounts %d' % i, r[10:16], [line[col['amount_in']]] + amounts +
         ['%.2f' % sum(float(a) for a in amounts)])
# the per-kind table: the "*" lines' counts per side and the channel line's <KIND>_amount
k = next(i for i, r in enumerate(s) if r[0].startswith('按类型 per kind'))
led = next(l for l in summ if l[1] == '*' and l[3] == 'ledger')
chan = next(l for l in summ if l[1] == '*' and l[3] == 'channel')
kinds = [h for h in head if h + '_amount' in col]
if len(kinds) != 13 - 1:
    problems.append('per-kind columns: %s' % kinds)
for i, kind in enumerate(kinds):
    r = s[k + 2 + i]
    same('per-kind ' + kind, r[1:5], [kind, led[col[kind]], chan[col[kind]], chan[col[kind + '_amount']]])
same('per-kind total', s[k + 2 + len(kinds)][1:4],
     ['total', str(sum(int(led[col[x]]) for x in kinds)), str(sum(int(chan[col[x]]) for x in kinds))])

# summary.csv's <KIND>_amount: the signed sum of the kind's difference in discrepancies.csv
disc = read(rep + '/discrepancies.csv')
dcol = {h: j for j, h in enumerate(disc[0])}
for kind in kinds:
    want = sum(round(float(r[dcol['difference']]) * 100) for r in disc[1:] if r[dcol['kind']] == kind and r[dcol['difference']])
    if round(float(chan[col[kind + '_amount']]) * 100) != want:
        problems.append('summary.csv %s_amount %s, the differences add up to %.2f' % (kind, chan[col[kind + '_amount']], want / 100))

# 结算 Settlement: settlement.csv without report_date; the status "<中文> <code>"
st, s = read(rep + '/settlement.csv'), sheet('结算 Settlement')
if len(st) < 2:
    problems.append('settlement.csv has no line')
same('settlement heading', [h.split(' ')[-1] for h in s[0][:13]], st[0][1:])
for i, line in enumerate(st[1:], 1):
    got = s[i][:13]
    got[9] = got[9].split(' ')[-1]
    same('settlement line %d' % i, got, line[1:])
# 隔离 Quarantine: quarantine.csv without business_date; the scope "<中文> <code>"
q, s = read(rep + '/quarantine.csv'), sheet('隔离 Quarantine')
same('quarantine heading', [h.split(' ')[-1] for h in s[0][:7]], q[0][1:])
if len(q) != 2:
    problems.append('quarantine.csv: %s' % q)
for i, line in enumerate(q[1:], 1):
    got = s[i][:7]
    got[3] = got[3].split(' ')[-1]
    same('quarantine line %d' % i, got, line[1:])
r = s[1]
if r[:4] != ['wx-late', 'late/2026-03-02.csv.gz', '', '文件 file'] or 'cannot open' not in r[4]:
    problems.append('quarantine sheet: not the missing file: %s' % r[:7])
# 未结差异 open_items: open_items.csv's columns (headings "<中文> <column>", the import reads the
# column) and lines; a cell the CSV neutralised with an apostrophe is plain text in the sheet
oi, s = read(rep + '/open_items.csv'), sheet('未结差异 open_items')
same('open_items heading', [h.split(' ')[-1] for h in s[0][:len(oi[0])]], oi[0])
for i, line in enumerate(oi[1:], 1):
    want = [v[1:] if v[:1] == "'" and v[1:2] in ('=', '+', '-', '@', '\t', '\r') else v for v in line]
    same('open_items line %d' % i, s[i][:len(oi[0])], want)
if len(s) > len(oi) and any(s[len(oi)]):
    problems.append('open_items sheet has more lines than open_items.csv: %s' % s[len(oi)])
print('\n'.join(problems))
sys.exit(1 if problems else 0)
PY
finish
