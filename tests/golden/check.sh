# recon check on every shared WeChat sample: one line per file, exit 3 when any is rejected.
source "$(dirname "$0")/lib.sh"

cd "$SAMPLES/wechat"
run_recon 3 check gunsluo_v3_tradebill_ALL.csv gunsluo_v3_tradebill_ALL.csv.gz gunsluo_v3_fundflowbill_BASIC.csv \
	wxjava_v2_ALL.csv wxjava_v2_ALL_legacy_pre2018.csv wxjava_v2_REFUND.csv wxjava_v2_SUCCESS.csv \
	xjryanse_v2_ALL_excerpt.csv
same_text "$WORK/out" "$GOLDEN/check/samples.out"
run_recon 0 check gunsluo_v3_tradebill_ALL.csv.gz wxjava_v2_ALL_legacy_pre2018.csv
expect_line "$WORK/out" "wxjava_v2_ALL_legacy_pre2018.csv: format=wechat-legacy rows=2 payments=2 refunds=0 amount=0.02 refund_amount=0.00 fee=0.00000 totals=ok"
cd "$ROOT/fixtures/demo"
run_recon 0 check wechat_1900000109_20260302.csv wechat_1900000109_20260303.csv
expect_line "$WORK/out" "wechat_1900000109_20260302.csv: format=wechat-all rows=18 payments=12 refunds=6 amount=658.34 refund_amount=152.00 fee=3.72000 totals=ok"
expect_line "$WORK/out" "wechat_1900000109_20260303.csv: format=wechat-all rows=2 payments=2 refunds=0 amount=97.90 refund_amount=0.00 fee=0.59000 totals=ok"
finish
