/* Profile statement rows (FORMATS.md §4; rules/channels/README.md): a CSV
 * line split into fields (RFC 4180, the profile's delimiter and quote; a quoted
 * field may span lines) or a fixed-width line sliced by byte columns, then the
 * mapped values read, checked and emitted as one rcn_record, added to the
 * file's sums. See profile_parser.h for the path data takes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse_util.h"
#include "parse/profile_parser.h"
#include "recon/charset.h"
#include "recon/money.h"
#include "recon/text.h"

/* ---- values ---- */

/* An amount in the profile's unit, at `scale` decimals of a yuan:
 * yuan as a decimal ("-12.30", at most `yuan_decimals`), fen strictly as digits. */
rcn_rc rcn_profile_parse_amount(const rcn_profile *prof, int64_t *out, const char *s, size_t n, int scale,
				int yuan_decimals, char *why, size_t why_n)
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

/* The name of field f in messages: the profile's header name, or for a
 * fixed-width layout the field's own name. */
static const char *field_name(const rcn_profile *prof, enum rcn_pfield f)
{
	return prof->fixed ? rcn_pfield_names[f] : prof->col[f].name;
}

/* The row's type and status, mapped or the profile's defaults; false when
 * the row was quarantined. *type_from_map says the channel named the type. */
static bool read_kind(parser *p, const row_values *rv, long line, rcn_record *rec, bool *type_from_map, int *status)
{
	const rcn_profile *prof = p->prof;
	const rcn_pmap *m =
		prof->col[PF_TYPE].set ? lookup(prof->types, prof->ntypes, rv->v[PF_TYPE], rv->n[PF_TYPE]) : NULL;
	*type_from_map = false;
	if (m) {
		rec->type = (rcn_rec_type)m->to;
		*type_from_map = true;
	} else if (prof->default_type >= 0) {
		rec->type = (rcn_rec_type)prof->default_type;
	} else {
		rcn_profile_quarantine(p, line, "unknown type value \"%s\"", RCN_QUOTE(rv->v[PF_TYPE], rv->n[PF_TYPE]));
		return false;
	}
	m = prof->col[PF_STATUS].set ? lookup(prof->statuses, prof->nstatuses, rv->v[PF_STATUS], rv->n[PF_STATUS])
				     : NULL;
	if (m) {
		*status = m->to;
	} else if (prof->default_status >= 0) {
		*status = prof->default_status;
	} else {
		rcn_profile_quarantine(p, line, "unknown status value \"%s\"",
				       RCN_QUOTE(rv->v[PF_STATUS], rv->n[PF_STATUS]));
		return false;
	}
	return true;
}

/* Amount, settlement amount and fee into rec, refunds turned positive (their
 * returned fee negative); false when the row was quarantined. */
static bool read_amounts(parser *p, const row_values *rv, long line, rcn_record *rec, bool type_from_map)
{
	const rcn_profile *prof = p->prof;
	char why[300];
	int64_t amount, settle, fee = 0;
	if (rcn_profile_parse_amount(prof, &amount, rv->v[PF_AMOUNT], rv->n[PF_AMOUNT], RCN_SCALE_FEN, RCN_SCALE_FEN,
				     why, sizeof(why)) != RCN_OK) {
		rcn_profile_quarantine(p, line, "%s: %s", field_name(prof, PF_AMOUNT), why);
		return false;
	}
	settle = amount;
	if (prof->col[PF_SETTLE].set &&
	    rcn_profile_parse_amount(prof, &settle, rv->v[PF_SETTLE], rv->n[PF_SETTLE], RCN_SCALE_FEN, RCN_SCALE_FEN,
				     why, sizeof(why)) != RCN_OK) {
		rcn_profile_quarantine(p, line, "%s: %s", field_name(prof, PF_SETTLE), why);
		return false;
	}
	/* An empty fee is no fee; in yuan it may have up to 5 decimals like WeChat's (§1). */
	if (rv->n[PF_FEE] > 0 && rcn_profile_parse_amount(prof, &fee, rv->v[PF_FEE], rv->n[PF_FEE], RCN_SCALE_FEE,
							  RCN_SCALE_FEE, why, sizeof(why)) != RCN_OK) {
		rcn_profile_quarantine(p, line, "%s: %s", field_name(prof, PF_FEE), why);
		return false;
	}
	/* Refunds are often written negative: the record holds them positive. A
	 * negative amount on a row the profile calls a payment is a refund only
	 * when the type is a default, not when the channel said "payment". */
	if (amount < 0) {
		if (rec->type == RCN_REC_PAYMENT && type_from_map) {
			rcn_profile_quarantine(p, line, "%s is negative on a payment row: %s",
					       field_name(prof, PF_AMOUNT),
					       RCN_QUOTE(rv->v[PF_AMOUNT], rv->n[PF_AMOUNT]));
			return false;
		}
		rec->type = RCN_REC_REFUND;
		amount = -amount;
	}
	if (rec->type == RCN_REC_REFUND) {
		if (settle < 0)
			settle = -settle;
		if (fee > 0)
			fee = -fee; /* the fee a refund returns */
	}
	rec->amount_fen = amount;
	rec->settle_fen = settle;
	rec->fee = fee;
	return true;
}

/* Trade time (one column, or a date column and a clock column joined by a
 * space) and the rate into rec; false when the row was quarantined. */
static bool read_time_and_rate(parser *p, const row_values *rv, long line, rcn_record *rec)
{
	const rcn_profile *prof = p->prof;
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
	if (!parse_time(prof->time_format, t, tn, rec->trade_time, &rec->trade_date)) {
		rcn_profile_quarantine(p, line, "%s: invalid time \"%s\" (expected %s)", field_name(prof, tf),
				       RCN_QUOTE(t, tn), prof->time_format);
		return false;
	}
	rec->rate_ppm = -1;
	if (rv->n[PF_RATE] > 0) {
		rcn_err e;
		if (rcn_rate_parse(&rec->rate_ppm, rv->v[PF_RATE], rv->n[PF_RATE], &e) != RCN_OK) {
			rcn_profile_quarantine(p, line, "%s: %s", field_name(prof, PF_RATE), e.msg);
			return false;
		}
	}
	return true;
}

/* Adds rec to the file's sums, which are committed only when every one of
 * them fits; false (the row quarantined) when one would overflow. */
static bool add_to_sums(parser *p, const rcn_record *rec, long line)
{
	int64_t amount_sum = rec->type == RCN_REC_REFUND ? p->res.refund_fen : p->res.amount_fen;
	int64_t fee_sum = p->res.fee;
	if (!checked_add(&amount_sum, rec->amount_fen) || !checked_add(&fee_sum, rec->fee)) {
		rcn_profile_quarantine(p, line, "amounts overflow the file's totals");
		return false;
	}
	p->res.fee = fee_sum;
	if (rec->type == RCN_REC_REFUND) {
		p->res.refunds++;
		p->res.refund_fen = amount_sum;
	} else {
		p->res.payments++;
		p->res.amount_fen = amount_sum;
	}
	return true;
}

/* Builds, checks and emits one detail row's record (FORMATS.md §4;
 * rules/channels/README.md): kind, amounts, time, the sums, then the text
 * fields and the sink. The first step that fails quarantines the row. */
static void on_values(parser *p, const row_values *rv, long line)
{
	const rcn_profile *prof = p->prof;
	rcn_record rec;
	bool type_from_map;
	int status;
	memset(&rec, 0, sizeof(rec));

	if (!read_kind(p, rv, line, &rec, &type_from_map, &status))
		return;
	if (rv->n[PF_ORDER_NO] == 0) {
		rcn_profile_quarantine(p, line, "%s is empty", field_name(prof, PF_ORDER_NO));
		return;
	}
	if (!read_amounts(p, rv, line, &rec, type_from_map) || !read_time_and_rate(p, rv, line, &rec) ||
	    !add_to_sums(p, &rec, line))
		return;

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
void rcn_profile_csv_row(parser *p)
{
	row_values rv;
	long line = p->row_line;
	p->res.rows++;
	if (p->bad_quote) {
		rcn_profile_quarantine(p, line, "text after a closing quote");
		return;
	}
	if (p->too_many_fields) {
		rcn_profile_quarantine(p, line, "more than %d fields", RCN_MAX_FIELDS);
		return;
	}
	if (p->nfields != p->ncols) {
		rcn_profile_quarantine(p, line, "expected %zu fields, found %zu", p->ncols, p->nfields);
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
void rcn_profile_fixed_row(parser *p, long line)
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
			rcn_profile_quarantine(p, line, "line has %zu bytes, '%s' starts at byte %zu", len,
					       rcn_pfield_names[f], start + 1);
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
			rcn_profile_quarantine(p, line, "%s (bytes %zu-%zu): %s", rcn_pfield_names[f], start + 1,
					       start + width, rc == RCN_ELIMIT ? "too long" : e.msg);
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
		rcn_profile_fatal(p, RCN_ELIMIT, p->row_line, "row longer than %u bytes", RCN_MAX_ROW_BYTES);
}

void rcn_profile_csv_reset(parser *p)
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
bool rcn_profile_csv_split(parser *p, const char *s, size_t n)
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

void rcn_profile_csv_header(parser *p, const char *s, size_t n, long line)
{
	rcn_profile_csv_reset(p);
	if (!rcn_profile_csv_split(p, s, n)) {
		rcn_profile_fatal(p, RCN_EFORMAT, line, "header line has an unterminated quote");
		return;
	}
	if (p->too_many_fields) {
		rcn_profile_fatal(p, RCN_ELIMIT, line, "header has more than %d fields", RCN_MAX_FIELDS);
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
				rcn_profile_fatal(p, RCN_EFORMAT, line,
						  "header names column %s twice (fields %zu and %zu)",
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
			rcn_profile_fatal(p, RCN_EFORMAT, line, "header lacks column '%s' (%s)", p->prof->col[f].name,
					  rcn_pfield_names[f]);
			return;
		}
	}
	p->ncols = p->nfields;
	rcn_profile_csv_reset(p);
}
