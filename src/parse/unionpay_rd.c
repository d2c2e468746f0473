/* The UnionPay RD summary (FORMATS.md §3): a printable report whose tables add
 * up to their 总计 lines, the first of which states ZM's control totals for the
 * caller's cross-check. Lines are converted from GBK and cut into tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse_util.h"
#include "parse/unionpay_int.h"
#include "recon/charset.h"
#include "recon/money.h"
#include "recon/text.h"
#include "util/err.h"

/* ---- RD: the printable summary ---- */

typedef struct {
	const char *s;
	size_t n;
} token;

static size_t tokenize(char *s, token *tok, size_t max, bool *more)
{
	size_t nt = 0;
	*more = false;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s)
			break;
		if (nt == max) {
			*more = true;
			break;
		}
		tok[nt].s = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		tok[nt].n = (size_t)(s - tok[nt].s);
		nt++;
	}
	return nt;
}

static bool tok_is(const token *t, const char *s)
{
	return t->n == strlen(s) && memcmp(t->s, s, t->n) == 0;
}

/* The value after "label:" or "label：" in the line's tokens, NULL if absent. */
static const char *header_value(const token *tok, size_t nt, const char *label, size_t *n)
{
	static const char *const colons[] = {":", "："};
	size_t ln = strlen(label);
	for (size_t i = 0; i < nt; i++) {
		if (tok[i].n < ln || memcmp(tok[i].s, label, ln) != 0)
			continue;
		for (size_t c = 0; c < 2; c++) {
			size_t cn = strlen(colons[c]);
			if (tok[i].n < ln + cn || memcmp(tok[i].s + ln, colons[c], cn) != 0)
				continue;
			if (tok[i].n > ln + cn) {
				*n = tok[i].n - ln - cn;
				return tok[i].s + ln + cn;
			}
			if (i + 1 < nt) { /* "label: value" */
				*n = tok[i + 1].n;
				return tok[i + 1].s;
			}
			*n = 0;
			return "";
		}
	}
	return NULL;
}

/* 商户代码 and 清算日期 of the RD header: a merchant code of letters and
 * digits, and the settlement date this summary is for. */
static void rd_header(up_parser *p, const token *tok, size_t nt, long line)
{
	size_t n;
	const char *v;
	char q[4 * QUOTE_MAX + 8];
	if ((v = header_value(tok, nt, "商户代码", &n)) != NULL) {
		bool ok = n > 0 && n <= 32;
		for (size_t i = 0; i < n && ok; i++)
			ok = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'Z') ||
			     (v[i] >= 'a' && v[i] <= 'z');
		if (!ok)
			rcn_unionpay_fatal(p, RCN_EFORMAT, line, "RD 商户代码 is not a merchant code: \"%s\"",
					   quote(q, sizeof(q), v, n));
	}
	if ((v = header_value(tok, nt, "清算日期", &n)) != NULL) {
		int64_t ymd;
		rcn_date day;
		char a[11], b[11];
		if (n != 8 || !parse_count(&ymd, v, n) ||
		    !real_day((int)(ymd / 10000), (int)(ymd / 100 % 100), (int)(ymd % 100), &day) || ymd < 19700101) {
			rcn_unionpay_fatal(p, RCN_EFORMAT, line, "RD 清算日期 is not a date: \"%s\"",
					   quote(q, sizeof(q), v, n));
			return;
		}
		if (p->spec->business_date != 0 && day != p->spec->business_date)
			rcn_unionpay_fatal(p, RCN_EFORMAT, line, "RD summary is for 清算日期 %s, not %s",
					   rcn_date_format(a, day), rcn_date_format(b, p->spec->business_date));
	}
}

/* The seven numbers at the end of a table row; false if they are not numbers. */
static bool rd_numbers(const token *tok, size_t nt, int64_t out[RD_NCOLS])
{
	rcn_err e;
	if (nt < 1 + RD_NCOLS)
		return false;
	const token *t = tok + nt - RD_NCOLS;
	if (!parse_count(&out[RD_COUNT], t[0].s, t[0].n))
		return false;
	for (int c = 1; c < RD_NCOLS; c++)
		if (rcn_money_parse(&out[c], t[c].s, t[c].n, RCN_SCALE_FEN, &e) != RCN_OK)
			return false;
	return true;
}

static bool rd_rule(const token *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->s[i] != '_' && t->s[i] != '-' && t->s[i] != '=')
			return false;
	return true;
}

static void rd_total(up_parser *p, const token *tok, size_t nt, bool more, long line)
{
	int64_t v[RD_NCOLS];
	if (more || nt != 1 + RD_NCOLS || !rd_numbers(tok, nt, v)) {
		rcn_unionpay_fatal(p, RCN_EFORMAT, line,
				   "RD 总计 line of the %s table is not a count and six amounts (交易金额, 费用, "
				   "资金清算差额, 借 and 贷)",
				   p->table_name);
		return;
	}
	for (int c = 0; c < RD_NCOLS; c++)
		if (v[c] != p->sum[c]) {
			rcn_unionpay_fatal(p, RCN_ETOTALS, line, "RD %s table: 总计 does not equal the sum of its rows",
					   p->table_name);
			return;
		}
	p->in_table = false;
	if (p->have_total) {
		/* Every table splits the same transactions another way: its 总计 is the same. */
		if (memcmp(v, p->total_row, sizeof(v)) != 0)
			rcn_unionpay_fatal(p, RCN_ETOTALS, line, "RD %s table: 总计 differs from the first table's",
					   p->table_name);
		return;
	}
	memcpy(p->total_row, v, sizeof(v));
	p->have_total = true;
}

void rcn_unionpay_rd_line(up_parser *p, const char *raw, size_t n, long line)
{
	rcn_err e;
	token tok[RD_MAX_TOKENS];
	bool more;
	int64_t v[RD_NCOLS];

	if (p->total > LINE_MAX_BYTES) {
		rcn_unionpay_fatal(p, RCN_ELIMIT, line, "line is longer than %zu bytes: not an RD summary",
				   LINE_MAX_BYTES);
		return;
	}
	if (memchr(raw, '\0', n)) {
		rcn_unionpay_fatal(p, RCN_EFORMAT, line, "NUL byte in an RD summary");
		return;
	}
	if (rcn_charset_field(p->utf8, UTF8_MAX_BYTES, raw, n, "GBK", &e) != RCN_OK) {
		rcn_unionpay_fatal(p, e.code, line, "%s", e.msg);
		return;
	}
	size_t nt = tokenize(p->utf8, tok, RD_MAX_TOKENS, &more);
	if (nt == 0)
		return;
	if (nt >= 2 && tok_is(&tok[1], "交易笔数")) {
		if (p->in_table) {
			if (p->have_total)
				rcn_unionpay_fatal(p, RCN_EFORMAT, line, "RD %s table has no 总计 line", p->table_name);
			else
				rcn_unionpay_fatal(p, RCN_EFORMAT, line, "RD summary has no 总计 line");
			return;
		}
		p->tables++;
		p->in_table = true;
		memset(p->sum, 0, sizeof(p->sum));
		snprintf(p->table_name, sizeof(p->table_name), "%.*s", (int)(tok[0].n < 60 ? tok[0].n : 0), tok[0].s);
		return;
	}
	if (!p->in_table) {
		if (p->tables == 0)
			rd_header(p, tok, nt, line);
		return; /* title, header or text after the tables */
	}
	if (tok_is(&tok[0], "总计")) {
		rd_total(p, tok, nt, more, line);
		return;
	}
	bool dr_cr = true;
	for (size_t i = 0; i < nt; i++)
		dr_cr = dr_cr && (tok_is(&tok[i], "借") || tok_is(&tok[i], "贷"));
	if (dr_cr || (nt == 1 && rd_rule(&tok[0])))
		return;
	if (more || !rd_numbers(tok, nt, v)) {
		rcn_unionpay_fatal(p, RCN_EFORMAT, line, "RD %s table: a row that is not a count and six amounts",
				   p->table_name);
		return;
	}
	for (int c = 0; c < RD_NCOLS; c++)
		if (!checked_add(&p->sum[c], v[c])) {
			rcn_unionpay_fatal(p, RCN_EFORMAT, line, "RD %s table: amounts out of range", p->table_name);
			return;
		}
}
