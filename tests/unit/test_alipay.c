/* Alipay parsers (FORMATS.md §2): the GBK fixtures in fixtures/alipay with
 * their exact verdicts, record values and reasons, the 汇总 totals against the
 * detail, and generated edge cases; every file also fed one byte at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "recon/parse.h"
#include "parser_harness.h"

#define ALIPAY_DIR FIXTURES_DIR "/alipay"
#define ACCOUNT	   "20880211096256330156"

typedef ph_rec rec_copy;
typedef ph_collect collect;

/* An Alipay parser's spec, labelled "mem.csv". */
static rcn_parser_spec alipay_spec(rcn_format_kind kind, rcn_date business_date)
{
	return (rcn_parser_spec){.kind = kind,
				 .file = "mem.csv",
				 .channel = "alipay",
				 .business_date = business_date,
				 .rec = ph_on_movement_record};
}

/* Parses data whole, then fed steps[i] bytes at a time: the results must be identical. */
static rcn_rc parse_all_ways(rcn_format_kind kind, const char *data, size_t n, const size_t *steps, size_t nsteps,
			     rcn_stmt_result *res, collect *col)
{
	rcn_parser_spec spec = alipay_spec(kind, 0);
	rcn_rc rc = ph_parse_all_ways(col, &spec, data, n, steps, nsteps);
	*res = col->res;
	return rc;
}

/* Parses a fixture whole, then 1 and 7 bytes at a time: the results must be identical. */
static rcn_rc parse_fixture(rcn_format_kind kind, const char *name, rcn_stmt_result *res, collect *col)
{
	static const size_t steps[] = {1, 7};
	char path[512];
	size_t n;
	snprintf(path, sizeof(path), "%s/%s", ALIPAY_DIR, name);
	char *data = ph_slurp(path, &n);
	rcn_rc rc = parse_all_ways(kind, data, n, steps, sizeof(steps) / sizeof(steps[0]), res, col);
	free(data);
	return rc;
}

static long byte_offset(const char *name, const char *needle, size_t needle_len)
{
	char path[512];
	size_t n;
	snprintf(path, sizeof(path), "%s/%s", ALIPAY_DIR, name);
	char *data = ph_slurp(path, &n);
	const char *at = memmem(data, n, needle, needle_len);
	assert_non_null(at);
	long off = (long)(at - data);
	free(data);
	return off;
}

static void assert_rejected(const rcn_stmt_result *res, rcn_rc code, long line, const char *msg)
{
	ph_assert_rejected(res, code, "mem.csv", line, msg);
}

/* ---- 业务明细 ---- */

static void check_trade_ok(const rcn_stmt_result *res, const collect *c)
{
	ph_assert_accepted(res, "alipay-trade");
	/* amount 128.00 + 35.00 + 100.00 + 0.01; refunds |-128.00| + |-20.00|; fee 0.77 + 0.21 + 0.57 + 0 - 0.77 - 0.12
	 */
	ph_assert_sums(res, 6, 4, 2, 26301, 14800, 66000);
	assert_int_equal(res->bad_rows, 0);
	assert_int_equal(res->net_fen, 11001); /* 商家实收 258.01 - 148.00 */
	assert_int_equal(res->movements, 0);
	assert_false(res->stated.has_count);
	assert_int_equal(c->nquar, 0);
	assert_int_equal(c->nrec, 6);

	const rec_copy *r = &c->rec[0];
	assert_int_equal(r->type, RCN_REC_PAYMENT);
	assert_string_equal(r->channel, "alipay");
	assert_string_equal(r->merchant_id, ACCOUNT);
	assert_string_equal(r->provider_id, ACCOUNT);
	assert_string_equal(r->txn_id, "2026030222001458860515315453"); /* TAB trimmed */
	assert_string_equal(r->order_no, "ORD20260302001");
	assert_string_equal(r->refund_no, "");
	assert_string_equal(r->refund_id, "");
	assert_int_equal(r->amount_fen, 12800);
	assert_int_equal(r->settle_fen, 12800);
	assert_int_equal(r->fee, 77000);
	assert_int_equal(r->net_fen, 12800);
	assert_int_equal(r->rate_ppm, -1);
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->currency, "CNY");
	assert_string_equal(r->trade_time, "2026-03-02 10:55:23"); /* 完成时间 */
	assert_int_equal(r->trade_date, rcn_date_from_ymd(2026, 3, 2));
	assert_string_equal(r->file, "mem.csv");
	assert_int_equal(r->line, 6);

	assert_string_equal(c->rec[1].trade_time, "2026-03-02 11:07:09"); /* written 2026/03/02 */
	assert_int_equal(c->rec[1].line, 7);

	r = &c->rec[2]; /* 商家优惠 5.00: the merchant receives less than the order */
	assert_int_equal(r->amount_fen, 10000);
	assert_int_equal(r->settle_fen, 9500);
	assert_int_equal(r->fee, 57000);

	r = &c->rec[4];
	assert_int_equal(r->type, RCN_REC_REFUND);
	assert_string_equal(r->txn_id, "2026030222001458860515315453");
	assert_string_equal(r->order_no, "ORD20260302001");
	assert_string_equal(r->refund_no, "RF20260302001");
	assert_int_equal(r->amount_fen, 12800); /* written -128.00 */
	assert_int_equal(r->settle_fen, 12800);
	assert_int_equal(r->fee, -77000);
	assert_int_equal(r->net_fen, -12800);
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->trade_time, "2026-03-02 15:00:38");
	assert_int_equal(r->line, 10);

	r = &c->rec[5];
	assert_int_equal(r->type, RCN_REC_REFUND);
	assert_string_equal(r->refund_no, "2026030218433400001");
	assert_int_equal(r->amount_fen, 2000);
	assert_int_equal(r->fee, -12000);
}

static void test_trade_ok(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "trade_ok.csv", &res, c), RCN_OK);
	check_trade_ok(&res, c);
	free(c);
}

static void test_trade_utf8_bom_same_as_gbk(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "trade_utf8_bom.csv", &res, c), RCN_OK);
	check_trade_ok(&res, c);
	free(c);
}

static void test_trade_totals_mismatch(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "trade_totals_mismatch.csv", &res, c), RCN_ETOTALS);
	assert_rejected(&res, RCN_ETOTALS, 12, "control totals do not match: 交易合计 says 4笔, rows have 3");
	assert_true(res.has_summary);
	assert_int_equal(res.payments, 3);
	assert_int_equal(res.refunds, 2);
	assert_int_equal(c->nrec, 5);
	free(c);
}

static void test_trade_no_footer(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "trade_no_footer.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "missing footer totals (truncated file?)");
	assert_false(res.has_summary);
	assert_int_equal(res.payments, 4);
	free(c);
}

static void test_trade_bad_amount(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "trade_bad_amount.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "1 row could not be parsed");
	assert_int_equal(res.rows, 6);
	assert_int_equal(res.bad_rows, 1);
	assert_int_equal(res.payments, 3);
	assert_int_equal(c->nquar, 1);
	assert_int_equal(c->quar_line[0], 7);
	assert_string_equal(c->quar_reason[0], "订单金额（元）: invalid amount \"35.0O\": unexpected 'O'");
	free(c);
}

static void test_trade_bad_gbk(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	char msg[128];
	snprintf(msg, sizeof(msg), "column 商品名称: invalid GBK byte sequence at byte %ld",
		 byte_offset("trade_bad_gbk.csv", "\xff\xff", 2));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "trade_bad_gbk.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 8, msg);
	assert_int_equal(c->nrec, 2); /* the rows before the bad line */
	free(c);
}

static void test_trade_utf8_with_gbk_row(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	char msg[128];
	snprintf(msg, sizeof(msg), "column 商品名称: invalid UTF-8 byte sequence at byte %ld",
		 byte_offset("trade_utf8_with_gbk_row.csv", "\xC4\xC3\xCC\xFA", 4)); /* 拿铁 in GBK */
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "trade_utf8_with_gbk_row.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 7, msg);
	free(c);
}

static const char TRADE_HEAD[] =
	"#支付宝业务明细查询\n"
	"#账号：[20880211096256330156]\n"
	"支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
	"订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
	"券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\n";

static rcn_rc parse_text(rcn_format_kind kind, const char *text, rcn_stmt_result *res, collect *c)
{
	static const size_t bytewise[] = {1};
	return parse_all_ways(kind, text, strlen(text), bytewise, 1, res, c);
}

static void test_trade_edge_rows(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	char text[4096];
	/* 完成时间 empty: 创建时间; a refund written positive and an unknown 业务类型 are quarantined. */
	snprintf(text, sizeof(text), "%s%s", TRADE_HEAD,
		 "1001\t,A1\t,交易\t,x,2026-03-02 09:00:00,,\t,\t,\t,\t,\t,1.00,1.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,"
		 "0.00,\t,0.01,0.00,\n"
		 "1001\t,A1\t,退款\t,x,2026-03-02 09:00:00,2026-03-02 10:00:00,\t,\t,\t,\t,\t,0.50,0.50,0.00,0.00,0.00,"
		 "0.00,0.00,,0.00\t,0.00,R1\t,0.00,0.00,\n"
		 "1002\t,A2\t,冻结\t,x,2026-03-02 09:00:00,2026-03-02 10:00:00,\t,\t,\t,\t,\t,1.00,1.00,0.00,0.00,0.00,"
		 "0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,\n"
		 "#-----------------------------------------业务明细列表结束------------------------------------\n"
		 "#交易合计：1笔，商家实收共1.00元，商家优惠共0.00元\n"
		 "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元\n");
	assert_int_equal(parse_text(RCN_FMT_ALIPAY_TRADE, text, &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "2 rows could not be parsed");
	assert_int_equal(c->nrec, 1);
	assert_string_equal(c->rec[0].trade_time, "2026-03-02 09:00:00");
	assert_int_equal(c->rec[0].fee, 1000);
	assert_int_equal(c->nquar, 2);
	assert_int_equal(c->quar_line[0], 5);
	assert_string_equal(c->quar_reason[0], "退款 row with a positive 订单金额（元）: 0.50");
	assert_int_equal(c->quar_line[1], 6);
	assert_string_equal(c->quar_reason[1], "业务类型: unknown \"冻结\"");
	free(c);
}

/* The 起始日期/终止日期 header against the business date: a bill of another
 * day (or a month's bill) is not the date's bill whatever its name. */
static rcn_rc parse_dated(const char *data, size_t n, rcn_date day, rcn_stmt_result *res, collect *col)
{
	rcn_parser_spec spec = alipay_spec(RCN_FMT_ALIPAY_TRADE, day);
	rcn_rc rc = ph_parse_into(col, &spec, data, n, 0);
	*res = col->res;
	return rc;
}

static void test_trade_period(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	size_t n;
	char *gbk = ph_slurp(ALIPAY_DIR "/trade_ok.csv", &n);
	/* the fixture's own date, and no date at all: accepted */
	assert_int_equal(parse_dated(gbk, n, rcn_date_from_ymd(2026, 3, 2), &res, c), RCN_OK);
	check_trade_ok(&res, c);
	assert_int_equal(parse_dated(gbk, n, 0, &res, c), RCN_OK);
	/* the same bill run as the next day's: rejected at its header line */
	assert_int_equal(parse_dated(gbk, n, rcn_date_from_ymd(2026, 3, 3), &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 3,
			"statement is for business date 2026-03-02 (its 起始日期), not 2026-03-03 (wrong file?)");
	assert_int_equal(c->nrec, 0);
	free(gbk);

	static const struct {
		const char *period, *msg;
	} cases[] = {
		{"#起始日期：[2026-03-02 00:00:00]   终止日期：[2026-03-02 23:59:59]", NULL},
		{"#起始日期:[2026年03月02日]   终止日期:[2026年03月03日]", NULL},
		{"#起始日期：[2026年03月01日 00:00:00]   终止日期：[2026年03月02日 00:00:00]",
		 "statement is for business date 2026-03-01 (its 起始日期), not 2026-03-02 (wrong file?)"},
		{"#起始日期：[2026年03月01日 00:00:00]   终止日期：[2026年04月01日 00:00:00]",
		 "statement covers 2026-03-01 to 2026-03-31 (its 起始日期 and 终止日期), not business date 2026-03-02 "
		 "(wrong file?)"},
		{"#起始日期：[2026年03月02日 00:00:00]   终止日期：[2026年03月04日 00:00:00]",
		 "statement covers 2026-03-02 to 2026-03-03 (its 起始日期 and 终止日期), not business date 2026-03-02 "
		 "(wrong file?)"},
		{"#起始日期：[2026年02月30日 00:00:00]   终止日期：[2026年03月03日 00:00:00]",
		 "cannot read the statement's period: \"#起始日期：[2026年02月30日 00:00:00]   终止日期...\""},
		{"#起始日期：[2026年03月02日 00:00:00]",
		 "cannot read the statement's period: \"#起始日期：[2026年03月02日 "
		 "00:00:00]\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[4096];
		snprintf(text, sizeof(text), "#支付宝业务明细查询\n#账号：[%s]\n%s\n%s", ACCOUNT, cases[i].period,
			 TRADE_HEAD + strlen("#支付宝业务明细查询\n#账号：[20880211096256330156]\n"));
		strcat(text, "#-----------------------------------------业务明细列表结束-------------------------------"
			     "-----\n"
			     "#交易合计：0笔，商家实收共0.00元，商家优惠共0.00元\n"
			     "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元\n");
		rcn_rc rc = parse_dated(text, strlen(text), rcn_date_from_ymd(2026, 3, 2), &res, c);
		if (!cases[i].msg) {
			assert_int_equal(rc, RCN_OK);
			continue;
		}
		assert_int_equal(rc, RCN_EFORMAT);
		assert_rejected(&res, RCN_EFORMAT, 3, cases[i].msg);
	}
	free(c);
}

static void test_trade_footer_amount_mismatch(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	char text[4096];
	snprintf(text, sizeof(text), "%s%s", TRADE_HEAD,
		 "1001\t,A1\t,交易\t,x,2026-03-02 09:00:00,2026-03-02 09:00:01,\t,\t,\t,\t,\t,1.00,1.00,0.00,0.00,0.00,"
		 "0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,\n"
		 "1001\t,A1\t,退款\t,x,2026-03-02 09:00:00,2026-03-02 "
		 "10:00:00,\t,\t,\t,\t,\t,-0.30,-0.30,0.00,0.00,0.00,"
		 "0.00,0.00,,0.00\t,0.00,R1\t,0.00,0.00,\n"
		 "#-----------------------------------------业务明细列表结束------------------------------------\n"
		 "#交易合计：1笔，商家实收共1.00元，商家优惠共0.00元\n"
		 "#退款合计：1笔，商家实收退款共-0.40元，商家优惠退款共0.00元\n");
	assert_int_equal(parse_text(RCN_FMT_ALIPAY_TRADE, text, &res, c), RCN_ETOTALS);
	assert_rejected(&res, RCN_ETOTALS, 8,
			"control totals do not match: 退款合计 says 商家实收退款 -0.40, rows have -0.30");
	assert_true(res.has_summary);
	free(c);
}

static void test_trade_wrong_files(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "account_ok.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 5, "not a trade detail (Alipay 账务明细)");
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "summary_ok.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 5, "not a trade detail (Alipay 业务明细(汇总))");
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_ACCOUNT, "trade_ok.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 5, "not an account detail (Alipay 业务明细)");
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_SUMMARY, "trade_ok.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 5, "not a summary (Alipay 业务明细)");
	assert_int_equal(parse_text(RCN_FMT_ALIPAY_TRADE, "", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "empty file: no header");
	assert_int_equal(parse_text(RCN_FMT_ALIPAY_TRADE, "\n<html><body>502</body></html>\n", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 2, "an HTML or XML page, not a bill");
	assert_int_equal(parse_text(RCN_FMT_ALIPAY_TRADE, "#支付宝业务明细查询\nfoo,bar\n", &res, c), RCN_EFORMAT);
	/* what the file is not, none of its bytes */
	assert_rejected(&res, RCN_EFORMAT, 2, "not an Alipay 业务明细: no header line (支付宝交易号,...)");
	free(c);
}

/* ---- 业务明细(汇总) ---- */

static void test_summary_ok_matches_detail(void **state)
{
	(void)state;
	rcn_stmt_result res, trade;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_SUMMARY, "summary_ok.csv", &res, c), RCN_OK);
	ph_assert_accepted(&res, "alipay-summary");
	assert_int_equal(res.rows, 2);
	assert_int_equal(res.payments, 0);
	assert_int_equal(c->nrec, 0);
	assert_true(res.stated.has_count);
	assert_int_equal(res.stated.count, 4);
	assert_true(res.stated.has_refund_count);
	assert_int_equal(res.stated.refund_count, 2);
	assert_true(res.stated.has_net);
	assert_int_equal(res.stated.net_fen, 11001);
	assert_true(res.stated.has_fee);
	assert_int_equal(res.stated.fee, 66000);
	assert_false(res.stated.has_amount);
	assert_false(res.stated.has_refund_amount);

	/* What the caller compares (src/parse/stmt.c): the 汇总 vouches for the 业务明细. */
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_TRADE, "trade_ok.csv", &trade, c), RCN_OK);
	assert_int_equal(res.stated.count, trade.payments);
	assert_int_equal(res.stated.refund_count, trade.refunds);
	assert_int_equal(res.stated.net_fen, trade.net_fen);
	assert_int_equal(res.stated.fee, trade.fee);
	free(c);
}

static void test_summary_totals_mismatch(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_SUMMARY, "summary_totals_mismatch.csv", &res, c), RCN_ETOTALS);
	assert_rejected(&res, RCN_ETOTALS, 8, "control totals do not match: 合计 says 交易订单总笔数 5, rows have 4");
	free(c);
}

static void test_summary_edge(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	static const char head[] =
		"#支付宝业务汇总查询\n"
		"门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,"
		"支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）\n";
	char text[2048];
	/* A 合计 row that leaves out the empty 门店名称 cell. */
	snprintf(text, sizeof(text), "%s%s", head,
		 ",,2,1,1.50,1.40,0.00,0.10,0.00,0.01,0.00,1.39\n合计,2,1,1.50,1.40,0.00,0.10,0.00,0.01,0.00,1.39\n");
	assert_int_equal(parse_text(RCN_FMT_ALIPAY_SUMMARY, text, &res, c), RCN_OK);
	assert_true(res.totals_ok);
	assert_int_equal(res.stated.count, 2);
	assert_int_equal(res.stated.refund_count, 1);
	assert_int_equal(res.stated.net_fen, 140);
	assert_int_equal(res.stated.fee, 1000);

	snprintf(text, sizeof(text), "%s%s", head,
		 ",,2,1,1.50,1.40,0.00,0.10,0.00,0.01,0.00,1.39\n合计,,2,1,1.50,1.30,0.00,0.10,0.00,0.01,0.00,1.39\n");
	assert_int_equal(parse_text(RCN_FMT_ALIPAY_SUMMARY, text, &res, c), RCN_ETOTALS);
	assert_rejected(&res, RCN_ETOTALS, 4,
			"control totals do not match: 合计 says 商家实收（元） 1.30, rows have 1.40");

	snprintf(text, sizeof(text), "%s%s", head, ",,2,1,1.50,1.40,0.00,0.10,0.00,0.01,0.00,1.39\n");
	assert_int_equal(parse_text(RCN_FMT_ALIPAY_SUMMARY, text, &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "missing 合计 row (truncated file?)");
	free(c);
}

/* ---- 账务明细 ---- */

static void test_account_ok(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_ACCOUNT, "account_ok.csv", &res, c), RCN_OK);
	ph_assert_accepted(&res, "alipay-account");
	assert_int_equal(res.rows, 6);
	assert_int_equal(res.movements, 6);
	assert_int_equal(res.payments + res.refunds, 0);
	assert_int_equal(res.movement_in_fen, 16377);
	assert_int_equal(res.movement_out_fen, 112877);
	assert_int_equal(c->nrec, 6);

	const rec_copy *r = &c->rec[1];
	assert_int_equal(r->type, RCN_REC_MOVEMENT);
	assert_string_equal(r->channel, "alipay");
	assert_string_equal(r->merchant_id, ACCOUNT);
	assert_string_equal(r->txn_id, "20260302100012345672");
	assert_string_equal(r->reference, "2026030222001458860515315453");
	assert_string_equal(r->order_no, "ORD20260302001");
	assert_string_equal(r->movement_type, "收费");
	assert_int_equal(r->amount_fen, -77);
	assert_int_equal(r->balance_fen, 112723);
	assert_string_equal(r->trade_time, "2026-03-02 10:55:23");
	assert_int_equal(r->line, 7);

	assert_int_equal(c->rec[0].amount_fen, 12800);
	assert_string_equal(c->rec[0].movement_type, "在线支付");
	assert_int_equal(c->rec[4].amount_fen, 77);
	r = &c->rec[5];
	assert_string_equal(r->movement_type, "提现");
	assert_string_equal(r->order_no, "");
	assert_int_equal(r->amount_fen, -100000);
	assert_int_equal(r->balance_fen, 3500);
	free(c);
}

static void test_account_broken(void **state)
{
	(void)state;
	rcn_stmt_result res;
	collect *c = malloc(sizeof(*c));
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_ACCOUNT, "account_no_footer.csv", &res, c), RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "missing footer totals (truncated file?)");
	assert_int_equal(res.movements, 6);
	assert_int_equal(parse_fixture(RCN_FMT_ALIPAY_ACCOUNT, "account_totals_mismatch.csv", &res, c), RCN_ETOTALS);
	assert_rejected(&res, RCN_ETOTALS, 14, "control totals do not match: 收入合计 says 164.77, rows have 163.77");

	/* A row with money both ways is not a movement we can read. */
	assert_int_equal(parse_text(RCN_FMT_ALIPAY_ACCOUNT,
				    "#支付宝账务明细查询\n"
				    "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,"
				    "支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注\n"
				    "1\t,2\t,3\t,x\t,2026-03-02 10:00:00,y\t,1.00,-1.00,5.00,支付宝,在线支付,\n"
				    "#支出合计：0笔，共0.00元,,,\n#收入合计：0笔，共0.00元,,,\n",
				    &res, c),
			 RCN_EFORMAT);
	assert_rejected(&res, RCN_EFORMAT, 0, "1 row could not be parsed");
	assert_int_equal(c->nquar, 1);
	assert_int_equal(c->quar_line[0], 3);
	assert_string_equal(c->quar_reason[0], "both 收入金额（+元） and 支出金额（-元） are set");
	free(c);
}

/* ---- streaming ---- */

#define BIG_ROWS 200000L

static size_t to_gbk(char *out, size_t cap, const char *utf8)
{
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	char *in = (char *)utf8, *o = out;
	size_t left = strlen(utf8), room = cap;
	assert_true(iconv(cd, &in, &left, &o, &room) != (size_t)-1);
	iconv_close(cd);
	return cap - room;
}

static long count_records;

static void count_record(void *ctx, const rcn_record *rec)
{
	(void)ctx;
	(void)rec;
	count_records++;
}

/* A 50 MB GBK 业务明细 fed in 64 KiB chunks: peak memory grows by buffers, not by the file. */
static void test_trade_memory_flat(void **state)
{
	(void)state;
	char head[2048], jy[16], foot[512], chunk[1 << 16], row[512];
	size_t head_n = to_gbk(head, sizeof(head), TRADE_HEAD);
	size_t jy_n = to_gbk(jy, sizeof(jy), "交易");
	jy[jy_n] = '\0';
	char foot_utf8[256];
	snprintf(foot_utf8, sizeof(foot_utf8),
		 "#交易合计：%ld笔，商家实收共%ld.00元，商家优惠共0.00元\n"
		 "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元\n",
		 BIG_ROWS, BIG_ROWS);
	size_t foot_n = to_gbk(foot, sizeof(foot), foot_utf8);
	rcn_parser_spec spec = {
		.kind = RCN_FMT_ALIPAY_TRADE, .file = "big.csv", .channel = "alipay", .rec = count_record};
	rcn_parser *p = rcn_parser_new(&spec);
	rcn_err err;
	rcn_stmt_result res;
	size_t used = 0;
	long before;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	before = ru.ru_maxrss;

	assert_int_equal(rcn_parser_feed(p, head, head_n, &err), RCN_OK);
	for (long i = 0; i < BIG_ROWS; i++) {
		int n = snprintf(
			row, sizeof(row),
			"2026030222001458860%09ld\t,ORD%012ld\t,%s\t,coffee,2026-03-02 10:%02ld:%02ld,"
			"2026-03-02 10:%02ld:%02ld,S001\t,store\t,op\t,\t,*user(138****0000)\t,1.00,1.00,0.00,0.00,"
			"0.00,0.00,0.00,,0.00\t,0.00,\t,0.01,0.00,\"note, with comma\"\n",
			i, i, jy, (i / 60) % 60, i % 60, (i / 60) % 60, i % 60);
		if (used + (size_t)n > sizeof(chunk)) {
			assert_int_equal(rcn_parser_feed(p, chunk, used, &err), RCN_OK);
			used = 0;
		}
		memcpy(chunk + used, row, (size_t)n);
		used += (size_t)n;
	}
	assert_int_equal(rcn_parser_feed(p, chunk, used, &err), RCN_OK);
	assert_int_equal(rcn_parser_feed(p, foot, foot_n, &err), RCN_OK);
	assert_int_equal(rcn_parser_finish(p, &res), RCN_OK);
	rcn_parser_free(p);

	assert_true(res.totals_ok);
	assert_int_equal(res.payments, BIG_ROWS);
	assert_int_equal(count_records, BIG_ROWS);
	assert_int_equal(res.amount_fen, BIG_ROWS * 100);
	assert_int_equal(res.fee, BIG_ROWS * 1000);
	getrusage(RUSAGE_SELF, &ru);
	long grown = ru.ru_maxrss - before;
	print_message("peak resident memory grew by %ld KiB for a %ld-row 业务明细\n", grown, BIG_ROWS);
#if !defined(__SANITIZE_ADDRESS__)
	assert_true(grown < 8 * 1024);
#endif
}

/* test_trade_memory_flat first: the peak is process-wide */
RCN_TEST_MAIN(RCN_UNIT_TESTS(test_trade_memory_flat, test_trade_ok, test_trade_utf8_bom_same_as_gbk,
			     test_trade_totals_mismatch, test_trade_no_footer, test_trade_bad_amount,
			     test_trade_bad_gbk, test_trade_utf8_with_gbk_row, test_trade_edge_rows, test_trade_period,
			     test_trade_footer_amount_mismatch, test_trade_wrong_files, test_summary_ok_matches_detail,
			     test_summary_totals_mismatch, test_summary_edge, test_account_ok, test_account_broken))
