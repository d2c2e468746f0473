/* Settlement cycles (FORMATS.md §6): reads rules/settlement.csv strictly
 * (file:line for every mistake, two rules of one channel and merchant refused),
 * finds a merchant account's cycle, the day its money is due (T+N on the China
 * business-day calendar of §5, D+N in natural days) and the net amount owed. */
#include "recon/settle.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recon/charset.h"
#include "recon/money.h"

#define SETTLE_MAX_LINE	  4096	/* one line of the rules */
#define SETTLE_MAX_FIELDS 32	/* cells on one line */
#define SETTLE_MAX_RULES  20000 /* a hand-kept file holds tens */
#define SETTLE_MAX_DAYS	  60	/* the longest cycle any channel quotes is T+14 */

__extension__ typedef __int128 i128;

struct rcn_settle_rules {
	rcn_settle_rule *rules; /* file order */
	size_t n;
	const rcn_settle_rule **by_key; /* sorted by channel, merchant, then line */
};

enum column { COL_CHANNEL, COL_MERCHANT, COL_CYCLE, COL__COUNT };
static const char *const column_names[COL__COUNT] = {"channel", "merchant", "cycle"};

typedef struct {
	const char *path;
	rcn_err *err;
	long line;
	int col[COL__COUNT]; /* field index of each column */
	size_t header_fields;
} ctx;

__attribute__((format(printf, 2, 3))) static rcn_rc bad(ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rcn_err_set(c->err, RCN_EUSAGE, c->path, c->line, "%s", msg);
}

/* Length of s for quoting it back in a message, not splitting a UTF-8 sequence. */
static int qlen(const char *s)
{
	size_t n = strlen(s), max = 60;
	if (n <= max)
		return (int)n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return (int)max;
}

/* Splits one line into fields in place, as rules/fees.csv is read: comma
 * separated, spaces around a field dropped, a field may be quoted ("" is a
 * quote inside it) but cannot span lines. Returns NULL or what is wrong. */
static const char *split(char *s, char **fields, size_t *nf)
{
	size_t n = 0;
	char *p = s;
	for (;;) {
		if (n == SETTLE_MAX_FIELDS)
			return "more than 32 fields";
		while (*p == ' ' || *p == '\t')
			p++;
		char *start = p, *end;
		if (*p == '"') {
			char *o = ++p;
			start = o;
			for (;;) {
				if (!*p)
					return "a quoted field has no closing quote (a field cannot span lines)";
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
				*o++ = *p++;
			}
			end = o;
			p++; /* the closing quote */
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != ',')
				return "text after the closing quote of a field";
		} else {
			while (*p && *p != ',') {
				if (*p == '"')
					return "a quote inside an unquoted field (quote the whole field)";
				p++;
			}
			end = p;
			while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
		}
		char sep = *p;
		*end = '\0';
		fields[n++] = start;
		if (!sep)
			break;
		p++;
	}
	*nf = n;
	return NULL;
}

static rcn_rc read_header(ctx *c, char **fields, size_t nf)
{
	for (int k = 0; k < COL__COUNT; k++)
		c->col[k] = -1;
	for (size_t i = 0; i < nf; i++) {
		if (!fields[i][0])
			continue; /* a trailing empty cell from a spreadsheet */
		int k = 0;
		while (k < COL__COUNT && strcasecmp(fields[i], column_names[k]) != 0)
			k++;
		if (k == COL__COUNT)
			return bad(c, "unknown column '%.*s' (expected channel, merchant, cycle)", qlen(fields[i]),
				   fields[i]);
		if (c->col[k] >= 0)
			return bad(c, "column '%s' appears twice", column_names[k]);
		c->col[k] = (int)i;
	}
	for (int k = 0; k < COL__COUNT; k++)
		if (c->col[k] < 0)
			return bad(c, "no '%s' column in the header", column_names[k]);
	c->header_fields = nf;
	return RCN_OK;
}

static bool is_channel_name(const char *s)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

/* "T+N" (working days) or "D+N" (natural days), N one or two digits, 0..60.
 * A lower-case t or d is the same cycle. */
static rcn_rc read_cycle(ctx *c, const char *v, rcn_settle_rule *r)
{
	char kind = v[0] == 't' ? 'T' : v[0] == 'd' ? 'D' : v[0];
	size_t digits = 0;
	int n = 0;
	if (!*v)
		return bad(c, "bad value for 'cycle': empty (write T+1 for the next working day)");
	if ((kind == 'T' || kind == 'D') && v[1] == '+')
		for (const char *p = v + 2; *p >= '0' && *p <= '9'; p++, digits++)
			n = digits < 3 ? n * 10 + (*p - '0') : n;
	if ((kind != 'T' && kind != 'D') || v[1] != '+' || digits == 0 || digits > 2 || v[2 + digits])
		return bad(c,
			   "bad value for 'cycle': '%.*s' (expected T+N for N working days or D+N for N natural "
			   "days, N from 0 to %d)",
			   qlen(v), v, SETTLE_MAX_DAYS);
	if (n > SETTLE_MAX_DAYS)
		return bad(c, "bad value for 'cycle': %c+%d is longer than the %d days recon accepts", kind, n,
			   SETTLE_MAX_DAYS);
	r->working_days = kind == 'T';
	r->days = n;
	return RCN_OK;
}

static rcn_rc read_rule(ctx *c, char **fields, size_t nf, rcn_settle_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->line = c->line;
	if (nf < c->header_fields)
		return bad(c, "expected %zu fields as in the header, found %zu", c->header_fields, nf);
	for (size_t i = 0; i < nf; i++) {
		bool named = false;
		for (int k = 0; k < COL__COUNT; k++)
			named = named || c->col[k] == (int)i;
		if (!named && fields[i][0])
			return bad(c, "field %zu ('%.*s') has no column in the header", i + 1, qlen(fields[i]),
				   fields[i]);
	}

	const char *v = fields[c->col[COL_CHANNEL]];
	if (!*v)
		return bad(c, "bad value for 'channel': empty");
	if (strcmp(v, "*") == 0)
		return bad(c, "bad value for 'channel': '*' is not allowed: a rule names its channel");
	if (!is_channel_name(v) || strlen(v) >= sizeof(r->channel))
		return bad(c, "bad value for 'channel': '%.*s' is not a channel name (letters, digits, - and _)",
			   qlen(v), v);
	memcpy(r->channel, v, strlen(v) + 1);

	v = fields[c->col[COL_MERCHANT]];
	if (!*v)
		return bad(c, "bad value for 'merchant': empty (write * for every merchant)");
	if (strcmp(v, "*") != 0 && strchr(v, '*'))
		return bad(c, "bad value for 'merchant': '%.*s' mixes * with text: write * alone for every merchant",
			   qlen(v), v);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			return bad(c, "bad value for 'merchant': a control character");
	if (strlen(v) >= sizeof(r->merchant))
		return bad(c, "bad value for 'merchant': longer than %zu bytes", sizeof(r->merchant) - 1);
	memcpy(r->merchant, v, strlen(v) + 1);

	return read_cycle(c, fields[c->col[COL_CYCLE]], r);
}

static int key_cmp(const char *channel, const char *merchant, const rcn_settle_rule *r)
{
	int d = strcmp(channel, r->channel);
	return d ? d : strcmp(merchant, r->merchant);
}

static int by_key_cmp(const void *a, const void *b)
{
	const rcn_settle_rule *x = *(const rcn_settle_rule *const *)a, *y = *(const rcn_settle_rule *const *)b;
	int d = key_cmp(x->channel, x->merchant, y);
	return d ? d : (x->line > y->line) - (x->line < y->line);
}

/* Two cycles for one merchant account would leave the answer to file order:
 * refused at the first line (in file order) that repeats an earlier key. */
static rcn_rc check_duplicates(ctx *c, const rcn_settle_rules *r)
{
	const rcn_settle_rule *later = NULL, *earlier = NULL;
	for (size_t i = 1; i < r->n; i++) {
		const rcn_settle_rule *a = r->by_key[i - 1], *b = r->by_key[i];
		/* within a key by_key is in file order: a is the key's first line when
		 * b is its second, and only the second can be the earliest repeat */
		if (key_cmp(a->channel, a->merchant, b) != 0 ||
		    (i >= 2 && key_cmp(a->channel, a->merchant, r->by_key[i - 2]) == 0))
			continue;
		if (!later || b->line < later->line)
			later = b, earlier = a;
	}
	if (!later)
		return RCN_OK;
	c->line = later->line;
	return bad(c, "a second rule for channel '%s' and merchant '%.*s' (the first is on line %ld)", later->channel,
		   qlen(later->merchant), later->merchant, earlier->line);
}

rcn_rc rcn_settle_rules_load(rcn_settle_rules **out, const char *path, rcn_err *err)
{
	rcn_rc rc = RCN_OK;
	ctx c = {.path = path, .err = err};
	char *line = NULL;
	size_t cap = 0, rules_cap = 0;
	ssize_t got;
	bool have_header = false;
	rcn_settle_rules *r = rcn_xcalloc(1, sizeof(*r));
	FILE *f = fopen(path, "r");

	if (!f) {
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read settlement rules: %s", strerror(errno));
		goto cleanup;
	}
	while ((got = getline(&line, &cap, f)) != -1) {
		c.line++;
		if ((size_t)got != strlen(line) || got > SETTLE_MAX_LINE) {
			rc = bad(&c, "line is longer than %d bytes or holds a NUL byte", SETTLE_MAX_LINE);
			goto cleanup;
		}
		char *s = line;
		if (c.line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3;
		size_t n = strlen(s);
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			s[--n] = '\0';
		if (!rcn_utf8_valid(s, n)) {
			rc = bad(&c, "not UTF-8: save the file as CSV UTF-8");
			goto cleanup;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		char *fields[SETTLE_MAX_FIELDS];
		size_t nf = 0;
		const char *why = split(s, fields, &nf);
		if (why) {
			rc = bad(&c, "%s", why);
			goto cleanup;
		}
		bool blank = true;
		for (size_t i = 0; i < nf && blank; i++)
			blank = !fields[i][0];
		if (blank)
			continue; /* ",,": an empty spreadsheet row */
		if (!have_header) {
			if ((rc = read_header(&c, fields, nf)))
				goto cleanup;
			have_header = true;
			continue;
		}
		if (r->n == SETTLE_MAX_RULES) {
			rc = bad(&c, "more than %d rules", SETTLE_MAX_RULES);
			goto cleanup;
		}
		rcn_xreserve((void **)&r->rules, &rules_cap, r->n + 1, sizeof(*r->rules));
		if ((rc = read_rule(&c, fields, nf, &r->rules[r->n])))
			goto cleanup;
		r->n++;
	}
	if (ferror(f)) {
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read settlement rules: %s", strerror(errno));
		goto cleanup;
	}
	if (!have_header) {
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "no header line (channel,merchant,cycle)");
		goto cleanup;
	}
	r->by_key = rcn_xmalloc((r->n ? r->n : 1) * sizeof(*r->by_key));
	for (size_t i = 0; i < r->n; i++)
		r->by_key[i] = &r->rules[i];
	qsort(r->by_key, r->n, sizeof(*r->by_key), by_key_cmp);
	if ((rc = check_duplicates(&c, r)))
		goto cleanup;
	*out = r;
	r = NULL;
cleanup:
	free(line);
	if (f)
		fclose(f);
	rcn_settle_rules_free(r);
	return rc;
}

void rcn_settle_rules_free(rcn_settle_rules *r)
{
	if (!r)
		return;
	free(r->rules);
	free(r->by_key);
	free(r);
}

/* The rule of exactly this channel and merchant (at most one: duplicates are refused at load). */
static const rcn_settle_rule *lookup(const rcn_settle_rules *r, const char *channel, const char *merchant)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(channel, merchant, r->by_key[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->n && key_cmp(channel, merchant, r->by_key[lo]) == 0 ? r->by_key[lo] : NULL;
}

const rcn_settle_rule *rcn_settle_rules_find(const rcn_settle_rules *r, const char *channel, const char *merchant)
{
	if (!r || !channel)
		return NULL;
	const rcn_settle_rule *hit = merchant && *merchant ? lookup(r, channel, merchant) : NULL;
	return hit ? hit : lookup(r, channel, "*");
}

rcn_rc rcn_settle_due(const rcn_settle_rule *rule, const rcn_calendar *cal, rcn_date day, rcn_date *out, rcn_err *err)
{
	bool working = rule ? rule->working_days : true;
	int n = rule ? rule->days : 1;
	char iso[11];
	rcn_err e;
	rcn_date end;

	rcn_date_format(iso, day);
	if (n < 0)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "%c+%d of %s: a cycle cannot be negative",
				   working ? 'T' : 'D', n, iso);
	if (!working) {
		/* natural days never read the calendar: D+1 of a day before a holiday is the holiday */
		int y, m, d;
		rcn_date_to_ymd(day + n, &y, &m, &d);
		if (y > 9999)
			return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "D+%d of %s is past 9999-12-31", n, iso);
		*out = day + n;
		return RCN_OK;
	}
	if (!cal)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0,
				   "T+%d of %s counts working days: no business-day calendar is loaded", n, iso);
	/* T+0 is the day itself when it is a working day, else the next one (the calendar's T+0) */
	if (rcn_calendar_add_workdays(cal, day, n, &end, &e) != RCN_OK)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "T+%d of %s: %s", n, iso, e.msg);
	*out = end;
	return RCN_OK;
}

/* v / RCN_FEE_UNITS_PER_FEN rounded half away from zero: -1.5 fen is -2 fen,
 * so a fee returned on a refund rounds like the fee charged on the payment. */
static int64_t fee_to_fen(int64_t v)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t q = mag / RCN_FEE_UNITS_PER_FEN, rem = mag % RCN_FEE_UNITS_PER_FEN;
	if (rem >= RCN_FEE_UNITS_PER_FEN - rem)
		q++;
	return v < 0 ? -(int64_t)q : (int64_t)q;
}

void rcn_settle_amount_compute(rcn_settle_amount *a)
{
	/* in 128 bits the difference of three int64 cannot overflow; a net beyond
	 * int64 fen (9.2e16 yuan) is not money any statement holds */
	i128 net = (i128)a->payments_fen - a->refunds_fen - fee_to_fen(a->fee);
	assert(net >= INT64_MIN && net <= INT64_MAX);
	a->net_fen = (int64_t)net;
}
