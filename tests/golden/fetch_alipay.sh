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

# no secret anywhere: not the private key, not a signature, not the test CA key
for f in "$keys/alipay_app.key" "$keys/alipay_private.key"; do
	secret=$(sed -n '2p' "$f")
	if grep -rqF -- "$secret" "$WORK/out" "$WORK/err" "$WORK/spool" "$WORK/reports"; then fail "a line of $f leaked"; fi
done
if grep -rqi 'sign=' "$WORK/spool"/*/*/manifest.json; then fail "a signature reached the manifest"; fi
finish
