/* UnionPay ACP files (FORMATS.md §3), the driver: bytes cut into lines, each
 * line to the ZM/ZME reader (unionpay_fixed.c) or the RD reader
 * (unionpay_rd.c), the lifecycle and the verdict at finish (see
 * unionpay_int.h for the path data takes). Holds one line, never the file. */
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
#include "util/err.h"
#include "parse/unionpay_int.h"

void rcn_unionpay_fatal(up_parser *p, rcn_rc code, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_err_vset(&p->fatal_err, &p->fatal, code, p->spec->file, line, 400, fmt, ap);
	va_end(ap);
}

void rcn_unionpay_quarantine(up_parser *p, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_quarantine_vrow(&p->res, p->spec->quar, p->spec->ctx, p->spec->file, line, fmt, ap);
	va_end(ap);
}

/* ---- lines ---- */

static void on_line(up_parser *p, long line)
{
	const char *s = p->line;
	size_t n = p->len;
	if (p->total <= LINE_MAX_BYTES && n > 0 && s[n - 1] == '\r')
		n--;
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if (i == n && p->total <= LINE_MAX_BYTES)
		return; /* blank line */
	if (!p->seen_content) {
		p->seen_content = true;
		/* A proxy or login page comes back as HTML, an API error as XML. */
		if (i < n && s[i] == '<') {
			rcn_unionpay_fatal(p, RCN_EFORMAT, line, "an HTML or XML page, not a UnionPay %s file",
					   p->kind == UP_RD ? "RD" : p->lay->tag);
			return;
		}
		if (p->kind != UP_RD && p->spec->business_date == 0) {
			rcn_unionpay_fatal(p, RCN_EUSAGE, line,
					   "the settlement date is unknown: %s times carry no year", p->lay->tag);
			return;
		}
	}
	if (p->kind == UP_RD)
		rcn_unionpay_rd_line(p, s, n, line);
	else
		rcn_unionpay_detail_line(p, s, n, line);
}

static void end_line(up_parser *p)
{
	if (!p->fatal)
		on_line(p, p->lineno);
	p->len = 0;
	p->total = 0;
	p->lineno++;
}

/* The parser of the UnionPay file spec->kind names. */
static void *up_create(const rcn_parser_spec *spec)
{
	enum up_kind kind = spec->kind == RCN_FMT_UNIONPAY_RD	 ? UP_RD
			    : spec->kind == RCN_FMT_UNIONPAY_ZME ? UP_ZME
								 : UP_ZM;
	up_parser *p = rcn_xcalloc(1, sizeof(*p));
	p->spec = spec;
	p->kind = kind;
	p->line = rcn_xmalloc(LINE_MAX_BYTES + 1);
	p->lineno = 1;
	if (kind == UP_RD) {
		snprintf(p->res.format, sizeof(p->res.format), "unionpay-rd");
		p->utf8 = rcn_xmalloc(UTF8_MAX_BYTES);
		return p;
	}
	rcn_unionpay_fixed_init(p);
	return p;
}

static rcn_rc up_feed(void *state, const char *buf, size_t n, rcn_err *err)
{
	up_parser *p = state;
	assert(!p->finished);
	while (n > 0 && !p->fatal) {
		const char *nl = memchr(buf, '\n', n);
		size_t len = nl ? (size_t)(nl - buf) : n;
		if (p->len < LINE_MAX_BYTES) {
			size_t keep = len < LINE_MAX_BYTES - p->len ? len : LINE_MAX_BYTES - p->len;
			memcpy(p->line + p->len, buf, keep);
			p->len += keep;
		}
		p->total += len;
		if (p->total > LINE_MAX_BYTES + 1)
			p->total = LINE_MAX_BYTES + 1; /* "longer than the cap" is all that is kept */
		if (!nl)
			break;
		end_line(p);
		buf += len + 1;
		n -= len + 1;
	}
	return feed_result(p->fatal ? &p->fatal_err : NULL, err);
}

static rcn_rc up_finish(void *state, rcn_stmt_result *out)
{
	up_parser *p = state;
	rcn_stmt_result *res = &p->res;
	rcn_err e;
	assert(!p->finished);
	p->finished = true;
	if (!p->fatal && p->total > 0)
		end_line(p); /* a last line without a newline */
	if (!p->fatal)
		rcn_unionpay_release_held(p);
	rcn_err_clear(&res->reason);
	if (p->fatal) {
		reject(res, &p->fatal_err);
	} else if (p->kind == UP_RD) {
		if (!p->have_total) {
			rcn_err_set(&e, RCN_EFORMAT, p->spec->file, 0, "RD summary has no 总计 line");
			reject(res, &e);
		} else if (p->in_table) {
			rcn_err_set(&e, RCN_EFORMAT, p->spec->file, 0,
				    "RD summary ends inside the %s table (truncated?)", p->table_name);
			reject(res, &e);
		} else {
			/* 交易金额 贷 is what was paid in, 借 what went back (refunds); 费用 借 is
			 * charged to the merchant; 资金清算差额 贷 − 借 is what is settled. */
			const int64_t *t = p->total_row;
			rcn_totals *st = &res->stated;
			int64_t fee_fen;
			st->has_count = st->has_amount = st->has_refund_amount = st->has_fee = st->has_net = true;
			st->count = (long)t[RD_COUNT];
			st->amount_fen = t[RD_AMOUNT_CR];
			st->refund_fen = t[RD_AMOUNT_DR];
			if (__builtin_sub_overflow(t[RD_FEE_DR], t[RD_FEE_CR], &fee_fen) ||
			    __builtin_mul_overflow(fee_fen, (int64_t)RCN_FEE_UNITS_PER_FEN, &st->fee) ||
			    __builtin_sub_overflow(t[RD_NET_CR], t[RD_NET_DR], &st->net_fen)) {
				memset(st, 0, sizeof(*st));
				rcn_err_set(&e, RCN_EFORMAT, p->spec->file, 0, "RD 总计 amounts are out of range");
				reject(res, &e);
			} else {
				res->has_summary = true;
			}
		}
	} else if (res->bad_rows > 0) {
		rcn_bad_rows_err(&e, p->spec->file, res->bad_rows);
		reject(res, &e);
	}
	/* ZM and ZME state no totals of their own: the RD cross-check (by the caller,
	 * who sees both files) vouches for them; here every row has been read. RD's
	 * tables have added up to their 总计 lines. */
	res->totals_ok = !res->rejected;
	*out = *res;
	return res->rejected ? res->reason.code : RCN_OK;
}

static void up_destroy(void *state)
{
	up_parser *p = state;
	if (!p)
		return;
	free(p->line);
	free(p->utf8);
	free(p->held);
	free(p);
}

const rcn_parser_ops rcn_unionpay_zm_ops = {"unionpay-zm", up_create, up_feed, up_finish, up_destroy};
const rcn_parser_ops rcn_unionpay_zme_ops = {"unionpay-zme", up_create, up_feed, up_finish, up_destroy};
const rcn_parser_ops rcn_unionpay_rd_ops = {"unionpay-rd", up_create, up_feed, up_finish, up_destroy};
