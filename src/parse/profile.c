/* The profile parser ("profile:<name>", FORMATS.md §4): reads any CSV or
 * fixed-width statement a rules/channels/<name>.conf profile describes, one
 * line at a time, and checks the footer's control totals. Holds one row (a CSV
 * row with quoted newlines spans lines), never the file. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/charset.h"
#include "recon/money.h"
#include "recon/text.h"
#include "parse/parse_util.h"
#include "parse/parser_internal.h"
#include "parse/profile_internal.h"
#include "util/err.h"

#define MATCH_LIMIT 10000000u	 /* PCRE2 backtracking budget per line: a profile's pattern can't hang a night */
#define DEPTH_LIMIT (64u * 1024) /* PCRE2 backtracking memory per line, KiB */

enum stage { ST_HEADER, ST_DETAIL, ST_AFTER_FOOTER };

/* CSV splitter states (RFC 4180 with a configurable delimiter and quote). */
enum csv_state { CS_FIELD_START, CS_UNQUOTED, CS_QUOTED, CS_QUOTE_IN_QUOTED, CS_AFTER_QUOTED };

typedef struct {
	const rcn_parser_spec *spec;
	const rcn_profile *prof;
	rcn_charset *cs;
	pcre2_match_data *md;
	pcre2_match_context *mctx;

	/* byte level */
	rcn_buf raw;  /* current physical line as stored, without its '\n' */
	long line;    /* line of the bytes being collected */
	rcn_buf text; /* UTF-8 of the physical line */

	/* current CSV row: fields NUL-terminated in vals, possibly over several lines */
	bool cont; /* a quoted field goes on on the next line */
	long row_line;
	size_t row_bytes;
	enum csv_state cstate;
	rcn_buf vals;
	size_t field_off[RCN_MAX_FIELDS];
	size_t nfields;
	bool too_many_fields;
	bool bad_quote;

	/* file level */
	enum stage stage;
	int col[PF__COUNT]; /* csv: header index of each mapped field */
	size_t ncols;
	rcn_buf hdr; /* csv: the header's names, trimmed and NUL-terminated, to name a column in messages */
	size_t hdr_off[RCN_MAX_FIELDS];
	size_t nhdr;
	int64_t raw_sums[PT__COUNT]; /* what the detail rows add up to, per total */
	bool stated_set[PT__COUNT];
	int64_t stated[PT__COUNT];
	long stated_line[PT__COUNT];
	bool has_footer;
	rcn_stmt_result res;
	bool fatal;
	rcn_err fatal_err;
	bool footer_bad; /* a footer value could not be read: footer_err */
	rcn_err footer_err;
	bool trailing; /* a line after the footer: trailing_err */
	rcn_err trailing_err;
	bool period_seen; /* the period line was read (and checked) */
	bool finished;
} parser;

/* Values of one row, trimmed, NUL-terminated; "" for unmapped fields. */
typedef struct {
	const char *v[PF__COUNT];
	size_t n[PF__COUNT];
} row_values;

__attribute__((format(printf, 4, 5))) static void set_fatal(parser *p, rcn_rc code, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_err_vset(&p->fatal_err, &p->fatal, code, p->spec->file, line, 400, fmt, ap);
	va_end(ap);
}

/* A detail row that cannot be used: counted, quarantined, and the file will be rejected. */
__attribute__((format(printf, 3, 4))) static void quarantine(parser *p, long line, const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	rcn_utf8_trim_tail(reason); /* a reason cut to fit is cut on a character boundary */
	p->res.bad_rows++;
	if (p->spec->quar)
		p->spec->quar(p->spec->ctx, p->spec->file, line, reason);
}

static bool is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

static const char *trim(const char *s, size_t *n)
{
	while (*n > 0 && (s[0] == ' ' || s[0] == '\t'))
		s++, (*n)--;
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
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
		set_fatal(p, RCN_ELIMIT, line, "pattern '%s' failed on this line: %s", rcn_ppattern_names[which],
			  (const char *)msg);
	}
	return 0;
}

/* ---- values ---- */

/* An amount in the profile's unit, at `scale` decimals of a yuan:
 * yuan as a decimal ("-12.30", at most `yuan_decimals`), fen strictly as digits. */
static rcn_rc parse_amount(const rcn_profile *prof, int64_t *out, const char *s, size_t n, int scale, int yuan_decimals,
			   char *why, size_t why_n)
{
	rcn_err e;
	if (!prof->unit_fen) {
		int64_t v;
		if (rcn_money_parse(&v, s, n, yuan_decimals, &e) != RCN_OK) {
			snprintf(why, why_n, "%.250s", e.msg);
			return RCN_EFORMAT;
		}
		for (int i = yuan_decimals; i < scale; i++)
			if (__builtin_mul_overflow(v, 10, &v)) {
				snprintf(why, why_n, "invalid amount \"%s\": too large", RCN_QUOTE(s, n));
				return RCN_EFORMAT;
			}
		*out = v;
		return RCN_OK;
	}
	size_t i = n > 0 && s[0] == '-';
	int64_t v = 0;
	if (i == n) {
		snprintf(why, why_n, "invalid amount \"%s\": expected whole fen", RCN_QUOTE(s, n));
		return RCN_EFORMAT;
	}
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			snprintf(why, why_n, "invalid amount \"%s\": expected whole fen", RCN_QUOTE(s, n));
			return RCN_EFORMAT;
		}
		if (v > (INT64_MAX / 1000 - (s[i] - '0')) / 10) {
			snprintf(why, why_n, "invalid amount \"%s\": too large", RCN_QUOTE(s, n));
			return RCN_EFORMAT;
		}
		v = v * 10 + (s[i] - '0');
	}
	for (int k = RCN_SCALE_FEN; k < scale; k++)
		v *= 10;
	*out = s[0] == '-' ? -v : v;
	return RCN_OK;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads s[0..n) by time_format (checked at load) into "YYYY-MM-DD HH:MM:SS". */
static bool parse_time(const char *fmt, const char *s, size_t n, char out[20], rcn_date *day)
{
	int v[128] = {0};
	size_t i = 0;
	v['Y'] = -1;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%' || f[1] == '%') {
			f += *f == '%';
			if (i >= n || s[i] != *f)
				return false;
			i++;
			continue;
		}
		char c = *++f;
		int width = c == 'Y' ? 4 : 2, x = 0;
		for (int k = 0; k < width; k++, i++) {
			if (i >= n || s[i] < '0' || s[i] > '9')
				return false;
			x = x * 10 + (s[i] - '0');
		}
		v[(unsigned char)c] = x;
	}
	if (i != n)
		return false;
	int y = v['Y'], m = v['m'], d = v['d'], hh = v['H'], mm = v['M'], ss = v['S'];
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 59)
		return false;
	snprintf(out, 20, "%04u-%02u-%02u %02u:%02u:%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u,
		 (unsigned)hh % 100u, (unsigned)mm % 100u, (unsigned)ss % 100u);
	*day = rcn_date_from_ymd(y, m, d);
	return true;
}

static const rcn_pmap *lookup(const rcn_pmap *maps, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(maps[i].value) == len && memcmp(maps[i].value, s, len) == 0)
			return &maps[i];
	return NULL;
}

/* ---- rows ---- */

/* Builds, checks and emits one detail row's record (FORMATS.md §4; rules/channels/README.md). */
static void on_values(parser *p, const row_values *rv, long line)
{
	const rcn_profile *prof = p->prof;
	rcn_record rec;
	char why[300];
	memset(&rec, 0, sizeof(rec));

#define NAME(f) (prof->fixed ? rcn_pfield_names[f] : prof->col[f].name)
	/* type: mapped, else default_type; then the amount's sign */
	bool type_from_map = false;
	const rcn_pmap *m =
		prof->col[PF_TYPE].set ? lookup(prof->types, prof->ntypes, rv->v[PF_TYPE], rv->n[PF_TYPE]) : NULL;
	if (m) {
		rec.type = (rcn_rec_type)m->to;
		type_from_map = true;
	} else if (prof->default_type >= 0) {
		rec.type = (rcn_rec_type)prof->default_type;
	} else {
		quarantine(p, line, "unknown type value \"%s\"", RCN_QUOTE(rv->v[PF_TYPE], rv->n[PF_TYPE]));
		return;
	}
	int status;
	m = prof->col[PF_STATUS].set ? lookup(prof->statuses, prof->nstatuses, rv->v[PF_STATUS], rv->n[PF_STATUS])
				     : NULL;
	if (m) {
		status = m->to;
	} else if (prof->default_status >= 0) {
		status = prof->default_status;
	} else {
		quarantine(p, line, "unknown status value \"%s\"", RCN_QUOTE(rv->v[PF_STATUS], rv->n[PF_STATUS]));
		return;
	}
	if (rv->n[PF_ORDER_NO] == 0) {
		quarantine(p, line, "%s is empty", NAME(PF_ORDER_NO));
		return;
	}

	int64_t amount, settle, fee = 0;
	if (parse_amount(prof, &amount, rv->v[PF_AMOUNT], rv->n[PF_AMOUNT], RCN_SCALE_FEN, RCN_SCALE_FEN, why,
			 sizeof(why)) != RCN_OK) {
		quarantine(p, line, "%s: %s", NAME(PF_AMOUNT), why);
		return;
	}
	settle = amount;
	if (prof->col[PF_SETTLE].set && parse_amount(prof, &settle, rv->v[PF_SETTLE], rv->n[PF_SETTLE], RCN_SCALE_FEN,
						     RCN_SCALE_FEN, why, sizeof(why)) != RCN_OK) {
		quarantine(p, line, "%s: %s", NAME(PF_SETTLE), why);
		return;
	}
	/* An empty fee is no fee; in yuan it may have up to 5 decimals like WeChat's (§1). */
	if (rv->n[PF_FEE] > 0 && parse_amount(prof, &fee, rv->v[PF_FEE], rv->n[PF_FEE], RCN_SCALE_FEE, RCN_SCALE_FEE,
					      why, sizeof(why)) != RCN_OK) {
		quarantine(p, line, "%s: %s", NAME(PF_FEE), why);
		return;
	}
	/* Refunds are often written negative: the record holds them positive. A
	 * negative amount on a row the profile calls a payment is a refund only
	 * when the type is a default, not when the channel said "payment". */
	if (amount < 0) {
		if (rec.type == RCN_REC_PAYMENT && type_from_map) {
			quarantine(p, line, "%s is negative on a payment row: %s", NAME(PF_AMOUNT),
				   RCN_QUOTE(rv->v[PF_AMOUNT], rv->n[PF_AMOUNT]));
			return;
		}
		rec.type = RCN_REC_REFUND;
		amount = -amount;
	}
	if (rec.type == RCN_REC_REFUND) {
		if (settle < 0)
			settle = -settle;
		if (fee > 0)
			fee = -fee; /* the fee a refund returns */
	}
	rec.amount_fen = amount;
	rec.settle_fen = settle;
	rec.fee = fee;

	/* time: one column, or a date column and a clock column joined by a space */
	char joined[128];
	const char *t = rv->v[PF_TRADE_TIME];
	size_t tn = rv->n[PF_TRADE_TIME];
	enum rcn_pfield tf = PF_TRADE_TIME;
	if (prof->col[PF_TRADE_DATE].set) {
		tf = PF_TRADE_DATE;
		t = rv->v[PF_TRADE_DATE];
		tn = rv->n[PF_TRADE_DATE];
		if (prof->col[PF_TRADE_CLOCK].set) {
			int k = snprintf(joined, sizeof(joined), "%.*s %.*s", (int)(tn > 60 ? 60 : tn), t,
					 (int)(rv->n[PF_TRADE_CLOCK] > 60 ? 60 : rv->n[PF_TRADE_CLOCK]),
					 rv->v[PF_TRADE_CLOCK]);
			t = joined;
			tn = (size_t)k;
		}
	}
	if (!parse_time(prof->time_format, t, tn, rec.trade_time, &rec.trade_date)) {
		quarantine(p, line, "%s: invalid time \"%s\" (expected %s)", NAME(tf), RCN_QUOTE(t, tn),
			   prof->time_format);
		return;
	}
	rec.rate_ppm = -1;
	if (rv->n[PF_RATE] > 0) {
		rcn_err e;
		if (rcn_rate_parse(&rec.rate_ppm, rv->v[PF_RATE], rv->n[PF_RATE], &e) != RCN_OK) {
			quarantine(p, line, "%s: %s", NAME(PF_RATE), e.msg);
			return;
		}
	}
#undef NAME

	/* Sums are committed only when every one of them fits. */
	int64_t amount_sum = rec.type == RCN_REC_REFUND ? p->res.refund_fen : p->res.amount_fen;
	int64_t fee_sum = p->res.fee;
	if (!checked_add(&amount_sum, rec.amount_fen) || !checked_add(&fee_sum, rec.fee)) {
		quarantine(p, line, "amounts overflow the file's totals");
		return;
	}
	p->res.fee = fee_sum;
	if (rec.type == RCN_REC_REFUND) {
		p->res.refunds++;
		p->res.refund_fen = amount_sum;
	} else {
		p->res.payments++;
		p->res.amount_fen = amount_sum;
	}

	rec.channel = p->spec->channel ? p->spec->channel : prof->name;
	rec.merchant_id = rv->v[PF_MERCHANT_ID];
	rec.provider_id = prof->col[PF_PROVIDER_ID].set ? rv->v[PF_PROVIDER_ID] : rec.merchant_id;
	rec.channel_txn_id = rv->v[PF_CHANNEL_TXN_ID];
	rec.order_no = rv->v[PF_ORDER_NO];
	rec.refund_no = rec.type == RCN_REC_REFUND ? rv->v[PF_REFUND_NO] : "";
	rec.channel_refund_id = rec.type == RCN_REC_REFUND ? rv->v[PF_CHANNEL_REFUND_ID] : "";
	rec.currency = prof->col[PF_CURRENCY].set && rv->n[PF_CURRENCY] > 0 ? rv->v[PF_CURRENCY] : prof->currency;
	rec.status = rcn_profile_statuses[status];
	rec.trade_type = rv->v[PF_TRADE_TYPE];
	rec.file = p->spec->file;
	rec.line = line;
	if (p->spec->rec)
		p->spec->rec(p->spec->ctx, &rec);
}

/* A CSV detail row, complete in p->vals. */
static void on_csv_row(parser *p)
{
	row_values rv;
	long line = p->row_line;
	p->res.rows++;
	if (p->bad_quote) {
		quarantine(p, line, "text after a closing quote");
		return;
	}
	if (p->too_many_fields) {
		quarantine(p, line, "more than %d fields", RCN_MAX_FIELDS);
		return;
	}
	if (p->nfields != p->ncols) {
		quarantine(p, line, "expected %zu fields, found %zu", p->ncols, p->nfields);
		return;
	}
	for (int f = 0; f < PF__COUNT; f++) {
		if (p->col[f] < 0) {
			rv.v[f] = "";
			rv.n[f] = 0;
			continue;
		}
		const char *s = p->vals.data + p->field_off[p->col[f]];
		size_t n = strlen(s);
		s = trim(s, &n);
		((char *)s)[n] = '\0'; /* the buffer is ours: cut the trailing blanks */
		rv.v[f] = s;
		rv.n[f] = n;
	}
	on_values(p, &rv, line);
}

/* A fixed-width detail row: fields are sliced from the stored BYTES, then converted. */
static void on_fixed_row(parser *p, long line)
{
	const rcn_profile *prof = p->prof;
	const char *raw = p->raw.data ? p->raw.data : "";
	size_t len = p->raw.len;
	row_values rv;
	size_t off[PF__COUNT];

	p->res.rows++;
	rcn_buf_reset(&p->vals);
	for (int f = 0; f < PF__COUNT; f++) {
		off[f] = SIZE_MAX;
		if (!prof->col[f].set)
			continue;
		size_t start = prof->col[f].start, width = prof->col[f].width;
		/* Trailing blanks may be cut by the producer; a field that starts past the end may not. */
		if (start >= len) {
			quarantine(p, line, "line has %zu bytes, '%s' starts at byte %zu", len, rcn_pfield_names[f],
				   start + 1);
			return;
		}
		if (width > len - start)
			width = len - start;
		size_t cap = width * 2 + 1; /* GB18030 to UTF-8 grows at most 3 bytes for 2 */
		char small[256];
		char *tmp = cap <= sizeof(small) ? small : rcn_xmalloc(cap);
		rcn_err e;
		bool ascii = true;
		for (size_t i = 0; i < width && ascii; i++)
			ascii = (unsigned char)raw[start + i] < 0x80;
		rcn_rc rc = RCN_OK;
		if (ascii) {
			memcpy(tmp, raw + start, width);
			tmp[width] = '\0';
		} else {
			rc = rcn_charset_field(tmp, cap, raw + start, width, prof->encoding, &e);
		}
		if (rc == RCN_OK) {
			size_t n = strlen(tmp);
			const char *s = trim(tmp, &n);
			off[f] = p->vals.len;
			if (rcn_buf_append(&p->vals, s, n) != RCN_OK || rcn_buf_append(&p->vals, "", 1) != RCN_OK)
				rc = RCN_ELIMIT; /* cannot happen: the fields fit in a row */
		}
		if (tmp != small)
			free(tmp);
		if (rc != RCN_OK) {
			quarantine(p, line, "%s (bytes %zu-%zu): %s", rcn_pfield_names[f], start + 1, start + width,
				   rc == RCN_ELIMIT ? "too long" : e.msg);
			return;
		}
	}
	for (int f = 0; f < PF__COUNT; f++) {
		rv.v[f] = off[f] == SIZE_MAX ? "" : p->vals.data + off[f];
		rv.n[f] = strlen(rv.v[f]);
	}
	on_values(p, &rv, line);
}

/* ---- CSV splitting ---- */

/* vals is sized for the longest row plus a NUL per field; running out is still not silent. */
static void vals_put(parser *p, const char *s, size_t n)
{
	if (rcn_buf_append(&p->vals, s, n) != RCN_OK)
		set_fatal(p, RCN_ELIMIT, p->row_line, "row longer than %u bytes", RCN_MAX_ROW_BYTES);
}

static void csv_reset(parser *p)
{
	rcn_buf_reset(&p->vals);
	p->nfields = 0;
	p->cstate = CS_FIELD_START;
	p->too_many_fields = false;
	p->bad_quote = false;
	p->row_bytes = 0;
	p->field_off[0] = 0;
}

static void csv_end_field(parser *p)
{
	if (p->nfields == RCN_MAX_FIELDS) {
		p->too_many_fields = true;
		return;
	}
	vals_put(p, "", 1);
	p->nfields++;
}

static void csv_begin_field(parser *p)
{
	if (p->nfields < RCN_MAX_FIELDS)
		p->field_off[p->nfields] = p->vals.len;
}

/* Splits UTF-8 s[0..n) (one physical line) into the current row; returns
 * true when the row is complete, false when a quoted field goes on. */
static bool csv_split(parser *p, const char *s, size_t n)
{
	char d = p->prof->delimiter, q = p->prof->quote;
	size_t run = 0; /* start of plain bytes not yet copied */
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		switch (p->cstate) {
		case CS_FIELD_START:
			if (q && c == q) {
				p->cstate = CS_QUOTED;
				run = i + 1;
				break;
			}
			p->cstate = CS_UNQUOTED;
			run = i;
			/* fall through */
		case CS_UNQUOTED:
			if (c == d) {
				vals_put(p, s + run, i - run);
				csv_end_field(p);
				csv_begin_field(p);
				p->cstate = CS_FIELD_START;
			}
			break;
		case CS_QUOTED:
			if (c == q) {
				vals_put(p, s + run, i - run);
				p->cstate = CS_QUOTE_IN_QUOTED;
			}
			break;
		case CS_QUOTE_IN_QUOTED:
			if (c == q) { /* "" is one quote */
				p->cstate = CS_QUOTED;
				run = i;
				break;
			}
			p->cstate = CS_AFTER_QUOTED;
			/* fall through */
		case CS_AFTER_QUOTED:
			if (c == d) {
				csv_end_field(p);
				csv_begin_field(p);
				p->cstate = CS_FIELD_START;
			} else if (c != ' ' && c != '\t') {
				p->bad_quote = true; /* blanks after a closing quote are trimmed anyway */
			}
			break;
		}
	}
	switch (p->cstate) {
	case CS_QUOTED:
		vals_put(p, s + run, n - run);
		vals_put(p, "\n", 1);
		return false;
	case CS_UNQUOTED:
		vals_put(p, s + run, n - run);
		break;
	case CS_FIELD_START:
	case CS_QUOTE_IN_QUOTED:
	case CS_AFTER_QUOTED:
		break;
	}
	csv_end_field(p);
	return true;
}

static void on_csv_header(parser *p, const char *s, size_t n, long line)
{
	csv_reset(p);
	if (!csv_split(p, s, n)) {
		set_fatal(p, RCN_EFORMAT, line, "header line has an unterminated quote");
		return;
	}
	if (p->too_many_fields) {
		set_fatal(p, RCN_ELIMIT, line, "header has more than %d fields", RCN_MAX_FIELDS);
		return;
	}
	rcn_buf_reset(&p->hdr);
	for (size_t i = 0; i < p->nfields; i++) {
		const char *name = p->vals.data + p->field_off[i];
		size_t len = strlen(name);
		name = trim(name, &len);
		p->hdr_off[i] = p->hdr.len;
		rcn_buf_append(&p->hdr, name, len); /* within the limit: one row */
		rcn_buf_append(&p->hdr, "", 1);
		for (size_t j = 0; j < i && len > 0; j++)
			if (strcmp(p->hdr.data + p->hdr_off[j], p->hdr.data + p->hdr_off[i]) == 0) {
				set_fatal(p, RCN_EFORMAT, line, "header names column %s twice (fields %zu and %zu)",
					  RCN_QUOTE(name, len), j + 1, i + 1);
				return;
			}
	}
	p->nhdr = p->nfields;
	for (int f = 0; f < PF__COUNT; f++) {
		if (!p->prof->col[f].set)
			continue;
		for (size_t i = 0; i < p->nfields && p->col[f] < 0; i++) {
			const char *name = p->vals.data + p->field_off[i];
			size_t len = strlen(name);
			name = trim(name, &len);
			if (len == strlen(p->prof->col[f].name) && memcmp(name, p->prof->col[f].name, len) == 0)
				p->col[f] = (int)i;
		}
		if (p->col[f] < 0) {
			set_fatal(p, RCN_EFORMAT, line, "header lacks column '%s' (%s)", p->prof->col[f].name,
				  rcn_pfield_names[f]);
			return;
		}
	}
	p->ncols = p->nfields;
	csv_reset(p);
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
			bool ok = n > 0 && n <= 18;
			for (size_t i = 0; i < n && ok; i++)
				ok = v[i] >= '0' && v[i] <= '9';
			for (size_t i = 0; i < n && ok; i++)
				x = x * 10 + (v[i] - '0');
			if (!ok) {
				footer_problem(p, line, "footer %s: invalid count \"%s\"", rcn_ptotal_names[t],
					       RCN_QUOTE(v, n));
				return;
			}
		} else if (parse_amount(p->prof, &x, v, n, RCN_SCALE_FEE, t == PT_FEE ? RCN_SCALE_FEE : RCN_SCALE_FEN,
					why, sizeof(why)) != RCN_OK) {
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
		set_fatal(p, RCN_EFORMAT, line, "cannot read the statement's period (pattern 'period')");
		return;
	}
	/* the last day covered: a date alone is all of it, an end at midnight closes the day before */
	rcn_date first = rcn_time_date(t0), last = to_day ? rcn_time_date(t1) : rcn_time_date(t1 - 1);
	if (!to_day && t1 <= t0 && p->prof->period_to) {
		set_fatal(p, RCN_EFORMAT, line,
			  "cannot read the statement's period (pattern 'period'): it ends before it begins");
		return;
	}
	if (!p->prof->period_to)
		last = first;
	char a[11], b[11], c[11];
	if (first == want && last == want)
		return;
	if (first == last)
		set_fatal(p, RCN_EFORMAT, line,
			  "statement is for business date %s (its period line), not %s (wrong file?)",
			  rcn_date_format(a, first), rcn_date_format(c, want));
	else
		set_fatal(p, RCN_EFORMAT, line,
			  "statement covers %s to %s (its period line), not business date %s (wrong file?)",
			  rcn_date_format(a, first), rcn_date_format(b, last), rcn_date_format(c, want));
}

static void on_line(parser *p, long line)
{
	const rcn_profile *prof = p->prof;
	const char *s = p->text.data ? p->text.data : "";
	size_t n = p->text.len;

	if (p->cont) { /* a quoted field that goes on */
		if (csv_split(p, s, n)) {
			p->cont = false;
			on_csv_row(p);
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
					set_fatal(p, RCN_EFORMAT, line,
						  "not a %s statement (profile %s): no header line", prof->name,
						  prof->name);
				return;
			}
			if (!prof->fixed)
				on_csv_header(p, s, n, line);
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
		quarantine(p, line, "line matches none of the profile's patterns: %s", RCN_QUOTE(s, n));
		return;
	}
	if (prof->fixed) {
		on_fixed_row(p, line);
		return;
	}
	csv_reset(p);
	p->row_line = line;
	p->row_bytes = p->raw.len;
	if (csv_split(p, s, n))
		on_csv_row(p);
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
		set_fatal(p, RCN_EFORMAT, line, "not a %s statement (profile %s): %s", prof->name, prof->name, why);
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
				set_fatal(p, RCN_EFORMAT, line, "column %s (bytes %zu-%zu): %s", rcn_pfield_names[f],
					  start + 1, start + width, why);
				return;
			}
		}
		set_fatal(p, RCN_EFORMAT, line, "%s outside the mapped columns", why);
		return;
	}
	/* CSV: the field the good text ends in, split as the row would be */
	if (!p->cont) {
		csv_reset(p);
		p->row_line = line;
	}
	size_t field = csv_split(p, p->text.data ? p->text.data : "", text_len) ? p->nfields - 1 : p->nfields;
	if (field < p->nhdr && p->hdr.data[p->hdr_off[field]])
		set_fatal(p, RCN_EFORMAT, line, "column %s: %s",
			  RCN_QUOTE(p->hdr.data + p->hdr_off[field], strlen(p->hdr.data + p->hdr_off[field])), why);
	else
		set_fatal(p, RCN_EFORMAT, line, "field %zu: %s", field + 1, why);
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
			set_fatal(p, RCN_ELIMIT, p->row_line, "row longer than %u bytes", RCN_MAX_ROW_BYTES);
			return;
		}
	}
	/* The line is converted with its '\n', so no sequence can run on into the next line. */
	rcn_buf_reset(&p->text);
	if (rcn_charset_convert(p->cs, p->raw.data ? p->raw.data : "", p->raw.len, &p->text, &e) != RCN_OK ||
	    rcn_charset_convert(p->cs, "\n", 1, &p->text, &e) != RCN_OK ||
	    rcn_charset_finish(p->cs, &p->text, &e) != RCN_OK) {
		if (e.code == RCN_ELIMIT) {
			set_fatal(p, RCN_ELIMIT, line, "row longer than %u bytes", RCN_MAX_ROW_BYTES);
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
			set_fatal(p, RCN_ELIMIT, p->cont ? p->row_line : p->line, "row longer than %u bytes",
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
		set_fatal(p, RCN_EUSAGE, 0, "no profile given for a profile format");
		return p;
	}
	snprintf(p->res.format, sizeof(p->res.format), "profile:%s", p->prof->name);
	if (rcn_charset_open(&p->cs, p->prof->encoding, &e) != RCN_OK) {
		set_fatal(p, e.code, 0, "%s", e.msg);
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
	if (p->fatal) {
		if (err)
			*err = p->fatal_err;
		return p->fatal_err.code;
	}
	return RCN_OK;
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
		quarantine(p, p->row_line, "unterminated quoted field");
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
		rcn_err_set(&e, RCN_EFORMAT, p->spec->file, 0, "%ld %s could not be parsed", res->bad_rows,
			    res->bad_rows == 1 ? "row" : "rows");
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
