# recon calendar on the shipped rules/calendar/cn.csv (no database needed), and
# rules/calendar/make_cn.sh: it reproduces cn.csv from the holiday-cn samples
# byte for byte, merges a December day declared by the next year's file, and
# refuses two files that disagree.
source "$(dirname "$0")/lib.sh"

# expect_out EXPECTED_STDOUT: the whole stdout of the last run_recon.
expect_out() {
	if [ "$(cat "$WORK/out")" != "$1" ] || [ -n "$(tail -c 1 "$WORK/out")" ]; then
		fail "stdout differs; expected:"
		printf '%s\n' "$1" | sed 's/^/  > /' >&2
		sed 's/^/  | /' "$WORK/out" >&2
	fi
}

# expect_err EXPECTED_STDERR: exactly one line on stderr, nothing on stdout.
expect_err() {
	if [ "$(cat "$WORK/err")" != "$1" ] || [ "$(wc -l <"$WORK/err")" != 1 ] || [ -s "$WORK/out" ]; then
		fail "expected only the line on stderr: $1"
		sed 's/^/  | /' "$WORK/err" "$WORK/out" >&2
	fi
}

# the eight days of National Day 2025 as --explain lists them
national_day=$(for d in 01:Wed 02:Thu 03:Fri 04:Sat 05:Sun 06:Mon 07:Tue 08:Wed; do
	printf '  2025-10-%s %s  skipped: holiday 国庆节、中秋节\n' "${d%:*}" "${d#*:}"
done)
# T+1 of the last working day before National Day 2025 (10-01..10-08 off, Sun
# 09-28 and Sat 10-11 worked: 2025.json), D+1, and the walk explained.
run_recon 0 calendar 2025-09-30 +1
expect_out "2025-10-09"
run_recon 0 calendar 2025-09-30 +1d
expect_out "2025-10-01"
run_recon 0 calendar 2025-09-30 +3 --explain
expect_out "2025-10-11
  2025-09-30 Tue  T
$national_day
  2025-10-09 Thu  T+1
  2025-10-10 Fri  T+2
  2025-10-11 Sat  T+3 (调休 working day, 国庆节、中秋节)"
run_recon 0 calendar --explain 2025-09-26 +1
expect_out "2025-09-28
  2025-09-26 Fri  T
  2025-09-27 Sat  skipped: weekend
  2025-09-28 Sun  T+1 (调休 working day, 国庆节、中秋节)"
run_recon 0 calendar 2025-10-01 +0 --explain
expect_out "2025-10-09
$national_day
  2025-10-09 Thu  T+0"
run_recon 0 calendar 2025-09-30 +1d --explain
expect_out "2025-10-01
  2025-09-30 Tue  D
  2025-10-01 Wed  D+1 (natural days: weekends and holidays count)"
# 2022-12-31 (Sat, 元旦) comes from 2023.json
run_recon 0 calendar 2022-12-30 +1 --explain
expect_out "2023-01-03
  2022-12-30 Fri  T
  2022-12-31 Sat  skipped: holiday 元旦
  2023-01-01 Sun  skipped: holiday 元旦
  2023-01-02 Mon  skipped: holiday 元旦
  2023-01-03 Tue  T+1"
# natural days never read the calendar, even one that is missing or out of its years
run_recon 0 calendar --calendar "$WORK/none.csv" 2026-12-31 +1d
expect_out "2027-01-01"
# $RECON_RULES replaces the built-in rules directory
mkdir -p "$WORK/rules/calendar"
printf 'date,kind,name\n2025-10-01,holiday,test\n' >"$WORK/rules/calendar/cn.csv"
RECON_RULES=$WORK/rules run_recon 0 calendar 2025-09-30 +1
expect_out "2025-10-02"

# Usage and calendar errors: exit 2, one line on stderr.
run_recon 2 calendar 2026-12-31 +1
expect_err "recon: calendar 2026-12-31 +1: the calendar has no data for 2027: add its holiday file"
run_recon 2 calendar 2025-09-30
expect_err "recon: calendar: expected DATE +N or DATE +Nd (see recon calendar --help)"
run_recon 2 calendar 2025-09-31 +1
expect_err "recon: calendar: invalid date \"2025-09-31\": no such day"
run_recon 2 calendar 2025-09-30 1
expect_err "recon: calendar: invalid offset \"1\": expected +N (working days) or +Nd (natural days), N at most 99999"
run_recon 2 calendar 2025-09-30 +1w
expect_err "recon: calendar: invalid offset \"+1w\": expected +N (working days) or +Nd (natural days), N at most 99999"
run_recon 2 calendar 2025-09-30 +1 +2
expect_err "recon: calendar: unexpected argument '+2' (see recon calendar --help)"
run_recon 2 calendar --workdays 2025-09-30 +1
expect_err "recon: calendar: unknown option '--workdays' (see recon calendar --help)"
run_recon 2 calendar 2025-09-30 +1 --calendar
expect_err "recon: calendar: --calendar needs a file"
run_recon 2 calendar --calendar "$WORK/none.csv" 2025-09-30 +1
expect_err "recon: $WORK/none.csv: cannot read calendar: No such file or directory"
printf 'date,kind,name\n2025-10-01,holiday,a\n2025-10-01,holiday,b\n' >"$WORK/dup.csv"
run_recon 2 calendar --calendar "$WORK/dup.csv" 2025-09-30 +1
expect_err "recon: $WORK/dup.csv:3: duplicate date 2025-10-01 (first at line 2)"

# make_cn.sh reproduces the shipped file from the samples, byte for byte.
MAKE_CN=$ROOT/rules/calendar/make_cn.sh
if sh "$MAKE_CN" "$SAMPLES/holiday-cn" >"$WORK/cn.csv" 2>"$WORK/make.err"; then
	cmp -s "$WORK/cn.csv" "$ROOT/rules/calendar/cn.csv" ||
		fail "make_cn.sh $SAMPLES/holiday-cn differs from rules/calendar/cn.csv: $(diff "$ROOT/rules/calendar/cn.csv" "$WORK/cn.csv" | head -5)"
else
	fail "make_cn.sh $SAMPLES/holiday-cn failed: $(cat "$WORK/make.err")"
fi

# Merging: 2030.json declares Mon 2029-12-31 (a weekday) a holiday and Sat
# 2029-12-29 a 调休 working day; 2029.json agrees about 12-31.
mkdir -p "$WORK/years"
cat >"$WORK/years/2029.json" <<'EOF'
{"year": 2029, "papers": [], "days": [
  {"name": "国庆节", "date": "2029-10-01", "isOffDay": true},
  {"name": "元旦", "date": "2029-12-31", "isOffDay": true}
]}
EOF
cat >"$WORK/years/2030.json" <<'EOF'
{
  "year": 2030,
  "papers": ["https://www.gov.cn/example"],
  "days": [
    {"name": "元旦", "date": "2029-12-29", "isOffDay": false},
    {"name": "元旦", "date": "2029-12-31", "isOffDay": true},
    {"name": "元旦", "date": "2030-01-01", "isOffDay": true}
  ]
}
EOF
if sh "$MAKE_CN" "$WORK/years/" >"$WORK/merged.csv" 2>"$WORK/make.err"; then
	expected="date,kind,name
# generated by rules/calendar/make_cn.sh from NateScarlet/holiday-cn (MIT): 2029.json 2030.json
# years: 2029 2030
2029-10-01,holiday,国庆节
2029-12-29,workday,元旦
2029-12-31,holiday,元旦
2030-01-01,holiday,元旦"
	[ "$(cat "$WORK/merged.csv")" = "$expected" ] || fail "merged calendar: $(cat "$WORK/merged.csv")"
else
	fail "make_cn.sh on the merge case failed: $(cat "$WORK/make.err")"
fi
run_recon 0 calendar --calendar "$WORK/merged.csv" 2029-12-28 +2 --explain
expect_out "2030-01-02
  2029-12-28 Fri  T
  2029-12-29 Sat  T+1 (调休 working day, 元旦)
  2029-12-30 Sun  skipped: weekend
  2029-12-31 Mon  skipped: holiday 元旦
  2030-01-01 Tue  skipped: holiday 元旦
  2030-01-02 Wed  T+2"

# Two files that disagree about a date: an error naming both, and no output.
cat >"$WORK/years/2029.json" <<'EOF'
{"year": 2029, "papers": [], "days": [{"name": "元旦", "date": "2029-12-29", "isOffDay": true}]}
EOF
rc=0
sh "$MAKE_CN" "$WORK/years" >"$WORK/conflict.csv" 2>"$WORK/make.err" || rc=$?
[ "$rc" = 1 ] || fail "make_cn.sh on conflicting files exited $rc, expected 1"
[ ! -s "$WORK/conflict.csv" ] || fail "make_cn.sh wrote output despite the conflict"
[ "$(cat "$WORK/make.err")" = "make_cn.sh: 2029-12-29 is \"workday,元旦\" in $WORK/years/2030.json but \"holiday,元旦\" in $WORK/years/2029.json" ] ||
	fail "make_cn.sh conflict message: $(cat "$WORK/make.err")"

# A date the file's year cannot declare, and a directory without year files.
cat >"$WORK/years/2029.json" <<'EOF'
{"year": 2029, "papers": [], "days": [{"name": "元旦", "date": "2031-01-01", "isOffDay": true}]}
EOF
rc=0
sh "$MAKE_CN" "$WORK/years" >/dev/null 2>"$WORK/make.err" || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$WORK/make.err")" = "make_cn.sh: $WORK/years/2029.json: 2031-01-01 is outside 2029 (a year file may only declare the previous December)" ] ||
	fail "make_cn.sh year check: exit $rc, $(cat "$WORK/make.err")"
rc=0
sh "$MAKE_CN" "$WORK/rules" >/dev/null 2>"$WORK/make.err" || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$WORK/make.err")" = "make_cn.sh: no <year>.json files in $WORK/rules" ] ||
	fail "make_cn.sh empty dir: exit $rc, $(cat "$WORK/make.err")"
finish
