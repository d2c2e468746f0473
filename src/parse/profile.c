/* The profile parser ("profile:<name>", FORMATS.md §4): reads any CSV or
 * fixed-width statement a rules/channels/<name>.conf profile describes, one
 * line at a time, and checks the footer's control totals. This file holds the
 * lines (bytes, charset, patterns, the period and the footer) and the
 * lifecycle; the rows are read in profile_row.c (see profile_parser.h for the
 * path data takes). Holds one row (a CSV row with quoted newlines spans
 * lines), never the file. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/charset.h"
#include "recon/money.h"
#include "recon/text.h"
#include "parse/parse_util.h"
#include "parse/parser_internal.h"
#include "parse/verdict.h"
#include "parse/profile_internal.h"
#include "parse/profile_parser.h"
#include "util/err.h"

#define MATCH_LIMIT 10000000u	 /* PCRE2 backtracking budget per line: a profile's pattern can't hang a night */
#define DEPTH_LIMIT (64u * 1024) /* PCRE2 backtracking memory per line, KiB */

void rcn_profile_fatal(parser *p, rcn_rc code, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_err_vset(&p->fatal_err, &p->fatal, code, p->spec->file, line, 400, fmt, ap);
	va_end(ap);
}

/* A detail row that cannot be used: counted, quarantined, and the file will be rejected. */
void rcn_profile_quarantine(parser *p, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_quarantine_vrow(&p->res, p->spec->quar, p->spec->ctx, p->spec->file, line, fmt, ap);
	va_end(ap);
}

/* 1 on a match, 0 on none; a matching failure (budget exhausted) is fatal. */
static int match(parser *p, enum rcn_ppattern which, const char *s, size_t n, long line)
{
	const pcre2_code *re = p->prof->pattern[which];
	if (!re)
		return 0;
	int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, p->md, p->mctx);
	if (rc >= 0)
		return 1;
	if (rc != PCRE2_ERROR_NOMATCH) {
		PCRE2_UCHAR msg[200];
		pcre2_get_error_message(rc, msg, sizeof(msg));
		rcn_profile_fatal(p, RCN_ELIMIT, line, "pattern '%s' failed on this line: %s",
				  rcn_ppattern_names[which], (const char *)msg);
	}
	return 0;
}

/* ---- footer ---- */

__attribute__((format(printf, 3, 4))) static void footer_problem(parser *p, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_err_vset(&p->footer_err, &p->footer_bad, RCN_EFORMAT, p->spec->file, line, 400, fmt, ap);
	va_end(ap);
}

/* Reads the totals the footer line (still in p->md) states. */
static void on_footer(parser *p, const char *s, long line)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
	uint32_t pairs = pcre2_get_ovector_count(p->md);
	p->has_footer = true;
	p->res.has_summary = true;
	for (int t = 0; t < PT__COUNT; t++) {
		uint32_t g = p->prof->total_group[t];
		if (g == 0 || g >= pairs || ov[2 * g] == PCRE2_UNSET)
			continue;
		const char *v = s + ov[2 * g];
		size_t n = ov[2 * g + 1] - ov[2 * g];
		char why[300];
		int64_t x = 0;
		v = trim(v, &n);
		if (p->stated_set[t]) {
			footer_problem(p, line, "footer states '%s' twice (also on line %ld)", rcn_ptotal_names[t],
				       p->stated_line[t]);
			return;
		}
		if (t == PT_COUNT || t == PT_PAYMENT_COUNT || t == PT_REFUND_COUNT) {
			if (!parse_count(&x, v, n)) {
				footer_problem(p, line, "footer %s: invalid count \"%s\"", rcn_ptotal_names[t],
					       RCN_QUOTE(v, n));
				return;
			}
		} else if (rcn_profile_parse_amount(p->prof, &x, v, n, RCN_SCALE_FEE,
						    t == PT_FEE ? RCN_SCALE_FEE : RCN_SCALE_FEN, why,
						    sizeof(why)) != RCN_OK) {
			footer_problem(p, line, "footer %s: %s", rcn_ptotal_names[t], why);
			return;
		}
		p->stated_set[t] = true;
		p->stated[t] = x;
		p->stated_line[t] = line;
	}
}

/* A total in the file's own unit, as the operator will look for it in the file. */
static const char *format_total(const parser *p, char *buf, size_t n, int t, int64_t v)
{
	if (t == PT_COUNT || t == PT_PAYMENT_COUNT || t == PT_REFUND_COUNT) {
		snprintf(buf, n, "%lld", (long long)v);
		return buf;
	}
	if (p->prof->unit_fen && v % RCN_FEE_UNITS_PER_FEN == 0)
		return rcn_money_format(buf, n, v / RCN_FEE_UNITS_PER_FEN, 0);
	if (!p->prof->unit_fen && v % RCN_FEE_UNITS_PER_FEN == 0)
		return rcn_money_format(buf, n, v / RCN_FEE_UNITS_PER_FEN, RCN_SCALE_FEN);
	return rcn_money_format(buf, n, v, RCN_SCALE_FEE);
}

/* Compares every stated total with the detail rows: the first difference, or RCN_OK. */
static rcn_rc check_totals(parser *p, rcn_err *why)
{
	const rcn_stmt_result *r = &p->res;
	int64_t k = RCN_FEE_UNITS_PER_FEN, have[PT__COUNT];
	bool fits = !__builtin_mul_overflow(r->amount_fen, k, &have[PT_AMOUNT]) &&
		    !__builtin_mul_overflow(r->refund_fen, k, &have[PT_REFUND_AMOUNT]);
	have[PT_COUNT] = r->rows;
	have[PT_PAYMENT_COUNT] = r->payments;
	have[PT_REFUND_COUNT] = r->refunds;
	have[PT_FEE] = r->fee;
	fits = fits && !__builtin_sub_overflow(have[PT_AMOUNT], have[PT_REFUND_AMOUNT], &have[PT_NET]) &&
	       !__builtin_sub_overflow(have[PT_NET], r->fee, &have[PT_NET]);
	for (int t = 0; t < PT__COUNT; t++) {
		if (!p->stated_set[t])
			continue;
		int64_t stated = p->stated[t];
		/* A footer may write the refunded sum negative ("退款合计 -0.04"). */
		if (t == PT_REFUND_AMOUNT && stated < 0)
			stated = -stated;
		if (fits && stated == have[t])
			continue;
		char a[40], b[40];
		return rcn_err_set(why, RCN_ETOTALS, p->spec->file, p->stated_line[t],
				   "control totals do not match: %s says %s, rows have %s", rcn_ptotal_names[t],
				   format_total(p, a, sizeof(a), t, p->stated[t]),
				   fits ? format_total(p, b, sizeof(b), t, have[t]) : "more than fits in 64 bits");
	}
	return RCN_OK;
}

/* ---- lines ---- */

/* One physical line: p->raw holds its stored bytes, p->text its UTF-8 (both without the line end). */
/* A period bound's time from its digits: 8 (a date, whose day it is all
 * of) or 14 (a date and time); false for anything else. */
static bool period_bound(const char *s, size_t n, rcn_time *t, bool *dated_only)
{
	char d[15];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9') {
			if (k == 14)
				return false;
			d[k++] = s[i];
		}
	if (k != 8 && k != 14)
		return false;
	char iso[11] = {d[0], d[1], d[2], d[3], '-', d[4], d[5], '-', d[6], d[7], '\0'};
	rcn_date day;
	if (rcn_date_parse(&day, iso, 10, NULL) != RCN_OK)
		return false;
	int h = 0, mi = 0, sec = 0;
	if (k == 14) {
		h = (d[8] - '0') * 10 + (d[9] - '0');
		mi = (d[10] - '0') * 10 + (d[11] - '0');
		sec = (d[12] - '0') * 10 + (d[13] - '0');
		if (h > 23 || mi > 59 || sec > 59)
			return false;
	}
	*dated_only = k == 8;
	*t = (rcn_time)day * RCN_SECS_PER_DAY + h * 3600 + mi * 60 + sec;
	return true;
}

/* The statement's own period (the profile's `period` pattern, matched on
 * s[0..n) just now): it must be the business date, as Alipay's 起始日期 /
 * 终止日期 must (FORMATS.md §2). A daily export runs from 00:00:00 of its
 * date to 00:00:00 of the next, or 23:59:59 of the same day, or names the
 * date alone. */
static void check_period(parser *p, const char *s, long line)
{
	p->period_seen = true;
	rcn_date want = p->spec->business_date;
	if (!want)
		return;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
	uint32_t gf = p->prof->period_from, gt = p->prof->period_to ? p->prof->period_to : gf;
	rcn_time t0, t1;
	bool from_day, to_day;
	if (ov[2 * gf] == PCRE2_UNSET || ov[2 * gt] == PCRE2_UNSET ||
	    !period_bound(s + ov[2 * gf], ov[2 * gf + 1] - ov[2 * gf], &t0, &from_day) ||
	    !period_bound(s + ov[2 * gt], ov[2 * gt + 1] - ov[2 * gt], &t1, &to_day)) {
		rcn_profile_fatal(p, RCN_EFORMAT, line, "cannot read the statement's period (pattern 'period')");
		return;
	}
	/* the last day covered: a date alone is all of it, an end at midnight closes the day before */
	rcn_date first = rcn_time_date(t0), last = to_day ? rcn_time_date(t1) : rcn_time_date(t1 - 1);
	if (!to_day && t1 <= t0 && p->prof->period_to) {
		rcn_profile_fatal(p, RCN_EFORMAT, line,
				  "cannot read the statement's period (pattern 'period'): it ends before it begins");
		return;
	}
	if (!p->prof->period_to)
		last = first;
	char a[11], b[11], c[11];
	if (first == want && last == want)
		return;
	if (first == last)
		rcn_profile_fatal(p, RCN_EFORMAT, line,
				  "statement is for business date %s (its period line), not %s (wrong file?)",
				  rcn_date_format(a, first), rcn_date_format(c, want));
	else
		rcn_profile_fatal(p, RCN_EFORMAT, line,
				  "statement covers %s to %s (its period line), not business date %s (wrong file?)",
				  rcn_date_format(a, first), rcn_date_format(b, last), rcn_date_format(c, want));
}

static void on_line(parser *p, long line)
{
	const rcn_profile *prof = p->prof;
	const char *s = p->text.data ? p->text.data : "";
	size_t n = p->text.len;

	if (p->cont) { /* a quoted field that goes on */
		if (rcn_profile_csv_split(p, s, n)) {
			p->cont = false;
			rcn_profile_csv_row(p);
		}
		return;
	}
	if (!p->period_seen && prof->pattern[PP_PERIOD] && match(p, PP_PERIOD, s, n, line))
		check_period(p, s, line);
	if (line <= prof->skip_lines)
		return;
	if (is_blank(s, n) || match(p, PP_IGNORE, s, n, line) || p->fatal)
		return;
	if (p->stage == ST_HEADER) {
		if (prof->pattern[PP_HEADER]) {
			if (!match(p, PP_HEADER, s, n, line)) {
				if (!p->fatal)
					/* not quoted: the file may be anything at all (a link to another file) */
					rcn_profile_fatal(p, RCN_EFORMAT, line,
							  "not a %s statement (profile %s): no header line", prof->name,
							  prof->name);
				return;
			}
			if (!prof->fixed)
				rcn_profile_csv_header(p, s, n, line);
			p->stage = ST_DETAIL;
			return;
		}
		p->stage = ST_DETAIL;
	}
	if (p->stage == ST_DETAIL && match(p, PP_HEADER, s, n, line))
		return; /* the header repeated (page headers of a printed statement) */
	if (match(p, PP_FOOTER, s, n, line)) {
		on_footer(p, s, line);
		p->stage = ST_AFTER_FOOTER;
		return;
	}
	if (p->fatal)
		return;
	if (p->stage == ST_AFTER_FOOTER) {
		if (!p->trailing) {
			p->trailing = true;
			rcn_err_set(&p->trailing_err, RCN_EFORMAT, p->spec->file, line,
				    "unexpected line after the footer");
		}
		return;
	}
	if (prof->pattern[PP_DETAIL] && !match(p, PP_DETAIL, s, n, line)) {
		if (p->fatal)
			return;
		p->res.rows++;
		rcn_profile_quarantine(p, line, "line matches none of the profile's patterns: %s", RCN_QUOTE(s, n));
		return;
	}
	if (prof->fixed) {
		rcn_profile_fixed_row(p, line);
		return;
	}
	rcn_profile_csv_reset(p);
	p->row_line = line;
	p->row_bytes = p->raw.len;
	if (rcn_profile_csv_split(p, s, n))
		rcn_profile_csv_row(p);
	else
		p->cont = true;
}

/* The line at `line` holds bytes that are not text (why) after the first
 * text_len bytes of p->text: the whole file is rejected, naming the column
 * (before the header, only what the file is not: it may be any file). */
static void bad_text(parser *p, long line, const char *why, size_t text_len)
{
	const rcn_profile *prof = p->prof;
	if (p->stage == ST_HEADER && !p->cont) {
		rcn_profile_fatal(p, RCN_EFORMAT, line, "not a %s statement (profile %s): %s", prof->name, prof->name,
				  why);
		return;
	}
	if (prof->fixed) {
		/* the first mapped column whose own bytes are not text */
		const char *raw = p->raw.data ? p->raw.data : "";
		for (int f = 0; f < PF__COUNT; f++) {
			size_t start = prof->col[f].start, width = prof->col[f].width;
			if (!prof->col[f].set || start >= p->raw.len)
				continue;
			if (width > p->raw.len - start)
				width = p->raw.len - start;
			char tmp[1024];
			rcn_err e;
			rcn_text_fault fault;
			if (memchr(raw + start, '\0', width) ||
			    (width * 2 + 1 <= sizeof(tmp) &&
			     (rcn_charset_field(tmp, sizeof(tmp), raw + start, width, prof->encoding, &e) != RCN_OK ||
			      rcn_text_check(tmp, strlen(tmp), &fault) < strlen(tmp)))) {
				rcn_profile_fatal(p, RCN_EFORMAT, line, "column %s (bytes %zu-%zu): %s",
						  rcn_pfield_names[f], start + 1, start + width, why);
				return;
			}
		}
		rcn_profile_fatal(p, RCN_EFORMAT, line, "%s outside the mapped columns", why);
		return;
	}
	/* CSV: the field the good text ends in, split as the row would be */
	if (!p->cont) {
		rcn_profile_csv_reset(p);
		p->row_line = line;
	}
	size_t field =
		rcn_profile_csv_split(p, p->text.data ? p->text.data : "", text_len) ? p->nfields - 1 : p->nfields;
	if (field < p->nhdr && p->hdr.data[p->hdr_off[field]])
		rcn_profile_fatal(p, RCN_EFORMAT, line, "column %s: %s",
				  RCN_QUOTE(p->hdr.data + p->hdr_off[field], strlen(p->hdr.data + p->hdr_off[field])),
				  why);
	else
		rcn_profile_fatal(p, RCN_EFORMAT, line, "field %zu: %s", field + 1, why);
}

static void reopen_charset(parser *p)
{
	rcn_err e;
	rcn_charset_close(p->cs);
	p->cs = NULL;
	if (rcn_charset_open(&p->cs, p->prof->encoding, &e) != RCN_OK)
		abort(); /* the encoding opened at create: only fails on allocation */
}

/* p->raw holds a complete physical line (its '\n' is not in it). */
static void end_line(parser *p)
{
	rcn_err e;
	long line = p->line;
	char why[64];

	if (line == 1 && p->raw.len >= 3 && memcmp(p->raw.data, "\xEF\xBB\xBF", 3) == 0 &&
	    strcmp(p->prof->encoding, "UTF-8") == 0) {
		memmove(p->raw.data, p->raw.data + 3, p->raw.len - 2);
		p->raw.len -= 3;
	}
	if (p->raw.len > 0 && p->raw.data[p->raw.len - 1] == '\r')
		p->raw.data[--p->raw.len] = '\0';
	if (p->cont) {
		p->row_bytes += p->raw.len + 1;
		if (p->row_bytes > RCN_MAX_ROW_BYTES) {
			rcn_profile_fatal(p, RCN_ELIMIT, p->row_line, "row longer than %u bytes", RCN_MAX_ROW_BYTES);
			return;
		}
	}
	/* The line is converted with its '\n', so no sequence can run on into the next line. */
	rcn_buf_reset(&p->text);
	if (rcn_charset_convert(p->cs, p->raw.data ? p->raw.data : "", p->raw.len, &p->text, &e) != RCN_OK ||
	    rcn_charset_convert(p->cs, "\n", 1, &p->text, &e) != RCN_OK ||
	    rcn_charset_finish(p->cs, &p->text, &e) != RCN_OK) {
		if (e.code == RCN_ELIMIT) {
			rcn_profile_fatal(p, RCN_ELIMIT, line, "row longer than %u bytes", RCN_MAX_ROW_BYTES);
			return;
		}
		reopen_charset(p);
		snprintf(why, sizeof(why), "invalid %s byte sequence", p->prof->encoding);
		bad_text(p, line, why, p->text.len); /* the text before the bad bytes was converted */
		return;
	}
	p->text.data[--p->text.len] = '\0'; /* the '\n' */
	rcn_text_fault fault;
	size_t bad = rcn_text_check(p->text.data, p->text.len, &fault);
	if (bad < p->text.len) {
		bad_text(p, line, rcn_text_fault_name(fault), bad);
		return;
	}
	on_line(p, line);
}

static void feed_bytes(parser *p, const char *s, size_t n)
{
	while (n > 0 && !p->fatal) {
		const char *nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) : n;
		/* +1 leaves room for the CR of a CRLF row of exactly the maximum length. */
		if (p->raw.len + len > (size_t)RCN_MAX_ROW_BYTES + 1 || rcn_buf_append(&p->raw, s, len) != RCN_OK) {
			rcn_profile_fatal(p, RCN_ELIMIT, p->cont ? p->row_line : p->line, "row longer than %u bytes",
					  RCN_MAX_ROW_BYTES);
			return;
		}
		if (!nl)
			return;
		end_line(p);
		rcn_buf_reset(&p->raw);
		p->line++;
		s += len + 1;
		n -= len + 1;
	}
}

/* ---- lifecycle ---- */

static void *profile_create(const rcn_parser_spec *spec)
{
	parser *p = rcn_xcalloc(1, sizeof(*p));
	rcn_err e;
	p->spec = spec;
	p->prof = spec->profile;
	p->line = 1;
	p->stage = ST_HEADER;
	for (int f = 0; f < PF__COUNT; f++)
		p->col[f] = -1;
	rcn_buf_init(&p->raw, (size_t)RCN_MAX_ROW_BYTES + 2);
	/* GB18030 to UTF-8 grows at most 3 bytes for 2; the '\n' is appended too */
	rcn_buf_init(&p->text, (size_t)RCN_MAX_ROW_BYTES * 3 / 2 + 8);
	rcn_buf_init(&p->vals, (size_t)RCN_MAX_ROW_BYTES * 3 / 2 + 2 * RCN_MAX_FIELDS + 8);
	rcn_buf_init(&p->hdr, (size_t)RCN_MAX_ROW_BYTES * 3 / 2 + 2 * RCN_MAX_FIELDS + 8);
	if (!p->prof) {
		rcn_profile_fatal(p, RCN_EUSAGE, 0, "no profile given for a profile format");
		return p;
	}
	snprintf(p->res.format, sizeof(p->res.format), "profile:%s", p->prof->name);
	if (rcn_charset_open(&p->cs, p->prof->encoding, &e) != RCN_OK) {
		rcn_profile_fatal(p, e.code, 0, "%s", e.msg);
		return p;
	}
	p->md = pcre2_match_data_create(p->prof->footer_groups + 1, NULL);
	p->mctx = pcre2_match_context_create(NULL);
	if (!p->md || !p->mctx)
		abort();
	pcre2_set_match_limit(p->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(p->mctx, DEPTH_LIMIT);
	return p;
}

static rcn_rc profile_feed(void *state, const char *buf, size_t n, rcn_err *err)
{
	parser *p = state;
	assert(!p->finished);
	feed_bytes(p, buf, n);
	return feed_result(p->fatal ? &p->fatal_err : NULL, err);
}

static rcn_rc profile_finish(void *state, rcn_stmt_result *out)
{
	parser *p = state;
	rcn_stmt_result *res = &p->res;
	rcn_err e;
	assert(!p->finished);
	p->finished = true;
	if (!p->fatal && p->raw.len > 0)
		end_line(p); /* a last line without a newline */
	if (!p->fatal && p->cont) {
		p->cont = false;
		p->res.rows++;
		rcn_profile_quarantine(p, p->row_line, "unterminated quoted field");
	}

	rcn_err_clear(&res->reason);
	bool totals_match = true;
	rcn_err mismatch;
	if (p->has_footer && !p->footer_bad)
		totals_match = check_totals(p, &mismatch) == RCN_OK;
	if (p->fatal) {
		reject(res, &p->fatal_err);
	} else if (p->stage == ST_HEADER && p->prof->pattern[PP_HEADER]) {
		rcn_err_set(&e, RCN_EFORMAT, p->spec->file, 0, "no header line (profile %s): empty or not this format",
			    p->prof->name);
		reject(res, &e);
	} else if (p->prof->pattern[PP_FOOTER] && !p->has_footer) {
		rcn_err_set(&e, RCN_EFORMAT, p->spec->file, 0, "missing footer totals (truncated file?)");
		reject(res, &e);
	} else if (p->prof->pattern[PP_PERIOD] && !p->period_seen) {
		rcn_err_set(&e, RCN_EFORMAT, p->spec->file, 0,
			    "no period line (pattern 'period'): the statement does not say which day it is for");
		reject(res, &e);
	} else if (p->footer_bad) {
		reject(res, &p->footer_err);
	} else if (res->bad_rows > 0) {
		rcn_bad_rows_err(&e, p->spec->file, res->bad_rows);
		reject(res, &e);
	} else if (!totals_match) {
		reject(res, &mismatch);
	} else if (p->trailing) {
		reject(res, &p->trailing_err);
	}
	res->totals_ok = p->has_footer && !res->rejected;
	*out = *res;
	return res->rejected ? res->reason.code : RCN_OK;
}

static void profile_destroy(void *state)
{
	parser *p = state;
	if (!p)
		return;
	rcn_charset_close(p->cs);
	pcre2_match_data_free(p->md);
	pcre2_match_context_free(p->mctx);
	rcn_buf_free(&p->raw);
	rcn_buf_free(&p->text);
	rcn_buf_free(&p->vals);
	rcn_buf_free(&p->hdr);
	free(p);
}

const rcn_parser_ops rcn_profile_ops = {"profile", profile_create, profile_feed, profile_finish, profile_destroy};
