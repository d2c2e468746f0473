/* Streaming: parsing a 90 MB WeChat bill must not grow memory with the file.
 * The bill is generated on the fly and fed in 64 KiB chunks; the parser's
 * peak resident memory may grow by a few MB (buffers), not by the file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "recon/parse.h"

#define ROWS 300000L

static long peak_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static long records;

static void count(void *ctx, const rcn_record *rec)
{
	(void)ctx;
	(void)rec;
	records++;
}

static void test_memory_flat(void **state)
{
	(void)state;
	static const char header[] =
		"交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
		"付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
		"退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n";
	char chunk[1 << 16];
	size_t used = 0;
	rcn_err err;
	rcn_stmt_result res;
	rcn_parser_spec spec = {.kind = RCN_FMT_WECHAT_TRADE, .file = "big.csv", .channel = "wechat", .rec = count};
	rcn_parser *p = rcn_parser_new(&spec);
	long before = peak_kb();

	assert_int_equal(rcn_parser_feed(p, header, strlen(header), &err), RCN_OK);
	for (long i = 0; i < ROWS; i++) {
		char row[512];
		int n = snprintf(
			row, sizeof(row),
			"`2026-03-02 10:%02ld:%02ld,`wx2421b1c4370ec43b,`1900000109,`0,`,`42000012342026030%011ld,"
			"`ORDER%012ld,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_DEBIT,`CNY,`1.00,`0.00,`0,`0,"
			"`0.00,`0.00,`,`,`商品名称比较长的一段描述文字,`{\"k\":\"v\"},`0.01000,`0.60%%,`1.00,`0.00,`\n",
			(i / 60) % 60, i % 60, i, i);
		if (used + (size_t)n > sizeof(chunk)) {
			assert_int_equal(rcn_parser_feed(p, chunk, used, &err), RCN_OK);
			used = 0;
		}
		memcpy(chunk + used, row, (size_t)n);
		used += (size_t)n;
	}
	char summary[256];
	int n = snprintf(
		summary, sizeof(summary),
		"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n"
		"`%ld,`%ld.00,`0.00,`0.00,`%ld.%02ld000,`%ld.00,`0.00\n",
		ROWS, ROWS, ROWS / 100, ROWS % 100, ROWS);
	assert_int_equal(rcn_parser_feed(p, chunk, used, &err), RCN_OK);
	assert_int_equal(rcn_parser_feed(p, summary, (size_t)n, &err), RCN_OK);
	assert_int_equal(rcn_parser_finish(p, &res), RCN_OK);
	rcn_parser_free(p);

	assert_true(res.totals_ok);
	assert_int_equal(res.rows, ROWS);
	assert_int_equal(records, ROWS);
	assert_int_equal(res.amount_fen, ROWS * 100);
	long grown = peak_kb() - before;
	print_message("peak resident memory grew by %ld KiB for a %ld-row bill\n", grown, ROWS);
#if !defined(__SANITIZE_ADDRESS__)
	assert_true(grown < 8 * 1024);
#endif
}

RCN_TEST_MAIN(cmocka_unit_test(test_memory_flat))
