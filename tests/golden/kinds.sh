# Every discrepancy kind on each channel (Alipay, UnionPay, a profile), one
# night with carry_over_days = 0: proves each parser feeds the matcher the
# fields it needs (order and refund numbers, transaction ids, amounts, fees).
source "$(dirname "$0")/lib.sh"

fixture_night golden_kinds kinds
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-05
same_files "$WORK/reports/2026-03-05" "$GOLDEN/kinds/2026-03-05"
# the same eleven findings on each channel, and the saobei failed payment
for ch in alipay unionpay saobei; do
	for kind in SHORT_PAYMENT,amount SHORT_PAYMENT,missing OVERPAYMENT,amount OVERPAYMENT,missing \
		STATUS_MISMATCH,lost_callback DOUBLE_CHARGE,same_channel DUPLICATE_RECORD,same_transaction_listed_twice \
		FEE_MISMATCH,rate REFUND_MISMATCH,amount REFUND_MISMATCH,missing_in_channel; do
		expect_sql 1 "select count(*) from recon_discrepancies where business_date = '2026-03-05' and channel = '$ch' and kind = '${kind%,*}' and reason = '${kind#*,}'"
	done
done
expect_sql 1 "select count(*) from recon_discrepancies where channel = 'saobei' and kind = 'STATUS_MISMATCH' and reason = 'channel_fail'"
# each file's fee total is off by the one overcharged row (2.00 charged, 1.20
# due) alone: that row's finding says so, the file's total is not reported again
expect_sql 0 "select count(*) from recon_discrepancies where kind = 'FEE_MISMATCH' and reason = 'file_total'"
expect_sql 31 "select count(*) from recon_discrepancies where business_date = '2026-03-05'"
finish
