/* The UnionPay parsers' shared state (FORMATS.md §3), behind unionpay.c,
 * unionpay_fixed.c and unionpay_rd.c. Data moves one way:
 *
 *   raw bytes --(unionpay.c: cut into lines of at most LINE_MAX_BYTES)--> a line
 *     ZM, ZME --(unionpay_fixed.c: sliced by the layout's byte widths, each
 *                field converted from GBK)--> rcn_record to the sink, or a
 *                cancel / reversal held until the end (rcn_unionpay_release_held)
 *     RD      --(unionpay_rd.c: converted, cut into tokens)--> the tables' sums
 *                and the 总计 line --> res.stated at finish (unionpay.c)
 *
 * Internal to src/parse: nothing outside the UnionPay parsers includes it. */
#ifndef RECON_PARSE_UNIONPAY_INT_H
#define RECON_PARSE_UNIONPAY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recon/date.h"
#include "recon/parse.h"
#include "recon/text.h"

/* ZM lines are 607 bytes (newer layouts a little longer), ZME 339, RD lines
 * about 140: anything longer is not a line of these files. */
#define LINE_MAX_BYTES ((size_t)4096)
/* UTF-8 of a converted line: a GBK character (2 bytes) becomes 3, a GB18030
 * four-byte one stays 4, so twice the bytes always fits. */
#define UTF8_MAX_BYTES (2 * LINE_MAX_BYTES + 1)
#define QUOTE_MAX      48 /* bytes of a bad field quoted back in a reason */
#define MAX_FIELDS     64
#define TEXT_MAX       (2 * 32 + 1) /* UTF-8 of the widest text field read (32 bytes) */
#define RD_MAX_TOKENS  32

/* Fields recon reads from a fixed-width line. */
enum field {
	F_CODE,		 /* 交易代码 */
	F_TIME,		 /* 交易传输时间 MMDDhhmmss */
	F_AMOUNT,	 /* 交易金额, 12 digits of fen */
	F_QUERY_ID,	 /* 查询流水号 */
	F_ORDER_NO,	 /* 商户订单号 */
	F_FEE,		 /* 商户手续费, C/D + 12 digits */
	F_SETTLE,	 /* 结算金额, C/D + 12 digits */
	F_MER_ID,	 /* 商户代码 */
	F_NET,		 /* 清算净额, C/D + 12 digits */
	F_ORIG_QUERY_ID, /* 原交易查询流水号 */
	F_ORIG_ORDER_NO, /* 原始订单号 */
	F_TXN_TYPE,	 /* 交易类型 (ACP txnType) */
	F_COUNT
};

typedef struct {
	const char *format; /* result format name */
	const char *tag;    /* "ZM" in messages */
	const char *status; /* status of every record */
	size_t nwidths;
	const unsigned char *widths; /* GBK bytes of each field, one space between fields */
	int field[F_COUNT];	     /* index of each field recon reads, -1 when the layout has none */
} layout;

/* The numbers of an RD table row: 交易笔数, then 交易金额, 费用 and 资金清算差额,
 * each as 借 and 贷. */
enum rd_col { RD_COUNT, RD_AMOUNT_DR, RD_AMOUNT_CR, RD_FEE_DR, RD_FEE_CR, RD_NET_DR, RD_NET_CR, RD_NCOLS };

enum up_kind { UP_ZM, UP_ZME, UP_RD };

/* A cancel or reversal held until the file's end (release_held). */
typedef struct {
	rcn_record rec; /* its strings are the arrays below once released */
	char code[TEXT_MAX], mer[TEXT_MAX], own_no[TEXT_MAX], own_id[TEXT_MAX], orig_no[TEXT_MAX], orig_id[TEXT_MAX];
	bool reversal, of_cancel, reversed;
} held_row;

#define HELD_MAX 100000 /* cancels and reversals one file may hold */

typedef struct {
	const rcn_parser_spec *spec;
	enum up_kind kind;
	const layout *lay;
	size_t off[MAX_FIELDS]; /* byte offset of each field in the line */
	size_t last;		/* highest field index read */
	size_t min_len;		/* bytes a line needs to hold every field read */

	/* the line being collected */
	char *line;
	size_t len;   /* bytes kept (at most LINE_MAX_BYTES) */
	size_t total; /* bytes of the line, counting past the cap */
	long lineno;
	bool seen_content;

	rcn_stmt_result res;
	bool fatal;
	rcn_err fatal_err;
	bool finished;

	/* RD */
	char *utf8;
	int tables;	       /* tables begun (a line whose second cell is 交易笔数) */
	bool in_table;	       /* between a table's header and its 总计 */
	char table_name[64];   /* first cell of the table's header, for messages */
	int64_t sum[RD_NCOLS]; /* the current table's rows added up */
	bool have_total;
	int64_t total_row[RD_NCOLS]; /* the first table's 总计 */

	/* ZM, ZME: cancels and reversals */
	held_row *held;
	size_t n_held, cap_held;
} up_parser;

/* The file is unusable from this line on (the first error wins). */
void rcn_unionpay_fatal(up_parser *p, rcn_rc code, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The line cannot be used: counted in res.bad_rows and quarantined with the reason. */
void rcn_unionpay_quarantine(up_parser *p, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* s[0..n) for a message (rcn_quote: escaped, valid UTF-8 whatever the bytes were). */
static inline const char *quote(char *buf, size_t cap, const char *s, size_t n)
{
	return rcn_quote(buf, cap, s, n, QUOTE_MAX);
}

/* y-m-d is a day of the calendar (not 2 March written as 30 February). */
static inline bool real_day(int y, int m, int d, rcn_date *out)
{
	int y2, m2, d2;
	*out = rcn_date_from_ymd(y, m, d);
	rcn_date_to_ymd(*out, &y2, &m2, &d2);
	return y2 == y && m2 == m && d2 == d;
}

/* unionpay_fixed.c: the ZM or ZME layout, its field offsets and the format name into p. */
void rcn_unionpay_fixed_init(up_parser *p);

/* unionpay_fixed.c: a ZM or ZME line s[0..n) (its '\n' and '\r' removed). */
void rcn_unionpay_detail_line(up_parser *p, const char *s, size_t n, long line);

/* unionpay_fixed.c: the held cancels and reversals, paired and emitted at the end. */
void rcn_unionpay_release_held(up_parser *p);

/* unionpay_rd.c: a line s[0..n) of the RD summary. */
void rcn_unionpay_rd_line(up_parser *p, const char *raw, size_t n, long line);

#endif
