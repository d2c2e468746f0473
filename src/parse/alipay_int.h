/* The Alipay parsers' shared state (FORMATS.md §2), behind alipay.c and
 * alipay_file.c. Data moves one way:
 *
 *   raw bytes --(alipay_file.c: sniff the encoding, convert to UTF-8 a slice
 *   at a time)--> rcn_csvrows --(rcn_alipay_on_row, alipay.c)--> a '#' line
 *   (rcn_alipay_on_comment, alipay_file.c: account, period, footer totals) or
 *   a header / detail / 汇总 row (alipay.c) --> rcn_record to the sink,
 *   sums and problems into the rcn_verdict --> the verdict at finish.
 *
 * Internal to src/parse: nothing outside the Alipay parsers includes it. */
#ifndef RECON_PARSE_ALIPAY_INT_H
#define RECON_PARSE_ALIPAY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "parse/csvrows.h"
#include "parse/verdict.h"
#include "recon/charset.h"
#include "recon/parse.h"
#include "recon/text.h"

#define SNIFF_MAX    ((size_t)4096)  /* raw bytes looked at to choose the encoding */
#define SLICE_MAX    ((size_t)16384) /* raw bytes converted at once */
#define COMMENT_MAX  ((size_t)1024)  /* bytes of a '#' line kept for reading it */
#define ACCOUNT_MAX  ((size_t)64)    /* longest 账号 kept as merchant id */
#define FOOTER_PARTS 4

enum kind { K_TRADE, K_SUMMARY, K_ACCOUNT };

/* Every column any of the three files has that recon reads. Names are matched
 * with rcn_csvrows_name_eq, so 订单金额(元) also matches 订单金额（元）. */
enum col {
	/* 业务明细 */
	C_TRADE_NO,
	C_ORDER_NO,
	C_BIZ_TYPE,
	C_CREATED,
	C_FINISHED,
	C_ORDER_AMOUNT,
	C_RECEIVED,
	C_REFUND_NO,
	C_FEE,
	/* 业务明细(汇总) */
	C_STORE_ID,
	C_STORE_NAME,
	C_PAY_COUNT,
	C_REFUND_COUNT,
	C_NET,
	/* 账务明细 */
	C_FLOW_NO,
	C_BIZ_NO,
	C_TIME,
	C_IN,
	C_OUT,
	C_BALANCE,
	C_COUNT
};

/* Columns of the 汇总 that its 合计 row totals: counts, then amounts in fen
 * (服务费 at scale 5, as the detail's fee). */
enum sum { S_PAY_COUNT, S_REFUND_COUNT, S_ORDER_AMOUNT, S_RECEIVED, S_FEE, S_NET, S_COUNT };

/* Footer lines: trade 交易合计 / 退款合计, account 收入合计 / 支出合计. */
enum footer { F_PAY, F_REFUND, F_IN, F_OUT, F_COUNT };

enum stage { ST_PREAMBLE, ST_DETAIL, ST_FOOTER };

typedef struct {
	enum kind kind;
	const char *file;
	const char *channel;
	rcn_date business_date; /* 0: unknown, the header's dates are not checked */
	rcn_record_sink rec_sink;
	void *ctx;

	/* bytes */
	rcn_buf sniff; /* raw bytes held until the encoding is chosen */
	bool sniffed;
	rcn_charset *cs;
	rcn_buf conv; /* UTF-8 of one slice */
	long raw_line;
	rcn_csvrows *rows;

	/* file */
	enum stage stage;
	char account[ACCOUNT_MAX + 1];
	int col[C_COUNT]; /* header index of each column, -1 when absent */
	size_t ncols;
	int64_t pay_received, refund_received; /* Σ商家实收 of payments, Σ|商家实收| of refunds */
	long in_count, out_count;
	bool footer_seen[F_COUNT];
	int64_t sums[S_COUNT]; /* 汇总: what the store rows add up to */
	bool total_row_seen;

	rcn_stmt_result res;
	rcn_verdict v; /* bad rows, summary problems, a trailing row: why the file is rejected */
	bool finished;
} alipay;

static inline bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Field i, trimmed (rcn_alipay_on_row trims the row first): ID fields end
 * with a TAB that keeps Excel from rounding them (§2). */
static inline const char *value(const alipay *p, size_t i, size_t *n)
{
	return rcn_csvrows_field(p->rows, i, n);
}

static inline int64_t magnitude(int64_t v)
{
	return v < 0 && v != INT64_MIN ? -v : v;
}

/* The file is unusable from this line on (the reader keeps the first error). */
void rcn_alipay_fail(alipay *p, rcn_rc code, long line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* alipay.c: one row of the converted text, the csvrows callback. */
void rcn_alipay_on_row(void *ctx, rcn_csvrows *rows);

/* alipay_file.c: a '#' line (the preamble's account and period, the footer). */
void rcn_alipay_on_comment(alipay *p);

#endif
