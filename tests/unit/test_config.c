/* The configuration reader: values, defaults, and file:line messages for every mistake. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recon/config.h"
#include "recon/db.h"

/* The configuration's loader, for test_util's loads. */
static rcn_rc load_config(void *out, const char *path, rcn_err *err)
{
	return rcn_config_load(out, path, err);
}

/* The load error of text, without the temporary file's path. */
static const char *load_error(const char *text)
{
	return tu_load_error(load_config, text, NULL);
}

static const char *good = "# comment\n"
			  "[ledger]\n"
			  "conninfo = host=/tmp dbname=books\n"
			  "orders_query = SELECT order_no, merchant_id\n"
			  "   FROM shop.orders\n"
			  "[run]\n"
			  "timezone = Asia/Shanghai\n"
			  "carry_over_days = 5\n"
			  "reports = out/reports\n"
			  "[source wx]\n"
			  "channel = wechat\n"
			  "merchant_id = 1900000109\n"
			  "location = file:///data/wx/{yyyymmdd}/{yyyy-mm-dd}-{yyyymm}.csv.gz\n"
			  "fee_rate = 0.60%\n"
			  "[source sp]\n"
			  "channel = wechat\n"
			  "merchant_id = 1900000001\n"
			  "location = bills/sp_{yyyymmdd}.csv\n"
			  "sub_merchants = 1900000002, 1900000003\n";

static void test_values(void **state)
{
	(void)state;
	rcn_err err;
	char out[4096];
	rcn_config *cfg = tu_load_text(load_config, good);
	assert_string_equal(cfg->conninfo, "host=/tmp dbname=books");
	assert_string_equal(cfg->orders_sql, "SELECT order_no, merchant_id FROM shop.orders");
	assert_null(cfg->refunds_sql);
	assert_int_equal(cfg->carry_over_days, 5);
	assert_string_equal(cfg->spool_dir, "spool");
	assert_null(cfg->scratch_dir); /* a night in parts spills under the spool */
	assert_int_equal(cfg->lock_wait_seconds, 600);
	assert_int_equal(cfg->n_sources, 2);
	assert_string_equal(cfg->sources[0].name, "wx");
	assert_true(cfg->sources[0].has_fee_rate);
	assert_int_equal(cfg->sources[0].fee_rate_ppm, 6000);
	assert_false(cfg->sources[1].has_fee_rate);
	assert_int_equal(cfg->sources[1].n_sub_merchants, 2);
	assert_string_equal(cfg->sources[1].sub_merchants[1], "1900000003");
	rcn_date d = rcn_date_from_ymd(2026, 1, 5);
	assert_int_equal(rcn_config_expand_location(out, sizeof(out), cfg->sources[0].location, "/etc/recon", d, &err),
			 RCN_OK);
	assert_string_equal(out, "/data/wx/20260105/2026-01-05-202601.csv.gz");
	assert_int_equal(rcn_config_expand_location(out, sizeof(out), cfg->sources[1].location, "/etc/recon", d, &err),
			 RCN_OK);
	assert_string_equal(out, "/etc/recon/bills/sp_20260105.csv");
	assert_int_equal(rcn_config_expand_location(out, sizeof(out), "x/{yyyy}.csv", "/etc", d, &err), RCN_EUSAGE);
	assert_string_equal(err.msg,
			    "location 'x/{yyyy}.csv': unknown placeholder (use {yyyymmdd}, {yyyy-mm-dd} or {yyyymm})");
	rcn_config_free(cfg);
}

static void test_defaults(void **state)
{
	(void)state;
	rcn_config *cfg = tu_load_text(load_config, "[source a]\nchannel=wechat\nmerchant_id=1\nlocation=a.csv\n");
	assert_string_equal(cfg->conninfo, "");
	assert_string_equal(cfg->timezone, "Asia/Shanghai");
	assert_int_equal(cfg->carry_over_days, 3);
	assert_string_equal(cfg->reports_dir, "reports");
	rcn_config_free(cfg);
}

static void test_errors(void **state)
{
	(void)state;
	static const tu_load_case cases[] = {
		{"[run]\ncarry_over_dayz = 3\n", -1, ":2: unknown key 'carry_over_dayz' in [run]"},
		{"[runn]\n", -1, ":1: unknown section [runn]"},
		{"[run]\ncarry_over_days = three\n", -1,
		 ":2: bad value for 'carry_over_days': expected a whole number from 0 to 60"},
		{"[run]\ntimezone = Mars/Olympus\n", -1,
		 ":2: bad value for 'timezone': unknown time zone 'Mars/Olympus'"},
		{"[source a]\nchannel = pay pal\n", -1,
		 ":2: bad value for 'channel': 'pay pal' is not a channel name (letters, digits, - and _)"},
		{"[source a]\nchannel = unionpay\nbill = fundflow\nmerchant_id = 1\nlocation = a\n", -1,
		 ":1: [source a]: channel unionpay has no 'fundflow' bill"},
		{"[source a]\nchannel = wechat\nlocation = a.csv\n", -1,
		 ":1: [source a] lacks the required key 'merchant_id'"},
		{"[source a]\nchannel=wechat\nmerchant_id=1\nlocation=a\nfee_rate = 0.6\n", -1,
		 ":5: bad value for 'fee_rate': invalid rate \"0.6\": expected a percentage like 0.60%"},
		{"[source a]\nchannel=wechat\nmerchant_id=1\nlocation=a\nfee = 1\n", -1,
		 ":5: unknown key 'fee' in [source a]"},
		{"[run]\njust words\n", -1, ":2: expected 'key = value', found 'just words'"},
		{"[run]\n", -1, ": no [source NAME] section: nothing to reconcile"},
		{"[source a]\nchannel=wechat\nmerchant_id=1\nlocation=a\n[source a]\n", -1,
		 ":5: [source a] appears twice"},
		{"[source a]\nchannel=wechat\nmerchant_id=1\nlocation=http://x/{yyyymmdd}\n", -1,
		 ":4: bad value for 'location': use a path or a file://, https:// or sftp:// URL, not "
		 "'http://x/{yyyymmdd}' (plain http is refused: TLS is always on)"},
	};
	tu_expect_load_errors(load_config, cases, sizeof(cases) / sizeof(cases[0]));

	setenv("RECON_RULES", "/nonexistent-rules", 1);
	assert_string_equal(load_error("[source a]\nchannel = paypal\nmerchant_id = 1\nlocation = a.csv\n"),
			    ":1: [source a]: unknown channel 'paypal' (built in: wechat, alipay, unionpay; no profile "
			    "/nonexistent-rules/channels/paypal.conf)");
	unsetenv("RECON_RULES");
}

static void test_api_sources(void **state)
{
	(void)state;
	static const tu_load_case cases[] = {
		{"[source w]\nchannel = wechat\nmerchant_id = 1\napi = wechat-v4\n", -1,
		 ":4: bad value for 'api': 'wechat-v4' (use wechat-v3, wechat-v2, alipay or unionpay)"},
		{"[source w]\nchannel = alipay\nmerchant_id = 1\napi = wechat-v3\n", -1,
		 ":1: [source w]: api wechat-v3 needs channel = wechat"},
		{"[source w]\nchannel = wechat\nmerchant_id = 1\napi = wechat-v3\n"
		 "private_key = k.pem\ncert_serial = 5157F0\n",
		 -1, ":1: [source w] lacks the required key 'platform_cert' (for api wechat-v3)"},
		{"[source w]\nchannel = wechat\nmerchant_id = 1\napi = wechat-v2\napp_id = wx1\n", -1,
		 ":1: [source w] lacks the required key 'api_key_file' (for api wechat-v2)"},
		{"[fetch]\nattempts = 0\n", -1, ":2: bad value for 'attempts': expected a whole number from 1 to 20"},
		{"[fetch]\nretries = 3\n", -1, ":2: unknown key 'retries' in [fetch]"},
		{"[run]\nfee_tolerance = 1%\n", -1,
		 ":2: bad value for 'fee_tolerance': expected an amount in yuan like 0.01"},
		{"[items]\nwriteoff_approval = 1,000\n", -1,
		 ":2: bad value for 'writeoff_approval': expected an amount in yuan like 1000.00"},
		{"[items]\nwriteoff_approval = -1\n", -1,
		 ":2: bad value for 'writeoff_approval': expected an amount in yuan like 1000.00"},
		{"[items]\napproval = 1\n", -1, ":2: unknown key 'approval' in [items]"},
		{"[items]\n[items]\n", -1, ":2: section [items] appears twice"},
	};
	tu_expect_load_errors(load_config, cases, sizeof(cases) / sizeof(cases[0]));

	rcn_config *items = tu_load_text(load_config, "[items]\nwriteoff_approval = 200.5\n[source w]\nchannel = "
						      "wechat\nmerchant_id = 1\nlocation = a.csv\n");
	assert_int_equal(items->writeoff_approval_fen, 20050);
	rcn_config_free(items);
	items = tu_load_text(load_config, "[source w]\nchannel = wechat\nmerchant_id = 1\nlocation = a.csv\n");
	assert_int_equal(items->writeoff_approval_fen, 100000); /* the default, 1000.00 yuan */
	rcn_config_free(items);

	rcn_config *cfg = tu_load_text(load_config,
				       "[fetch]\ntimeout = 30\n[source w]\nchannel = wechat\nmerchant_id = 1601959334\n"
				       "api = wechat-v3\nprivate_key = keys/m.pem\ncert_serial = 5157F0\n"
				       "platform_cert = /etc/recon/wx.pem\napi_base = https://127.0.0.1:8443\n");
	assert_int_equal(cfg->fetch.timeout_s, 30);
	assert_int_equal(cfg->fetch.attempts, 3);
	assert_true(rcn_config_source_remote(&cfg->sources[0]));
	assert_string_equal(cfg->sources[0].platform_cert, "/etc/recon/wx.pem");
	assert_string_equal(cfg->sources[0].private_key, "/tmp/keys/m.pem"); /* relative to the config's dir */
	rcn_config_free(cfg);
}

/* The download checks' keys (issue 16): parsed, range-checked, and refused on an api they do not concern. */
static void test_answer_checks(void **state)
{
	(void)state;
	const char *v3 = "[source w]\nchannel = wechat\nmerchant_id = 1\napi = wechat-v3\nprivate_key = k.pem\n"
			 "cert_serial = 5157F0\nplatform_cert = p.pem\n";
	const char *ali = "[source a]\nchannel = alipay\nmerchant_id = 2088\napi = alipay\napp_id = 2021\n"
			  "private_key = k.pem\nplatform_cert = p.pem\n";
	char text[1024];
	/* a key line after a whole [source] section: refused with its line or its section */
	const struct {
		const char *source, *key_line, *msg;
	} bad[] = {
		{v3, "max_clock_skew = 0",
		 ":8: bad value for 'max_clock_skew': expected a whole number from 1 to 3600"},
		{ali, "allow_http_download = true", ":8: bad value for 'allow_http_download': 'true' (use yes or no)"},
		{ali, "bill_hosts = dwbillcenter.alipay.com, *.alipay.com",
		 ":8: bad value for 'bill_hosts': '*.alipay.com' is not a host name"},
		{ali, "bill_hosts = ,", ":8: bad value for 'bill_hosts': a host name is required"},
		{v3, "bill_hosts = 127.0.0.1", ":1: [source w]: 'bill_hosts' is for api = alipay only"},
		{v3, "allow_http_download = yes", ":1: [source w]: 'allow_http_download' is for api = alipay only"},
		{ali, "max_clock_skew = 60", ":1: [source a]: 'max_clock_skew' is for api = wechat-v3 only"},
		{ali, "platform_key_id = PUB_KEY_ID_01",
		 ":1: [source a]: 'platform_key_id' is for api = wechat-v3 only"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s\n", bad[i].source, bad[i].key_line);
		assert_string_equal(load_error(text), bad[i].msg);
	}

	snprintf(text, sizeof(text),
		 "%smax_clock_skew = 120\nplatform_key_id = PUB_KEY_ID_01\n%sbill_hosts = 127.0.0.1, "
		 "Dwbillcenter.alipay.com\nallow_http_download = yes\n",
		 v3, ali);
	rcn_config *cfg = tu_load_text(load_config, text);
	assert_int_equal(cfg->sources[0].max_clock_skew_s, 120);
	assert_string_equal(cfg->sources[0].platform_key_id, "PUB_KEY_ID_01");
	assert_null(cfg->sources[0].bill_hosts);
	assert_false(cfg->sources[0].allow_http_download);
	assert_int_equal(cfg->sources[1].max_clock_skew_s, 0); /* the default, 300 s, applies */
	assert_int_equal(cfg->sources[1].n_bill_hosts, 2);
	assert_string_equal(cfg->sources[1].bill_hosts[0], "127.0.0.1");
	assert_string_equal(cfg->sources[1].bill_hosts[1], "Dwbillcenter.alipay.com");
	assert_true(cfg->sources[1].allow_http_download);
	rcn_config_free(cfg);
}

/* A location's placeholders are checked when the file is read: a typo is a
 * configuration error (file, line, key), not a source that fails at night. */
static void test_location_placeholders(void **state)
{
	(void)state;
	static const tu_load_case cases[] = {
		{"[source a]\nchannel=wechat\nmerchant_id=1\nlocation = bills/{bogus}/{yyyymmdd}.csv\n", -1,
		 ":4: bad value for 'location': unknown placeholder '{bogus}' (use {yyyymmdd}, {yyyy-mm-dd} or "
		 "{yyyymm})"},
		{"[source a]\nchannel=wechat\nmerchant_id=1\nlocation = {yyyymmdd}_{yyyy}.csv\n", -1,
		 ":4: bad value for 'location': unknown placeholder '{yyyy}' (use {yyyymmdd}, {yyyy-mm-dd} or "
		 "{yyyymm})"},
		{"[source a]\nchannel=wechat\nmerchant_id=1\nlocation = https://h/x?d={yyyymmdd\n", -1,
		 ":4: bad value for 'location': unknown placeholder '{yyyymmdd' (use {yyyymmdd}, {yyyy-mm-dd} or "
		 "{yyyymm})"},
	};
	tu_expect_load_errors(load_config, cases, sizeof(cases) / sizeof(cases[0]));
}

/* conninfo is parsed by libpq's own parser (no connection): a malformed one
 * is a usage error that says why and never shows the password. */
static void test_conninfo(void **state)
{
	(void)state;
	rcn_err err;
	assert_int_equal(rcn_db_check_conninfo("host=/tmp dbname=books", &err), RCN_OK);
	assert_int_equal(rcn_db_check_conninfo("", &err), RCN_OK);
	assert_int_equal(rcn_db_check_conninfo("postgresql://u@localhost/db?sslmode=require", &err), RCN_OK);
	assert_int_equal(rcn_db_check_conninfo("host=/tmp dbnme=books", &err), RCN_EUSAGE);
	assert_string_equal(err.msg, "invalid connection option \"dbnme\"");
	assert_int_equal(rcn_db_check_conninfo("host=/tmp password='s3cr3t", &err), RCN_EUSAGE);
	assert_null(strstr(err.msg, "s3cr3t"));
	assert_int_equal(rcn_db_check_conninfo("host=/tmp dbname", &err), RCN_EUSAGE);
	assert_string_equal(err.msg, "missing \"=\" after \"dbname\" in connection info string");

	rcn_config *cfg =
		tu_load_text(load_config, "[ledger]\nconninfo = host=/tmp dbnme=books\n[source a]\nchannel=wechat\n"
					  "merchant_id=1\nlocation=a\n");
	assert_int_equal(cfg->conninfo_line, 2);
	rcn_config_free(cfg);
}

static void test_missing_file(void **state)
{
	(void)state;
	assert_string_equal(tu_load_error_at(load_config, "/nonexistent/recon.conf", NULL),
			    "/nonexistent/recon.conf: cannot read configuration: No such file or directory");
}

/* [run] memory and --memory: sizes in powers of 1024, anything else refused. */
static void test_sizes(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_true(rcn_config_parse_size("1GB", &v) && v == (uint64_t)1 << 30);
	assert_true(rcn_config_parse_size("800MiB", &v) && v == (uint64_t)800 << 20);
	assert_true(rcn_config_parse_size("512m", &v) && v == (uint64_t)512 << 20);
	assert_true(rcn_config_parse_size("64k", &v) && v == (uint64_t)64 << 10);
	assert_true(rcn_config_parse_size("2T", &v) && v == (uint64_t)2 << 40);
	assert_true(rcn_config_parse_size("65536", &v) && v == 65536);
	const char *bad[] = {
		"", "0", "0GB", "GB", "1.5GB", "-1GB", "1 GB", "1GBs", "1X", "99999999999999999999", "17179869184G"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(rcn_config_parse_size(bad[i], &v));
	/* where a night in parts spills */
	rcn_config *cfg = tu_load_text(load_config, "[run]\nmemory = 800MB\nscratch = /var/tmp/recon\n"
						    "[source a]\nchannel=wechat\nmerchant_id=1\nlocation=a.csv\n");
	assert_true(cfg->memory == (uint64_t)800 << 20);
	assert_string_equal(cfg->scratch_dir, "/var/tmp/recon");
	rcn_config_free(cfg);
	assert_string_equal(load_error("[run]\nscratch =\n"), ":2: bad value for 'scratch': a directory is required");
}

RCN_TEST_MAIN(cmocka_unit_test(test_values), cmocka_unit_test(test_sizes), cmocka_unit_test(test_defaults),
	      cmocka_unit_test(test_errors), cmocka_unit_test(test_api_sources), cmocka_unit_test(test_answer_checks),
	      cmocka_unit_test(test_missing_file), cmocka_unit_test(test_location_placeholders),
	      cmocka_unit_test(test_conninfo))
