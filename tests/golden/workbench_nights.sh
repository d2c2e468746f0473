# A night's items of every status on the workbench (/items?seen=D), page
# after page, against the register read in SQL: on generated nights (the
# load bench's bench/workbench/year.sql, small) whose items are open, never
# worked, acknowledged, resolved, written off and closed by later nights,
# each night's items listed in the book's order with the counts and sums
# of every filter; then a clerk's action, and the same night again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

CONF=$WORK/recon.conf
cp "$ROOT/bench/workbench/recon.conf" "$CONF" # (year.sql's source)
PW='夜间 clerk passphrase 9'
# nights DB [CREATE DATABASE options]: the generated nights in a new database, made current
nights() {
	export PGDATABASE=$1
	psql -q -d postgres -c "drop database if exists $1" -c "create database $1 ${2:-}" >/dev/null || fail "create $1"
	psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/ledger.sql" >/dev/null || fail "the ledger schema"
	printf '%s\n' "$PW" | "$RECON" user add lina --role clerk --by admin1 --config "$CONF" >/dev/null ||
		{ fail "user add (migrates)" && finish; }
	psql -q -v ON_ERROR_STOP=1 -v nights=4 -v findings=2400 -v open=1500 -v last=2026-03-02 \
		-f "$ROOT/bench/workbench/year.sql" >/dev/null || { fail "year.sql" && finish; }
}
nights golden_workbench_nights
start_serve
[ "$(login lina lina "$PW")" = 303 ] || fail "the login"
# (the generated nights have items of each status, and more than a page of several)
expect_sql t "select count(distinct status) >= 5 from recon_register"

as_of=$(sql "select max(business_date) from recon_runs")
# expected SQL-FILTER: the night's items the filter keeps, in the book's order (overdue first,
# then due_by, none last, first_seen, id), one id a line; the count and the sum of |difference| in fen
# on the first line
expected() {
	local date=$1 where=$2
	sql "with n as (select unnest(item_ids) id from recon_item_nights where business_date = '$date'),
	a as (select r.*, (status in ('open', 'acknowledged') and due_by is not null and due_by < date '$as_of') overdue
		from recon_register r join n using (id)),
	r as (select * from a where $where)
	select count(*) || ' ' || coalesce(sum(abs(difference_fen)), 0) || ' ' || count(*) filter (where overdue) from r
	union all (select id from r order by overdue desc, due_by nulls last, first_seen, id collate \"C\")"
}
# listed DATE QUERY: the ids the night's pages list, page after page; the counts line first
listed() {
	local date=$1 query=$2 page=1 pages
	[ "$(req lina "$URL/items?seen=$date&$query")" = 200 ] || fail "GET /items?seen=$date&$query"
	local n fen overdue
	n=$(grep -o '<p id="counts"><b>[0-9]*</b>' "$WORK/b" | grep -o '[0-9]*')
	fen=$(grep -o 'differences [0-9.-]* 元' "$WORK/b" | grep -o '[0-9.-]*' | tr -d .)
	overdue=$(grep -o '[0-9]* 项逾期' "$WORK/b" | grep -o '^[0-9]*')
	echo "$n $((10#${fen:-0})) $overdue"
	pages=$(((n + 49) / 50))
	while :; do
		grep -o '<a href="/item/[0-9A-Z]*">' "$WORK/b" | sed 's#<a href="/item/##; s#">##' | awk '!seen[$0]++'
		((page++ < pages)) || break
		[ "$(req lina "$URL/items?seen=$date&$query&page=$page")" = 200 ] || fail "page $page of $date $query"
	done
}
check_night() {
	local date=$1 query=$2 where=$3
	diff <(expected "$date" "$where") <(listed "$date" "$query") >"$WORK/diff" ||
		fail "$date $query: the pages differ from the register: $(head -8 "$WORK/diff")"
}
merchant=$(sql "select merchant_id from recon_register order by merchant_id limit 1")
owner=$(sql "select owner from recon_register where owner <> '' order by owner limit 1")
checks=(
	"status=all|true"
	"status=open|status = 'open'"
	"status=acknowledged|status = 'acknowledged'"
	"status=resolved|status = 'resolved'"
	"status=written_off|status = 'written_off'"
	"status=auto_closed|status = 'auto_closed'"
	"status=all&kind=SHORT_PAYMENT|kind = 'SHORT_PAYMENT'"
	"status=all&channel=alipay|channel = 'alipay'"
	"status=all&merchant=$merchant|merchant_id = '$merchant'"
	"status=all&owner=-|owner = ''"
	"status=all&owner=$owner|owner = '$owner'"
	"status=all&overdue=1|overdue"
	"status=resolved&channel=wechat&kind=STATUS_MISMATCH|status = 'resolved' and channel = 'wechat' and kind = 'STATUS_MISMATCH'"
)
dates=$(sql "select business_date from recon_runs order by 1")
big=0
for date in $dates; do
	[ "$(sql "select count(*) > 50 from recon_register where id in (select unnest(item_ids) from recon_item_nights where business_date = '$date') and status not in ('open', 'acknowledged')")" = t ] && big=$((big + 1))
	for c in "${checks[@]}"; do
		check_night "$date" "${c%%|*}" "${c#*|}"
	done
done
expect_sql t "select count(*) > 50 from recon_register where status in ('open', 'acknowledged') and due_by < '$as_of'"
[ "$big" -ge 2 ] || fail "fewer than two nights with more than a page of closed items: the test proves little"

# a database whose text orders ids otherwise than byte by byte (numbers in them as numbers:
# '02A0' before '020B'): a night's ranges of ids then miss some of its items, which are read one
# by one; the pages say the same
stop_serve
nights golden_workbench_nights_icu "template template0 locale_provider icu icu_locale 'und-u-kn-true' locale 'C.UTF-8'"
expect_sql f "select '020BX' < '02A0X'"
start_serve
[ "$(login lina lina "$PW")" = 303 ] || fail "the login (icu)"
for date in $dates; do
	for c in "status=all|true" "status=resolved&channel=wechat|status = 'resolved' and channel = 'wechat'"; do
		check_night "$date" "${c%%|*}" "${c#*|}"
	done
done

# a clerk resolves one of the last night's open items, and reopens none: the night's pages follow
last=$(sql "select max(business_date) from recon_runs")
id=$(sql "select id from recon_register where status = 'open' and id in (select unnest(item_ids) from recon_item_nights where business_date = '$last') order by id limit 1")
[ -n "$id" ] || fail "no open item on $last"
check_night "$last" "status=resolved" "status = 'resolved'" # (the brief read, kept)
csrf=$(csrf_of lina)
[ "$(req lina --data-urlencode "csrf=$csrf" --data-urlencode "id=$id" --data-urlencode action=resolve \
	--data-urlencode "note=补单 re-sent" "$URL/items/act")" = 200 ] || fail "the resolve"
expect_sql resolved "select status from recon_items where id = '$id'"
for c in "status=all|true" "status=resolved|status = 'resolved'" "status=open|status = 'open'" "status=all&owner=-|owner = ''"; do
	check_night "$last" "${c%%|*}" "${c#*|}"
done
stop_serve
finish
