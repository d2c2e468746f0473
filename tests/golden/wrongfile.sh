# A file that is not tonight's statement is rejected whole, whatever it is
# called: a bill of another business date, by its rows (all but the cut-off
# edge on another day) or by its own header (Alipay 起始日期), and an archive
# with two candidates for its detail entry. The other sources of the night are
# reconciled exactly as without it; a legitimate bill with rows across
# midnight, a backfill and a re-run are accepted.
source "$(dirname "$0")/lib.sh"

# the night's reports that do not name the rejected file
others() {
	mkdir -p "$2"
	for f in discrepancies.csv pending.csv settlement.csv notes.csv; do
		cp "$1/$f" "$2/$f"
	done
}
same_others() {
	for f in "$2"/*; do
		cmp -s "$f" "$1/$(basename "$f")" || {
			fail "$(basename "$f") differs from the night without the rejected file"
			diff "$f" "$1/$(basename "$f")" >&2 || true
		}
	done
}

# The multi night (2026-03-02, dry run) without source $1's file: the other
# reports, kept in $WORK/expect-$1
night_without() {
	run_recon 3 run --config "$conf" --date 2026-03-02 --dry-run --out "$WORK/without-$1"
	others "$WORK/without-$1/2026-03-02" "$WORK/expect-$1"
}
# The multi night into $WORK/$1: the file of source $2 rejected with exactly
# the line $3, the other reports the same as the night without it
rejected_alone() {
	run_recon 3 run --config "$conf" --date 2026-03-02 --dry-run --out "$WORK/$1"
	expect_line "$WORK/err" "$3"
	same_others "$WORK/$1/2026-03-02" "$WORK/expect-$2"
}

# 1. The demo's 2026-03-02 bill saved under 2026-03-03's name: before, every
# row was reconciled again (19 findings, false DOUBLE_CHARGE already_reconciled)
demo_night golden_wrongfile
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
cp "$WORK/wechat_1900000109_20260302.csv" "$WORK/wechat_1900000109_20260303.csv"
run_recon 3 run --config "$WORK/recon.conf" --date 2026-03-03
expect_line "$WORK/err" "recon: 2026-03-03: [source wx-main] rejected: wechat_1900000109_20260303.csv:2: statement is for business date 2026-03-02 (18 of 18 rows dated so, first: 2026-03-02 09:15:02), not 2026-03-03 (wrong file?)"
expect_sql 0 "select count(*) from recon_discrepancies where business_date = '2026-03-03' and reason = 'already_reconciled'"
expect_sql 0 "select count(*) from recon_discrepancies where business_date = '2026-03-03' and source like 'wechat_1900000109_20260303%'"
grep -q "statement is for business date 2026-03-02" "$WORK/reports/2026-03-03/quarantine.csv" ||
	fail "quarantine.csv does not name the wrong date"

# 2. A legitimate bill with rows across midnight (an order paid at 23:59:58 the
# day before, one at 00:30 the day after): accepted, the edge rows reconciled
# as tonight's; backfill over both dates and a re-run accepted too.
cp "$ROOT/fixtures/demo/wechat_1900000109_20260303.csv" "$WORK/wechat_1900000109_20260303.csv"
zcat "$WORK/wechat_1900000109_20260303.csv" >"$WORK/cross.csv"
row='`2026-03-02 23:59:58,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200001234202603021000000098,`DEMO-X098,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_DEBIT,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`会员充值,`order,`0.01000,`0.60%,`1.00,`0.00,`'
late='`2026-03-04 00:30:00,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200001234202603041000000099,`DEMO-X099,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_DEBIT,`CNY,`2.00,`0.00,`0,`0,`0.00,`0.00,`,`,`会员充值,`order,`0.01000,`0.60%,`2.00,`0.00,`'
{
	sed -n 1p "$WORK/cross.csv"
	echo "$row"
	sed -n 2,3p "$WORK/cross.csv"
	echo "$late"
	echo '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额'
	echo '`4,`100.90,`0.00,`0.00,`0.61000,`100.90,`0.00'
} >"$WORK/wechat_1900000109_20260303.csv"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-03
expect_line "$WORK/err" "recon: 2026-03-03: [source wx-main] $WORK/wechat_1900000109_20260303.csv: wechat-all, 4 rows (4 payments, 0 refunds), amount 100.90, fee 0.61000, totals ok"
expect_sql 2 "select count(*) from recon_suspense where business_date = '2026-03-03' and order_no in ('DEMO-X098', 'DEMO-X099')"
run_recon 1 run --config "$WORK/recon.conf" --from 2026-03-02 --to 2026-03-03
grep -q "rejected" "$WORK/err" && fail "a backfill rejected a file: $(grep rejected "$WORK/err")"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-03
expect_sql 2 "select count(*) from recon_suspense where business_date = '2026-03-03' and order_no in ('DEMO-X098', 'DEMO-X099')"
# the channel's own clock decides, not the run's time zone
sed -i 's#^timezone = .*#timezone = America/New_York#' "$WORK/recon.conf"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-03 --dry-run --out "$WORK/ny"
grep -q "rejected" "$WORK/err" && fail "another run time zone rejected the bill: $(grep rejected "$WORK/err")"

# 3. Five sources; the WeChat bill is yesterday's (its dates shifted), then the
# Alipay zip's 起始日期 is yesterday's: each rejected alone, the other sources'
# reports the same as on a night without the file.
fresh_db golden_wrongfile_multi
load_ledger "$ROOT/fixtures/multi"
rm -rf "$WORK/multi"
mkdir -p "$WORK/multi"
cp "$ROOT"/fixtures/multi/* "$WORK/multi/"
conf=$WORK/multi/recon.conf
mv "$WORK/multi/wechat_20260302.csv" "$WORK/wechat_20260302.csv"
night_without wx
sed 's/2026-03-02/2026-03-01/g' "$WORK/wechat_20260302.csv" >"$WORK/multi/wechat_20260302.csv"
rejected_alone wrong-wx wx "recon: 2026-03-02: [source wx] rejected: wechat_20260302.csv:2: statement is for business date 2026-03-01 (2 of 2 rows dated so, first: 2026-03-01 09:30:00), not 2026-03-02 (wrong file?)"
cp "$WORK/wechat_20260302.csv" "$WORK/multi/wechat_20260302.csv"

mv "$WORK/multi/20880211096256330156_20260302.csv.zip" "$WORK/ali.zip"
night_without ali
cp "$ROOT/fixtures/wrongfile/alipay_header_20260301.csv.zip" "$WORK/multi/20880211096256330156_20260302.csv.zip"
rejected_alone wrong-ali ali "recon: 2026-03-02: [source ali] rejected: 20880211096256330156_20260302.csv.zip:20880211096256330156_20260302_业务明细.csv:3: statement is for business date 2026-03-01 (its 起始日期), not 2026-03-02 (wrong file?)"
# an Alipay zip whose header is right but whose rows are yesterday's: the
# message names the archive's entry and the row's line in it
python3 - "$WORK/ali.zip" "$WORK/multi/20880211096256330156_20260302.csv.zip" <<'PY'
import sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
entries = [(i, src.read(i)) for i in src.infolist()]
class Raw(zipfile.ZipInfo):
    __slots__ = ('raw',)
    def _encodeFilenameFlags(self):
        return self.raw, self.flag_bits
with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:
    for info, data in entries:
        zi = Raw(info.filename, info.date_time)
        zi.raw = info.filename.encode('cp437')  # the GBK bytes as stored
        zi.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(zi, data.replace(b'2026-03-02', b'2026-03-01'))
PY
rejected_alone rows-ali ali "recon: 2026-03-02: [source ali] rejected: 20880211096256330156_20260302.csv.zip:20880211096256330156_20260302_业务明细.csv:6: statement is for business date 2026-03-01 (5 of 6 rows dated so, first: 2026-03-01 10:55:23), not 2026-03-02 (wrong file?)"
# a saobei export (a profile channel) whose period line says yesterday: rejected
# at that line by the profile's `period` key, the other sources unchanged
cp "$WORK/ali.zip" "$WORK/multi/20880211096256330156_20260302.csv.zip"
mv "$WORK/multi/saobei_20260302.csv" "$WORK/saobei.csv"
night_without sb
sed 's/\[2026-03-02 00:00:00\]   终止日期：\[2026-03-02 23:59:59\]/[2026-03-01 00:00:00]   终止日期：[2026-03-01 23:59:59]/' \
	"$WORK/saobei.csv" >"$WORK/multi/saobei_20260302.csv"
cmp -s "$WORK/saobei.csv" "$WORK/multi/saobei_20260302.csv" && fail "the saobei period was not changed"
rejected_alone wrong-sb sb "recon: 2026-03-02: [source sb] rejected: saobei_20260302.csv:3: statement is for business date 2026-03-01 (its period line), not 2026-03-02 (wrong file?)"
cp "$WORK/saobei.csv" "$WORK/multi/saobei_20260302.csv"
mv "$WORK/multi/20880211096256330156_20260302.csv.zip" "$WORK/ali.zip"
# 4. The Alipay zip with a forged a_..._业务明细.csv placed before the real one
# (the first used to win, totals ok): rejected, naming both entries
cp "$ROOT/fixtures/wrongfile/alipay_forged_detail_20260302.csv.zip" "$WORK/multi/20880211096256330156_20260302.csv.zip"
rejected_alone forged-ali ali "recon: 2026-03-02: [source ali] rejected: 20880211096256330156_20260302.csv.zip: two detail entries, \"a_20880211096256330156_20260302_业务明细.csv\" and \"20880211096256330156_20260302_业务明细.csv\": which one is the statement is ambiguous"
# the right files: accepted
cp "$WORK/ali.zip" "$WORK/multi/20880211096256330156_20260302.csv.zip"
run_recon 1 run --config "$conf" --date 2026-03-02 --dry-run --out "$WORK/all"
finish
