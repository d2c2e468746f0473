# Usage, configuration and database errors: exact one-line messages and exit codes.
source "$(dirname "$0")/lib.sh"

cd "$WORK"
printf '[run]\ncarry_over_dayz = 3\n' >bad.conf
run_recon 2 run --config bad.conf --date 2026-03-02
expect_line err "recon: bad.conf:2: unknown key 'carry_over_dayz' in [run]"

run_recon 2 run --config missing.conf --date 2026-03-02
expect_line err "recon: missing.conf: cannot read configuration: No such file or directory"

printf '[source a]\nchannel = wechat\nmerchant_id = 1\nlocation = a.csv\n' >ok.conf
run_recon 2 run --config ok.conf --date 2026-02-30
expect_line err "recon: run: --date: invalid date \"2026-02-30\": no such day"
run_recon 2 run --config ok.conf --date 2026-03-02 --from 2026-03-01
expect_line err "recon: run: --date cannot be combined with --from/--to"
run_recon 2 run --bogus
expect_line err "recon: run: unknown option '--bogus' (see recon run --help)"
run_recon 2 frobnicate
expect_line err "recon: unknown command 'frobnicate' (see recon --help)"
run_recon 2 check
expect_line err "recon: check: no statement file given (see recon check --help)"

# RECON_CONFIG is used when --config is absent
RECON_CONFIG=bad.conf run_recon 2 run --date 2026-03-02
expect_line err "recon: bad.conf:2: unknown key 'carry_over_dayz' in [run]"

# the database cannot be reached: exit 4, nothing committed, no password echoed
printf '[ledger]\nconninfo = host=/nonexistent port=1 password=s3cr3t-pw\n[source a]\nchannel = wechat\nmerchant_id = 1\nlocation = a.csv\n' >nodb.conf
run_recon 4 run --config nodb.conf --date 2026-03-02
grep -q '^recon: 2026-03-02: database error, nothing committed: ' err || fail "no database error line"
! grep -q 's3cr3t-pw' err out || fail "the password reached the output"

# configuration errors found before anything runs (exit 2, file, line and key):
# an unknown placeholder in a location, a conninfo libpq cannot parse
printf '[source a]\nchannel = wechat\nmerchant_id = 1\nlocation = a.csv\n[source b]\nchannel = wechat\nmerchant_id = 2\nlocation = b_{bogus}.csv\n' >placeholder.conf
run_recon 2 run --config placeholder.conf --date 2026-03-02
expect_line err "recon: placeholder.conf:8: bad value for 'location': unknown placeholder '{bogus}' (use {yyyymmdd}, {yyyy-mm-dd} or {yyyymm})"
[ ! -e reports ] || fail "a configuration error still wrote reports"
printf '[ledger]\nconninfo = host=/tmp dbname\n[source a]\nchannel = wechat\nmerchant_id = 1\nlocation = a.csv\n' >conninfo.conf
run_recon 2 run --config conninfo.conf --date 2026-03-02
expect_line err "recon: conninfo.conf:2: bad value for 'conninfo': missing \"=\" after \"dbname\" in connection info string"
run_recon 2 status --config conninfo.conf
expect_line err "recon: conninfo.conf:2: bad value for 'conninfo': missing \"=\" after \"dbname\" in connection info string"
printf "[ledger]\nconninfo = host=/tmp password='s3cr3t-pw\n[source a]\nchannel = wechat\nmerchant_id = 1\nlocation = a.csv\n" >quote.conf
run_recon 2 run --config quote.conf --date 2026-03-02
grep -q "^recon: quote.conf:2: bad value for 'conninfo': " err || fail "no conninfo error line: $(cat err)"
! grep -q 's3cr3t-pw' err out || fail "the password reached the output"

# help and version
run_recon 0 --version
expect_line out "recon 0.1.0"
for cmd in run fetch check; do
	run_recon 0 "$cmd" --help
	grep -q "^usage: recon $cmd" out || fail "recon $cmd --help has no usage line"
done
run_recon 0 --help
expect_line out "  run     reconcile one business date (or a range) and write the reports"
finish
