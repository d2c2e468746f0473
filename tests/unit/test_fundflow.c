/* WeChat fund-flow bill parser (FORMATS.md §1, fund-flow bill): the real
 * sample (plain and gzip) with its exact rejection, the fixtures with (元)
 * and （元） headers, edge cases; every input also fed one byte at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "recon/parse.h"
#include "parser_harness.h"

typedef ph_rec rec_copy;
typedef ph_collect collect;

/* Parses whole, then 1 and 5 bytes at a time: identical results. */
static rcn_rc parse_all_ways(const char *data, size_t n, rcn_stmt_result *res, collect *col)
{
	static const size_t steps[] = {1, 5};
	rcn_parser_spec spec = {
		.kind = RCN_FMT_WECHAT_FUNDFLOW, .file = "mem.csv", .channel = "wechat", .rec = ph_on_movement_record};
	rcn_rc rc = ph_parse_all_ways(col, &spec, data, n, steps, sizeof(steps) / sizeof(steps[0]));
	*res = col->res;
	return rc;
}

static char *slurp(const char *path, size_t *n)
{
	gzFile f = gzopen(path, "rb"); /* reads plain files as they are */
	assert_non_null(f);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	int got;
	while ((got = gzread(f, buf + len, (unsigned)(cap - len - 1))) > 0) {
		len += (size_t)got;
		assert_true(len < cap - 1);
	}
	assert_int_equal(got, 0);
	gzclose(f);
	buf[len] = '\0';
	*n = len;
	return buf;
}

static rcn_rc parse_path(const char *path, rcn_stmt_result *res, collect *col)
{
	size_t n;
	char *data = slurp(path, &n);
	rcn_rc rc = parse_all_ways(data, n, res, col);
	free(data);
	return rc;
}

static rcn_rc parse_text(const char *text, rcn_stmt_result *res, collect *col)
{
	return parse_all_ways(text, strlen(text), res, col);
}

static void assert_rejected(const rcn_stmt_result *res, rcn_rc code, long line, const char *msg)
{
	ph_assert_rejected(res, code, "mem.csv", line, msg);
}

static void check_gunsluo(const char *path)
{
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	/* The summary says 3 rows, 1 of them income; the file has 2 expense rows (samples/wechat/SOURCE.txt). */
	assert_int_equal(parse_path(path, &res, c), RCN_ETOTALS);
	assert_rejected(&res, RCN_ETOTALS, 5, "control totals do not match: 资金流水总笔数 says 3, rows have 2");
	assert_string_equal(res.format, "wechat-fundflow");
	assert_true(res.has_summary);
	assert_int_equal(res.rows, 2);
	assert_int_equal(res.bad_rows, 0);
	assert_int_equal(res.movements, 2);
	assert_int_equal(res.movement_in_fen, 0);
	assert_int_equal(res.movement_out_fen, 2);
	assert_int_equal(res.payments + res.refunds, 0);
	assert_int_equal(c->nquar, 0);
	assert_int_equal(c->nrec, 2);
	const rec_copy *r = &c->rec[0];
	assert_int_equal(r->type, RCN_REC_MOVEMENT);
	assert_string_equal(r->channel, "wechat");
	assert_string_equal(r->merchant_id, "");
	assert_string_equal(r->trade_time, "2021-02-01 13:54:01");
	assert_int_equal(r->trade_date, rcn_date_from_ymd(2021, 2, 1));
	assert_string_equal(r->reference, "50300806962021020105978994968");
	assert_string_equal(r->txn_id, "4200000920202101197964319284");
	assert_string_equal(r->order_no, "S20210201135356381941");
	assert_string_equal(r->refund_no, "");
	assert_string_equal(r->movement_type, "退款");
	assert_int_equal(r->amount_fen, -1);
	assert_int_equal(r->settle_fen, -1);
	assert_int_equal(r->balance_fen, 22);
	assert_int_equal(r->fee, 0);
	assert_int_equal(r->rate_ppm, -1);
	assert_string_equal(r->currency, "CNY");
	assert_string_equal(r->file, "mem.csv");
	assert_int_equal(r->line, 2);
	assert_int_equal(c->rec[1].balance_fen, 21);
	assert_string_equal(c->rec[1].trade_time, "2021-02-01 14:00:45");
	assert_int_equal(c->rec[1].line, 3);
	free(c);
}

static void test_gunsluo_sample_rejected(void **state)
{
	(void)state;
	check_gunsluo(SAMPLES_DIR "/wechat/gunsluo_v3_fundflowbill_BASIC.csv");
	check_gunsluo(SAMPLES_DIR "/wechat/gunsluo_v3_fundflowbill_BASIC.csv.gz");
}

static void check_fixture(const char *path)
{
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_path(path, &res, c), RCN_OK);
	ph_assert_accepted(&res, "wechat-fundflow");
	assert_int_equal(res.rows, 3);
	assert_int_equal(res.movements, 3);
	assert_int_equal(res.movement_in_fen, 12800);
	assert_int_equal(res.movement_out_fen, 2877);
	assert_int_equal(c->nrec, 3);
	assert_int_equal(c->rec[0].amount_fen, 12800);
	assert_int_equal(c->rec[0].balance_fen, 112800);
	assert_string_equal(c->rec[0].movement_type, "交易");
	assert_string_equal(c->rec[0].order_no, "ORD20260302001");
	assert_int_equal(c->rec[1].amount_fen, -77);
	assert_string_equal(c->rec[1].movement_type, "扣除交易手续费");
	const rec_copy *r = &c->rec[2];
	assert_int_equal(r->amount_fen, -2800);
	assert_int_equal(r->balance_fen, 109923);
	assert_string_equal(r->reference, "50300806962026030205978994968");
	assert_string_equal(r->txn_id, "4200000920202603029876543210");
	assert_string_equal(r->order_no, "RF20260302001");
	assert_string_equal(r->trade_time, "2026-03-02 15:00:38");
	assert_int_equal(r->line, 4);
	free(c);
}

static void test_fixtures_both_header_widths(void **state)
{
	(void)state;
	check_fixture(FIXTURES_DIR "/wechat/fundflow_basic.csv");	   /* (元), LF */
	check_fixture(FIXTURES_DIR "/wechat/fundflow_fullwidth_crlf.csv"); /* （元）, BOM, CRLF */
}

static void test_trade_bill_refused(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_path(SAMPLES_DIR "/wechat/gunsluo_v3_tradebill_ALL.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 1, "not a fund-flow bill (WeChat trade bill)");
	assert_string_equal(res.format, "wechat-trade");
	assert_int_equal(c->nrec, 0);
	free(c);
}

#define HEAD                                                                                                                                   \
	"记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元)," \
	"资金变更提交申请人,备注,业务凭证号\n"
#define ROW_IN	 "`2026-03-02 10:00:05,`42001,`42002,`交易,`交易,`收入,`1.00,`11.00,`system,`,`O1\n"
#define SUM_HEAD "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\n"

static void test_edge_cases(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));

	assert_int_equal(parse_text(HEAD ROW_IN SUM_HEAD "`1,`1,`1.01,`0,`0.00\n", &res, c), RCN_ETOTALS);
	assert_rejected(&res, RCN_ETOTALS, 4, "control totals do not match: 收入金额 says 1.01, rows have 1.00");

	assert_int_equal(
		parse_text(HEAD ROW_IN
			   "`2026-03-02 10:00:06,`42003,`42004,`交易,`交易,`冻结,`1.00,`10.00,`system,`,`O2\n"
			   "`2026-03-02 10:00:07,`42005,`42006,`交易,`交易,`支出,`-1.00,`9.00,`system,`,`O3\n"
			   "`2026-03-02 10:00:08,`42007,`42008,`交易,`交易,`支出,`1.0x,`8.00,`system,`,`O4\n" SUM_HEAD
			   "`4,`1,`1.00,`0,`0.00\n",
			   &res, c),
		RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "3 rows could not be parsed");
	assert_int_equal(res.rows, 4);
	assert_int_equal(res.bad_rows, 3);
	assert_int_equal(c->nquar, 3);
	assert_int_equal(c->quar_line[0], 3);
	assert_string_equal(c->quar_reason[0], "收支类型: unknown \"冻结\"");
	assert_string_equal(c->quar_reason[1], "收支金额(元) is negative: -1.00");
	assert_string_equal(c->quar_reason[2], "收支金额(元): invalid amount \"1.0x\": unexpected 'x'");
	assert_int_equal(c->quar_line[2], 5);

	assert_int_equal(parse_text(HEAD ROW_IN, &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "missing summary row (truncated file?)");

	assert_int_equal(parse_text(HEAD ROW_IN "资金流水总笔数,收入笔数,收入金额\n`1,`1,`1.00\n", &res, c),
			 RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 4, "fund-flow summary lacks 支出笔数");

	assert_int_equal(parse_text(HEAD ROW_IN SUM_HEAD "`1,`1,`1.00,`0,`0.00\n" ROW_IN, &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 5, "unexpected row after the summary");

	assert_int_equal(parse_text("记账时间,微信支付业务单号\n", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 1, "fund-flow bill header lacks 资金流水单号");

	assert_int_equal(parse_text("", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "empty file: no header");

	assert_int_equal(parse_text("<xml><return_code>FAIL</return_code></xml>", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 1, "an HTML or XML page, not a bill");
	free(c);
}

RCN_TEST_MAIN(RCN_UNIT_TESTS(test_gunsluo_sample_rejected, test_fixtures_both_header_widths, test_trade_bill_refused,
			     test_edge_cases))
