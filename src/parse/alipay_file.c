/* The Alipay statement parsers' file level (FORMATS.md §2): the bytes in
 * (encoding, conversion to UTF-8 line by line), the '#' comment lines (the
 * account, the period, the footer control totals), the lifecycle and the
 * verdict at finish. The rows between header and footer are read in alipay.c
 * (see alipay_int.h for the path data takes). Holds one row, never the file.
 *
 * Encoding rule: the bytes are UTF-8 when they start with a UTF-8 BOM, or when
 * the first line (at most SNIFF_MAX bytes) holds a non-ASCII byte and is valid
 * UTF-8 (a re-saved export); otherwise they are GBK (read as GB18030). Real GBK
 * Chinese text is practically never valid UTF-8, and an all-ASCII first line
 * decides nothing, so GBK, the channel's encoding, is the default. A byte that
 * is invalid in the chosen encoding rejects the file with its line. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/alipay_int.h"
#include "parse/parse_util.h"
#include "parse/parser_internal.h"
#include "recon/charset.h"
#include "recon/money.h"

/* The footer lines' names, in the order of enum footer. */
static const char *const footer_names[F_COUNT] = {
	[F_PAY] = "交易合计",
	[F_REFUND] = "退款合计",
	[F_IN] = "收入合计",
	[F_OUT] = "支出合计",
};

void rcn_alipay_fail(alipay *p, rcn_rc code, long line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rcn_csvrows_fail(p->rows, code, line, "%s", msg);
}

/* ---- '#' lines ---- */

typedef struct {
	const char *label; /* text before 共, e.g. 商家实收 ("" for the 账务明细's "共14989.00元") */
	size_t label_len;
	int64_t fen;
} footer_part;

/* Skips one of the separators a footer writes (full-width or ASCII); returns its length or 0. */
static size_t skip_sep(const char *s, size_t n, const char *const *seps)
{
	for (size_t i = 0; seps[i]; i++) {
		size_t m = strlen(seps[i]);
		if (n >= m && memcmp(s, seps[i], m) == 0)
			return m;
	}
	return 0;
}

/* s[0..n) after the footer's name: "：6笔，商家实收共0.06元，商家优惠共0.00元".
 * Returns the number of parts, or -1 when the text does not read so. */
static int parse_footer(const char *s, size_t n, int64_t *count, footer_part *parts, int max)
{
	static const char *const colon[] = {"：", ":", NULL};
	static const char *const comma[] = {"，", ",", "；", ";", NULL};
	size_t m = skip_sep(s, n, colon), i;
	int np = 0;
	if (m == 0)
		return -1;
	s += m, n -= m;
	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (!parse_count(count, s, i) || n - i < strlen("笔") || memcmp(s + i, "笔", strlen("笔")) != 0)
		return -1;
	s += i + strlen("笔"), n -= i + strlen("笔");
	while (n > 0) {
		m = skip_sep(s, n, comma);
		if (m == 0 || np == max)
			return -1;
		s += m, n -= m;
		const char *gong = memmem(s, n, "共", strlen("共"));
		if (!gong)
			return -1;
		const char *amt = gong + strlen("共");
		const char *yuan = memmem(amt, n - (size_t)(amt - s), "元", strlen("元"));
		rcn_err e;
		if (!yuan || rcn_money_parse(&parts[np].fen, amt, (size_t)(yuan - amt), RCN_SCALE_FEN, &e) != RCN_OK)
			return -1;
		parts[np].label = s;
		parts[np].label_len = (size_t)(gong - s);
		np++;
		m = (size_t)(yuan - s) + strlen("元");
		s += m, n -= m;
	}
	return np;
}

static void on_footer(alipay *p, enum footer f, const char *s, size_t n)
{
	footer_part parts[FOOTER_PARTS];
	int64_t count;
	const char *name = footer_names[f];
	char a[32], b[32];

	p->stage = ST_FOOTER;
	if (p->footer_seen[f]) {
		rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "footer %s appears twice", name);
		return;
	}
	p->footer_seen[f] = true;
	int np = parse_footer(s, n, &count, parts, FOOTER_PARTS);
	if (np < 0) {
		rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "footer %s: cannot read \"%s\"", name, RCN_QUOTE(s, n));
		return;
	}
	long rows = f == F_PAY	    ? p->res.payments
		    : f == F_REFUND ? p->res.refunds
		    : f == F_IN	    ? p->in_count
				    : p->out_count;
	if (count != rows) {
		rcn_verdict_summary_problem(&p->v, RCN_ETOTALS,
					    "control totals do not match: %s says %lld笔, rows have %ld", name,
					    (long long)count, rows);
		return;
	}
	/* The amount compared: 商家实收 of the trade footers (older exports name it
	 * otherwise, and only the count is checked then), the one 共…元 of the
	 * account footers. Refund and expense totals are written negative. */
	const char *label = f == F_PAY ? "商家实收" : f == F_REFUND ? "商家实收退款" : NULL;
	int64_t have = f == F_PAY      ? p->pay_received
		       : f == F_REFUND ? p->refund_received
		       : f == F_IN     ? p->res.movement_in_fen
				       : p->res.movement_out_fen;
	for (int i = 0; i < np; i++) {
		if (label ? !is_name(parts[i].label, parts[i].label_len, label) : i > 0)
			continue;
		int64_t stated = parts[i].fen;
		if (magnitude(stated) == have && (stated >= 0 || f == F_REFUND || f == F_OUT))
			return;
		int64_t shown = stated < 0 ? -have : have;
		rcn_verdict_summary_problem(
			&p->v, RCN_ETOTALS, "control totals do not match: %s says %s%s%s, rows have %s", name,
			RCN_QUOTE(parts[i].label, parts[i].label_len), parts[i].label_len ? " " : "",
			rcn_money_format(a, sizeof(a), stated, RCN_SCALE_FEN),
			rcn_money_format(b, sizeof(b), shown, RCN_SCALE_FEN));
		return;
	}
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t m = strlen(prefix);
	return n >= m && memcmp(s, prefix, m) == 0;
}

/* "2026年03月02日 00:00:00" (or 2026-03-02, 2026/03/02; the time may be
 * absent) inside the brackets of s[0..n): its time, or RCN_NO_TIME. */
static rcn_time period_time(const char *s, size_t n)
{
	size_t i = 0;
	int part[6] = {0, 0, 0, 0, 0, 0}, np = 0;
	static const char *const seps[] = {"年", "月", "日", "-", "/", ":", "：", " ", NULL};
	while (i < n && np < 6) {
		size_t d = 0;
		int v = 0;
		while (i + d < n && s[i + d] >= '0' && s[i + d] <= '9' && d < 4)
			v = v * 10 + (s[i + d] - '0'), d++;
		if (d == 0 || (np == 0 ? d != 4 : d != 2))
			return RCN_NO_TIME;
		part[np++] = v;
		i += d;
		size_t m;
		while (i < n && (m = skip_sep(s + i, n - i, seps)) > 0)
			i += m;
	}
	if (i != n || (np != 3 && np != 6) || part[1] < 1 || part[1] > 12 || part[2] < 1 || part[2] > 31 ||
	    part[3] > 23 || part[4] > 59 || part[5] > 59)
		return RCN_NO_TIME;
	rcn_date day = rcn_date_from_ymd(part[0], part[1], part[2]);
	int y, m, d;
	rcn_date_to_ymd(day, &y, &m, &d);
	if (y != part[0] || m != part[1] || d != part[2] || y < 1970)
		return RCN_NO_TIME;
	return (rcn_time)day * RCN_SECS_PER_DAY + part[3] * 3600 + part[4] * 60 + part[5];
}

/* The bracketed value after `tag` in text[0..len), or NULL. */
static const char *bracketed(const char *text, size_t len, const char *tag, size_t *n)
{
	const char *at = memmem(text, len, tag, strlen(tag));
	if (!at)
		return NULL;
	const char *open = memchr(at, '[', len - (size_t)(at - text));
	const char *close = open ? memchr(open, ']', len - (size_t)(open - text)) : NULL;
	if (!close)
		return NULL;
	*n = (size_t)(close - open - 1);
	return open + 1;
}

/* #起始日期：[…]   终止日期：[…]: the period the export covers (FORMATS.md §2).
 * A daily bill runs from 00:00:00 of its date to 00:00:00 of the next (or
 * 23:59:59 of the same day); one of another date, or a longer period, is
 * not the business date's bill, whatever its file is called. */
static void on_period(alipay *p, const char *text, size_t len)
{
	size_t nf = 0, nt = 0;
	const char *from = bracketed(text, len, "起始日期", &nf), *to = bracketed(text, len, "终止日期", &nt);
	rcn_time t0 = from ? period_time(from, nf) : RCN_NO_TIME, t1 = to ? period_time(to, nt) : RCN_NO_TIME;
	long line = rcn_csvrows_row_line(p->rows);
	char a[11], b[11], c[11];
	if (!p->business_date)
		return;
	if (t0 == RCN_NO_TIME || t1 == RCN_NO_TIME || t1 <= t0) {
		rcn_alipay_fail(p, RCN_EFORMAT, line, "cannot read the statement's period: \"%s\"",
				RCN_QUOTE(text, len));
		return;
	}
	/* the last day covered: an end at midnight closes the day before it */
	rcn_date first = rcn_time_date(t0), last = rcn_time_date(t1 - 1);
	if (first == p->business_date && last == p->business_date)
		return;
	if (first == last)
		rcn_alipay_fail(p, RCN_EFORMAT, line,
				"statement is for business date %s (its 起始日期), not %s (wrong file?)",
				rcn_date_format(a, first), rcn_date_format(c, p->business_date));
	else
		rcn_alipay_fail(
			p, RCN_EFORMAT, line,
			"statement covers %s to %s (its 起始日期 and 终止日期), not business date %s (wrong file?)",
			rcn_date_format(a, first), rcn_date_format(b, last), rcn_date_format(c, p->business_date));
}

/* A '#' line: the fields joined back with ',' (footers may be padded with
 * commas, and an ASCII comma would have split them), trailing commas dropped. */
void rcn_alipay_on_comment(alipay *p)
{
	char text[COMMENT_MAX];
	size_t len = 0, nf = rcn_csvrows_count(p->rows);
	for (size_t i = 0; i < nf; i++) {
		size_t n;
		const char *s = value(p, i, &n);
		if (i > 0 && len < sizeof(text))
			text[len++] = ',';
		if (n > sizeof(text) - len)
			n = sizeof(text) - len;
		memcpy(text + len, s, n);
		len += n;
	}
	while (len > 0 && (text[len - 1] == ',' || is_space(text[len - 1])))
		len--;

	static const char *const account_tags[] = {"#账号：[", "#账号:[", NULL};
	size_t m = skip_sep(text, len, account_tags);
	if (m > 0 && p->stage == ST_PREAMBLE) {
		const char *end = memchr(text + m, ']', len - m);
		size_t n = end ? (size_t)(end - text) - m : 0;
		if (end && n <= ACCOUNT_MAX) {
			memcpy(p->account, text + m, n);
			p->account[n] = '\0';
		}
		return;
	}
	static const char *const period_tags[] = {"#起始日期：[", "#起始日期:[", NULL};
	if (p->stage == ST_PREAMBLE && skip_sep(text, len, period_tags) > 0) {
		on_period(p, text, len);
		return;
	}
	if (p->stage == ST_PREAMBLE)
		return; /* title, the list's opening rule */
	if (starts_with(text, len, "#-") && memmem(text, len, "结束", strlen("结束"))) {
		p->stage = ST_FOOTER;
		return;
	}
	for (int f = 0; f < F_COUNT; f++) {
		if ((p->kind == K_TRADE) != (f == F_PAY || f == F_REFUND) || p->kind == K_SUMMARY)
			continue;
		size_t k = 1 + strlen(footer_names[f]);
		if (starts_with(text, len, "#") && starts_with(text + 1, len - 1, footer_names[f])) {
			on_footer(p, (enum footer)f, text + k, len - k);
			return;
		}
	}
	/* anything else (#导出时间：[…]) is information only */
}

/* ---- bytes: encoding, conversion ---- */

/* Converts raw bytes slice by slice (cut after each '\n', so a conversion
 * error names its line) and feeds the UTF-8 to the row reader. */
static void convert(alipay *p, const char *s, size_t n)
{
	while (n > 0 && !rcn_csvrows_error(p->rows)) {
		size_t len = n < SLICE_MAX ? n : SLICE_MAX;
		const char *nl = memchr(s, '\n', len);
		if (nl)
			len = (size_t)(nl - s) + 1;
		rcn_err e;
		rcn_rc rc = rcn_charset_convert(p->cs, s, len, &p->conv, &e);
		if (p->conv.len > 0)
			rcn_csvrows_feed(p->rows, p->conv.data, p->conv.len);
		rcn_buf_reset(&p->conv);
		if (rc == RCN_EFORMAT) {
			/* the text before the bad bytes went to the reader: it knows the column */
			rcn_csvrows_fail_text(p->rows, p->raw_line, rcn_csvrows_partial_field(p->rows), e.msg);
			return;
		}
		if (rc != RCN_OK) {
			rcn_alipay_fail(p, rc, p->raw_line, "%s", e.msg);
			return;
		}
		if (nl)
			p->raw_line++;
		s += len;
		n -= len;
	}
}

static bool looks_utf8(const char *s, size_t n, bool cut)
{
	static const char BOM[3] = {'\xEF', '\xBB', '\xBF'};
	if (n >= 3 && memcmp(s, BOM, 3) == 0)
		return true;
	const char *nl = memchr(s, '\n', n);
	if (nl)
		n = (size_t)(nl - s);
	bool ascii = true;
	for (size_t i = 0; i < n && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	if (ascii)
		return false;
	/* A first line cut at SNIFF_MAX may end inside a character. */
	for (size_t drop = 0; drop <= (!nl && cut ? 3u : 0u) && drop < n; drop++)
		if (rcn_utf8_valid(s, n - drop))
			return true;
	return false;
}

static void choose_encoding(alipay *p)
{
	rcn_err e;
	const char *s = p->sniff.data ? p->sniff.data : "";
	p->sniffed = true;
	if (rcn_charset_open(&p->cs, looks_utf8(s, p->sniff.len, p->sniff.len >= SNIFF_MAX) ? "UTF-8" : "GBK", &e) !=
	    RCN_OK) {
		rcn_alipay_fail(p, e.code, 0, "%s", e.msg);
		return;
	}
	convert(p, s, p->sniff.len);
	rcn_buf_free(&p->sniff);
}

/* The parser of the Alipay file spec->kind names. */
static void *create(const rcn_parser_spec *spec)
{
	enum kind kind = spec->kind == RCN_FMT_ALIPAY_SUMMARY	? K_SUMMARY
			 : spec->kind == RCN_FMT_ALIPAY_ACCOUNT ? K_ACCOUNT
								: K_TRADE;
	alipay *p = rcn_xcalloc(1, sizeof(*p));
	p->kind = kind;
	p->file = spec->file ? spec->file : "";
	p->channel = spec->channel ? spec->channel : "";
	p->business_date = spec->business_date;
	p->rec_sink = spec->rec;
	p->ctx = spec->ctx;
	rcn_buf_init(&p->sniff, SNIFF_MAX);
	rcn_buf_init(&p->conv, 4 * SLICE_MAX + 64); /* a GB18030 byte never becomes more than 4 of UTF-8 */
	p->raw_line = 1;
	p->rows = rcn_csvrows_new(p->file, rcn_alipay_on_row, p);
	static const char *const what[] = {[K_TRADE] = "an Alipay 业务明细",
					   [K_SUMMARY] = "an Alipay 业务明细(汇总)",
					   [K_ACCOUNT] = "an Alipay 账务明细"};
	rcn_csvrows_set_what(p->rows, what[kind]);
	rcn_verdict_init(&p->v, p->file, p->rows, spec->quar, spec->ctx, &p->res);
	for (int c = 0; c < C_COUNT; c++)
		p->col[c] = -1;
	p->stage = ST_PREAMBLE;
	return p;
}

static rcn_rc alipay_feed(void *state, const char *buf, size_t n, rcn_err *err)
{
	alipay *p = state;
	assert(!p->finished);
	if (!p->sniffed && !rcn_csvrows_error(p->rows)) {
		size_t take = SNIFF_MAX - p->sniff.len;
		if (take > n)
			take = n;
		rcn_buf_append(&p->sniff, buf, take); /* fits: take is within the limit */
		buf += take;
		n -= take;
		if (p->sniff.len < SNIFF_MAX && (p->sniff.len == 0 || !memchr(p->sniff.data, '\n', p->sniff.len)))
			return RCN_OK; /* the first line is not complete yet */
		choose_encoding(p);
	}
	if (p->sniffed)
		convert(p, buf, n);
	return feed_result(rcn_csvrows_error(p->rows), err);
}

static rcn_rc alipay_finish(void *state, rcn_stmt_result *out)
{
	alipay *p = state;
	rcn_err e;
	assert(!p->finished);
	p->finished = true;
	if (!p->sniffed && !rcn_csvrows_error(p->rows))
		choose_encoding(p);
	if (p->cs && !rcn_csvrows_error(p->rows) && rcn_charset_finish(p->cs, &p->conv, &e) != RCN_OK)
		rcn_alipay_fail(p, e.code, p->raw_line, "%s", e.msg);
	rcn_csvrows_finish(p->rows);

	rcn_stmt_result *res = &p->res;
	/* Both footer lines are required of the 业务明细 and of the 账务明细: every
	 * export writes them (0笔 on a quiet day), and a file cut short loses them
	 * first, so without them the rows cannot be vouched for. */
	const char *footer = NULL;
	if (p->kind == K_TRADE && !(p->footer_seen[F_PAY] && p->footer_seen[F_REFUND]))
		footer = !p->footer_seen[F_PAY] && !p->footer_seen[F_REFUND] ? "totals"
			 : p->footer_seen[F_PAY]			     ? footer_names[F_REFUND]
									     : footer_names[F_PAY];
	if (p->kind == K_ACCOUNT && !(p->footer_seen[F_IN] && p->footer_seen[F_OUT]))
		footer = !p->footer_seen[F_IN] && !p->footer_seen[F_OUT] ? "totals"
			 : p->footer_seen[F_IN]				 ? footer_names[F_OUT]
									 : footer_names[F_IN];
	if (p->kind != K_SUMMARY)
		res->has_summary = !footer;

	/* The same order of causes as the WeChat parsers: the first one a reader should fix. */
	if (p->stage == ST_PREAMBLE)
		rcn_verdict_missing(&p->v, "empty file: no header");
	else if (p->kind == K_SUMMARY && !p->total_row_seen)
		rcn_verdict_missing(&p->v, "missing 合计 row (truncated file?)");
	else if (footer)
		rcn_verdict_missing(&p->v, "missing footer %s (truncated file?)", footer);
	return rcn_verdict_finish(&p->v, out);
}

static void alipay_destroy(void *state)
{
	alipay *p = state;
	if (!p)
		return;
	rcn_csvrows_free(p->rows);
	rcn_charset_close(p->cs);
	rcn_buf_free(&p->sniff);
	rcn_buf_free(&p->conv);
	free(p);
}

const rcn_parser_ops rcn_alipay_trade_ops = {"alipay-trade", create, alipay_feed, alipay_finish, alipay_destroy};
const rcn_parser_ops rcn_alipay_summary_ops = {"alipay-summary", create, alipay_feed, alipay_finish, alipay_destroy};
const rcn_parser_ops rcn_alipay_account_ops = {"alipay-account", create, alipay_feed, alipay_finish, alipay_destroy};
