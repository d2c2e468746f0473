# The WeChat v3 download night by night, through recon run: every failure the
# issue lists gives exit 3, a one-line message, and nothing of the bad file
# reconciled (the ledger's three payments stay pending); the successes
# reconcile the gunsluo bill (3 rows of 0.01) against its ledger.
source "$(dirname "$0")/lib.sh"

fresh_db golden_fetch_wechat
keys=$RECON_FIXTURE_KEYS
scenario() { printf '%s-%s\n' "$1" "$RANDOM$RANDOM" >"$RECON_FIXTURE_STATE/scenario"; }
cat >"$WORK/orders.csv" <<CSV
order_no,merchant_id,channel,channel_txn_id,amount_fen,currency,status,created_at,paid_at,contract_id
S20210128170702357723,1601959334,wechat,4200000925202101284997714292,1,CNY,PAID,2021-01-28 17:07:02+08,2021-01-28 17:07:12+08,
S20210128153505214586,1601959334,wechat,4200000910202101282955148400,1,CNY,PAID,2021-01-28 15:35:05+08,2021-01-28 15:35:19+08,
S20210128165824499930,1601959334,wechat,4200000926202101281412639609,1,CNY,PAID,2021-01-28 16:58:24+08,2021-01-28 16:59:47+08,
CSV
printf 'refund_no,order_no,channel_refund_id,amount_fen,status,requested_at,refunded_at\n' >"$WORK/refunds.csv"
load_ledger "$WORK"
cat >"$WORK/recon.conf" <<CONF
[run]
reports = reports
spool = spool

[fetch]
attempts = 3
backoff_ms = 10
stall_timeout = 1

[source wx]
channel = wechat
merchant_id = 1601959334
api = wechat-v3
private_key = $keys/merchant.key
cert_serial = $(cat "$keys/merchant.serial")
platform_cert = $keys/platform.pem
api_base = $RECON_FIXTURE_URL
ca_file = $RECON_FIXTURE_CA
CONF

nothing_reconciled() {
	expect_line "$WORK/err" "recon: 2021-01-28: 0 statement rows: 0 matched, 0 discrepancies, 0 pending, 0 quarantined; 3 ledger items: 0 matched, 0 discrepancies, 3 pending, 0 quarantined; 0 findings"
	[ ! -e "$WORK/spool/2021-01-28/wx/tradebill_ALL_20210128.csv.gz" ] || fail "$1: the bad file was spooled"
}

for case in "bad_signature|WeChat answer signature does not verify" \
	"digest_mismatch|SHA-1 of the bill does not match hash_value" \
	"401|HTTP 401" "stall|transfer stalled" "truncated|truncated body" \
	"html|an HTML page instead of the bill" "expired|WeChat download_url expired"; do
	word=${case%%|*} msg=${case#*|}
	rm -rf "$WORK/spool"
	scenario "$word"
	run_recon 3 run --config "$WORK/recon.conf" --date 2021-01-28
	grep -q "^recon: 2021-01-28: \[source wx\] rejected: .*$msg" "$WORK/err" || fail "$word: no '$msg' in: $(cat "$WORK/err")"
	[ "$(grep -c '' "$WORK/err")" -le 3 ] || fail "$word: more than a few lines: $(cat "$WORK/err")"
	nothing_reconciled "$word"
done

# the answer's date and signer (issue 16): an hour-old or an hour-early answer, a serial no
# configured key has, a rotated platform certificate; each named, nothing reconciled
platform=$(cat "$keys/platform.serial")
now=$(date +%s)
for case in "timestamp-$((now - 3600))|WeChat tradebill request: the answer is dated .* more than 300 s behind this machine's clock (max_clock_skew = 300)" \
	"timestamp-$((now + 3600))|WeChat tradebill request: the answer is dated .* more than 300 s ahead of this machine's clock (max_clock_skew = 300)" \
	"unknown_serial|WeChat answer signed by platform certificate 7B3F0A2C9E1D4B5A6C7D8E9F0A1B2C3D4E5F6A7B; configured: $platform — the platform certificate may have been rotated\$" \
	"rotated|WeChat answer signed by platform certificate $(cat "$keys/platform_new.serial"); configured: $platform — the platform certificate may have been rotated\$"; do
	word=${case%%|*} msg=${case#*|}
	rm -rf "$WORK/spool"
	scenario "$word"
	run_recon 3 run --config "$WORK/recon.conf" --date 2021-01-28
	grep -q "^recon: 2021-01-28: \[source wx\] rejected: $msg" "$WORK/err" || fail "$word: no '$msg' in: $(cat "$WORK/err")"
	nothing_reconciled "$word"
	# the failed query is named in the manifest
	grep -q "\"url\": \"$RECON_FIXTURE_URL/v3/bill/tradebill\"" "$WORK/spool/2021-01-28/wx/manifest.json" ||
		fail "$word: manifest url: $(cat "$WORK/spool/2021-01-28/wx/manifest.json")"
done
# a fresh answer passes; max_clock_skew widens the window for this source
rm -rf "$WORK/spool"
scenario "timestamp-$((now - 200))"
run_recon 0 run --config "$WORK/recon.conf" --date 2021-01-28
expect_line "$WORK/err" "recon: 2021-01-28: 3 statement rows: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 3 ledger items: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
cp "$WORK/recon.conf" "$WORK/recon.conf.orig"
printf 'max_clock_skew = 3600\n' >>"$WORK/recon.conf"
rm -rf "$WORK/spool"
scenario "timestamp-$((now - 3000))"
run_recon 0 run --config "$WORK/recon.conf" --date 2021-01-28
expect_line "$WORK/err" "recon: 2021-01-28: 3 statement rows: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 3 ledger items: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
# after the rotation, the new certificate configured
sed -i "s|^platform_cert = .*|platform_cert = $keys/platform_new.pem|" "$WORK/recon.conf"
rm -rf "$WORK/spool"
scenario rotated
run_recon 0 run --config "$WORK/recon.conf" --date 2021-01-28
expect_line "$WORK/err" "recon: 2021-01-28: 3 statement rows: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 3 ledger items: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
# 微信支付公钥: the bare public key with its id
sed -i "s|^platform_cert = .*|platform_cert = $keys/platform_public.pem|" "$WORK/recon.conf"
printf 'platform_key_id = PUB_KEY_ID_0116019593342021012800000000000001\n' >>"$WORK/recon.conf"
rm -rf "$WORK/spool"
scenario pubkey
run_recon 0 run --config "$WORK/recon.conf" --date 2021-01-28
expect_line "$WORK/err" "recon: 2021-01-28: 3 statement rows: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 3 ledger items: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
mv "$WORK/recon.conf.orig" "$WORK/recon.conf"

# 500 twice then success: retried, reconciled
rm -rf "$WORK/spool"
scenario flaky
run_recon 0 run --config "$WORK/recon.conf" --date 2021-01-28
expect_line "$WORK/err" "recon: 2021-01-28: 3 statement rows: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 3 ledger items: 3 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
grep -q '"attempts": *[3-9]' "$WORK/spool/2021-01-28/wx/manifest.json" || fail "manifest attempts: $(cat "$WORK/spool/2021-01-28/wx/manifest.json")"
grep -q '"channel_digest": *"b18b51eb64422040e5ad738d47b358a40b1a7997"' "$WORK/spool/2021-01-28/wx/manifest.json" ||
	fail "manifest digest: $(cat "$WORK/spool/2021-01-28/wx/manifest.json")"

# "No Bill Exist": an empty day, exit 0, the ledger's payments wait
scenario no_bill
run_recon 0 run --config "$WORK/recon.conf" --date 2021-01-28 --refetch
expect_line "$WORK/err" "recon: 2021-01-28: [source wx] the channel has no statement for this date: reconciled as an empty day"

# a private key others can read is refused, and named
chmod 644 "$keys/merchant.key"
run_recon 3 run --config "$WORK/recon.conf" --date 2021-01-28 --refetch
grep -q "merchant.key: private key is readable by group or others (mode 0644): chmod 600 it" "$WORK/err" ||
	fail "readable key not refused: $(cat "$WORK/err")"
chmod 600 "$keys/merchant.key"

# no secret in any output, manifest or report
secret=$(sed -n '2p' "$keys/merchant.key")
if grep -rqF -- "$secret" "$WORK/out" "$WORK/err" "$WORK/spool" "$WORK/reports"; then fail "the private key leaked"; fi
if grep -rqiE 'WECHATPAY2-SHA256|signature=' "$WORK/spool" "$WORK/reports" "$WORK/err"; then fail "an Authorization header leaked"; fi
finish
