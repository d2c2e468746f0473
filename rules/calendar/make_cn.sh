#!/bin/sh
# Builds the China business-day calendar (FORMATS.md §5) from the year files
# of NateScarlet/holiday-cn (MIT): every DIR/<year>.json is read and merged,
# because a year's file can declare days of the previous December.
#
#   rules/calendar/make_cn.sh DIR > rules/calendar/cn.csv
#
# Output: "date,kind,name" sorted by date, kind "holiday" (isOffDay true) or
# "workday" (isOffDay false: a 调休 weekend working day), after a header line
# and a comment line naming the source files. Nothing is written unless every
# file parses and no two files disagree about a date. POSIX sh and awk (mawk).
set -u

if [ $# -ne 1 ]; then
	echo "usage: make_cn.sh DIR > cn.csv   (DIR holds holiday-cn's <year>.json files)" >&2
	exit 2
fi
dir=${1%/}
[ -n "$dir" ] || dir=/
if [ ! -d "$dir" ]; then
	echo "make_cn.sh: $1 is not a directory" >&2
	exit 1
fi
set --
for f in "$dir"/[0-9][0-9][0-9][0-9].json; do
	[ -f "$f" ] && set -- "$@" "$f"
done
if [ $# -eq 0 ]; then
	echo "make_cn.sh: no <year>.json files in $dir" >&2
	exit 1
fi

exec awk '
function die(msg) {
	print "make_cn.sh: " msg | "cat 1>&2"
	close("cat 1>&2")
	failed = 1
	exit 1
}

function basename(p) {
	sub(/.*\//, "", p)
	return p
}

# Days since 1970-01-01 (Howard Hinnant), for the weekday of a date.
function day_number(y, m, d,    era, yoe, doy, doe) {
	y -= (m <= 2)
	era = int(y / 400)
	yoe = y - era * 400
	doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return era * 146097 + doe - 719468
}

function days_in_month(y, m) {
	if (m == 2)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
	return (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31
}

# Splits the file text into tokens: tt[i] is "s" (string, tv[i] decoded),
# "p" (punctuation, tv[i] the character) or "l" (true, false, null, number).
function tokenize(text, file,    c, n, raw) {
	n = 0
	while (text != "") {
		if (match(text, /^[ \t\r\n]+/)) {
			text = substr(text, RLENGTH + 1)
			continue
		}
		c = substr(text, 1, 1)
		if (index("{}[]:,", c)) {
			tt[++n] = "p"; tv[n] = c
			text = substr(text, 2)
		} else if (c == "\"") {
			if (!match(text, /^"([^"\\]|\\.)*"/))
				die(file ": unterminated string")
			raw = substr(text, 2, RLENGTH - 2)
			text = substr(text, RLENGTH + 1)
			tt[++n] = "s"; tv[n] = unescape(raw, file)
		} else if (match(text, /^(true|false|null|-?[0-9][0-9.eE+-]*)/)) {
			tt[++n] = "l"; tv[n] = substr(text, 1, RLENGTH)
			text = substr(text, RLENGTH + 1)
		} else {
			die(file ": not JSON near \"" substr(text, 1, 20) "\"")
		}
	}
	ntok = n
}

function unescape(s, file,    out, i, c) {
	if (index(s, "\\") == 0)
		return s
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c != "\\") {
			out = out c
			continue
		}
		c = substr(s, ++i, 1)
		if (c == "\"" || c == "\\" || c == "/")
			out = out c
		else if (c == "u")
			die(file ": \\u escapes are not supported (names are expected as UTF-8 text)")
		else
			die(file ": unsupported escape \\" c)
	}
	return out
}

function expect(v, file) {
	if (pos > ntok || tt[pos] != "p" || tv[pos] != v)
		die(file ": expected \"" v "\" in the JSON")
	pos++
}

function string_token(file,    v) {
	if (pos > ntok || tt[pos] != "s")
		die(file ": expected a string in the JSON")
	v = tv[pos]
	pos++
	return v
}

# Skips one JSON value of any kind.
function skip_value(file) {
	if (pos > ntok)
		die(file ": truncated JSON")
	if (tt[pos] == "s" || tt[pos] == "l") {
		pos++
		return
	}
	if (tv[pos] == "{") {
		pos++
		if (tt[pos] == "p" && tv[pos] == "}") { pos++; return }
		for (;;) {
			string_token(file); expect(":", file); skip_value(file)
			if (tt[pos] == "p" && tv[pos] == ",") { pos++; continue }
			expect("}", file); return
		}
	}
	if (tv[pos] == "[") {
		pos++
		if (tt[pos] == "p" && tv[pos] == "]") { pos++; return }
		for (;;) {
			skip_value(file)
			if (tt[pos] == "p" && tv[pos] == ",") { pos++; continue }
			expect("]", file); return
		}
	}
	die(file ": unexpected \"" tv[pos] "\" in the JSON")
}

# One element of days[]: {name, date, isOffDay}.
function read_day(file, fyear, k,    key, name, date, off, y, m, d, kind, wd) {
	name = ""; date = ""; off = ""
	expect("{", file)
	if (!(tt[pos] == "p" && tv[pos] == "}")) {
		for (;;) {
			key = string_token(file)
			expect(":", file)
			if (key == "name") {
				name = string_token(file)
			} else if (key == "date") {
				date = string_token(file)
			} else if (key == "isOffDay") {
				if (tt[pos] != "l" || (tv[pos] != "true" && tv[pos] != "false"))
					die(file ": days[" k "].isOffDay is not true or false")
				off = tv[pos]
				pos++
			} else {
				skip_value(file)
			}
			if (tt[pos] == "p" && tv[pos] == ",") { pos++; continue }
			break
		}
	}
	expect("}", file)
	if (date == "" || off == "" || name == "")
		die(file ": days[" k "] lacks its date, name or isOffDay")
	if (date !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/)
		die(file ": days[" k "]: invalid date \"" date "\"")
	y = substr(date, 1, 4) + 0; m = substr(date, 6, 2) + 0; d = substr(date, 9, 2) + 0
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		die(file ": days[" k "]: invalid date \"" date "\"")
	if (y != fyear && !(y == fyear - 1 && m == 12))
		die(file ": " date " is outside " fyear " (a year file may only declare the previous December)")
	if (name ~ /[,"]/ || name ~ /[\001-\037]/)
		die(file ": " date ": the name \"" name "\" has a comma, quote or control character")
	kind = off == "true" ? "holiday" : "workday"
	wd = (day_number(y, m, d) + 4) % 7 # 0 = Sunday
	if (kind == "workday" && wd != 0 && wd != 6)
		die(file ": " date " is a working day on a weekday: 调休 working days are Saturdays or Sundays")
	if (date in entry) {
		if (entry[date] != kind "," name)
			die(date " is \"" kind "," name "\" in " file " but \"" entry[date] "\" in " source[date])
		return
	}
	entry[date] = kind "," name
	source[date] = file
	dates[++ndates] = date
}

function read_file(file,    text, line, rc, fyear, key, k) {
	fyear = basename(file)
	sub(/\.json$/, "", fyear)
	fyear += 0
	text = ""
	while ((rc = (getline line < file)) > 0)
		text = text line "\n"
	if (rc < 0)
		die(file ": cannot read")
	close(file)
	tokenize(text, file)
	pos = 1
	seen_days = 0
	expect("{", file)
	for (;;) {
		key = string_token(file)
		expect(":", file)
		if (key == "year") {
			if (tt[pos] != "l" || tv[pos] + 0 != fyear)
				die(file ": \"year\" is not " fyear)
			pos++
		} else if (key == "days") {
			seen_days = 1
			expect("[", file)
			k = 0
			if (!(tt[pos] == "p" && tv[pos] == "]")) {
				for (;;) {
					read_day(file, fyear, k++)
					if (tt[pos] == "p" && tv[pos] == ",") { pos++; continue }
					break
				}
			}
			expect("]", file)
		} else {
			skip_value(file)
		}
		if (tt[pos] == "p" && tv[pos] == ",") { pos++; continue }
		break
	}
	expect("}", file)
	if (pos <= ntok)
		die(file ": text after the JSON object")
	if (!seen_days)
		die(file ": no \"days\" array")
}

BEGIN {
	ndates = 0
	names = ""
	for (i = 1; i < ARGC; i++) {
		read_file(ARGV[i])
		names = names " " basename(ARGV[i])
		y = basename(ARGV[i]); sub(/\.json$/, "", y); years = years " " y
	}
	# insertion sort: a few hundred ISO dates
	for (i = 2; i <= ndates; i++) {
		v = dates[i]
		for (j = i - 1; j >= 1 && dates[j] > v; j--)
			dates[j + 1] = dates[j]
		dates[j + 1] = v
	}
	print "date,kind,name"
	print "# generated by rules/calendar/make_cn.sh from NateScarlet/holiday-cn (MIT):" names
	print "# years:" years
	for (i = 1; i <= ndates; i++)
		print dates[i] "," entry[dates[i]]
	exit 0
}
' "$@"
