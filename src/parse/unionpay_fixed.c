/* UnionPay ZM transaction details and ZME exception records (FORMATS.md §3):
 * fixed-width GBK lines sliced by byte widths before conversion, each to an
 * rcn_record; cancels (撤销) and reversals (冲正) are held and paired with what
 * they undo at the file's end. See unionpay_int.h for the path data takes. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse_util.h"
#include "parse/unionpay_int.h"
#include "recon/charset.h"
#include "recon/money.h"
#include "recon/text.h"
#include "util/err.h"

static const char *const field_names[F_COUNT] = {
	[F_CODE] = "交易代码",
	[F_TIME] = "交易传输时间",
	[F_AMOUNT] = "交易金额",
	[F_QUERY_ID] = "查询流水号",
	[F_ORDER_NO] = "商户订单号",
	[F_FEE] = "商户手续费",
	[F_SETTLE] = "结算金额",
	[F_MER_ID] = "商户代码",
	[F_NET] = "清算净额",
	[F_ORIG_QUERY_ID] = "原交易查询流水号",
	[F_ORIG_ORDER_NO] = "原始订单号",
	[F_TXN_TYPE] = "交易类型",
};

/* As observed in the official sample (samples/unionpay/SOURCE.txt): 42 fields,
 * 566 bytes of data and 41 separators = 607 bytes. Newer layouts append bytes,
 * which are ignored. */
static const unsigned char zm_widths[] = {3,  11, 11, 6,  10, 19, 12, 4,  2,  21, 2,  32, 2,  6,
					  10, 13, 13, 4,  15, 2,  2,  6,  2,  4,  32, 1,  21, 15,
					  1,  15, 32, 13, 13, 8,  32, 13, 13, 12, 2,  1,  32, 98};

static const layout zm_layout = {
	"unionpay-zm",
	"ZM",
	"SUCCESS",
	sizeof(zm_widths),
	zm_widths,
	{
		[F_CODE] = 0,
		[F_TIME] = 4,
		[F_AMOUNT] = 6,
		[F_QUERY_ID] = 9,
		[F_ORDER_NO] = 11,
		[F_FEE] = 15,
		[F_SETTLE] = 16,
		[F_MER_ID] = 27,
		[F_NET] = 32,
		[F_ORIG_QUERY_ID] = 26,
		[F_ORIG_ORDER_NO] = 40,
		[F_TXN_TYPE] = 19,
	},
};

/* ZME widths are FORMATS.md §3's; UnionPay publishes no field names we could
 * check. Fields 0-6 have the widths and order of ZM's first seven (交易代码 ..
 * 交易金额) and are read as those. The two C/D fields of 13 bytes (14, 15) are
 * read as 商户手续费 and 结算金额 as in ZM, and the first 15-byte field (16) as
 * 商户代码; a real file where they are not C/D + 12 digits is quarantined, not
 * misread. Not mapped: 商户类别 4, 终端类型 2, the 2-byte field 9, 原始交易的
 * 系统跟踪号 6 and 原始交易日期时间 10 (fields 10-11, by width), the 4- and
 * 12-byte fields 12-13, the second 15-byte field (集团商户代码?), fields 18-20
 * and the 135 reserved bytes. ZME has no 查询流水号, 商户订单号 or 清算净额:
 * its records carry no order number or channel id and a net of 0. */
static const unsigned char zme_widths[] = {3,  11, 11, 6,  10, 19, 12, 4, 2,  2, 6,
					   10, 4,  12, 13, 13, 15, 15, 1, 12, 2, 135};

static const layout zme_layout = {
	"unionpay-zme",
	"ZME",
	"EXCEPTION",
	sizeof(zme_widths),
	zme_widths,
	{
		[F_CODE] = 0,
		[F_TIME] = 4,
		[F_AMOUNT] = 6,
		[F_QUERY_ID] = -1,
		[F_ORDER_NO] = -1,
		[F_FEE] = 14,
		[F_SETTLE] = 15,
		[F_MER_ID] = 16,
		[F_NET] = -1,
		[F_ORIG_QUERY_ID] = -1,
		[F_ORIG_ORDER_NO] = -1,
		[F_TXN_TYPE] = -1,
	},
};

void rcn_unionpay_fixed_init(up_parser *p)
{
	p->lay = p->kind == UP_ZME ? &zme_layout : &zm_layout;
	snprintf(p->res.format, sizeof(p->res.format), "%s", p->lay->format);
	size_t off = 0;
	assert(p->lay->nwidths <= MAX_FIELDS);
	for (size_t i = 0; i < p->lay->nwidths; i++) {
		p->off[i] = off;
		off += p->lay->widths[i] + 1u;
	}
	for (int k = 0; k < F_COUNT; k++) {
		int i = p->lay->field[k];
		if (i >= 0 && (size_t)i > p->last)
			p->last = (size_t)i;
	}
	p->min_len = p->off[p->last] + p->lay->widths[p->last];
}

/* ---- ZM and ZME: fixed-width detail lines ---- */

/* The bytes of field k (the layout must have it). */
static const char *field_bytes(const up_parser *p, const char *s, enum field k, size_t *n)
{
	int i = p->lay->field[k];
	assert(i >= 0);
	*n = p->lay->widths[i];
	return s + p->off[i];
}

/* Text field k, space-trimmed, as UTF-8 in out[TEXT_MAX] ("" when the layout
 * has no such field). */
static bool text_field(up_parser *p, long line, const char *s, enum field k, char out[TEXT_MAX])
{
	size_t n;
	rcn_err e;
	char q[4 * QUOTE_MAX + 8];
	out[0] = '\0';
	if (p->lay->field[k] < 0)
		return true;
	s = field_bytes(p, s, k, &n);
	while (n > 0 && s[0] == ' ')
		s++, n--;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	bool ascii = true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F) {
			rcn_unionpay_quarantine(p, line, "%s has a control byte: \"%s\"", field_names[k],
						quote(q, sizeof(q), s, n));
			return false;
		}
		ascii = ascii && c < 0x80;
	}
	if (ascii) {
		memcpy(out, s, n);
		out[n] = '\0';
	} else if (rcn_charset_field(out, TEXT_MAX, s, n, "GBK", &e) != RCN_OK) {
		rcn_unionpay_quarantine(p, line, "%s: %s", field_names[k], e.msg);
		return false;
	}
	return true;
}

/* 交易金额: exactly 12 digits of fen. */
static bool amount_field(up_parser *p, long line, const char *s, int64_t *out)
{
	size_t n;
	char q[4 * QUOTE_MAX + 8];
	s = field_bytes(p, s, F_AMOUNT, &n);
	if (n != 12 || !parse_count(out, s, n)) {
		rcn_unionpay_quarantine(p, line, "%s is not 12 digits: \"%s\"", field_names[F_AMOUNT],
					quote(q, sizeof(q), s, n));
		return false;
	}
	return true;
}

/* A C/D field: 'C' (credit to the merchant, positive) or 'D' (debit,
 * negative) and 12 digits of fen. */
static bool signed_field(up_parser *p, long line, const char *s, enum field k, int64_t *out)
{
	size_t n;
	int64_t v;
	char q[4 * QUOTE_MAX + 8];
	s = field_bytes(p, s, k, &n);
	if (n != 13 || (s[0] != 'C' && s[0] != 'D') || !parse_count(&v, s + 1, 12)) {
		rcn_unionpay_quarantine(p, line, "%s is not C or D and 12 digits: \"%s\"", field_names[k],
					quote(q, sizeof(q), s, n));
		return false;
	}
	*out = s[0] == 'C' ? v : -v;
	return true;
}

/* A transmission time is at most this many days after the settlement date (the
 * sample's are one day after); a later month and day belong to the year before. */
#define TIME_AHEAD_DAYS 31

/* 交易传输时间 MMDDhhmmss has no year: it is the latest year that puts the day no
 * more than TIME_AHEAD_DAYS after the settlement date, so settleDate 2016-01-02
 * with 1231 is 2015-12-31, and settleDate 2015-12-31 with 0101 is 2016-01-01. */
static bool time_field(up_parser *p, long line, const char *s, char out[20], rcn_date *day)
{
	size_t n;
	int64_t v;
	char q[4 * QUOTE_MAX + 8];
	s = field_bytes(p, s, F_TIME, &n);
	if (n != 10 || !parse_count(&v, s, n)) {
		rcn_unionpay_quarantine(p, line, "%s is not MMDDhhmmss: \"%s\"", field_names[F_TIME],
					quote(q, sizeof(q), s, n));
		return false;
	}
	int mo = (s[0] - '0') * 10 + (s[1] - '0'), d = (s[2] - '0') * 10 + (s[3] - '0');
	int hh = (s[4] - '0') * 10 + (s[5] - '0'), mi = (s[6] - '0') * 10 + (s[7] - '0');
	int ss = (s[8] - '0') * 10 + (s[9] - '0');
	int by, bm, bd;
	rcn_date_to_ymd(p->spec->business_date, &by, &bm, &bd);
	bool found = false;
	if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && hh <= 23 && mi <= 59 && ss <= 59) {
		for (int y = by + 1; y >= by - 1 && !found; y--)
			found = real_day(y, mo, d, day) && *day <= p->spec->business_date + TIME_AHEAD_DAYS;
	}
	if (!found) {
		rcn_unionpay_quarantine(p, line, "%s is not a time: \"%s\"", field_names[F_TIME],
					quote(q, sizeof(q), s, n));
		return false;
	}
	int y, m2, d2;
	rcn_date_to_ymd(*day, &y, &m2, &d2);
	if (y < 1970 || y > 9999) {
		rcn_unionpay_quarantine(p, line, "%s is out of range: \"%s\"", field_names[F_TIME],
					quote(q, sizeof(q), s, n));
		return false;
	}
	/* "YYYY-MM-DD HH:MM:SS": month, day and time are the field's own digits */
	for (int k = 3; k >= 0; k--, y /= 10)
		out[k] = (char)('0' + y % 10);
	char *o = out + 4;
	*o++ = '-';
	memcpy(o, s, 2), o += 2;
	*o++ = '-';
	memcpy(o, s + 2, 2), o += 2;
	*o++ = ' ';
	memcpy(o, s + 4, 2), o += 2;
	*o++ = ':';
	memcpy(o, s + 6, 2), o += 2;
	*o++ = ':';
	memcpy(o, s + 8, 2), o += 2;
	*o = '\0';
	return true;
}

/* What a ZM row does to the merchant's money. 交易类型 is the ACP txnType the
 * merchant's own request carried (ACP 全渠道 interface: 01 消费, 03 预授权完成,
 * 04 退货, 31 消费撤销, 33 预授权完成撤销; the official demos send 31 to cancel,
 * the full amount, the same clearing day, with an order number of its own and
 * origQryId naming the payment). 交易代码 is the clearing code (S22 消费, S30
 * 退货, the sample's S56 has 交易类型 01); a code beginning with R marks a
 * reversal (冲正) of the transaction its 交易类型 names, after the CUPS
 * S../R.. code pairs. S30 is a refund whatever its 交易类型. A row without a
 * 交易类型 we know is read by its code, as before: anything but S30 is a
 * payment, and the RD cross-check
 * (RD books what goes back as 借) rejects a file where that reading is wrong. */
enum up_kind_of_row { ROW_PAYMENT, ROW_REFUND, ROW_CANCEL, ROW_REVERSAL };

static enum up_kind_of_row row_kind(const char *code, const char *txn_type, bool *of_cancel)
{
	bool cancel = strcmp(txn_type, "31") == 0 || strcmp(txn_type, "33") == 0;
	*of_cancel = cancel;
	if (code[0] == 'R' && (cancel || strcmp(txn_type, "01") == 0 || strcmp(txn_type, "03") == 0))
		return ROW_REVERSAL;
	if (strcmp(code, "S30") == 0 || strcmp(txn_type, "04") == 0)
		return ROW_REFUND;
	if (cancel)
		return ROW_CANCEL;
	if (strcmp(txn_type, "01") == 0 || strcmp(txn_type, "03") == 0)
		return ROW_PAYMENT;
	return strcmp(code, "S30") == 0 ? ROW_REFUND : ROW_PAYMENT;
}

/* The name of the layout's field i, for a message. */
static const char *layout_field_name(const up_parser *p, size_t i, char *buf, size_t cap)
{
	for (int k = 0; k < F_COUNT; k++)
		if (p->lay->field[k] == (int)i)
			return field_names[k];
	snprintf(buf, cap, "field %zu (bytes %zu-%zu)", i + 1, p->off[i] + 1, p->off[i] + p->lay->widths[i]);
	return buf;
}

/* Every byte of a detail line, read or not, is text: no NUL, valid GBK. A
 * line that is not rejects the whole file, naming the field (FORMATS.md §3). */
static bool line_is_text(up_parser *p, const char *s, size_t n, long line)
{
	bool ascii = true;
	rcn_text_fault fault, line_fault = RCN_TEXT_OK;
	const char *nul = memchr(s, '\0', n);
	for (size_t i = 0; i < n && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	if (!nul && ascii && rcn_text_check(s, n, &line_fault) == n)
		return true; /* plain ASCII: no control character either */
	char name[64];
	char *tmp = rcn_xmalloc(UTF8_MAX_BYTES); /* a rare path: lines of these files are ASCII */
	rcn_err e;
	bool ok = false;
	for (size_t i = 0; i < p->lay->nwidths && p->off[i] < n; i++) {
		size_t w = p->lay->widths[i] < n - p->off[i] ? p->lay->widths[i] : n - p->off[i];
		const char *f = s + p->off[i];
		if (memchr(f, '\0', w)) {
			rcn_unionpay_fatal(p, RCN_EFORMAT, line, "%s: a NUL byte",
					   layout_field_name(p, i, name, sizeof(name)));
			goto cleanup;
		}
		if (rcn_charset_field(tmp, UTF8_MAX_BYTES, f, w, "GBK", &e) != RCN_OK) {
			rcn_unionpay_fatal(p, RCN_EFORMAT, line, "%s: invalid GBK byte sequence",
					   layout_field_name(p, i, name, sizeof(name)));
			goto cleanup;
		}
		if (rcn_text_check(tmp, strlen(tmp), &fault) < strlen(tmp)) {
			rcn_unionpay_fatal(p, RCN_EFORMAT, line, "%s: %s", layout_field_name(p, i, name, sizeof(name)),
					   rcn_text_fault_name(fault));
			goto cleanup;
		}
	}
	size_t end = p->off[p->lay->nwidths - 1] + p->lay->widths[p->lay->nwidths - 1];
	if (nul || (end < n && rcn_charset_field(tmp, UTF8_MAX_BYTES, s + end, n - end, "GBK", &e) != RCN_OK) ||
	    line_fault != RCN_TEXT_OK) {
		rcn_unionpay_fatal(p, RCN_EFORMAT, line, "%s between or after the fields",
				   nul			       ? "a NUL byte"
				   : line_fault != RCN_TEXT_OK ? rcn_text_fault_name(line_fault)
							       : "invalid GBK byte sequence");
		goto cleanup;
	}
	ok = true;
cleanup:
	free(tmp);
	return ok;
}

static void hold(up_parser *p, const rcn_record *rec, char text[F_COUNT][TEXT_MAX], bool reversal, bool of_cancel);

void rcn_unionpay_detail_line(up_parser *p, const char *s, size_t n, long line)
{
	const layout *lay = p->lay;
	char text[F_COUNT][TEXT_MAX];
	int64_t amount, fee = 0, settle = 0, net = 0;
	rcn_record rec;

	if (!line_is_text(p, s, n, line))
		return;
	p->res.rows++;
	if (p->total > LINE_MAX_BYTES) {
		rcn_unionpay_quarantine(p, line, "line is longer than %zu bytes: not a %s record", LINE_MAX_BYTES,
					lay->tag);
		return;
	}
	if (n < p->min_len) {
		rcn_unionpay_quarantine(p, line, "line is %zu bytes, a %s record needs at least %zu", n, lay->tag,
					p->min_len);
		return;
	}
	/* A missing separator means the widths do not fit this line: reading on would shift every field. */
	for (size_t i = 1; i <= p->last; i++)
		if (s[p->off[i] - 1] != ' ') {
			rcn_unionpay_quarantine(p, line, "no field separator at byte %zu: not the %s layout", p->off[i],
						lay->tag);
			return;
		}
	static const enum field texts[] = {F_CODE, F_QUERY_ID, F_ORDER_NO, F_MER_ID, F_ORIG_QUERY_ID, F_ORIG_ORDER_NO};
	text[F_TXN_TYPE][0] = '\0';
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (!text_field(p, line, s, texts[i], text[texts[i]]))
			return;
	if (!text[F_CODE][0]) {
		rcn_unionpay_quarantine(p, line, "%s is blank", field_names[F_CODE]);
		return;
	}
	if (!text[F_MER_ID][0]) {
		rcn_unionpay_quarantine(p, line, "%s is blank", field_names[F_MER_ID]);
		return;
	}
	memset(&rec, 0, sizeof(rec));
	if (!amount_field(p, line, s, &amount) || !signed_field(p, line, s, F_FEE, &fee) ||
	    !signed_field(p, line, s, F_SETTLE, &settle) ||
	    (lay->field[F_NET] >= 0 && !signed_field(p, line, s, F_NET, &net)) ||
	    !time_field(p, line, s, rec.trade_time, &rec.trade_date))
		return;

	if (lay->field[F_TXN_TYPE] >= 0 && !text_field(p, line, s, F_TXN_TYPE, text[F_TXN_TYPE]))
		return;
	bool of_cancel;
	enum up_kind_of_row kind = row_kind(text[F_CODE], text[F_TXN_TYPE], &of_cancel);
	/* what goes back to the payer (RD's 借): refunds, cancels, a payment's reversal */
	bool back = kind == ROW_REFUND || kind == ROW_CANCEL || (kind == ROW_REVERSAL && !of_cancel);
	rec.type = back ? RCN_REC_REFUND : RCN_REC_PAYMENT;
	rec.amount_fen = amount;
	/* settle_fen is what the fee is charged on (record.h): 交易金额. 结算金额 is
	 * already net of the fee, like 清算净额, which net_fen carries. */
	(void)settle;
	rec.settle_fen = amount;
	/* D: the merchant pays the fee (positive); C: a fee handed back, as on a refund. */
	rec.fee = -fee * RCN_FEE_UNITS_PER_FEN;
	rec.net_fen = net;
	rec.rate_ppm = -1;

	/* Sums are committed only when every one of them fits. */
	int64_t total_amount = rec.type == RCN_REC_REFUND ? p->res.refund_fen : p->res.amount_fen;
	int64_t total_fee = p->res.fee, total_net = p->res.net_fen;
	if (!checked_add(&total_amount, rec.amount_fen) || !checked_add(&total_fee, rec.fee) ||
	    !checked_add(&total_net, rec.net_fen)) {
		rcn_unionpay_quarantine(p, line, "amounts overflow the file's totals");
		return;
	}
	if ((kind == ROW_CANCEL || kind == ROW_REVERSAL) && p->n_held == HELD_MAX) {
		rcn_unionpay_quarantine(p, line, "more than %d cancels and reversals in one file", HELD_MAX);
		return;
	}
	p->res.fee = total_fee;
	p->res.net_fen = total_net;
	if (rec.type == RCN_REC_REFUND) {
		p->res.refunds++;
		p->res.refund_fen = total_amount;
	} else {
		p->res.payments++;
		p->res.amount_fen = total_amount;
	}

	rec.channel = p->spec->channel ? p->spec->channel : "unionpay";
	rec.merchant_id = text[F_MER_ID];
	rec.provider_id = text[F_MER_ID];
	/* ZM states no currency: ACP merchants settle in CNY (RD: 清算币种 人民币). */
	rec.currency = "CNY";
	rec.status = lay->status;
	rec.trade_type = text[F_CODE];
	rec.file = p->spec->file;
	rec.line = line;
	if (kind == ROW_CANCEL || kind == ROW_REVERSAL) {
		hold(p, &rec, text, kind == ROW_REVERSAL, of_cancel);
		return;
	}
	if (rec.type == RCN_REC_REFUND) {
		/* A refund is a transaction of its own: its 商户订单号 and 查询流水号 are the
		 * refund's, 原始订单号 and 原交易查询流水号 name the payment refunded. */
		rec.refund_no = text[F_ORDER_NO];
		rec.channel_refund_id = text[F_QUERY_ID];
		rec.order_no = text[F_ORIG_ORDER_NO];
		rec.channel_txn_id = text[F_ORIG_QUERY_ID];
	} else {
		rec.order_no = text[F_ORDER_NO];
		rec.channel_txn_id = text[F_QUERY_ID];
		rec.refund_no = "";
		rec.channel_refund_id = "";
	}
	if (p->spec->rec)
		p->spec->rec(p->spec->ctx, &rec);
}

/* ---- cancels (撤销) and reversals (冲正) ----
 *
 * A cancel undoes a payment of the same clearing day in full: the money is
 * not collected and the fee is handed back. A finance clerk reads it as the
 * payment's return, so it is reconciled as a refund of the original order
 * (its own 商户订单号 and 查询流水号 as the refund's numbers, 原始订单号 and
 * 原交易查询流水号 naming the payment), which is also how RD books it (借);
 * the payment row stays a payment, so both sides of the day show. A
 * reversal of a payment has the same effect and is read the same way. A
 * reversal of a cancel undoes the cancel: the payment stands, and the
 * cancel is reported with status REVERSED (no money moved), so a ledger that
 * recorded the refund is told the channel reversed it. Cancels and
 * reversals are rare, so they are held until the file's end, where each
 * reversal finds its cancel by 查询流水号 wherever it stood. */
static void hold(up_parser *p, const rcn_record *rec, char text[F_COUNT][TEXT_MAX], bool reversal, bool of_cancel)
{
	rcn_xreserve((void **)&p->held, &p->cap_held, p->n_held + 1, sizeof(*p->held));
	held_row *h = &p->held[p->n_held++];
	memset(h, 0, sizeof(*h));
	h->rec = *rec;
	h->reversal = reversal;
	h->of_cancel = of_cancel;
	memcpy(h->code, text[F_CODE], TEXT_MAX);
	memcpy(h->mer, text[F_MER_ID], TEXT_MAX);
	memcpy(h->own_no, text[F_ORDER_NO], TEXT_MAX);
	memcpy(h->own_id, text[F_QUERY_ID], TEXT_MAX);
	/* the payment undone: named by the 原… fields, or by the row's own when it carries the original's */
	memcpy(h->orig_no, text[F_ORIG_ORDER_NO][0] ? text[F_ORIG_ORDER_NO] : text[F_ORDER_NO], TEXT_MAX);
	memcpy(h->orig_id, text[F_ORIG_QUERY_ID][0] ? text[F_ORIG_QUERY_ID] : text[F_QUERY_ID], TEXT_MAX);
}

static int cmp_held(const void *a, const void *b)
{
	const held_row *x = a, *y = b;
	if (x->reversal != y->reversal)
		return x->reversal ? 1 : -1;
	int c = strcmp(x->own_id, y->own_id);
	return c ? c : (x->rec.line > y->rec.line) - (x->rec.line < y->rec.line);
}

void rcn_unionpay_release_held(up_parser *p)
{
	size_t cancels = 0;
	if (!p->n_held)
		return;
	qsort(p->held, p->n_held, sizeof(*p->held), cmp_held);
	while (cancels < p->n_held && !p->held[cancels].reversal)
		cancels++;
	for (size_t i = cancels; i < p->n_held; i++) {
		held_row *r = &p->held[i];
		if (!r->of_cancel)
			continue;
		/* the cancel it reverses: the first one of that 查询流水号 not reversed yet */
		size_t lo = 0, hi = cancels;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (strcmp(p->held[mid].own_id, r->orig_id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		while (lo < cancels && strcmp(p->held[lo].own_id, r->orig_id) == 0 && p->held[lo].reversed)
			lo++;
		if (lo < cancels && strcmp(p->held[lo].own_id, r->orig_id) == 0 && r->orig_id[0]) {
			p->held[lo].reversed = true;
			r->reversed = true;
		} else {
			rcn_unionpay_quarantine(p, r->rec.line,
						"冲正 of a 撤销 (原交易查询流水号 \"%s\") that is not in this file",
						r->orig_id);
		}
	}
	for (size_t i = 0; i < p->n_held && p->spec->rec; i++) {
		held_row *h = &p->held[i];
		if (h->reversal && h->of_cancel)
			continue; /* it undid its cancel, which says so */
		h->rec.merchant_id = h->rec.provider_id = h->mer;
		h->rec.trade_type = h->code;
		h->rec.refund_no = h->own_no;
		h->rec.channel_refund_id = h->own_id;
		h->rec.order_no = h->orig_no;
		h->rec.channel_txn_id = h->orig_id;
		h->rec.status = h->reversed ? "REVERSED" : h->rec.status;
		p->spec->rec(p->spec->ctx, &h->rec);
	}
}
