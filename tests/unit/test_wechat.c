/* WeChat trade bill parser: every sample in samples/wechat with its exact
 * verdict, record values, and generated edge cases (FORMATS.md §1). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/money.h"
#include "recon/parse.h"
#include "parser_harness.h"

#define WECHAT_DIR SAMPLES_DIR "/wechat"

typedef ph_rec rec_copy;
typedef ph_collect collect;

/* A WeChat trade bill parser's spec, labelled "mem.csv". */
static rcn_parser_spec trade_spec(void)
{
	return (rcn_parser_spec){
		.kind = RCN_FMT_WECHAT_TRADE, .file = "mem.csv", .channel = "wechat", .rec = ph_on_record};
}

/* A WeChat trade bill parser labelled "mem.csv", through the ops table. */
static rcn_parser *new_trade_parser(collect *col)
{
	rcn_parser_spec spec = trade_spec();
	memset(col, 0, sizeof(*col));
	col->label = spec.file;
	spec.quar = ph_on_quarantine;
	spec.ctx = col;
	return rcn_parser_new(&spec);
}

/* A trade bill file of `channel` through rcn_stmt_parse, as a source reads it. */
static rcn_rc parse_file(const char *path, const char *label, const char *channel, rcn_record_sink rec,
			 rcn_quarantine_sink quar, void *ctx, rcn_stmt_result *out, char sha256_hex[65])
{
	rcn_stmt_kind kind = {channel, "trade", NULL, 0, false};
	return rcn_stmt_parse(path, label, &kind, rec, quar, ctx, out, sha256_hex);
}

/* Feeds data in chunks of `step` bytes (0: all at once); returns finish's code. */
static rcn_rc parse_mem(const char *data, size_t n, size_t step, rcn_stmt_result *res, collect *col)
{
	rcn_parser_spec spec = trade_spec();
	rcn_rc rc = ph_parse_into(col, &spec, data, n, step);
	*res = col->res;
	return rc;
}

/* Parses data whole, then fed steps[i] bytes at a time: all must agree; returns the first's code. */
static rcn_rc parse_all_ways(const char *data, size_t n, const size_t *steps, size_t nsteps, rcn_stmt_result *res,
			     collect *col)
{
	rcn_parser_spec spec = trade_spec();
	rcn_rc rc = ph_parse_all_ways(col, &spec, data, n, steps, nsteps);
	*res = col->res;
	return rc;
}

static rcn_rc parse_str(const char *s, rcn_stmt_result *res, collect *col)
{
	return parse_mem(s, strlen(s), 0, res, col);
}

/* ---- every sample file, with its exact verdict ---- */

typedef struct {
	const char *file;
	const char *format;
	long rows, payments, refunds, bad_rows;
	int64_t amount_fen, refund_fen, fee;
	bool has_summary, totals_ok, rejected;
	rcn_rc code;
	long line;
	const char *msg;
} sample_expect;

static const sample_expect samples[] = {
	{"gunsluo_v3_tradebill_ALL.csv", "wechat-all", 3, 3, 0, 0, 3, 0, 0, true, true, false, RCN_OK, 0, ""},
	{"gunsluo_v3_tradebill_ALL.csv.gz", "wechat-all", 3, 3, 0, 0, 3, 0, 0, true, true, false, RCN_OK, 0, ""},
	{"gunsluo_v3_fundflowbill_BASIC.csv", "wechat-fundflow", 0, 0, 0, 0, 0, 0, 0, false, false, true, RCN_EFORMAT,
	 1, "not a trade bill (WeChat fund-flow bill)"},
	{"gunsluo_v3_fundflowbill_BASIC.csv.gz", "wechat-fundflow", 0, 0, 0, 0, 0, 0, 0, false, false, true,
	 RCN_EFORMAT, 1, "not a trade bill (WeChat fund-flow bill)"},
	{"wxjava_v2_ALL.csv", "wechat-all", 1, 1, 0, 0, 600, 0, 4000, true, false, true, RCN_ETOTALS, 4,
	 "control totals do not match: 总交易单数 says 48, rows have 1"},
	{"wxjava_v2_SUCCESS.csv", "wechat-success", 1, 1, 0, 0, 1, 0, 0, true, false, true, RCN_ETOTALS, 4,
	 "control totals do not match: 总交易单数 says 31, rows have 1"},
	{"wxjava_v2_REFUND.csv", "wechat-refund", 1, 0, 1, 0, 0, 1, 0, true, false, true, RCN_ETOTALS, 4,
	 "control totals do not match: 总交易单数 says 4, rows have 1"},
	{"wxjava_v2_ALL_legacy_pre2018.csv", "wechat-legacy", 2, 2, 0, 0, 2, 0, 0, true, true, false, RCN_OK, 0, ""},
	{"xjryanse_v2_ALL_excerpt.csv", "wechat-all", 2, 1, 1, 0, 6000, 5000, 5000, true, false, true, RCN_ETOTALS, 5,
	 "control totals do not match: 总交易单数 says 29, rows have 2"},
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static const sample_expect *find_sample(const char *name)
{
	for (size_t i = 0; i < NSAMPLES; i++)
		if (strcmp(samples[i].file, name) == 0)
			return &samples[i];
	return NULL;
}

static void check_sample(const sample_expect *x)
{
	char path[1024];
	char sha[65];
	collect col;
	rcn_stmt_result res;
	snprintf(path, sizeof(path), "%s/%s", WECHAT_DIR, x->file);
	memset(&col, 0, sizeof(col));
	rcn_rc rc = parse_file(path, x->file, "wechat", ph_on_record, ph_on_quarantine, &col, &res, sha);
	assert_int_equal(rc, x->code);
	assert_string_equal(res.format, x->format);
	ph_assert_sums(&res, x->rows, x->payments, x->refunds, x->amount_fen, x->refund_fen, x->fee);
	assert_int_equal(res.bad_rows, x->bad_rows);
	assert_int_equal(res.has_summary, x->has_summary);
	assert_int_equal(res.totals_ok, x->totals_ok);
	assert_int_equal(res.rejected, x->rejected);
	assert_int_equal(res.reason.code, x->code);
	assert_int_equal(res.reason.line, x->line);
	assert_string_equal(res.reason.msg, x->msg);
	if (x->rejected)
		assert_string_equal(res.reason.file, x->file);
	assert_int_equal(col.nrec, x->payments + x->refunds);
	assert_int_equal(col.nquar, 0);
	assert_int_equal(strlen(sha), 64);

	/* The same bytes fed one at a time give the same result and records. */
	if (strstr(x->file, ".gz") == NULL) {
		size_t n;
		char *data = ph_slurp(path, &n);
		static const size_t bytewise[] = {1};
		rcn_stmt_result whole;
		collect *cw = malloc(sizeof(*cw));
		assert_non_null(cw);
		assert_int_equal(parse_all_ways(data, n, bytewise, 1, &whole, cw), x->code);
		free(cw);
		assert_int_equal(whole.rows, x->rows);
		assert_string_equal(whole.reason.msg, x->msg);
		free(data);
	}
}

static void test_every_sample(void **state)
{
	(void)state;
	DIR *d = opendir(WECHAT_DIR);
	assert_non_null(d);
	struct dirent *e;
	int seen = 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		bool csv = len > 4 && strcmp(e->d_name + len - 4, ".csv") == 0;
		bool gz = len > 7 && strcmp(e->d_name + len - 7, ".csv.gz") == 0;
		if (!csv && !gz)
			continue;
		const sample_expect *x = find_sample(e->d_name);
		if (!x)
			fail_msg("sample %s has no expected verdict in this test", e->d_name);
		check_sample(x);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, (int)NSAMPLES);
}

static void test_sample_gunsluo_records(void **state)
{
	(void)state;
	collect col;
	rcn_stmt_result res;
	char sha[65];
	memset(&col, 0, sizeof(col));
	assert_int_equal(parse_file(WECHAT_DIR "/gunsluo_v3_tradebill_ALL.csv.gz", "g.csv.gz", "wechat", ph_on_record,
				    ph_on_quarantine, &col, &res, sha),
			 RCN_OK);
	assert_string_equal(sha, "3acbd916ad4c8f8421ab1c9be423bf4b094f10a00dcc9f08ade348a5047739fd");
	assert_int_equal(col.nrec, 3);
	const rec_copy *r = &col.rec[0];
	assert_string_equal(r->channel, "wechat");
	assert_int_equal(r->type, RCN_REC_PAYMENT);
	assert_string_equal(r->order_no, "S20210128170702357723");
	assert_string_equal(r->txn_id, "4200000925202101284997714292");
	assert_string_equal(r->trade_time, "2021-01-28 17:07:11");
	assert_int_equal(r->trade_date, rcn_date_from_ymd(2021, 1, 28));
	assert_int_equal(r->amount_fen, 1);
	assert_int_equal(r->settle_fen, 1);
	assert_int_equal(r->fee, 0);
	assert_int_equal(r->rate_ppm, 10000);
	assert_string_equal(r->merchant_id, "1601959334");
	assert_string_equal(r->provider_id, "1601959334");
	assert_string_equal(r->refund_no, "");
	assert_string_equal(r->refund_id, "");
	assert_string_equal(r->currency, "CNY");
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->trade_type, "NATIVE");
	assert_string_equal(r->file, "g.csv.gz");
	assert_int_equal(r->line, 2);
	assert_int_equal(col.rec[2].line, 4);
	assert_string_equal(col.rec[2].order_no, "S20210128165824499930");
}

static void test_sample_xjryanse_refund(void **state)
{
	(void)state;
	collect col;
	rcn_stmt_result res;
	memset(&col, 0, sizeof(col));
	parse_file(WECHAT_DIR "/xjryanse_v2_ALL_excerpt.csv", NULL, "wechat", ph_on_record, ph_on_quarantine, &col,
		   &res, NULL);
	assert_string_equal(res.reason.file, WECHAT_DIR "/xjryanse_v2_ALL_excerpt.csv");
	assert_int_equal(col.nrec, 2);
	const rec_copy *r = &col.rec[0];
	assert_int_equal(r->type, RCN_REC_REFUND);
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->order_no, "5617363390111199232");
	assert_string_equal(r->txn_id, "4200002166202406250324636876");
	assert_string_equal(r->refund_no, "5622435300878286848");
	assert_string_equal(r->refund_id, "50302709992024070991956632208");
	assert_int_equal(r->amount_fen, 5000);
	assert_int_equal(r->settle_fen, 5000);
	assert_int_equal(r->fee, -27000);
	assert_int_equal(r->rate_ppm, 5400);
	assert_string_equal(r->trade_time, "2024-07-09 16:47:58");
	assert_string_equal(r->merchant_id, "1579507281");
	assert_int_equal(r->line, 2);
	r = &col.rec[1];
	assert_int_equal(r->type, RCN_REC_PAYMENT);
	assert_string_equal(r->status, "SUCCESS");
	assert_int_equal(r->amount_fen, 6000);
	assert_int_equal(r->settle_fen, 6000);
	assert_int_equal(r->fee, 32000);
	assert_int_equal(r->line, 3);
}

static void test_sample_legacy_and_refund_bill(void **state)
{
	(void)state;
	collect col;
	rcn_stmt_result res;
	memset(&col, 0, sizeof(col));
	parse_file(WECHAT_DIR "/wxjava_v2_ALL_legacy_pre2018.csv", "l.csv", "wechat", ph_on_record, ph_on_quarantine,
		   &col, &res, NULL);
	assert_int_equal(col.nrec, 2);
	/* Full-width colons in the 2014 doc sample are normalized. */
	assert_string_equal(col.rec[0].trade_time, "2014-11-10 16:33:45");
	assert_string_equal(col.rec[1].trade_time, "2014-11-10 16:46:14");
	assert_string_equal(col.rec[0].merchant_id, "10000100"); /* 子商户号 `0 */
	assert_string_equal(col.rec[0].order_no, "1415640626");
	assert_int_equal(col.rec[0].amount_fen, 1);
	assert_int_equal(col.rec[0].settle_fen, 1);
	assert_int_equal(col.rec[0].rate_ppm, 6000);
	assert_string_equal(col.rec[0].trade_type, "MICROPAY");

	memset(&col, 0, sizeof(col));
	parse_file(WECHAT_DIR "/wxjava_v2_REFUND.csv", "r.csv", "wechat", ph_on_record, ph_on_quarantine, &col, &res,
		   NULL);
	assert_int_equal(col.nrec, 1);
	assert_int_equal(col.rec[0].type, RCN_REC_REFUND);
	assert_int_equal(col.rec[0].amount_fen, 1); /* 申请退款金额 */
	assert_int_equal(col.rec[0].settle_fen, 1); /* 退款金额 */
	assert_string_equal(col.rec[0].refund_id, "xxxx");
	assert_string_equal(col.rec[0].refund_no, "xxx");
	assert_string_equal(col.rec[0].status, "SUCCESS");
	assert_string_equal(col.rec[0].merchant_id, "xxx");
}

static void test_stmt_errors(void **state)
{
	(void)state;
	rcn_stmt_result res;
	char sha[65];
	assert_int_equal(parse_file(WECHAT_DIR "/wxjava_v2_ALL.csv", "a.csv", "paypal", NULL, NULL, NULL, &res, sha),
			 RCN_EUSAGE);
	assert_true(res.rejected);
	assert_string_equal(res.reason.msg, "unsupported channel: paypal");
	assert_string_equal(sha, "");

	assert_int_equal(parse_file("/nonexistent/bill.csv", "bill.csv", "wechat", NULL, NULL, NULL, &res, sha),
			 RCN_EIO);
	assert_true(res.rejected);
	assert_false(res.totals_ok);
	assert_string_equal(res.reason.file, "bill.csv"); /* errors use the label */
	assert_string_equal(res.reason.msg, "cannot open: No such file or directory");

	/* The digest covers the whole raw file even when the parser gave up at line 1. */
	assert_int_equal(parse_file(WECHAT_DIR "/gunsluo_v3_fundflowbill_BASIC.csv", "f.csv", "wechat", NULL, NULL,
				    NULL, &res, sha),
			 RCN_EFORMAT);
	assert_string_equal(sha, "830da9e62e63a7ff058f77e8184f644db1a3b372da914d93c494285a72215c43");
}

/* ---- generated inputs ---- */

#define HDR_ALL                                                                                                                                                \
	"交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行," \
	"货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"  \
	"商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
#define ROW_HEAD   "`2021-03-01 09:00:01,`wx1,`1601959334,`0,`,`4200000001,`S001,`openid,`NATIVE,`SUCCESS,`OTHERS,`CNY,"
#define ROW_AMOUNT "`12.30"
#define ROW_TAIL   ",`0.00,`0,`0,`0.00,`0.00,`,`,`goods,`attach,`0.07000,`0.60%,`12.30,`0.00,`"
#define ROW1	   ROW_HEAD ROW_AMOUNT ROW_TAIL
#define SUM_HDR	   "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
#define SUM1	   "`1,`12.30,`0.00,`0.00,`0.07000,`12.30,`0.00"
#define BILL1	   HDR_ALL "\n" ROW1 "\n" SUM_HDR "\n" SUM1 "\n"

/* Parses s whole, then 1 and 5 bytes at a time, asserts all agree, returns the first. */
static rcn_rc parse_both(const char *s, size_t n, rcn_stmt_result *res, collect *col)
{
	static const size_t steps[] = {1, 5};
	return parse_all_ways(s, n, steps, sizeof(steps) / sizeof(steps[0]), res, col);
}

/* s, parsed all ways, is rejected with code for msg at mem.csv:line. */
static void assert_bill_rejected(const char *s, rcn_rc code, long line, const char *msg, rcn_stmt_result *res,
				 collect *col)
{
	assert_int_equal(parse_both(s, strlen(s), res, col), code);
	ph_assert_rejected(res, code, "mem.csv", line, msg);
}

static void assert_ok_bill1(const rcn_stmt_result *res, const collect *col)
{
	ph_assert_accepted(res, "wechat-all");
	ph_assert_sums(res, 1, 1, 0, 1230, 0, 7000);
	assert_int_equal(col->nrec, 1);
	assert_int_equal(col->nquar, 0);
	assert_int_equal(col->rec[0].line, 2);
	assert_int_equal(col->rec[0].rate_ppm, 6000);
	assert_int_equal(col->rec[0].fee, 7000);
	assert_string_equal(col->rec[0].trade_time, "2021-03-01 09:00:01");
}

static void test_lf_ok(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both(BILL1, strlen(BILL1), &res, &col), RCN_OK);
	assert_ok_bill1(&res, &col);
	assert_int_equal(res.reason.code, RCN_OK);
	assert_string_equal(res.reason.msg, "");
}

/* s, parsed all ways, is BILL1 however its lines are written. */
static void assert_reads_as_bill1(const char *s)
{
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both(s, strlen(s), &res, &col), RCN_OK);
	assert_ok_bill1(&res, &col);
}

static void test_crlf(void **state)
{
	(void)state;
	assert_reads_as_bill1(HDR_ALL "\r\n" ROW1 "\r\n" SUM_HDR "\r\n" SUM1 "\r\n");
}

static void test_bom_and_no_trailing_newline(void **state)
{
	(void)state;
	assert_reads_as_bill1("\xEF\xBB\xBF" HDR_ALL "\n" ROW1 "\n" SUM_HDR "\n" SUM1);
}

static void test_blank_lines_skipped(void **state)
{
	(void)state;
	static const char s[] = "\n" HDR_ALL "\n\n" ROW1 "\r\n\r\n" SUM_HDR "\n" SUM1 "\n\n\n";
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both(s, strlen(s), &res, &col), RCN_OK);
	assert_int_equal(col.nrec, 1);
	assert_int_equal(col.rec[0].line, 4);
	assert_true(res.totals_ok);
}

static void test_quoted_attach(void **state)
{
	(void)state;
	/* 商户数据包 with commas and a newline inside quotes: still 27 fields, and the
	 * next row's line number counts the quoted newline. */
	static const char s[] = HDR_ALL
		"\n" ROW_HEAD ROW_AMOUNT ",`0.00,`0,`0,`0.00,`0.00,`,`,`goods,\"`{\"\"a\"\":1,\"\"b\"\":\n2}\","
		"`0.07000,`0.60%,`12.30,`0.00,`\n" ROW1 "\n" SUM_HDR "\n`2,`24.60,`0.00,`0.00,`0.14000,`24.60,`0.00\n";
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both(s, strlen(s), &res, &col), RCN_OK);
	assert_int_equal(col.nquar, 0);
	assert_int_equal(col.nrec, 2);
	assert_int_equal(col.rec[0].line, 2);
	assert_int_equal(col.rec[1].line, 4);
	assert_int_equal(res.rows, 2);
	assert_int_equal(res.amount_fen, 2460);
	assert_true(res.totals_ok);
}

static void test_short_row_quarantined(void **state)
{
	(void)state;
	static const char s[] =
		HDR_ALL "\n" ROW1 "\n`a,`b,`c\n" SUM_HDR "\n`2,`12.30,`0.00,`0.00,`0.07000,`12.30,`0.00\n";
	rcn_stmt_result res;
	collect col;
	assert_bill_rejected(s, RCN_EFORMAT, 0, "1 row could not be parsed", &res, &col);
	assert_int_equal(col.nquar, 1);
	assert_int_equal(col.quar_line[0], 3);
	assert_string_equal(col.quar_reason[0], "expected 27 fields, found 3");
	assert_int_equal(res.rows, 2);
	assert_int_equal(res.bad_rows, 1);
	assert_int_equal(res.payments, 1);
	assert_true(res.has_summary);
}

static void test_bad_amount(void **state)
{
	(void)state;
	static const char s[] = HDR_ALL "\n" ROW_HEAD "`12.3.4" ROW_TAIL "\n" SUM_HDR "\n" SUM1 "\n";
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both(s, strlen(s), &res, &col), RCN_EFORMAT);
	assert_int_equal(col.nquar, 1);
	assert_int_equal(col.quar_line[0], 2);
	assert_string_equal(col.quar_reason[0], "应结订单金额: invalid amount \"12.3.4\": more than one decimal point");
	assert_int_equal(col.nrec, 0);
	assert_int_equal(res.rows, 1);
	assert_int_equal(res.bad_rows, 1);
	assert_int_equal(res.payments, 0);
	assert_false(res.totals_ok);
	assert_string_equal(res.reason.msg, "1 row could not be parsed");
}

static void test_bad_time(void **state)
{
	(void)state;
	static const char row[] = ROW1;
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s\n`2021-02-30 09:00:01%s\n%s\n%s\n", HDR_ALL,
		 &row[strlen("`2021-03-01 09:00:01")], SUM_HDR, SUM1);
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both(buf, strlen(buf), &res, &col), RCN_EFORMAT);
	assert_int_equal(col.nquar, 1);
	assert_string_equal(col.quar_reason[0],
			    "交易时间: invalid time \"2021-02-30 09:00:01\": expected YYYY-MM-DD HH:MM:SS");
}

static void test_missing_summary(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect col;
	assert_bill_rejected(HDR_ALL "\n" ROW1 "\n", RCN_EFORMAT, 0, "missing summary row (truncated file?)", &res,
			     &col);
	assert_int_equal(res.payments, 1);
	assert_int_equal(res.amount_fen, 1230);
	assert_false(res.has_summary);

	/* Summary header present, its values row cut off. */
	assert_bill_rejected(HDR_ALL "\n" ROW1 "\n" SUM_HDR "\n", RCN_EFORMAT, 0,
			     "missing summary row (truncated file?)", &res, &col);
	assert_false(res.has_summary);
}

static void test_totals_mismatch_amount(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect col;
	assert_bill_rejected(HDR_ALL "\n" ROW1 "\n" SUM_HDR "\n`1,`12.31,`0.00,`0.00,`0.07000,`12.30,`0.00\n",
			     RCN_ETOTALS, 4, "control totals do not match: 应结订单总金额 says 12.31, rows have 12.30",
			     &res, &col);
	assert_true(res.has_summary);
	assert_bill_rejected(HDR_ALL "\n" ROW1 "\n" SUM_HDR "\n`1,`12.30,`0.00,`0.00,`0.07001,`12.30,`0.00\n",
			     RCN_ETOTALS, 4,
			     "control totals do not match: 手续费总金额 says 0.07001, rows have 0.07000", &res, &col);
}

static void test_empty_day(void **state)
{
	(void)state;
	static const char s[] = HDR_ALL "\n" SUM_HDR "\n`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00\n";
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both(s, strlen(s), &res, &col), RCN_OK);
	assert_int_equal(res.rows, 0);
	assert_true(res.totals_ok);
	assert_false(res.rejected);
}

static void test_rows_after_summary(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect col;
	assert_bill_rejected(BILL1 ROW1 "\n", RCN_EFORMAT, 5, "unexpected row after the summary", &res, &col);
	assert_int_equal(res.rows, 1);
}

static void test_empty_and_unrecognized(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both("", 0, &res, &col), RCN_EFORMAT);
	assert_string_equal(res.reason.msg, "empty file: no header");
	assert_string_equal(res.format, "");
	assert_true(res.rejected);

	assert_int_equal(parse_str("No Bill Exist", &res, &col), RCN_EFORMAT);
	/* what the file is not, none of its bytes (it may be any file at all) */
	assert_string_equal(res.reason.msg, "not a WeChat trade bill: no header line (交易时间,...)");
	assert_int_equal(res.reason.line, 1);

	/* Only the BOM. */
	assert_int_equal(parse_both("\xEF\xBB\xBF", 3, &res, &col), RCN_EFORMAT);
	assert_string_equal(res.reason.msg, "empty file: no header");
	/* A BOM prefix that is not a BOM. */
	assert_int_equal(parse_both("\xEF\xBB", 2, &res, &col), RCN_EFORMAT);
	assert_string_equal(res.reason.msg, "not a WeChat trade bill: invalid UTF-8 in field 1");
}

static void test_html_page(void **state)
{
	(void)state;
	static const char s[] = "\r\n  <html><head><title>502 Bad Gateway</title></head>\n\"unterminated\n";
	rcn_stmt_result res;
	collect col;
	assert_bill_rejected(s, RCN_EFORMAT, 2, "an HTML or XML page, not a bill", &res, &col);
	static const char x[] = "<xml><return_code><![CDATA[FAIL]]></return_code></xml>";
	assert_int_equal(parse_both(x, strlen(x), &res, &col), RCN_EFORMAT);
	assert_string_equal(res.reason.msg, "an HTML or XML page, not a bill");
}

static void test_fundflow_rejected(void **state)
{
	(void)state;
	static const char s[] = "记账时间,微信支付业务单号\n`2021-02-01 13:54:01,`1\n";
	rcn_stmt_result res;
	collect col;
	rcn_err err;
	rcn_parser *p = new_trade_parser(&col);
	assert_int_equal(rcn_parser_feed(p, s, strlen(s), &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "not a trade bill (WeChat fund-flow bill)");
	/* Feeding after a fatal error repeats it. */
	assert_int_equal(rcn_parser_feed(p, s, strlen(s), &err), RCN_EFORMAT);
	assert_int_equal(rcn_parser_finish(p, &res), RCN_EFORMAT);
	rcn_parser_free(p);
	assert_string_equal(res.format, "wechat-fundflow");
	assert_true(res.rejected);
}

static void test_long_row(void **state)
{
	(void)state;
	size_t big = 2u << 20;
	size_t hl = strlen(HDR_ALL "\n`");
	char *s = malloc(hl + big + 2);
	assert_non_null(s);
	memcpy(s, HDR_ALL "\n`", hl);
	memset(s + hl, 'x', big);
	s[hl + big] = '\n';
	s[hl + big + 1] = '\0';
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_mem(s, hl + big + 1, 0, &res, &col), RCN_ELIMIT);
	assert_true(res.rejected);
	assert_int_equal(res.reason.line, 2);
	assert_string_equal(res.reason.msg, "row longer than 1048576 bytes");
	assert_int_equal(parse_mem(s, hl + big + 1, 4096, &res, &col), RCN_ELIMIT);
	assert_string_equal(res.reason.msg, "row longer than 1048576 bytes");

	/* An unclosed quote swallowing many short lines is one long row too. */
	memcpy(s, HDR_ALL "\n\"", hl);
	for (size_t i = hl; i < hl + big; i++)
		s[i] = (i % 16 == 0) ? '\n' : 'y';
	assert_int_equal(parse_mem(s, hl + big + 1, 0, &res, &col), RCN_ELIMIT);
	assert_int_equal(res.reason.line, 2);
	assert_string_equal(res.reason.msg, "row longer than 1048576 bytes");

	/* Many fields, short row. */
	memcpy(s, HDR_ALL "\n`", hl);
	for (size_t i = 0; i < 1000; i++)
		s[hl + i] = ',';
	s[hl + 1000] = '\n';
	assert_int_equal(parse_mem(s, hl + 1001, 0, &res, &col), RCN_ELIMIT);
	assert_string_equal(res.reason.msg, "row has more than 256 fields");
	free(s);
}

static void test_service_provider(void **state)
{
	(void)state;
	static const char s[] = HDR_ALL
		"\n"
		"`2021-03-01 "
		"09:00:01,`wx1,`1900000001,`1900000109,`,`4200000001,`S001,`openid,`JSAPI,`REVOKED,`OTHERS,`CNY,"
		"`12.30,`0.00,`0,`0,`0.00,`0.00,`,`,`goods,`attach,`0.07000,`,`12.30,`0.00,`\n" SUM_HDR "\n" SUM1 "\n";
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both(s, strlen(s), &res, &col), RCN_OK);
	assert_int_equal(col.nrec, 1);
	assert_string_equal(col.rec[0].merchant_id, "1900000109");
	assert_string_equal(col.rec[0].provider_id, "1900000001");
	assert_string_equal(col.rec[0].status, "REVOKED");
	assert_int_equal(col.rec[0].type, RCN_REC_PAYMENT);
	assert_int_equal(col.rec[0].rate_ppm, -1); /* empty 费率 */
}

/* Each row's 费率 is its own, whatever the row before had (the parser
 * remembers the last good one), and a bad one is still quarantined. */
static void test_rates_row_by_row(void **state)
{
	(void)state;
#define RATE_ROW(no, rate)                                                                                             \
	"`2021-03-01 09:00:01,`wx1,`1601959334,`0,`,`42000000" no ",`S" no ",`openid,`NATIVE,`SUCCESS,`OTHERS,`CNY,"   \
	"`12.30,`0.00,`0,`0,`0.00,`0.00,`,`,`goods,`attach,`0.07000,`" rate ",`12.30,`0.00,`\n"
	static const char s[] = HDR_ALL "\n" RATE_ROW("1", "0.60%") RATE_ROW("2", "0.38%") RATE_ROW("3", "0.60%")
		RATE_ROW("4", "") RATE_ROW("5", "0.60%") RATE_ROW("6", "0.6") RATE_ROW("7", "0.38%") SUM_HDR
		"\n`7,`86.10,`0.00,`0.00,`0.49000,`86.10,`0.00\n";
#undef RATE_ROW
	rcn_stmt_result res;
	collect col;
	parse_both(s, strlen(s), &res, &col);
	assert_int_equal(col.nrec, 6);
	const int64_t want[] = {6000, 3800, 6000, -1, 6000, 3800};
	for (int i = 0; i < 6; i++)
		assert_int_equal(col.rec[i].rate_ppm, want[i]);
	assert_int_equal(col.nquar, 1);
	assert_int_equal(col.quar_line[0], 7);
	assert_string_equal(col.quar_reason[0], "费率: invalid rate \"0.6\": expected a percentage like 0.60%");
}

static void test_missing_backticks_and_columns_by_name(void **state)
{
	(void)state;
	/* Columns in another order, no backticks: found by name all the same. */
	static const char s[] = "交易时间,商户订单号,微信订单号,商户号,交易状态,应结订单金额,手续费,订单金额\n"
				"2021-03-01 09:00:01,S9,4209,1601,SUCCESS,1.00,0.01000,1.50\n"
				"总交易单数,应结订单总金额,手续费总金额,订单总金额\n1,1.00,0.01000,1.50\n";
	rcn_stmt_result res;
	collect col;
	assert_int_equal(parse_both(s, strlen(s), &res, &col), RCN_OK);
	assert_string_equal(res.format, "wechat-success");
	assert_int_equal(col.nrec, 1);
	assert_string_equal(col.rec[0].order_no, "S9");
	assert_string_equal(col.rec[0].txn_id, "4209");
	assert_string_equal(col.rec[0].merchant_id, "1601");
	assert_string_equal(col.rec[0].currency, "");
	assert_int_equal(col.rec[0].amount_fen, 150);
	assert_int_equal(col.rec[0].settle_fen, 100);
	assert_int_equal(col.rec[0].fee, 1000);
	assert_int_equal(col.rec[0].rate_ppm, -1); /* no 费率 column */
}

RCN_TEST_MAIN(RCN_UNIT_TESTS(test_every_sample, test_sample_gunsluo_records, test_sample_xjryanse_refund,
			     test_sample_legacy_and_refund_bill, test_stmt_errors, test_lf_ok, test_crlf,
			     test_bom_and_no_trailing_newline, test_blank_lines_skipped, test_quoted_attach,
			     test_short_row_quarantined, test_bad_amount, test_bad_time, test_missing_summary,
			     test_totals_mismatch_amount, test_empty_day, test_rows_after_summary,
			     test_empty_and_unrecognized, test_html_page, test_fundflow_rejected, test_long_row,
			     test_service_provider, test_rates_row_by_row, test_missing_backticks_and_columns_by_name))
