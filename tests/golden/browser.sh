# The workbench in a real browser (issue 21): the demo night, a clerk and a
# supervisor, recon serve, and Debian's Chromium driven by puppeteer-core
# (tests/browser, pinned in its package-lock.json: npm ci on first use)
# through tests/browser/workbench.mjs. Screenshots are kept in
# $WORK/screenshots (build/tests/golden_browser/screenshots).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (scripts/bootstrap.sh installs it)"
command -v node >/dev/null || fail "node is not installed (scripts/bootstrap.sh installs it)"
BROWSER=$ROOT/tests/browser
if [ ! -d "$BROWSER/node_modules/puppeteer-core" ]; then
	(cd "$BROWSER" && npm ci --no-audit --no-fund --loglevel=error) >&2 || fail "npm ci in tests/browser failed"
fi

demo_night golden_browser
printf '\n[items]\nwriteoff_approval = 10.00\n' >>"$WORK/recon.conf"
CONF=$WORK/recon.conf
run_recon 1 run --config "$CONF" --date 2026-03-02
PW='清算 clerk passphrase 7'
printf '%s\n' "$PW" | "$RECON" user add lina --role clerk --by admin1 --config "$CONF" >/dev/null || fail "user add lina"
printf '%s\n' "$PW" | "$RECON" user add zhao --role supervisor --by admin1 --config "$CONF" >/dev/null || fail "user add zhao"
wo=$(sql "select id from recon_register where status = 'open' and abs(difference_fen) > 1000 and order_no <> 'DEMO-P004'
	order by length(id), id limit 1")
[ -n "$wo" ] || fail "the demo has no item above the write-off limit"
start_serve
rm -rf "$WORK/screenshots"
URL=$URL CHROMIUM=$CHROMIUM OUT=$WORK/screenshots CLERK=lina SUPERVISOR=zhao PASSWORD=$PW ORDER=DEMO-P004 WRITEOFF=$wo \
	NIGHT=2026-03-02 timeout 180 node "$BROWSER/workbench.mjs" >"$WORK/browser.log" 2>&1 ||
	fail "the browser run: $(tail -20 "$WORK/browser.log")"
grep -q 'screenshots in' "$WORK/browser.log" || fail "the browser run did not finish: $(cat "$WORK/browser.log")"
[ "$(ls "$WORK/screenshots"/*.png | wc -l)" -ge 9 ] || fail "too few screenshots: $(ls "$WORK/screenshots")"
# what the browser did is what the database says
p004=$(sql "select id from recon_register where order_no = 'DEMO-P004'")
expect_sql "resolved|lina" "select status, changed_by from recon_items where id = '$p004'"
expect_sql "written_off|zhao|approved" "select i.status, i.changed_by, (select action from recon_item_events e where e.item_id = i.id order by event_id desc limit 1) from recon_items i where id = '$wo'"
stop_serve
finish
