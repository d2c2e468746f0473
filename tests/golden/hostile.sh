# Input that is not what it claims: every channel names an HTML error page as
# such, a hostile archive is refused with one line, and a broken channel
# profile stops the run at start with its file and line.
source "$(dirname "$0")/lib.sh"

cd "$WORK"
printf '<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n' >page.html
for ch in wechat alipay unionpay saobei leshua; do
	run_recon 3 check --channel "$ch" page.html
	grep -q "totals=REJECTED: page.html:1: an HTML or XML page, not a bill$" out || fail "$ch: HTML page not named: $(cat out)"
done
run_recon 3 check --channel wechat --bill fundflow page.html
grep -q "an HTML or XML page, not a bill$" out || fail "fund flow: HTML page not named"

# a zip that holds no statement of the channel
cp "$ROOT/fixtures/zip/stored.zip" ok.zip
run_recon 3 check --channel unionpay ok.zip
grep -q "totals=REJECTED: ok.zip" out || fail "unionpay: a zip without ZM/RD entries was not refused: $(cat out)"

# a broken profile is a configuration error before anything runs (exit 2)
mkdir -p rules/channels
cp "$ROOT/fixtures/profiles/bad/bad_regex.conf" rules/channels/bad_regex.conf
printf '[run]\nrules = rules\n[source b]\nchannel = bad_regex\nmerchant_id = 1\nlocation = b.csv\n' >bad.conf
run_recon 2 run --config bad.conf --date 2026-03-02
expect_line err "recon: rules/channels/bad_regex.conf:9: bad pattern for 'footer': missing closing parenthesis at offset 19"
run_recon 2 check --profile rules/channels/bad_regex.conf page.html
expect_line err "recon: rules/channels/bad_regex.conf:9: bad pattern for 'footer': missing closing parenthesis at offset 19"
finish
