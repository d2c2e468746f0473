/* Loads a channel profile, rules/channels/<name>.conf (FORMATS.md §4): a strict
 * INI reader like the configuration's (unknown sections and keys are errors,
 * every message says file:line) that compiles each PCRE2 pattern once. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "recon/charset.h"
#include "parse/profile_internal.h"
#include "util/err.h"

const char *const rcn_pfield_names[PF__COUNT] = {
	[PF_ORDER_NO] = "order_no",
	[PF_CHANNEL_TXN_ID] = "channel_txn_id",
	[PF_AMOUNT] = "amount",
	[PF_SETTLE] = "settle",
	[PF_FEE] = "fee",
	[PF_RATE] = "rate",
	[PF_TRADE_TIME] = "trade_time",
	[PF_TRADE_DATE] = "trade_date",
	[PF_TRADE_CLOCK] = "trade_clock",
	[PF_STATUS] = "status",
	[PF_TYPE] = "type",
	[PF_REFUND_NO] = "refund_no",
	[PF_CHANNEL_REFUND_ID] = "channel_refund_id",
	[PF_MERCHANT_ID] = "merchant_id",
	[PF_PROVIDER_ID] = "provider_id",
	[PF_CURRENCY] = "currency",
	[PF_TRADE_TYPE] = "trade_type",
};

const char *const rcn_ptotal_names[PT__COUNT] = {
	[PT_COUNT] = "count",
	[PT_PAYMENT_COUNT] = "payment_count",
	[PT_AMOUNT] = "amount",
	[PT_REFUND_COUNT] = "refund_count",
	[PT_REFUND_AMOUNT] = "refund_amount",
	[PT_FEE] = "fee",
	[PT_NET] = "net",
};

const char *const rcn_ppattern_names[PP__COUNT] = {
	[PP_IGNORE] = "ignore", [PP_HEADER] = "header", [PP_FOOTER] = "footer",
	[PP_DETAIL] = "detail", [PP_PERIOD] = "period",
};

/* The statuses the matcher knows (only SUCCESS counts as money moved). */
const char *const rcn_profile_statuses[] = {"SUCCESS", "FAIL", "PROCESSING", "REVOKED", "CLOSED", NULL};

#define PROFILE_MAX_LINE 4096 /* one line of a profile file */

enum section { SEC_NONE, SEC_PROFILE, SEC_COLUMNS, SEC_STATUS, SEC_TYPE, SEC__COUNT };
static const char *const section_names[SEC__COUNT] = {"", "profile", "columns", "status", "type"};

/* [profile] keys; the line each was set on (0 = unset) drives the final checks. */
enum key {
	K_NAME,
	K_LAYOUT,
	K_DELIMITER,
	K_QUOTE,
	K_ENCODING,
	K_SKIP_LINES,
	K_HEADER,
	K_DETAIL,
	K_IGNORE,
	K_FOOTER,
	K_AMOUNT_UNIT,
	K_TIME_FORMAT,
	K_TIMEZONE,
	K_CURRENCY,
	K_DEFAULT_TYPE,
	K_DEFAULT_STATUS,
	K_PERIOD,
	K__COUNT
};
static const char *const key_names[K__COUNT] = {
	"name",	    "layout",	"delimiter",	"quote",	  "encoding",	 "skip_lines",
	"header",   "detail",	"ignore",	"footer",	  "amount_unit", "time_format",
	"timezone", "currency", "default_type", "default_status", "period",
};

typedef struct {
	const char *path;
	rcn_err *err;
	long line;
	rcn_profile *prof;
	long key_line[K__COUNT];
	long section_line[SEC__COUNT];
	long col_line[PF__COUNT];
	char *col_text[PF__COUNT]; /* [columns] values, read once the layout is known */
	size_t cap_types, cap_statuses;
} loader;

__attribute__((format(printf, 3, 4))) static rcn_rc bad(loader *l, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_rc rc = rcn_err_vset(l->err, NULL, RCN_EUSAGE, l->path, line, 512, fmt, ap);
	va_end(ap);
	return rc;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static int find_name(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static int find_status(const char *s)
{
	for (int i = 0; rcn_profile_statuses[i]; i++)
		if (strcmp(rcn_profile_statuses[i], s) == 0)
			return i;
	return -1;
}

static int parse_type(const char *s)
{
	return strcmp(s, "payment") == 0 ? RCN_REC_PAYMENT : strcmp(s, "refund") == 0 ? RCN_REC_REFUND : -1;
}

/* "\t" stands for a TAB; anything else must be one printable ASCII character. */
static rcn_rc parse_char(loader *l, const char *key, const char *v, char *out)
{
	if (strcmp(v, "\\t") == 0) {
		*out = '\t';
		return RCN_OK;
	}
	if (strlen(v) != 1 || !isprint((unsigned char)v[0]) || v[0] == ' ')
		return bad(l, l->line, "bad value for '%s': expected one ASCII character or \\t, found '%.100s'", key,
			   v);
	*out = v[0];
	return RCN_OK;
}

static bool valid_timezone(const char *tz)
{
	if (!*tz || strstr(tz, "..") || strlen(tz) >= 64)
		return false;
	for (const char *p = tz; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return false;
	struct stat st;
	if (stat("/usr/share/zoneinfo", &st) != 0)
		return true; /* no zone database to check against */
	char path[300];
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

const char *rcn_profile_check_time_format(const char *fmt)
{
	int seen[128] = {0};
	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		char c = *++p;
		if (c == '%')
			continue;
		if (!c || !strchr("YmdHMS", c))
			return "unknown conversion (use %Y %m %d %H %M %S or %%)";
		if (seen[(unsigned char)c]++)
			return "a conversion appears twice";
	}
	if (!seen['Y'] || !seen['m'] || !seen['d'])
		return "%Y, %m and %d are required";
	return NULL;
}

static rcn_rc compile_pattern(loader *l, enum rcn_ppattern which, const char *v)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof(msg));
		return bad(l, l->line, "bad pattern for '%s': %s at offset %zu", rcn_ppattern_names[which],
			   (const char *)msg, (size_t)off);
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* an optimization: the interpreter is the fallback */
	l->prof->pattern[which] = re;
	if (which == PP_PERIOD) {
		/* the statement's own period: (?<from>...) and optionally (?<to>...) */
		int from = pcre2_substring_number_from_name(re, (PCRE2_SPTR) "from");
		int to = pcre2_substring_number_from_name(re, (PCRE2_SPTR) "to");
		if (from <= 0)
			return bad(l, l->line, "'period' has no (?<from>...) group: it states no date to check");
		l->prof->period_from = (uint32_t)from;
		l->prof->period_to = to > 0 ? (uint32_t)to : 0;
		return RCN_OK;
	}
	if (which != PP_FOOTER)
		return RCN_OK;

	/* Every named group of the footer must be a total recon can check. */
	uint32_t count, entry;
	PCRE2_SPTR table;
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &l->prof->footer_groups);
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * entry;
		uint32_t group = ((uint32_t)e[0] << 8) | e[1];
		const char *name = (const char *)e + 2;
		int t = find_name(rcn_ptotal_names, PT__COUNT, name);
		if (t < 0)
			return bad(l, l->line,
				   "unknown group '%.64s' in 'footer' (known: count, payment_count, amount, "
				   "refund_count, refund_amount, fee, net)",
				   name);
		if (l->prof->total_group[t])
			return bad(l, l->line, "group '%s' appears twice in 'footer'", name);
		l->prof->total_group[t] = group;
	}
	if (count == 0)
		return bad(l, l->line, "'footer' has no named group: it states no total to check");
	return RCN_OK;
}

static rcn_rc set_profile_key(loader *l, const char *key, const char *v)
{
	rcn_profile *p = l->prof;
	int k = find_name(key_names, K__COUNT, key);
	if (k < 0)
		return bad(l, l->line, "unknown key '%.100s' in [profile]", key);
	if (l->key_line[k])
		return bad(l, l->line, "'%s' is set twice (first on line %ld)", key, l->key_line[k]);
	l->key_line[k] = l->line;
	switch ((enum key)k) {
	case K_NAME:
		if (!*v || strlen(v) > RCN_PROFILE_NAME_MAX ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(v))
			return bad(l, l->line, "bad value for 'name': expected 1 to %d of a-z 0-9 _ -",
				   RCN_PROFILE_NAME_MAX);
		snprintf(p->name, sizeof(p->name), "%s", v);
		return RCN_OK;
	case K_LAYOUT:
		if (strcmp(v, "csv") != 0 && strcmp(v, "fixed") != 0)
			return bad(l, l->line, "bad value for 'layout': expected csv or fixed, found '%.100s'", v);
		p->fixed = v[0] == 'f';
		return RCN_OK;
	case K_DELIMITER:
		return parse_char(l, key, v, &p->delimiter);
	case K_QUOTE:
		if (strcmp(v, "none") == 0) {
			p->quote = '\0';
			return RCN_OK;
		}
		return parse_char(l, key, v, &p->quote);
	case K_ENCODING:
		if (strcmp(v, "GBK") == 0 || strcmp(v, "GB18030") == 0)
			snprintf(p->encoding, sizeof(p->encoding), "GBK");
		else if (strcmp(v, "UTF-8") == 0)
			snprintf(p->encoding, sizeof(p->encoding), "UTF-8");
		else
			return bad(l, l->line, "bad value for 'encoding': expected GBK or UTF-8, found '%.100s'", v);
		return RCN_OK;
	case K_SKIP_LINES: {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end || errno || n > 1000)
			return bad(l, l->line, "bad value for 'skip_lines': expected a whole number from 0 to 1000");
		p->skip_lines = n;
		return RCN_OK;
	}
	case K_HEADER:
		return compile_pattern(l, PP_HEADER, v);
	case K_DETAIL:
		return compile_pattern(l, PP_DETAIL, v);
	case K_PERIOD:
		return compile_pattern(l, PP_PERIOD, v);
	case K_IGNORE:
		return compile_pattern(l, PP_IGNORE, v);
	case K_FOOTER:
		return compile_pattern(l, PP_FOOTER, v);
	case K_AMOUNT_UNIT:
		if (strcmp(v, "yuan") != 0 && strcmp(v, "fen") != 0)
			return bad(l, l->line, "bad value for 'amount_unit': expected yuan or fen, found '%.100s'", v);
		p->unit_fen = v[0] == 'f';
		return RCN_OK;
	case K_TIME_FORMAT: {
		const char *why = rcn_profile_check_time_format(v);
		if (why || strlen(v) >= sizeof(p->time_format))
			return bad(l, l->line, "bad value for 'time_format': %s",
				   why ? why : "longer than 63 characters");
		snprintf(p->time_format, sizeof(p->time_format), "%s", v);
		return RCN_OK;
	}
	case K_TIMEZONE:
		if (!valid_timezone(v))
			return bad(l, l->line, "bad value for 'timezone': unknown time zone '%.100s'", v);
		snprintf(p->timezone, sizeof(p->timezone), "%s", v);
		return RCN_OK;
	case K_CURRENCY:
		if (strlen(v) != 3 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
			return bad(l, l->line, "bad value for 'currency': expected a code like CNY");
		snprintf(p->currency, sizeof(p->currency), "%s", v);
		return RCN_OK;
	case K_DEFAULT_TYPE:
		if ((p->default_type = parse_type(v)) < 0)
			return bad(l, l->line, "bad value for 'default_type': expected payment or refund");
		return RCN_OK;
	case K_DEFAULT_STATUS:
		if ((p->default_status = find_status(v)) < 0)
			return bad(l, l->line,
				   "bad value for 'default_status': expected SUCCESS, FAIL, PROCESSING, REVOKED or "
				   "CLOSED");
		return RCN_OK;
	case K__COUNT:
		break;
	}
	return RCN_OK;
}

static rcn_rc add_mapping(loader *l, enum section sec, const char *key, const char *v)
{
	rcn_profile *p = l->prof;
	rcn_pmap **maps = sec == SEC_TYPE ? &p->types : &p->statuses;
	size_t *n = sec == SEC_TYPE ? &p->ntypes : &p->nstatuses;
	int to = sec == SEC_TYPE ? parse_type(v) : find_status(v);
	if (to < 0)
		return bad(l, l->line,
			   sec == SEC_TYPE ? "bad value for '%.100s': expected payment or refund"
					   : "bad value for '%.100s': expected SUCCESS, FAIL, PROCESSING, "
					     "REVOKED or CLOSED",
			   key);
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*maps)[i].value, key) == 0)
			return bad(l, l->line, "'%.100s' is mapped twice in [%s]", key, section_names[sec]);
	rcn_xreserve((void **)maps, sec == SEC_TYPE ? &l->cap_types : &l->cap_statuses, *n + 1, sizeof(**maps));
	(*maps)[*n].value = rcn_xstrdup(key);
	(*maps)[*n].to = to;
	(*n)++;
	return RCN_OK;
}

static rcn_rc set_column(loader *l, const char *key, const char *v)
{
	int f = find_name(rcn_pfield_names, PF__COUNT, key);
	if (f < 0)
		return bad(l, l->line,
			   "unknown field '%.100s' in [columns] (known: order_no, channel_txn_id, amount, settle, fee, "
			   "rate, trade_time, trade_date, trade_clock, status, type, refund_no, channel_refund_id, "
			   "merchant_id, provider_id, currency, trade_type)",
			   key);
	if (l->col_line[f])
		return bad(l, l->line, "'%s' is mapped twice (first on line %ld)", key, l->col_line[f]);
	if (!*v)
		return bad(l, l->line, "empty column for '%s'", key);
	l->col_line[f] = l->line;
	l->col_text[f] = rcn_xstrdup(v);
	return RCN_OK;
}

/* "START:WIDTH", 1-based start, both at least 1. */
static bool parse_range(const char *v, size_t *start, size_t *width)
{
	char *end;
	if (!isdigit((unsigned char)v[0]))
		return false;
	errno = 0;
	unsigned long s = strtoul(v, &end, 10);
	if (*end != ':' || !isdigit((unsigned char)end[1]) || errno)
		return false;
	unsigned long w = strtoul(end + 1, &end, 10);
	if (*end || errno || s < 1 || w < 1 || s > RCN_MAX_ROW_BYTES || w > RCN_MAX_ROW_BYTES)
		return false;
	*start = s - 1;
	*width = w;
	return true;
}

static rcn_rc check_columns(loader *l)
{
	rcn_profile *p = l->prof;
	long at = l->section_line[SEC_COLUMNS];
	for (int f = 0; f < PF__COUNT; f++) {
		if (!l->col_text[f])
			continue;
		p->col[f].set = true;
		if (!p->fixed) {
			p->col[f].name = l->col_text[f];
			l->col_text[f] = NULL;
			continue;
		}
		if (!parse_range(l->col_text[f], &p->col[f].start, &p->col[f].width))
			return bad(l, l->col_line[f],
				   "bad column '%.100s' for '%s': expected START:WIDTH in bytes, both at least 1",
				   l->col_text[f], rcn_pfield_names[f]);
	}
	/* Fixed fields may not share bytes, unless two fields read the very same column. */
	for (int f = 0; p->fixed && f < PF__COUNT; f++)
		for (int g = 0; g < f && p->col[f].set; g++) {
			size_t a0 = p->col[f].start, a1 = a0 + p->col[f].width;
			size_t b0 = p->col[g].start, b1 = b0 + p->col[g].width;
			if (!p->col[g].set || (a0 == b0 && a1 == b1) || a1 <= b0 || b1 <= a0)
				continue;
			long lf = l->col_line[f], lg = l->col_line[g];
			int first = lg < lf ? g : f, second = lg < lf ? f : g;
			return bad(l, lf > lg ? lf : lg, "columns '%s' (%zu:%zu) and '%s' (%zu:%zu) overlap",
				   rcn_pfield_names[first], p->col[first].start + 1, p->col[first].width,
				   rcn_pfield_names[second], p->col[second].start + 1, p->col[second].width);
		}
	static const enum rcn_pfield required[] = {PF_ORDER_NO, PF_AMOUNT};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!p->col[required[i]].set)
			return bad(l, at, "[columns] lacks '%s'", rcn_pfield_names[required[i]]);
	if (p->col[PF_TRADE_TIME].set && p->col[PF_TRADE_DATE].set)
		return bad(l, l->col_line[PF_TRADE_DATE], "map either 'trade_time' or 'trade_date' (+ 'trade_clock')");
	if (p->col[PF_TRADE_CLOCK].set && !p->col[PF_TRADE_DATE].set)
		return bad(l, l->col_line[PF_TRADE_CLOCK], "'trade_clock' needs 'trade_date'");
	if (!p->col[PF_TRADE_TIME].set && !p->col[PF_TRADE_DATE].set)
		return bad(l, at, "[columns] lacks 'trade_time' (or 'trade_date' + 'trade_clock')");
	if (!p->col[PF_TYPE].set && p->default_type < 0)
		return bad(l, at, "[columns] lacks 'type' (or set default_type in [profile])");
	if (!p->col[PF_STATUS].set && p->default_status < 0)
		return bad(l, at, "[columns] lacks 'status' (or set default_status in [profile])");
	if (p->col[PF_TYPE].set && p->ntypes == 0 && p->default_type < 0)
		return bad(l, l->col_line[PF_TYPE], "'type' is mapped but [type] maps no value");
	if (p->col[PF_STATUS].set && p->nstatuses == 0 && p->default_status < 0)
		return bad(l, l->col_line[PF_STATUS], "'status' is mapped but [status] maps no value");
	return RCN_OK;
}

static rcn_rc check_profile(loader *l)
{
	rcn_profile *p = l->prof;
	if (!l->section_line[SEC_PROFILE])
		return bad(l, 0, "no [profile] section");
	long at = l->section_line[SEC_PROFILE];
	static const enum key required[] = {K_NAME, K_LAYOUT, K_ENCODING, K_AMOUNT_UNIT, K_TIME_FORMAT};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!l->key_line[required[i]])
			return bad(l, at, "[profile] lacks '%s'", key_names[required[i]]);

	const char *base = strrchr(l->path, '/');
	base = base ? base + 1 : l->path;
	size_t n = strlen(p->name);
	if (strncmp(base, p->name, n) != 0 || strcmp(base + n, ".conf") != 0)
		return bad(l, l->key_line[K_NAME], "name '%s' does not match the file name '%.200s' (expected %s.conf)",
			   p->name, base, p->name);
	if (p->fixed) {
		if (l->key_line[K_DELIMITER] || l->key_line[K_QUOTE]) {
			enum key k = l->key_line[K_DELIMITER] ? K_DELIMITER : K_QUOTE;
			return bad(l, l->key_line[k], "'%s' is for layout = csv", key_names[k]);
		}
	} else {
		if (!p->pattern[PP_HEADER])
			return bad(l, at, "layout = csv needs 'header': columns are found by name in the header line");
		if (p->delimiter == p->quote)
			return bad(l, l->key_line[K_QUOTE], "'quote' and 'delimiter' are the same character");
	}
	if (!l->section_line[SEC_COLUMNS])
		return bad(l, 0, "no [columns] section");
	return check_columns(l);
}

static rcn_rc on_section(loader *l, char *s)
{
	char *end = strchr(s, ']');
	if (!end || end[1])
		return bad(l, l->line, "malformed section header '%.200s'", s);
	*end = '\0';
	char *name = trim(s + 1);
	int sec = find_name(section_names, SEC__COUNT, name);
	if (sec <= SEC_NONE)
		return bad(l, l->line, "unknown section [%.100s] (known: profile, columns, status, type)", name);
	if (l->section_line[sec])
		return bad(l, l->line, "section [%s] appears twice", name);
	l->section_line[sec] = l->line;
	return RCN_OK;
}

static rcn_rc read_profile(loader *l, FILE *f)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t got;
	enum section sec = SEC_NONE;
	rcn_rc rc = RCN_OK;
	while (rc == RCN_OK && (got = getline(&buf, &cap, f)) != -1) {
		l->line++;
		char *raw = buf;
		if ((size_t)got != strlen(buf) || got > PROFILE_MAX_LINE) {
			rc = bad(l, l->line, "line is longer than %d bytes or holds a NUL byte", PROFILE_MAX_LINE);
			break;
		}
		if (l->line == 1 && strncmp(raw, "\xEF\xBB\xBF", 3) == 0)
			raw += 3;
		if (!rcn_utf8_valid(raw, strlen(raw))) {
			rc = bad(l, l->line, "not UTF-8 (profiles are UTF-8 whatever the statements' encoding)");
			break;
		}
		char *s = trim(raw);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if ((rc = on_section(l, s)) == RCN_OK)
				sec = (enum section)find_name(section_names, SEC__COUNT, trim(s + 1));
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = bad(l, l->line, "expected 'key = value', found '%.200s'", s);
			break;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		if (!*key) {
			rc = bad(l, l->line, "missing key before '='");
			break;
		}
		switch (sec) {
		case SEC_PROFILE:
			rc = set_profile_key(l, key, val);
			break;
		case SEC_COLUMNS:
			rc = set_column(l, key, val);
			break;
		case SEC_STATUS:
		case SEC_TYPE:
			rc = add_mapping(l, sec, key, val);
			break;
		case SEC_NONE:
		case SEC__COUNT:
			rc = bad(l, l->line, "key '%.100s' outside any section", key);
			break;
		}
	}
	free(buf);
	return rc;
}

rcn_rc rcn_profile_load(rcn_profile **out, const char *path, rcn_err *err)
{
	rcn_rc rc;
	rcn_profile *p = rcn_xcalloc(1, sizeof(*p));
	loader l = {.path = path, .err = err, .prof = p};
	FILE *f = fopen(path, "r");

	p->path = rcn_xstrdup(path);
	p->delimiter = ',';
	p->quote = '"';
	p->default_type = -1;
	p->default_status = -1;
	snprintf(p->timezone, sizeof(p->timezone), "Asia/Shanghai");
	snprintf(p->currency, sizeof(p->currency), "CNY");
	if (!f) {
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read profile: %s", strerror(errno));
		goto cleanup;
	}
	rc = read_profile(&l, f);
	if (rc == RCN_OK && ferror(f))
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read profile: %s", strerror(errno));
	if (rc == RCN_OK)
		rc = check_profile(&l);
cleanup:
	if (f)
		fclose(f);
	for (int i = 0; i < PF__COUNT; i++)
		free(l.col_text[i]);
	if (rc) {
		rcn_profile_free(p);
		return rc;
	}
	*out = p;
	return RCN_OK;
}

void rcn_profile_free(rcn_profile *p)
{
	if (!p)
		return;
	for (int i = 0; i < PP__COUNT; i++)
		pcre2_code_free(p->pattern[i]);
	for (int i = 0; i < PF__COUNT; i++)
		free(p->col[i].name);
	for (size_t i = 0; i < p->ntypes; i++)
		free(p->types[i].value);
	for (size_t i = 0; i < p->nstatuses; i++)
		free(p->statuses[i].value);
	free(p->types);
	free(p->statuses);
	free(p->path);
	free(p);
}

const char *rcn_profile_name(const rcn_profile *p)
{
	return p ? p->name : "";
}
