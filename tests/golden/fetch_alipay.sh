# Downloads end to end: recon run fetches the Alipay bill from the fixture
# channel server (HTTPS on loopback, test CA and keys made at test time),
# verifies the signed answer, spools the zip and reconciles it; a bad
# signature or a "no bill" answer behave as a nightly job must.
source "$(dirname "$0")/lib.sh"

fresh_db golden_fetch_alipay
load_ledger "$ROOT/fixtures/multi"
keys=$RECON_FIXTURE_KEYS
scenario() { printf '%s-%s\n' "$1" "$RANDOM$RANDOM" >"$RECON_FIXTURE_STATE/scenario"; }
cat >"$WORK/recon.conf" <<CONF
[run]
reports = reports
spool = spool

[fetch]
attempts = 2
backoff_ms = 10

[source ali]
channel = alipay
merchant_id = 20880211096256330156
api = alipay
app_id = 2021000000000001
private_key = $keys/alipay_app.key
platform_cert = $keys/alipay_public.pem
api_base = $RECON_FIXTURE_URL
ca_file = $RECON_FIXTURE_CA
fee_rate = 0.60%
CONF

scenario ok
run_recon 0 run --config "$WORK/recon.conf" --date 2026-03-02
expect_line "$WORK/err" "recon: 2026-03-02: 6 statement rows: 6 matched, 0 discrepancies, 0 pending, 0 quarantined; 5 ledger items: 5 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
expect_balanced_summary "$WORK/err" 2026-03-02 "$WORK/reports/2026-03-02"
zip=$WORK/spool/2026-03-02/ali/20880211096256330156_20260302.csv.zip
cmp -s "$zip" "$ROOT/fixtures/multi/20880211096256330156_20260302.csv.zip" || fail "spooled zip differs from the bill served"
grep -q '"digest_ok": *true' "$WORK/spool/2026-03-02/ali/manifest.json" || fail "manifest lacks digest_ok: $(cat "$WORK/spool/2026-03-02/ali/manifest.json")"
expect_sql "ali/20880211096256330156_20260302.csv.zip" "select inputs->0->>'path' from recon_runs where business_date = '2026-03-02' order by run_id desc limit 1"

# a re-run reads the spool: the server is not asked again, even when it would now refuse
scenario bad_signature
run_recon 0 run --config "$WORK/recon.conf" --date 2026-03-02
# --refetch asks again: the answer's signature is wrong, so nothing from it is reconciled
run_recon 3 run --config "$WORK/recon.conf" --date 2026-03-02 --refetch
grep -q "^recon: 2026-03-02: \[source ali\] rejected: .*Alipay answer signature does not verify" "$WORK/err" || fail "no signature error: $(cat "$WORK/err")"
expect_line "$WORK/err" "recon: 2026-03-02: 0 statement rows: 0 matched, 0 discrepancies, 0 pending, 0 quarantined; 5 ledger items: 0 matched, 0 discrepancies, 5 pending, 0 quarantined; 0 findings"
grep -q '"error"' "$WORK/spool/2026-03-02/ali/manifest.json" || fail "manifest does not record the error"

# no bill that day: an empty day, not a failure
scenario no_bill
run_recon 0 run --config "$WORK/recon.conf" --date 2026-03-02 --refetch
expect_line "$WORK/err" "recon: 2026-03-02: [source ali] the channel has no statement for this date: reconciled as an empty day"

# recon fetch: download and verify only
scenario ok
run_recon 0 fetch --config "$WORK/recon.conf" --date 2026-03-02 --refetch
grep -q "^2026-03-02: \[source ali\] fetched .*20880211096256330156_20260302.csv.zip" "$WORK/out" || fail "fetch output: $(cat "$WORK/out")"

# Alipay's own answers name http://dwbillcenter.alipay.com/…: a known bill host is fetched as https://.
# The known hosts are Alipay's unless bill_hosts names others: this test's host is 127.0.0.1.
manifest=$WORK/spool/2026-03-02/ali/manifest.json
printf 'bill_hosts = 127.0.0.1\n' >>"$WORK/recon.conf"
scenario http_url
run_recon 0 run --config "$WORK/recon.conf" --date 2026-03-02 --refetch
expect_line "$WORK/err" "recon: 2026-03-02: 6 statement rows: 6 matched, 0 discrepancies, 0 pending, 0 quarantined; 5 ledger items: 5 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
if grep -q 'warning' "$WORK/err"; then fail "an https download warned: $(cat "$WORK/err")"; fi
grep -q "\"url\": \"$RECON_FIXTURE_URL/alipay/bill\"" "$manifest" || fail "manifest url: $(cat "$manifest")"
grep -q '"upgraded_https": true' "$manifest" || fail "manifest lacks the upgrade: $(cat "$manifest")"
grep -q '"plain_http": false' "$manifest" || fail "manifest plain_http: $(cat "$manifest")"

# https to it fails: refused with the reason, unless the operator accepts plain http
scenario http_only
run_recon 3 run --config "$WORK/recon.conf" --date 2026-03-02 --refetch
grep -q "^recon: 2026-03-02: \[source ali\] rejected: Alipay bill download: bill_download_url is plain http and https failed (https://127.0.0.1:[0-9]*/alipay/bill: .*); plain http is refused (allow_http_download = yes in \[source ali\] accepts it)\$" "$WORK/err" ||
	fail "http refusal: $(cat "$WORK/err")"
expect_line "$WORK/err" "recon: 2026-03-02: 0 statement rows: 0 matched, 0 discrepancies, 0 pending, 0 quarantined; 5 ledger items: 0 matched, 0 discrepancies, 5 pending, 0 quarantined; 0 findings"
grep -q "\"url\": \"https://${RECON_FIXTURE_HTTP_URL#http://}/alipay/bill\"" "$manifest" || fail "manifest url of the https try: $(cat "$manifest")"

# allow_http_download = yes: fetched over plain http, reconciled, warned about on stderr, in the alert
# and in the manifest, also when the spooled file is used again
cat >>"$WORK/recon.conf" <<CONF
allow_http_download = yes

[alert]
webhook = $RECON_FIXTURE_URL/alert/hook?key=SECRET123
kind = json
ca_file = $RECON_FIXTURE_CA
CONF
alerts=$RECON_FIXTURE_STATE/alerts
warning="recon: 2026-03-02: [source ali] warning: bill downloaded over plain http ($RECON_FIXTURE_HTTP_URL/alipay/bill) after https failed (https://${RECON_FIXTURE_HTTP_URL#http://}/alipay/bill: "
for run in fetch reuse; do
	rm -rf "$alerts"
	scenario http_only
	if [ "$run" = fetch ]; then
		run_recon 0 run --config "$WORK/recon.conf" --date 2026-03-02 --refetch
	else
		run_recon 0 run --config "$WORK/recon.conf" --date 2026-03-02
	fi
	expect_line "$WORK/err" "recon: 2026-03-02: 6 statement rows: 6 matched, 0 discrepancies, 0 pending, 0 quarantined; 5 ledger items: 5 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
	grep -qF -- "$warning" "$WORK/err" || fail "$run: no plain-http warning: $(cat "$WORK/err")"
	grep -q "^recon: 2026-03-02: \[source ali\] warning: .*allow_http_download = yes accepts it; no TLS vouches for the file, only its own control totals\$" "$WORK/err" ||
		fail "$run: warning text: $(cat "$WORK/err")"
	grep -q "\"url\": \"$RECON_FIXTURE_HTTP_URL/alipay/bill\"" "$manifest" || fail "$run: manifest url: $(cat "$manifest")"
	grep -q '"plain_http": true' "$manifest" || fail "$run: manifest lacks plain_http: $(cat "$manifest")"
	grep -q '"warning": "bill downloaded over plain http' "$manifest" || fail "$run: manifest lacks the warning: $(cat "$manifest")"
	[ -f "$alerts/001.json" ] || fail "$run: no alert sent"
	grep -q '^    {"source": "ali", "warning": "bill downloaded over plain http (' "$alerts/001.json" ||
		fail "$run: the alert lacks the warning: $(cat "$alerts/001.json")"
done
# recon fetch says it too
scenario http_only
run_recon 0 fetch --config "$WORK/recon.conf" --date 2026-03-02 --refetch
grep -qF -- "$warning" "$WORK/err" || fail "recon fetch: no warning: $(cat "$WORK/err")"

# plain http to a host that is not a bill host: refused, allowed or not
scenario http_foreign
run_recon 3 run --config "$WORK/recon.conf" --date 2026-03-02 --refetch
grep -q "^recon: 2026-03-02: \[source ali\] rejected: Alipay bill query: bill_download_url http://localhost:[0-9]*/alipay/bill is plain http to a host that is not an Alipay bill host (bill_hosts): refused\$" "$WORK/err" ||
	fail "foreign http host: $(cat "$WORK/err")"

# no secret anywhere: not the private key, not a signature, not the test CA key
for f in "$keys/alipay_app.key" "$keys/alipay_private.key"; do
	secret=$(sed -n '2p' "$f")
	if grep -rqF -- "$secret" "$WORK/out" "$WORK/err" "$WORK/spool" "$WORK/reports"; then fail "a line of $f leaked"; fi
done
if grep -rqi 'sign=' "$WORK/spool"/*/*/manifest.json; then fail "a signature reached the manifest"; fi
finish
