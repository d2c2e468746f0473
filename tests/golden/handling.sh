# Handling rules (issue 18 item 4): rules/handling.csv gives each finding its
# action_cn, due_by (working days on the China calendar from the business
# date) and urgent; a pending item is due the day it becomes a discrepancy.
# An edited rule changes the columns; a bad or incomplete file is a
# configuration error naming file:line (exit 2), before anything is read.
source "$(dirname "$0")/lib.sh"

fresh_db golden_handling
load_ledger "$ROOT/fixtures/kinds"
cp "$ROOT"/fixtures/kinds/*_2026* "$WORK"/
cd "$WORK"
mkdir -p rules/calendar rules/channels
cp "$ROOT/rules/calendar/cn.csv" rules/calendar/
cp "$ROOT/rules/channels/saobei.conf" rules/channels/

# every kind's default row, then what a case adds (or "-KIND" to leave one out)
handling() {
	echo "kind,reason,working_days,urgent,action_cn"
	for k in SHORT_PAYMENT OVERPAYMENT STATUS_MISMATCH CURRENCY_MISMATCH DOUBLE_CHARGE REFUND_MISMATCH \
		FEE_MISMATCH SETTLEMENT_MISMATCH DEBIT_AFTER_TERMINATION DEBIT_OVER_LIMIT DEBIT_TOO_FREQUENT \
		DUPLICATE_RECORD; do
		case " $* " in *" -$k "*) continue ;; esac
		echo "$k,*,2,no,核对 $k"
	done
	echo "PENDING,*,carry,no,等待入账"
	for extra in "$@"; do
		case "$extra" in -*) ;; *) echo "$extra" ;; esac
	done
}

# carry_over_days = 3: tonight's missing items wait (pending) instead
sed -e 's/^carry_over_days = 0$/carry_over_days = 3\nrules = rules/' "$ROOT/fixtures/kinds/recon.conf" >recon.conf

# 1. edited rules: 2 working days from Thursday 2026-03-05 skip the weekend to
# Monday 03-09; a reason's own row wins over its kind's; placeholders filled
handling 'SHORT_PAYMENT,amount,0,yes,今天处理 {order_no}/{channel_txn_id}' >rules/handling.csv
run_recon 1 run --config recon.conf --date 2026-03-05
r=reports/2026-03-05
tr -d '\r' <$r/discrepancies.csv >d.csv
item() { sql "select id from recon_register where order_no = '$1' and kind = '$2'"; } # ORDER_NO KIND: its open item's id
sa=$(item S-SA SHORT_PAYMENT) oa=$(item S-OA OVERPAYMENT)
[[ -n $sa && -n $oa ]] || fail "no open items for S-SA and S-OA"
tr -d '\r' <$r/pending.csv >p.csv
expect_line d.csv "2026-03-05,SHORT_PAYMENT,短款,amount,saobei,852100000002,S-SA,,ST002,PAID,SUCCESS,55.00,50.00,-5.00,,0.30000,2026-03-05 09:10:00,2026-03-05,0,saobei_20260305.csv:6,,渠道实收少于账本金额,今天处理 S-SA/ST002,2026-03-05,yes,$sa"
expect_line d.csv "2026-03-05,OVERPAYMENT,长款,amount,saobei,852100000002,S-OA,,ST003,PAID,SUCCESS,70.00,80.00,10.00,,0.48000,2026-03-05 09:20:00,2026-03-05,0,saobei_20260305.csv:7,,渠道实收多于账本金额,核对 OVERPAYMENT,2026-03-09,no,$oa"
# pending: due when it becomes a discrepancy, first_seen + 3 days (the date its detail names)
expect_line p.csv "2026-03-05,PENDING,待核对,not_in_statement,saobei,852100000002,S-SM,,ST004,PAID,,25.00,,-25.00,,,2026-03-05 09:30:00,2026-03-05,0,ledger_orders,reported as SHORT_PAYMENT if still unmatched on 2026-03-08,账本已支付、对账单暂无（等待次日对账单）,等待入账,2026-03-08,no,"
expect_line p.csv "2026-03-05,PENDING,待核对,not_in_ledger,saobei,852100000002,S-OM,,ST005,,SUCCESS,,66.00,66.00,,0.40000,2026-03-05 09:40:00,2026-03-05,0,saobei_20260305.csv:8,reported as OVERPAYMENT if still unmatched on 2026-03-08,渠道已收款、账本暂无（等待跨日入账）,等待入账,2026-03-08,no,"
# every row has its reason in Chinese, an action and urgent yes/no (then the item id); only pending
# items and deadlines past the calendar may lack a due_by
for f in d.csv p.csv; do
	awk -F, 'NR > 1 && ($(NF-4) == "" || $(NF-3) == "" || $(NF-2) !~ /^2026-03-[0-9][0-9]$/ || ($(NF-1) != "yes" && $(NF-1) != "no")) { print; bad = 1 } END { exit bad }' $f ||
		fail "$f has a row without its handling columns"
done

# 2. without rules/handling.csv the columns are there, empty (urgent no)
rm rules/handling.csv
run_recon 1 run --config recon.conf --date 2026-03-05
tr -d '\r' <$r/discrepancies.csv >d.csv
expect_line d.csv "2026-03-05,SHORT_PAYMENT,短款,amount,saobei,852100000002,S-SA,,ST002,PAID,SUCCESS,55.00,50.00,-5.00,,0.30000,2026-03-05 09:10:00,2026-03-05,0,saobei_20260305.csv:6,,渠道实收少于账本金额,,,no,$sa"

# 3. mistakes: exit 2 with file:line before the night starts (no report written)
rm -rf reports
bad() { # bad ARG LINE MESSAGE: rules/handling.csv written by `handling ARG` is refused at LINE
	handling "$1" >rules/handling.csv
	shift
	run_recon 2 run --config recon.conf --date 2026-03-06
	expect_line err "recon: rules/handling.csv:$1: $2"
	[ ! -e reports/2026-03-06 ] || fail "reports written despite a bad handling.csv"
}
bad -CURRENCY_MISMATCH 13 "no rule for kind CURRENCY_MISMATCH: every kind needs a row with reason * (README.md, \"Handling rules\")"
bad 'FEE_MISMATCH,rate,1,maybe,x' 15 "bad value for 'urgent': 'maybe' (yes or no)"
bad 'DOUBLE_CHARGE,same_channel,0,yes,退还 {txn}' 15 "bad value for 'action_cn': unknown placeholder '{txn}' (expected {channel_txn_id}, {order_no}, {refund_no}, {merchant_id}, {channel} or {kept_txn_id})"
bad 'SHORT_PAYMENT,*,1,no,again' 15 "a second rule for kind SHORT_PAYMENT and reason '*' (the first is on line 2)"
bad 'SHORT_PAYMENT,amount,three,no,x' 15 "bad value for 'working_days': 'three' (0 to 60 working days, 0 = the business date itself; carry for PENDING; empty for no deadline)"
bad 'SHORT_PAYMENT,amount,carry,no,x' 15 "bad value for 'working_days': 'carry' is for PENDING rows only"
bad 'MATCHED,*,1,no,x' 15 "bad value for 'kind': 'MATCHED' (expected a discrepancy kind such as SHORT_PAYMENT, or PENDING; matched items are not handled)"
bad 'SHORT_PAYMENT,amount,1,no,' 15 "bad value for 'action_cn': empty (write what the clerk does)"
finish
