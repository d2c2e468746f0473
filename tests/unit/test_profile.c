/* Channel profiles (FORMATS.md §4): loading with exact file:line errors, and
 * the two shipped profiles (leshua: GBK fixed width in fen; saobei: UTF-8 CSV
 * in yuan) on their fixtures, with exact values, verdicts and reasons. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recon/parse.h"
#include "parser_harness.h"

#define RULES_DIR FIXTURES_DIR "/../rules/channels"
#define PROF_DIR  FIXTURES_DIR "/profiles"
#define LABEL	  "stmt.txt"

typedef ph_rec rec_copy;
typedef ph_collect outcome;

/* A profile parser's spec, labelled LABEL. */
static rcn_parser_spec profile_spec(const rcn_profile *prof, rcn_date business_date)
{
	return (rcn_parser_spec){.kind = RCN_FMT_PROFILE,
				 .file = LABEL,
				 .channel = "bank",
				 .business_date = business_date,
				 .profile = prof,
				 .rec = ph_on_record};
}

static rcn_profile *load(const char *name)
{
	char path[512];
	rcn_profile *p = NULL;
	rcn_err err;
	snprintf(path, sizeof(path), "%s/%s.conf", RULES_DIR, name);
	rcn_rc rc = rcn_profile_load(&p, path, &err);
	if (rc != RCN_OK)
		fail_msg("%s:%ld: %s", err.file, err.line, err.msg);
	assert_string_equal(rcn_profile_name(p), name);
	return p;
}

/* Feeds data in pieces of `chunk` bytes (0: all at once). */
static void parse_mem(outcome *o, const rcn_profile *prof, const char *data, size_t n, size_t chunk)
{
	rcn_parser_spec spec = profile_spec(prof, 0);
	ph_parse_into(o, &spec, data, n, chunk);
}

static void parse_fixture(outcome *o, const rcn_profile *prof, const char *rel, size_t chunk)
{
	char path[512];
	size_t n;
	snprintf(path, sizeof(path), "%s/%s", PROF_DIR, rel);
	char *data = ph_slurp(path, &n);
	parse_mem(o, prof, data, n, chunk);
	free(data);
}

static void assert_rejected(const outcome *o, rcn_rc code, long line, const char *msg)
{
	assert_int_equal(o->rc, code);
	ph_assert_rejected(&o->res, code, LABEL, line, msg);
}

/* ---- loading ---- */

static void expect_load_error(const char *file, long line, const char *msg)
{
	char path[512];
	rcn_profile *p = NULL;
	rcn_err err;
	snprintf(path, sizeof(path), "%s/bad/%s", PROF_DIR, file);
	assert_int_equal(rcn_profile_load(&p, path, &err), RCN_EUSAGE);
	assert_null(p);
	assert_int_equal(err.code, RCN_EUSAGE);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, line);
	assert_string_equal(err.msg, msg);
}

static void test_load_shipped(void **state)
{
	(void)state;
	rcn_profile *a = load("leshua"), *b = load("saobei");
	rcn_profile_free(a);
	rcn_profile_free(b);
	assert_string_equal(rcn_profile_name(NULL), "");
	rcn_profile_free(NULL);
}

static void test_load_errors(void **state)
{
	(void)state;
	expect_load_error("bad_regex.conf", 9, "bad pattern for 'footer': missing closing parenthesis at offset 19");
	expect_load_error("missing_mapping.conf", 10, "[columns] lacks 'amount'");
	expect_load_error("unknown_key.conf", 6, "unknown key 'delimeter' in [profile]");
	expect_load_error("unknown_group.conf", 7,
			  "unknown group 'cnt' in 'footer' (known: count, payment_count, amount, refund_count, "
			  "refund_amount, fee, net)");
	expect_load_error("overlap.conf", 13, "columns 'order_no' (1:20) and 'amount' (15:12) overlap");
	expect_load_error("zero_width.conf", 11,
			  "bad column '1:0' for 'order_no': expected START:WIDTH in bytes, both at least 1");
	expect_load_error("wrong_name.conf", 3,
			  "name 'leshua' does not match the file name 'wrong_name.conf' (expected leshua.conf)");
	expect_load_error("absent.conf", 0, "cannot read profile: No such file or directory");
}

/* Writes text as <dir>/<name>.conf and loads it: the error (or RCN_OK). */
static rcn_rc load_text(const char *name, const char *text, rcn_profile **out, rcn_err *err)
{
	char dir[] = "/tmp/test_profile_XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s.conf", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	*out = NULL;
	rcn_rc rc = rcn_profile_load(out, path, err);
	unlink(path);
	rmdir(dir);
	return rc;
}

static void expect_text_error(const char *text, long line, const char *msg)
{
	rcn_profile *p;
	rcn_err err;
	assert_int_equal(load_text("t", text, &p, &err), RCN_EUSAGE);
	assert_int_equal(err.line, line);
	assert_string_equal(err.msg, msg);
}

#define CSV_HEAD                                                                                                       \
	"[profile]\nname = t\nlayout = csv\nencoding = UTF-8\nheader = ^date,\namount_unit = yuan\n"                   \
	"time_format = %Y-%m-%d %H:%M:%S\n"
#define CSV_COLS "[columns]\norder_no = order\namount = amount\ntrade_time = date\n"

static void test_load_error_cases(void **state)
{
	(void)state;
	expect_text_error(CSV_HEAD "default_type = payment\n" CSV_COLS, 9,
			  "[columns] lacks 'status' (or set default_status in [profile])");
	expect_text_error(CSV_HEAD "default_status = SUCCESS\n" CSV_COLS, 9,
			  "[columns] lacks 'type' (or set default_type in [profile])");
	expect_text_error(CSV_HEAD "[oops]\n", 8, "unknown section [oops] (known: profile, columns, status, type)");
	expect_text_error(CSV_HEAD "layout = fixed\n", 8, "'layout' is set twice (first on line 3)");
	expect_text_error(CSV_HEAD "amount_unit = cents\n", 8, "'amount_unit' is set twice (first on line 6)");
	expect_text_error("[profile]\nname = t\nlayout = csv\nencoding = UTF-8\nheader = ^d\namount_unit = cents\n", 6,
			  "bad value for 'amount_unit': expected yuan or fen, found 'cents'");
	expect_text_error("[profile]\ntime_format = %Y-%m-%e\n", 2,
			  "bad value for 'time_format': unknown conversion (use %Y %m %d %H %M %S or %%)");
	expect_text_error(
		"[profile]\ndetail = (?<x\n", 2,
		"bad pattern for 'detail': syntax error in subpattern name (missing terminator?) at offset 4");
	expect_text_error("[profile]\nfooter = (?J)^T(?<count>\\d+)|^U(?<count>\\d+)\n", 2,
			  "group 'count' appears twice in 'footer'");
	expect_text_error("[profile]\nfooter = ^T\\d+\n", 2,
			  "'footer' has no named group: it states no total to check");
	expect_text_error("[profile]\ndelimiter = ;;\n", 2,
			  "bad value for 'delimiter': expected one ASCII character or \\t, found ';;'");
	expect_text_error("name = t\n", 1, "key 'name' outside any section");
	expect_text_error(CSV_HEAD "default_type = payment\ndefault_status = SUCCESS\n" CSV_COLS "amount = x\n", 14,
			  "'amount' is mapped twice (first on line 12)");
	expect_text_error(
		CSV_HEAD "default_type = payment\ndefault_status = SUCCESS\n" CSV_COLS "amt = x\n", 14,
		"unknown field 'amt' in [columns] (known: order_no, channel_txn_id, amount, settle, fee, rate, "
		"trade_time, trade_date, trade_clock, status, type, refund_no, channel_refund_id, merchant_id, "
		"provider_id, currency, trade_type)");
	expect_text_error(CSV_HEAD "default_type = payment\n" CSV_COLS "status = s\n[status]\nok = DONE\n", 15,
			  "bad value for 'ok': expected SUCCESS, FAIL, PROCESSING, REVOKED or CLOSED");
	expect_text_error(CSV_HEAD "default_status = SUCCESS\n" CSV_COLS "type = k\n", 13,
			  "'type' is mapped but [type] maps no value");
	expect_text_error("[profile]\nname = t\nlayout = csv\nencoding = UTF-8\namount_unit = yuan\n"
			  "time_format = %Y%m%d\n",
			  1, "layout = csv needs 'header': columns are found by name in the header line");
	expect_text_error("[profile]\nname = t\n", 1, "[profile] lacks 'layout'");
	expect_text_error("", 0, "no [profile] section");

	rcn_profile *p;
	rcn_err err;
	assert_int_equal(
		load_text("t", CSV_HEAD "default_type = payment\ndefault_status = SUCCESS\n" CSV_COLS, &p, &err),
		RCN_OK);
	rcn_profile_free(p);
}

/* ---- saobei: UTF-8 CSV in yuan ---- */

static void test_saobei_good(void **state)
{
	const rcn_profile *prof = *state;
	outcome o;
	parse_fixture(&o, prof, "saobei/saobei_20260302.csv", 0);
	assert_int_equal(o.rc, RCN_OK);
	ph_assert_accepted(&o.res, "profile:saobei");
	/* fee 0.38 + 0.76 + 0 + 0.08 - 0.19 yuan */
	ph_assert_sums(&o.res, 5, 4, 1, 35000, 5000, 103000);
	assert_int_equal(o.res.bad_rows, 0);
	assert_int_equal(o.nquar, 0);
	assert_int_equal(o.nrec, 5);

	const rec_copy *r = &o.rec[0];
	assert_string_equal(r->channel, "bank");
	assert_string_equal(r->merchant_id, "852100000001");
	assert_string_equal(r->provider_id, "852100000001");
	assert_int_equal(r->type, RCN_REC_PAYMENT);
	assert_string_equal(r->txn_id, "300520260302000001"); /* the Excel-guard TAB trimmed */
	assert_string_equal(r->order_no, "SB20260302001");
	assert_string_equal(r->refund_no, "");
	assert_string_equal(r->refund_id, "");
	assert_int_equal(r->amount_fen, 10000);
	assert_int_equal(r->settle_fen, 10000); /* 实收金额: before the fee */
	assert_int_equal(r->fee, 38000);
	assert_int_equal(r->rate_ppm, 3800);
	assert_string_equal(r->currency, "CNY");
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->trade_type, "微信");
	assert_string_equal(r->trade_time, "2026-03-02 09:12:45");
	assert_int_equal(r->trade_date, rcn_date_from_ymd(2026, 3, 2));
	assert_string_equal(r->file, LABEL);
	assert_int_equal(r->line, 5);

	assert_string_equal(o.rec[1].trade_type, "支付宝");
	assert_int_equal(o.rec[1].settle_fen, 19000);
	assert_string_equal(o.rec[2].status, "FAIL");
	assert_int_equal(o.rec[2].fee, 0);

	r = &o.rec[3];
	assert_int_equal(r->type, RCN_REC_REFUND);
	assert_string_equal(r->order_no, "SB20260302001");
	assert_string_equal(r->refund_no, "RF20260302001");
	assert_string_equal(r->refund_id, "300520260302100001");
	assert_int_equal(r->amount_fen, 5000); /* written -50.00 */
	assert_int_equal(r->settle_fen, 5000);
	assert_int_equal(r->fee, -19000);
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->trade_time, "2026-03-02 14:00:00");
	assert_int_equal(r->line, 8);

	r = &o.rec[4]; /* its 备注 holds a quoted newline: lines 9-10 */
	assert_string_equal(r->order_no, "SB20260302004");
	assert_int_equal(r->line, 9);
}

static void test_saobei_totals_mismatch(void **state)
{
	outcome o;
	parse_fixture(&o, *state, "saobei/totals_mismatch.csv", 0);
	assert_rejected(&o, RCN_ETOTALS, 12, "control totals do not match: fee says 1.05, rows have 1.03");
	assert_true(o.res.has_summary);
	assert_int_equal(o.res.rows, 5);
}

/* The export's own period (the profile's `period` key): another day's file,
 * or a longer period, is rejected at its period line; without a business
 * date (recon check) it is not judged; a file without the line is refused. */
static void test_saobei_period(void **state)
{
	char path[512];
	size_t n;
	snprintf(path, sizeof(path), "%s/saobei/saobei_20260302.csv", PROF_DIR);
	char *good = ph_slurp(path, &n);
	struct {
		rcn_date day;
		const char *from, *to, *msg;
	} cases[] = {
		{0, NULL, NULL, NULL},
		{0, "2026-03-01 00:00:00", "2026-03-01 23:59:59", NULL}, /* no business date: not judged */
		{20514, NULL, NULL, NULL},				 /* 2026-03-02 */
		{20514, "2026-03-02 00:00:00", "2026-03-03 00:00:00", NULL},
		{20514, "2026-03-01 00:00:00", "2026-03-01 23:59:59",
		 "statement is for business date 2026-03-01 (its period line), not 2026-03-02 (wrong file?)"},
		{20514, "2026-03-01 00:00:00", "2026-03-02 23:59:59",
		 "statement covers 2026-03-01 to 2026-03-02 (its period line), not business date 2026-03-02 (wrong "
		 "file?)"},
		{20514, "2026-02-30 00:00:00", "2026-03-02 23:59:59",
		 "cannot read the statement's period (pattern 'period')"},
		{20514, "2026-03-02 00:00:00", "2026-03-01 00:00:00",
		 "cannot read the statement's period (pattern 'period'): it ends before it begins"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *data = malloc(n + 64);
		memcpy(data, good, n);
		size_t len = n;
		if (cases[i].from) {
			char *at = strstr(data, "[2026-03-02 00:00:00]");
			assert_non_null(at);
			memcpy(at + 1, cases[i].from, 19);
			at = strstr(at + 20, "[2026-03-02 23:59:59]");
			assert_non_null(at);
			memcpy(at + 1, cases[i].to, 19);
		}
		outcome o;
		rcn_parser_spec spec = profile_spec(*state, cases[i].day);
		ph_parse_into(&o, &spec, data, len, 0);
		if (cases[i].msg)
			assert_rejected(&o, RCN_EFORMAT, 3, cases[i].msg);
		else if (o.res.rejected)
			fail_msg("case %zu rejected: %s", i, o.res.reason.msg);
		free(data);
	}
	/* the line missing: the file does not say which day it is for */
	char *data = malloc(n + 1);
	memcpy(data, good, n);
	char *at = strstr(data, "#起始日期");
	assert_non_null(at);
	memcpy(at + 1, "开始时间", strlen("开始时间")); /* as long, and no longer a period line */
	outcome o;
	rcn_parser_spec spec = profile_spec(*state, 20514);
	ph_parse_into(&o, &spec, data, n, 0);
	assert_rejected(&o, RCN_EFORMAT, 0,
			"no period line (pattern 'period'): the statement does not say which day it is for");
	free(data);
	free(good);
	expect_text_error("[profile]\nperiod = ^#(?<start>\\d+)\n", 2,
			  "'period' has no (?<from>...) group: it states no date to check");
}

static void test_saobei_missing_footer(void **state)
{
	outcome o;
	parse_fixture(&o, *state, "saobei/missing_footer.csv", 0);
	assert_rejected(&o, RCN_EFORMAT, 0, "missing footer totals (truncated file?)");
	assert_false(o.res.has_summary);
	assert_int_equal(o.nrec, 5);
}

static void test_saobei_bad_row(void **state)
{
	outcome o;
	parse_fixture(&o, *state, "saobei/bad_row.csv", 0);
	assert_rejected(&o, RCN_EFORMAT, 0, "1 row could not be parsed");
	assert_int_equal(o.nquar, 1);
	assert_int_equal(o.quar_line[0], 6);
	assert_string_equal(o.quar_reason[0], "unknown status value \"退款中\"");
	assert_int_equal(o.res.rows, 5);
	assert_int_equal(o.res.bad_rows, 1);
	assert_int_equal(o.nrec, 4);
}

/* ---- leshua: GBK fixed width in fen ---- */

static void test_leshua_good(void **state)
{
	outcome o;
	parse_fixture(&o, *state, "leshua/leshua_20260302.txt", 0);
	assert_int_equal(o.rc, RCN_OK);
	assert_string_equal(o.res.format, "profile:leshua");
	assert_false(o.res.rejected);
	assert_true(o.res.totals_ok);
	/* fee 60 + 150 + 53 + 0 - 18 fen */
	ph_assert_sums(&o.res, 5, 4, 1, 48800, 3000, 245000);
	assert_int_equal(o.nrec, 5);

	const rec_copy *r = &o.rec[0];
	assert_int_equal(r->type, RCN_REC_PAYMENT);
	assert_string_equal(r->merchant_id, "833100000001");
	assert_string_equal(r->order_no, "LS20260302001");
	assert_string_equal(r->txn_id, "LE2026030209301500000001");
	assert_int_equal(r->amount_fen, 10000);
	assert_int_equal(r->settle_fen, 10000);
	assert_int_equal(r->fee, 60000);
	assert_int_equal(r->rate_ppm, -1);
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->trade_type, "");
	assert_string_equal(r->trade_time, "2026-03-02 09:30:15");
	assert_int_equal(r->line, 2);

	r = &o.rec[3];
	assert_int_equal(r->type, RCN_REC_REFUND);
	assert_string_equal(r->order_no, "LS20260302001");
	assert_string_equal(r->refund_no, "RF20260302001");
	assert_int_equal(r->amount_fen, 3000);
	assert_int_equal(r->fee, -18000);
	assert_string_equal(r->trade_time, "2026-03-02 15:00:00");
	assert_int_equal(r->line, 5);

	assert_string_equal(o.rec[4].status, "FAIL");
	assert_int_equal(o.rec[4].amount_fen, 5000);
}

static void test_leshua_totals_mismatch(void **state)
{
	outcome o;
	parse_fixture(&o, *state, "leshua/totals_mismatch.txt", 0);
	assert_rejected(&o, RCN_ETOTALS, 7, "control totals do not match: count says 6, rows have 5");
}

static void test_leshua_missing_footer(void **state)
{
	outcome o;
	parse_fixture(&o, *state, "leshua/missing_footer.txt", 0);
	assert_rejected(&o, RCN_EFORMAT, 0, "missing footer totals (truncated file?)");
}

static void test_leshua_bad_row(void **state)
{
	outcome o;
	parse_fixture(&o, *state, "leshua/bad_row.txt", 0);
	assert_rejected(&o, RCN_EFORMAT, 0, "1 row could not be parsed");
	assert_int_equal(o.nquar, 1);
	assert_int_equal(o.quar_line[0], 4);
	assert_string_equal(o.quar_reason[0], "amount: invalid amount \"00000000880O\": expected whole fen");
	assert_int_equal(o.nrec, 4);
}

/* ---- chunking ---- */

static void test_byte_at_a_time(void **state)
{
	rcn_profile **both = *state;
	static const char *const files[] = {"saobei/saobei_20260302.csv", "saobei/totals_mismatch.csv",
					    "saobei/missing_footer.csv",  "saobei/bad_row.csv",
					    "leshua/leshua_20260302.txt", "leshua/totals_mismatch.txt",
					    "leshua/missing_footer.txt",  "leshua/bad_row.txt"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const rcn_profile *prof = files[i][0] == 's' ? both[0] : both[1];
		static const size_t steps[] = {1, 7};
		size_t n;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", PROF_DIR, files[i]);
		char *data = ph_slurp(path, &n);
		outcome *whole = malloc(sizeof(*whole));
		rcn_parser_spec spec = profile_spec(prof, 0);
		ph_parse_all_ways(whole, &spec, data, n, steps, sizeof(steps) / sizeof(steps[0]));
		free(whole);
		free(data);
	}
}

/* ---- edge cases on a small CSV profile ---- */

#define EDGE_PROFILE                                                                                                   \
	"[profile]\nname = t\nlayout = csv\nencoding = UTF-8\nheader = ^date,\nignore = ^#\n"                          \
	"footer = ^total,(?<count>\\d+),(?<amount>-?[\\d.]+)(,(?<net>-?[\\d.]+))?$\n"                                  \
	"amount_unit = yuan\ntime_format = %Y-%m-%d %H:%M:%S\ndefault_type = payment\n"                                \
	"[columns]\norder_no = order\namount = amount\ntrade_time = date\nstatus = state\n"                            \
	"[status]\nok = SUCCESS\n"

static void parse_edge_n(outcome *o, const char *data, size_t n)
{
	rcn_profile *p;
	rcn_err err;
	assert_int_equal(load_text("t", EDGE_PROFILE, &p, &err), RCN_OK);
	static const size_t bytewise[] = {1};
	rcn_parser_spec spec = profile_spec(p, 0);
	ph_parse_all_ways(o, &spec, data, n, bytewise, 1);
	rcn_profile_free(p);
}

static void parse_edge(outcome *o, const char *data)
{
	parse_edge_n(o, data, strlen(data));
}

/* data, parsed through EDGE_PROFILE every way, is rejected with code for msg at line. */
static void expect_edge_rejected(outcome *o, const char *data, rcn_rc code, long line, const char *msg)
{
	parse_edge(o, data);
	assert_rejected(o, code, line, msg);
}

static void test_edge_cases(void **state)
{
	(void)state;
	outcome o;

	/* BOM, CRLF, quoted delimiter, blanks, a last line without a newline; -1.00 is a refund */
	parse_edge(&o, "\xEF\xBB\xBF"
		       "# comment\r\ndate,order,amount,state\r\n"
		       "2026-03-02 10:00:00,\"A,1\",1.50,ok\r\n  \r\n"
		       "2026-03-02 11:00:00, B2 ,-1.00,ok\r\ntotal,2,1.50,0.50");
	assert_int_equal(o.rc, RCN_OK);
	assert_true(o.res.totals_ok);
	assert_int_equal(o.nrec, 2);
	assert_string_equal(o.rec[0].order_no, "A,1");
	assert_int_equal(o.rec[0].line, 3);
	assert_string_equal(o.rec[1].order_no, "B2");
	assert_int_equal(o.rec[1].type, RCN_REC_REFUND);
	assert_int_equal(o.rec[1].amount_fen, 100);

	expect_edge_rejected(&o, "date,order,amount,state\n2026-03-02 10:00:00,A,1.50,ok\ntotal,1,1.50,1.49\n",
			     RCN_ETOTALS, 3, "control totals do not match: net says 1.49, rows have 1.50");

	expect_edge_rejected(&o, "date,order,amount,state\n2026-03-02 10:00:00,A,1.50,ok\ntotal,1,1.50\nmore\n",
			     RCN_EFORMAT, 4, "unexpected line after the footer");

	/* what the file is not, none of its bytes (it may be any file at all) */
	expect_edge_rejected(&o, "order,date\n", RCN_EFORMAT, 1, "not a t statement (profile t): no header line");

	expect_edge_rejected(&o, "", RCN_EFORMAT, 0, "no header line (profile t): empty or not this format");

	expect_edge_rejected(&o, "date,order,state\n", RCN_EFORMAT, 1, "header lacks column 'amount' (amount)");

	expect_edge_rejected(&o, "date,order,amount,state\n2026-03-02 10:00:00,\"A\nB,1.50,ok\ntotal,1,1.50\n",
			     RCN_EFORMAT, 0, "missing footer totals (truncated file?)");
	assert_int_equal(o.nquar, 1);
	assert_string_equal(o.quar_reason[0], "unterminated quoted field");

	expect_edge_rejected(&o,
			     "date,order,amount,state\n"
			     "2026-02-30 10:00:00,A,1.50,ok\n"
			     "2026-03-02 10:00:00,B,1.505,ok\n"
			     "2026-03-02 10:00:00,,1.50,ok\n"
			     "2026-03-02 10:00:00,C,1.50,ok,extra\n"
			     "2026-03-02 10:00:00,\"D\"x,1.50,ok\n"
			     "total,5,0.00\n",
			     RCN_EFORMAT, 0, "5 rows could not be parsed");
	assert_int_equal(o.nquar, 5);
	assert_string_equal(o.quar_reason[0],
			    "date: invalid time \"2026-02-30 10:00:00\" (expected %Y-%m-%d %H:%M:%S)");
	assert_string_equal(o.quar_reason[1], "amount: invalid amount \"1.505\": more than 2 decimals");
	assert_string_equal(o.quar_reason[2], "order is empty");
	assert_string_equal(o.quar_reason[3], "expected 4 fields, found 5");
	assert_string_equal(o.quar_reason[4], "text after a closing quote");

	/* bytes that are not text, or a NUL, in any field reject the whole file naming the column */
	expect_edge_rejected(&o,
			     "date,order,amount,state\n2026-03-02 10:00:00,A,1.50,ok\n2026-03-02 10:00:00,E,1.50,\xff\n"
			     "total,2,3.00\n",
			     RCN_EFORMAT, 3, "column state: invalid UTF-8 byte sequence");
	expect_edge_rejected(&o, "date,order,amount,state\n2026-03-02 10:00:00,\"A\xfe\",1.50,ok\ntotal,1,1.50\n",
			     RCN_EFORMAT, 2, "column order: invalid UTF-8 byte sequence");
	static const char nul[] = "date,order,amount,state\n2026-03-02 10:00:00,A\0001,1.50,ok\ntotal,1,1.50\n";
	parse_edge_n(&o, nul, sizeof(nul) - 1);
	assert_rejected(&o, RCN_EFORMAT, 2, "column order: a NUL byte");
	expect_edge_rejected(&o, "date,order,amount,state,order\n", RCN_EFORMAT, 1,
			     "header names column order twice (fields 2 and 5)");
	expect_edge_rejected(&o, "date,order,\xff\n", RCN_EFORMAT, 1,
			     "not a t statement (profile t): invalid UTF-8 byte sequence");
}

static int setup_saobei(void **state)
{
	*state = load("saobei");
	return 0;
}

static int setup_leshua(void **state)
{
	*state = load("leshua");
	return 0;
}

static int setup_both(void **state)
{
	rcn_profile **both = malloc(2 * sizeof(*both));
	both[0] = load("saobei");
	both[1] = load("leshua");
	*state = both;
	return 0;
}

static int teardown_one(void **state)
{
	rcn_profile_free(*state);
	return 0;
}

static int teardown_both(void **state)
{
	rcn_profile **both = *state;
	rcn_profile_free(both[0]);
	rcn_profile_free(both[1]);
	free(both);
	return 0;
}

RCN_TEST_MAIN(cmocka_unit_test(test_load_shipped), cmocka_unit_test(test_load_errors),
	      cmocka_unit_test(test_load_error_cases),
	      cmocka_unit_test_setup_teardown(test_saobei_good, setup_saobei, teardown_one),
	      cmocka_unit_test_setup_teardown(test_saobei_totals_mismatch, setup_saobei, teardown_one),
	      cmocka_unit_test_setup_teardown(test_saobei_missing_footer, setup_saobei, teardown_one),
	      cmocka_unit_test_setup_teardown(test_saobei_period, setup_saobei, teardown_one),
	      cmocka_unit_test_setup_teardown(test_saobei_bad_row, setup_saobei, teardown_one),
	      cmocka_unit_test_setup_teardown(test_leshua_good, setup_leshua, teardown_one),
	      cmocka_unit_test_setup_teardown(test_leshua_totals_mismatch, setup_leshua, teardown_one),
	      cmocka_unit_test_setup_teardown(test_leshua_missing_footer, setup_leshua, teardown_one),
	      cmocka_unit_test_setup_teardown(test_leshua_bad_row, setup_leshua, teardown_one),
	      cmocka_unit_test_setup_teardown(test_byte_at_a_time, setup_both, teardown_both),
	      cmocka_unit_test(test_edge_cases))
