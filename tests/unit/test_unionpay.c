/* UnionPay ZM, ZME and RD parsers (FORMATS.md §3): the official sample's exact
 * totals and records, the RD totals against the ZM sums, and the generated
 * fixtures in fixtures/unionpay (newer layout, refunds, Dec→Jan, bad rows, ZME). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "recon/money.h"
#include "recon/parse.h"
#include "parser_harness.h"

#define UP_DIR	  SAMPLES_DIR "/unionpay/extracted"
#define SAMPLE_ZM UP_DIR "/INN15090588ZM_802310048993424"
#define SAMPLE_RD UP_DIR "/RD201015090501_802310048993424"
#define FIX(name) FIXTURES_DIR "/unionpay/" name
#define WHOLE	  ((size_t)0) /* feed the file in one call */
#define LABEL	  "mem.txt"

typedef ph_rec rec_copy;
typedef ph_collect collect;

static rcn_parser_spec unionpay_spec(rcn_format_kind kind, rcn_date business_date)
{
	return (rcn_parser_spec){.kind = kind,
				 .file = LABEL,
				 .channel = "unionpay",
				 .business_date = business_date,
				 .rec = ph_on_record};
}

/* Parses data[0..n) as `kind`, fed in chunks of `chunk` bytes (WHOLE: at once). */
static void parse_mem(collect *c, rcn_format_kind kind, const char *data, size_t n, rcn_date business_date,
		      size_t chunk)
{
	rcn_parser_spec spec = unionpay_spec(kind, business_date);
	ph_parse_into(c, &spec, data, n, chunk);
}

/* Parses the file whole, then one byte at a time: both must give the same verdict and records. */
static void parse_path(collect *c, rcn_format_kind kind, const char *path, rcn_date business_date)
{
	static const size_t bytewise[] = {1};
	size_t n;
	char *data = ph_slurp(path, &n);
	rcn_parser_spec spec = unionpay_spec(kind, business_date);
	ph_parse_all_ways(c, &spec, data, n, bytewise, 1);
	free(data);
}

/* The RD's 总计 states these totals (every one but a refund count), and they
 * are what the ZM file's rows add up to. */
static void assert_rd_states(const rcn_totals *t, long count, int64_t amount_fen, int64_t refund_fen, int64_t fee,
			     int64_t net_fen, const rcn_stmt_result *zm)
{
	assert_true(t->has_count && t->has_amount && t->has_refund_amount && t->has_fee && t->has_net);
	assert_false(t->has_refund_count);
	assert_int_equal(t->count, count);
	assert_int_equal(t->amount_fen, amount_fen);
	assert_int_equal(t->refund_fen, refund_fen);
	assert_int_equal(t->fee, fee);
	assert_int_equal(t->net_fen, net_fen);
	assert_int_equal(t->count, zm->payments + zm->refunds);
	assert_int_equal(t->amount_fen, zm->amount_fen);
	assert_int_equal(t->refund_fen, zm->refund_fen);
	assert_int_equal(t->fee, zm->fee);
	assert_int_equal(t->net_fen, zm->net_fen);
}

static rcn_date ymd(int y, int m, int d)
{
	return rcn_date_from_ymd(y, m, d);
}

static void assert_ok(const collect *c, const char *format)
{
	if (c->res.rejected)
		fail_msg("rejected: %s (line %ld)", c->res.reason.msg, c->res.reason.line);
	assert_int_equal(c->rc, RCN_OK);
	assert_string_equal(c->res.format, format);
	assert_int_equal(c->res.bad_rows, 0);
	assert_int_equal(c->nquar, 0);
	assert_true(c->res.totals_ok);
}

/* path parses clean (see assert_ok) as format. */
static void parse_path_ok(collect *c, rcn_format_kind kind, const char *path, rcn_date business_date,
			  const char *format)
{
	parse_path(c, kind, path, business_date);
	assert_ok(c, format);
}

static void assert_rejected(const collect *c, rcn_rc code, long line, const char *msg)
{
	assert_int_equal(c->rc, code);
	ph_assert_rejected(&c->res, code, LABEL, line, msg);
}

static void test_sample_zm(void **state)
{
	(void)state;
	collect c;
	parse_path_ok(&c, RCN_FMT_UNIONPAY_ZM, SAMPLE_ZM, ymd(2015, 9, 5), "unionpay-zm");
	assert_int_equal(c.res.rows, 8);
	assert_int_equal(c.res.payments, 8);
	assert_int_equal(c.res.refunds, 0);
	assert_int_equal(c.nrec, 8);
	assert_int_equal(c.res.amount_fen, 1322700);
	assert_int_equal(c.res.refund_fen, 0);
	assert_int_equal(c.res.fee, 7936 * RCN_FEE_UNITS_PER_FEN);
	assert_int_equal(c.res.net_fen, 1314764);
	assert_false(c.res.has_summary); /* the totals are RD's */

	const rec_copy *r = &c.rec[0];
	assert_int_equal(r->type, RCN_REC_PAYMENT);
	assert_string_equal(r->channel, "unionpay");
	assert_string_equal(r->merchant_id, "802310048993424");
	assert_string_equal(r->provider_id, "802310048993424");
	assert_string_equal(r->order_no, "10078087");
	assert_string_equal(r->txn_id, "201509061122031906248");
	assert_string_equal(r->refund_no, "");
	assert_string_equal(r->refund_id, "");
	assert_string_equal(r->trade_time, "2015-09-06 11:22:03");
	assert_int_equal(r->trade_date, ymd(2015, 9, 6));
	assert_int_equal(r->amount_fen, 476800);
	assert_int_equal(r->settle_fen, 476800); /* the amount the fee is charged on */
	assert_int_equal(r->fee, 2861000);
	assert_int_equal(r->net_fen, 473939);
	assert_int_equal(r->rate_ppm, -1);
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->trade_type, "S56");
	assert_string_equal(r->currency, "CNY");
	assert_string_equal(r->file, LABEL);
	assert_int_equal(r->line, 1);

	r = &c.rec[7];
	assert_int_equal(r->type, RCN_REC_PAYMENT);
	assert_string_equal(r->order_no, "10078086");
	assert_string_equal(r->txn_id, "201509061113391889928");
	assert_string_equal(r->trade_time, "2015-09-06 11:13:39");
	assert_int_equal(r->amount_fen, 133300);
	assert_int_equal(r->settle_fen, 133300); /* the amount the fee is charged on */
	assert_int_equal(r->fee, 800000);
	assert_int_equal(r->net_fen, 132500);
	assert_string_equal(r->trade_type, "S56");
	assert_int_equal(r->line, 8);
}

static void test_sample_rd(void **state)
{
	(void)state;
	collect zm, rd;
	parse_path(&zm, RCN_FMT_UNIONPAY_ZM, SAMPLE_ZM, ymd(2015, 9, 5));
	parse_path_ok(&rd, RCN_FMT_UNIONPAY_RD, SAMPLE_RD, ymd(2015, 9, 5), "unionpay-rd");
	assert_int_equal(rd.nrec, 0);
	assert_int_equal(rd.res.rows, 0);
	assert_true(rd.res.has_summary);
	assert_rd_states(&rd.res.stated, 8, 1322700, 0, 7936000, 1314764, &zm.res);

	/* the business date is the RD's 清算日期 */
	parse_path(&rd, RCN_FMT_UNIONPAY_RD, SAMPLE_RD, ymd(2015, 9, 6));
	assert_rejected(&rd, RCN_EFORMAT, 4, "RD summary is for 清算日期 2015-09-05, not 2015-09-06");
	/* unknown business date: not checked */
	parse_path_ok(&rd, RCN_FMT_UNIONPAY_RD, SAMPLE_RD, 0, "unionpay-rd");
}

static void test_newer_layout(void **state)
{
	(void)state;
	collect c;
	parse_path_ok(&c, RCN_FMT_UNIONPAY_ZM, FIX("zm_newer_layout"), ymd(2026, 3, 1), "unionpay-zm");
	ph_assert_sums(&c.res, 2, 2, 0, 32345, 0, 194000);
	assert_int_equal(c.res.net_fen, 32151);
	assert_string_equal(c.rec[0].order_no, "订单-20260301-1"); /* GBK bytes sliced, then converted */
	assert_string_equal(c.rec[0].txn_id, "202603010930150001011");
	assert_string_equal(c.rec[0].trade_time, "2026-03-01 09:30:15");
	assert_string_equal(c.rec[0].trade_type, "S22");
	assert_int_equal(c.rec[0].amount_fen, 12345);
	assert_int_equal(c.rec[0].fee, 74000);
	assert_int_equal(c.rec[0].settle_fen, 12345);
	assert_string_equal(c.rec[1].order_no, "10080002");
	assert_int_equal(c.rec[1].line, 2);
}

static void test_refunds(void **state)
{
	(void)state;
	collect zm, rd;
	parse_path_ok(&zm, RCN_FMT_UNIONPAY_ZM, FIX("zm_refund"), ymd(2026, 3, 2), "unionpay-zm");
	ph_assert_sums(&zm.res, 3, 1, 2, 50000, 12500, (300 - 60 - 15) * RCN_FEE_UNITS_PER_FEN);
	assert_int_equal(zm.res.net_fen, 49700 - 9940 - 2485);

	const rec_copy *r = &zm.rec[0];
	assert_int_equal(r->type, RCN_REC_REFUND);
	assert_string_equal(r->trade_type, "S30");
	assert_string_equal(r->refund_no, "R20260302001");
	assert_string_equal(r->order_no, "10080001");
	assert_string_equal(r->refund_id, "202603021015300002011");
	assert_string_equal(r->txn_id, "202603011000000001011");
	assert_int_equal(r->amount_fen, 10000);
	assert_int_equal(r->settle_fen, 10000); /* the amount the fee is charged on */
	assert_int_equal(r->fee, -60000);	/* C: the fee comes back */
	assert_int_equal(r->net_fen, -9940);
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->trade_time, "2026-03-02 10:15:30");

	r = &zm.rec[1]; /* no 原始订单号 */
	assert_int_equal(r->type, RCN_REC_REFUND);
	assert_string_equal(r->refund_no, "R20260302002");
	assert_string_equal(r->order_no, "");
	assert_string_equal(r->txn_id, "");
	assert_int_equal(r->fee, -15000);

	r = &zm.rec[2];
	assert_int_equal(r->type, RCN_REC_PAYMENT);
	assert_string_equal(r->order_no, "10080003");
	assert_string_equal(r->refund_no, "");
	assert_int_equal(r->fee, 300000);

	parse_path_ok(&rd, RCN_FMT_UNIONPAY_RD, FIX("rd_refund"), ymd(2026, 3, 2), "unionpay-rd");
	assert_rd_states(&rd.res.stated, 3, 50000, 12500, 225000, 37275, &zm.res);
}

static void test_year_inference(void **state)
{
	(void)state;
	collect c;
	/* LF line ends; 1231 on a 2026-01-01 settlement is the year before */
	parse_path_ok(&c, RCN_FMT_UNIONPAY_ZM, FIX("zm_year_boundary"), ymd(2026, 1, 1), "unionpay-zm");
	assert_int_equal(c.nrec, 2);
	assert_string_equal(c.rec[0].trade_time, "2025-12-31 23:59:59");
	assert_int_equal(c.rec[0].trade_date, ymd(2025, 12, 31));
	assert_string_equal(c.rec[1].trade_time, "2026-01-01 00:00:01");
	/* settleDate 2016-01-02 with 1231 is 2015-12-31 */
	parse_path(&c, RCN_FMT_UNIONPAY_ZM, FIX("zm_year_boundary"), ymd(2016, 1, 2));
	assert_string_equal(c.rec[0].trade_time, "2015-12-31 23:59:59");
	assert_string_equal(c.rec[1].trade_time, "2016-01-01 00:00:01");
	/* 0101 a day after a 12-31 settlement is the next year */
	parse_path(&c, RCN_FMT_UNIONPAY_ZM, FIX("zm_year_boundary"), ymd(2025, 12, 31));
	assert_string_equal(c.rec[0].trade_time, "2025-12-31 23:59:59");
	assert_string_equal(c.rec[1].trade_time, "2026-01-01 00:00:01");
	/* in mid-year both are the year before */
	parse_path(&c, RCN_FMT_UNIONPAY_ZM, FIX("zm_year_boundary"), ymd(2026, 6, 30));
	assert_string_equal(c.rec[0].trade_time, "2025-12-31 23:59:59");
	assert_string_equal(c.rec[1].trade_time, "2026-01-01 00:00:01");
	/* no settlement date: the years cannot be known */
	parse_path(&c, RCN_FMT_UNIONPAY_ZM, FIX("zm_year_boundary"), 0);
	assert_rejected(&c, RCN_EUSAGE, 1, "the settlement date is unknown: ZM times carry no year");
	assert_int_equal(c.nrec, 0);
}

static void test_bad_rows(void **state)
{
	(void)state;
	collect c;
	parse_path(&c, RCN_FMT_UNIONPAY_ZM, FIX("zm_bad_rows"), ymd(2015, 9, 5));
	assert_rejected(&c, RCN_EFORMAT, 0, "2 rows could not be parsed");
	assert_int_equal(c.res.rows, 4);
	assert_int_equal(c.res.payments, 2);
	assert_int_equal(c.res.bad_rows, 2);
	assert_int_equal(c.nrec, 2);
	assert_int_equal(c.res.amount_fen, 476800 + 10000);
	assert_int_equal(c.nquar, 2);
	assert_int_equal(c.quar_line[0], 2);
	assert_string_equal(c.quar_reason[0], "line is 120 bytes, a ZM record needs at least 508");
	assert_int_equal(c.quar_line[1], 3);
	assert_string_equal(c.quar_reason[1], "交易金额 is not 12 digits: \"0000000099X0\"");
	assert_int_equal(c.rec[1].line, 4);
}

static void test_zme(void **state)
{
	(void)state;
	collect c;
	parse_path_ok(&c, RCN_FMT_UNIONPAY_ZME, FIX("zme_exceptions"), ymd(2026, 3, 2), "unionpay-zme");
	ph_assert_sums(&c.res, 2, 1, 1, 5000, 1000, 24000);
	assert_int_equal(c.res.net_fen, 0);

	const rec_copy *r = &c.rec[0];
	assert_int_equal(r->type, RCN_REC_PAYMENT);
	assert_string_equal(r->status, "EXCEPTION");
	assert_string_equal(r->trade_type, "S22");
	assert_string_equal(r->merchant_id, "802310048993424");
	assert_string_equal(r->order_no, "");
	assert_string_equal(r->txn_id, "");
	assert_string_equal(r->trade_time, "2026-03-02 10:15:30");
	assert_int_equal(r->amount_fen, 5000);
	assert_int_equal(r->fee, 30000);
	assert_int_equal(r->settle_fen, 5000); /* the amount the fee is charged on */
	assert_int_equal(r->net_fen, 0);

	r = &c.rec[1];
	assert_int_equal(r->type, RCN_REC_REFUND);
	assert_string_equal(r->status, "EXCEPTION");
	assert_string_equal(r->trade_time, "2026-02-28 23:59:59");
	assert_int_equal(r->amount_fen, 1000);
	assert_int_equal(r->fee, -6000);
	assert_int_equal(r->settle_fen, 1000); /* the amount the fee is charged on */
	assert_int_equal(r->line, 2);

	/* a ZM line is not a ZME line: the separators are elsewhere */
	parse_path(&c, RCN_FMT_UNIONPAY_ZME, SAMPLE_ZM, ymd(2015, 9, 5));
	assert_rejected(&c, RCN_EFORMAT, 0, "8 rows could not be parsed");
	assert_string_equal(c.quar_reason[0], "no field separator at byte 90: not the ZME layout");
}

static void test_rd_no_total(void **state)
{
	(void)state;
	collect c;
	parse_path(&c, RCN_FMT_UNIONPAY_RD, FIX("rd_no_total"), ymd(2015, 9, 5));
	assert_rejected(&c, RCN_EFORMAT, 14, "RD summary has no 总计 line");
	assert_false(c.res.stated.has_count);

	/* cut inside the first table */
	size_t n;
	char *data = ph_slurp(SAMPLE_RD, &n);
	const char *cut = strstr(data, "\xD7\xDC\xBC\xC6"); /* GBK 总计 */
	assert_non_null(cut);
	parse_mem(&c, RCN_FMT_UNIONPAY_RD, data, (size_t)(cut - data), ymd(2015, 9, 5), WHOLE);
	assert_rejected(&c, RCN_EFORMAT, 0, "RD summary has no 总计 line");
	/* cut inside the second table */
	cut = strstr(cut + 1, "\xD7\xDC\xBC\xC6");
	assert_non_null(cut);
	parse_mem(&c, RCN_FMT_UNIONPAY_RD, data, (size_t)(cut - data), ymd(2015, 9, 5), WHOLE);
	assert_rejected(&c, RCN_EFORMAT, 0, "RD summary ends inside the 卡性质 table (truncated?)");
	free(data);
}

static void test_rd_does_not_add_up(void **state)
{
	(void)state;
	collect c;
	size_t n;
	char *data = ph_slurp(SAMPLE_RD, &n);
	char *row = strstr(data, "13227.00"); /* 自助消费's 交易金额 贷 */
	assert_non_null(row);
	row[4] = '8';
	parse_mem(&c, RCN_FMT_UNIONPAY_RD, data, n, ymd(2015, 9, 5), WHOLE);
	assert_rejected(&c, RCN_ETOTALS, 13, "RD 交易类型 table: 总计 does not equal the sum of its rows");
	row[4] = '7';
	/* the 总计 of the second table differs from the first's */
	row = strstr(data, "\xBD\xE8\xBC\xC7\xBF\xA8"); /* GBK 借记卡 */
	assert_non_null(row);
	row = strstr(row, "79.36");
	assert_non_null(row);
	row[0] = '8';
	char *total = strstr(row, "\xD7\xDC\xBC\xC6");
	assert_non_null(total);
	total = strstr(total, "79.36");
	assert_non_null(total);
	total[0] = '8';
	parse_mem(&c, RCN_FMT_UNIONPAY_RD, data, n, ymd(2015, 9, 5), WHOLE);
	assert_rejected(&c, RCN_ETOTALS, 23, "RD 卡性质 table: 总计 differs from the first table's");
	free(data);
}

static void test_edges(void **state)
{
	(void)state;
	collect c;
	/* an empty ZM is a day without transactions: RD says whether that is right */
	parse_mem(&c, RCN_FMT_UNIONPAY_ZM, "", 0, ymd(2015, 9, 5), WHOLE);
	assert_ok(&c, "unionpay-zm");
	assert_int_equal(c.res.rows, 0);
	parse_mem(&c, RCN_FMT_UNIONPAY_ZM, "\r\n\r\n", 4, ymd(2015, 9, 5), WHOLE);
	assert_ok(&c, "unionpay-zm");
	/* an HTML page */
	const char *html = "\r\n<html><body>login</body></html>\r\n";
	parse_mem(&c, RCN_FMT_UNIONPAY_ZM, html, strlen(html), ymd(2015, 9, 5), WHOLE);
	assert_rejected(&c, RCN_EFORMAT, 2, "an HTML or XML page, not a UnionPay ZM file");
	parse_mem(&c, RCN_FMT_UNIONPAY_RD, html, strlen(html), ymd(2015, 9, 5), WHOLE);
	assert_rejected(&c, RCN_EFORMAT, 2, "an HTML or XML page, not a UnionPay RD file");
	/* an empty RD states nothing */
	parse_mem(&c, RCN_FMT_UNIONPAY_RD, "", 0, ymd(2015, 9, 5), WHOLE);
	assert_rejected(&c, RCN_EFORMAT, 0, "RD summary has no 总计 line");

	/* a line far longer than any layout, then a good one without a newline */
	size_t n;
	char *sample = ph_slurp(SAMPLE_ZM, &n);
	size_t big = 10000;
	char *data = malloc(big + 2 + 607);
	assert_non_null(data);
	memset(data, '0', big);
	memcpy(data + big, "\r\n", 2);
	memcpy(data + big + 2, sample, 607);
	parse_mem(&c, RCN_FMT_UNIONPAY_ZM, data, big + 2 + 607, ymd(2015, 9, 5), 333);
	assert_rejected(&c, RCN_EFORMAT, 0, "1 row could not be parsed");
	assert_int_equal(c.quar_line[0], 1);
	assert_string_equal(c.quar_reason[0], "line is longer than 4096 bytes: not a ZM record");
	assert_int_equal(c.nrec, 1);
	assert_int_equal(c.rec[0].line, 2);

	/* bad C/D sign, bad time, bad GBK, a NUL in a text field */
	struct {
		size_t off;
		const char *bytes;
		const char *reason;
	} cases[] = {
		{166, "X", "商户手续费 is not C or D and 12 digits: \"X000000002861\""},
		{180, " ", "结算金额 is not C or D and 12 digits: \" 000000473939\""},
		{374, "C00000000000x", "清算净额 is not C or D and 12 digits: \"C00000000000x\""},
		{35, "0230", "交易传输时间 is not a time: \"0230112203\""},
		{35, "0906246003", "交易传输时间 is not a time: \"0906246003\""},
		{0, "   ", "交易代码 is blank"},
		{293, "               ", "商户代码 is blank"},
		{3, "X", "no field separator at byte 4: not the ZM layout"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(data, sample, 607);
		memcpy(data + cases[i].off, cases[i].bytes, strlen(cases[i].bytes));
		parse_mem(&c, RCN_FMT_UNIONPAY_ZM, data, 607, ymd(2015, 9, 5), WHOLE);
		assert_rejected(&c, RCN_EFORMAT, 0, "1 row could not be parsed");
		assert_int_equal(c.nquar, 1);
		assert_string_equal(c.quar_reason[0], cases[i].reason);
		assert_int_equal(c.nrec, 0);
	}
	/* bytes that are not text in any field, read or not, reject the whole file naming the field */
	struct {
		size_t off;
		const char *bytes;
		size_t n;
		const char *reason;
	} fatal[] = {
		{112, "\x81\x20", 2, "商户订单号: invalid GBK byte sequence"},
		{113, "\0", 1, "商户订单号: a NUL byte"},
		{520, "\xff", 1, "field 42 (bytes 510-607): invalid GBK byte sequence"},
		{600, "\0", 1, "field 42 (bytes 510-607): a NUL byte"},
		/* a control character is not text either (it was a quarantined row before) */
		{112, "\x01", 1, "商户订单号: a control character"},
		{113, "\x1b[2J", 4, "商户订单号: a control character"},
		{600, "\x07", 1, "field 42 (bytes 510-607): a control character"},
		{3, "\x1b", 1, "a control character between or after the fields"},
	};
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		memcpy(data, sample, 607);
		memcpy(data + fatal[i].off, fatal[i].bytes, fatal[i].n);
		parse_mem(&c, RCN_FMT_UNIONPAY_ZM, data, 607, ymd(2015, 9, 5), WHOLE);
		assert_rejected(&c, RCN_EFORMAT, 1, fatal[i].reason);
		assert_int_equal(c.nrec, 0);
	}
	free(data);
	free(sample);
}

static long peak_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void count_record(void *ctx, const rcn_record *rec)
{
	int64_t *sum = ctx;
	*sum += rec->amount_fen;
}

/* 100,000 ZM lines (61 MB) in 64 KiB chunks: memory stays flat. */
/* ---- cancels (撤销) and reversals (冲正), rows built in the real 607-byte layout ---- */

static const unsigned char zm_w[] = {3, 11, 11, 6,  10, 19, 12, 4, 2,  21, 2,  32, 2, 6,  10, 13, 13, 4, 15, 2,	 2,
				     6, 2,  4,	32, 1,	21, 15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1,  32, 98};

/* One ZM line (CRLF) appended to out: the fields not given are the sample's or blank. */
static void zm_row(char *out, const char *code, const char *mmddhhmmss, long fen, const char *query, const char *order,
		   const char *fee_cd, const char *settle_cd, const char *txn_type, const char *orig_query,
		   const char *net_cd, const char *orig_order)
{
	char amount[13];
	snprintf(amount, sizeof(amount), "%012ld", fen);
	const char *v[sizeof(zm_w)] = {0};
	v[0] = code, v[1] = "88022900", v[2] = "00049993", v[3] = "190624", v[4] = mmddhhmmss;
	v[5] = "622609******0048", v[6] = amount, v[7] = "4899", v[8] = "07", v[9] = query, v[10] = "01";
	v[11] = order, v[12] = "01", v[15] = fee_cd, v[16] = settle_cd, v[17] = "0001", v[19] = txn_type;
	v[21] = "000201", v[26] = orig_query, v[27] = "898111148990001", v[32] = net_cd, v[33] = "01080209";
	v[40] = orig_order;
	char *o = out + strlen(out);
	for (size_t i = 0; i < sizeof(zm_w); i++) {
		const char *f = v[i] ? v[i] : "";
		size_t n = strlen(f);
		assert_true(n <= zm_w[i]);
		if (i)
			*o++ = ' ';
		memcpy(o, f, n);
		memset(o + n, ' ', zm_w[i] - n);
		o += zm_w[i];
	}
	memcpy(o, "\r\n", 3);
}

#define PAY(out)                                                                                                       \
	zm_row(out, "S22", "0302101500", 10000, "202603021015000000011", "UP-ORD-1", "D000000000060", "C000000009940", \
	       "01", "", "C000000009940", "")
#define CANCEL(out, query)                                                                                             \
	zm_row(out, "S31", "0302103000", 10000, query, "UP-CXL-1", "C000000000060", "D000000010000", "31",             \
	       "202603021015000000011", "D000000009940", "UP-ORD-1")
#define CANCEL_REVERSAL(out, orig)                                                                                     \
	zm_row(out, "R31", "0302103001", 10000, "202603021030010000031", "UP-CXL-1", "D000000000060", "C000000010000", \
	       "31", orig, "C000000009940", "UP-ORD-1")

static void test_cancels(void **state)
{
	(void)state;
	collect *c = malloc(sizeof(*c));
	char *data = calloc(1, 8 * 700);
	assert_non_null(c);
	assert_non_null(data);

	/* a payment and its same-day cancel: the cancel is the payment's return */
	PAY(data);
	CANCEL(data, "202603021030000000021");
	assert_int_equal(strlen(data), 2 * 609);
	parse_mem(c, RCN_FMT_UNIONPAY_ZM, data, strlen(data), ymd(2026, 3, 2), 100);
	assert_ok(c, "unionpay-zm");
	ph_assert_sums(&c->res, 2, 1, 1, 10000, 10000, 0);
	assert_int_equal(c->res.net_fen, 0);
	assert_int_equal(c->nrec, 2);
	assert_int_equal(c->rec[0].type, RCN_REC_PAYMENT);
	assert_string_equal(c->rec[0].order_no, "UP-ORD-1");
	const rec_copy *x = &c->rec[1];
	assert_int_equal(x->type, RCN_REC_REFUND);
	assert_string_equal(x->status, "SUCCESS");
	assert_string_equal(x->order_no, "UP-ORD-1");
	assert_string_equal(x->txn_id, "202603021015000000011");
	assert_string_equal(x->refund_no, "UP-CXL-1");
	assert_string_equal(x->refund_id, "202603021030000000021");
	assert_string_equal(x->trade_type, "S31");
	assert_string_equal(x->trade_time, "2026-03-02 10:30:00");
	assert_int_equal(x->amount_fen, 10000);
	assert_int_equal(x->fee, -60000);
	assert_int_equal(x->net_fen, -9940);
	assert_int_equal(x->line, 2);

	/* the cancel reversed (冲正), listed after it or before it: the payment stands,
	 * the cancel says REVERSED, the reversal itself is no record */
	for (int order = 0; order < 2; order++) {
		data[0] = '\0';
		PAY(data);
		if (order == 0) {
			CANCEL(data, "202603021030000000021");
			CANCEL_REVERSAL(data, "202603021030000000021");
		} else {
			CANCEL_REVERSAL(data, "202603021030000000021");
			CANCEL(data, "202603021030000000021");
		}
		parse_mem(c, RCN_FMT_UNIONPAY_ZM, data, strlen(data), ymd(2026, 3, 2), WHOLE);
		assert_ok(c, "unionpay-zm");
		assert_int_equal(c->res.rows, 3);
		assert_int_equal(c->res.payments, 2); /* what came in: the payment and the cancel's reversal */
		assert_int_equal(c->res.refunds, 1);
		assert_int_equal(c->res.amount_fen, 20000);
		assert_int_equal(c->res.refund_fen, 10000);
		assert_int_equal(c->nrec, 2);
		assert_int_equal(c->rec[1].type, RCN_REC_REFUND);
		assert_string_equal(c->rec[1].status, "REVERSED");
		assert_string_equal(c->rec[1].refund_no, "UP-CXL-1");
		assert_int_equal(c->rec[1].line, order == 0 ? 2 : 3);
	}

	/* a reversal of a cancel that is not in the file cannot be placed */
	data[0] = '\0';
	PAY(data);
	CANCEL_REVERSAL(data, "202603021030000000099");
	parse_mem(c, RCN_FMT_UNIONPAY_ZM, data, strlen(data), ymd(2026, 3, 2), WHOLE);
	assert_rejected(c, RCN_EFORMAT, 0, "1 row could not be parsed");
	assert_int_equal(c->quar_line[0], 2);
	assert_string_equal(c->quar_reason[0],
			    "冲正 of a 撤销 (原交易查询流水号 \"202603021030000000099\") that is not in this file");

	/* a payment's reversal: the payment undone, read like a cancel */
	data[0] = '\0';
	PAY(data);
	zm_row(data, "R22", "0302101501", 10000, "202603021015010000041", "UP-ORD-1", "C000000000060", "D000000010000",
	       "01", "202603021015000000011", "D000000009940", "");
	parse_mem(c, RCN_FMT_UNIONPAY_ZM, data, strlen(data), ymd(2026, 3, 2), WHOLE);
	assert_ok(c, "unionpay-zm");
	assert_int_equal(c->res.refunds, 1);
	assert_int_equal(c->nrec, 2);
	assert_int_equal(c->rec[1].type, RCN_REC_REFUND);
	assert_string_equal(c->rec[1].status, "SUCCESS");
	assert_string_equal(c->rec[1].order_no, "UP-ORD-1");
	assert_string_equal(c->rec[1].txn_id, "202603021015000000011");

	/* 交易类型 04 (退货) is a refund whatever its code; 03 (预授权完成) a payment */
	data[0] = '\0';
	zm_row(data, "S99", "0302120000", 500, "202603021200000000051", "UP-RF-9", "C000000000003", "D000000000497",
	       "04", "202603021015000000011", "D000000000497", "UP-ORD-1");
	zm_row(data, "S99", "0302120100", 700, "202603021201000000061", "UP-ORD-7", "D000000000004", "C000000000696",
	       "03", "", "C000000000696", "");
	parse_mem(c, RCN_FMT_UNIONPAY_ZM, data, strlen(data), ymd(2026, 3, 2), WHOLE);
	assert_ok(c, "unionpay-zm");
	assert_int_equal(c->rec[0].type, RCN_REC_REFUND);
	assert_string_equal(c->rec[0].refund_no, "UP-RF-9");
	assert_int_equal(c->rec[1].type, RCN_REC_PAYMENT);
	assert_string_equal(c->rec[1].order_no, "UP-ORD-7");
	free(data);
	free(c);
}

static void test_memory_flat(void **state)
{
	(void)state;
	enum { ROWS = 100000, CHUNK = 1 << 16 };
	size_t n;
	char *sample = ph_slurp(SAMPLE_ZM, &n);
	char *chunk = malloc(CHUNK);
	assert_non_null(chunk);
	int64_t sum = 0;
	rcn_parser_spec spec = {RCN_FMT_UNIONPAY_ZM, "big", "unionpay", ymd(2015, 9, 5), NULL,
				count_record,	     NULL,  &sum};
	rcn_parser *p = rcn_parser_new(&spec);
	rcn_err err;
	rcn_stmt_result res;
	size_t used = 0;
	long before = peak_kb();
	for (long i = 0; i < ROWS; i++) {
		if (used + 609 > CHUNK) {
			assert_int_equal(rcn_parser_feed(p, chunk, used, &err), RCN_OK);
			used = 0;
		}
		memcpy(chunk + used, sample, 609); /* the first line and its CRLF */
		used += 609;
	}
	assert_int_equal(rcn_parser_feed(p, chunk, used, &err), RCN_OK);
	assert_int_equal(rcn_parser_finish(p, &res), RCN_OK);
	rcn_parser_free(p);
	assert_int_equal(res.payments, ROWS);
	assert_int_equal(res.amount_fen, (int64_t)ROWS * 476800);
	assert_int_equal(sum, res.amount_fen);
	assert_true(peak_kb() - before < 8 * 1024);
	free(chunk);
	free(sample);
}

RCN_TEST_MAIN(RCN_UNIT_TESTS(test_sample_zm, test_sample_rd, test_newer_layout, test_refunds, test_year_inference,
			     test_bad_rows, test_zme, test_rd_no_total, test_rd_does_not_add_up, test_edges,
			     test_cancels, test_memory_flat))
