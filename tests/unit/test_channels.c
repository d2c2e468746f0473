/* The channel registry (recon/channel.h): every row is consistent — each
 * bill and archive entry reaches a parser, each API a download function,
 * every key an API names is one the configuration reader knows — and the
 * readers of the registry (config, recon check's parser choice) follow it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch/api.h"
#include "parse/parser_internal.h"
#include "recon/channel.h"
#include "recon/config.h"
#include "recon/parse.h"

static size_t n_bills(const rcn_channel *c)
{
	size_t n = 0;
	while (n < RCN_CHANNEL_MAX_BILLS && c->bills[n].name)
		n++;
	return n;
}

static size_t n_apis(const rcn_channel *c)
{
	size_t n = 0;
	while (n < RCN_CHANNEL_MAX_APIS && c->apis[n].name)
		n++;
	return n;
}

/* A format a built-in bill or archive entry is read as: a parser of its own. */
static void assert_parser(rcn_format_kind f)
{
	assert_true((unsigned)f < RCN_FMT__COUNT);
	assert_int_not_equal(f, RCN_FMT_PROFILE);
	const rcn_parser_ops *ops = rcn_parser_ops_of(f);
	assert_non_null(ops);
	assert_non_null(ops->create);
	assert_non_null(ops->feed);
	assert_non_null(ops->finish);
	assert_non_null(ops->destroy);
}

static void test_rows_consistent(void **state)
{
	(void)state;
	size_t n = rcn_channel_count();
	assert_true(n >= 3);
	assert_null(rcn_channel_at(n));
	bool api_seen[RCN_API__COUNT] = {false};
	for (size_t i = 0; i < n; i++) {
		const rcn_channel *c = rcn_channel_at(i);
		assert_non_null(c->name);
		assert_true(c->name[0] != '\0');
		assert_ptr_equal(rcn_channel_find(c->name), c); /* names are unique */
		/* a built-in name must not hide a profile of the same name */
		char profile[4096];
		struct stat st;
		snprintf(profile, sizeof(profile), "%s/channels/%s.conf", RECON_RULES_DIR, c->name);
		assert_int_not_equal(stat(profile, &st), 0);

		/* every channel publishes the default bill, first; each bill reaches a parser */
		assert_true(n_bills(c) >= 1);
		assert_string_equal(c->bills[0].name, RCN_BILL_DEFAULT);
		for (size_t b = 0; b < n_bills(c); b++) {
			const rcn_bill *bill = &c->bills[b];
			assert_ptr_equal(rcn_channel_bill(c, bill->name), bill); /* unique within the channel */
			assert_parser(bill->format);
			if (bill->bare_refused)
				assert_non_null(bill->archive); /* else the bill could never be read */
			if (!bill->archive)
				continue;
			/* an archive layout: a detail entry of the bill's format, each entry a parser */
			const rcn_archive_layout *l = bill->archive;
			bool detail = false;
			assert_non_null(l->shown);
			for (size_t r = 0; r < RCN_LAYOUT_MAX_RULES && l->rules[r].role != RCN_ENTRY_NONE; r++) {
				const rcn_entry_rule *rule = &l->rules[r];
				assert_true(rule->role > RCN_ENTRY_NONE && rule->role < RCN_ENTRY__COUNT);
				assert_true(rule->contains || rule->prefix || rule->suffix);
				if (rule->role != RCN_ENTRY_KNOWN)
					assert_parser(rule->format);
				if (rule->role == RCN_ENTRY_DETAIL) {
					assert_int_equal(rule->format, bill->format);
					detail = true;
				}
			}
			assert_true(detail);
		}

		/* every API: a unique name and id, a download function, the keys it needs */
		for (size_t a = 0; a < n_apis(c); a++) {
			const rcn_api_info *api = &c->apis[a];
			const rcn_channel *owner = NULL;
			assert_ptr_equal(rcn_channel_api_find(api->name, &owner), api);
			assert_ptr_equal(owner, c);
			assert_true(api->id > RCN_API_NONE && api->id < RCN_API__COUNT);
			assert_false(api_seen[api->id]);
			api_seen[api->id] = true;
			assert_non_null(rcn_api_function(api->id));
			assert_non_null(api->required[0]);
		}
	}
	/* every download function is some channel's */
	for (int id = RCN_API_NONE + 1; id < RCN_API__COUNT; id++)
		assert_true(api_seen[id]);
}

static void test_lookup(void **state)
{
	(void)state;
	/* not built in: a profile (rules/channels/<name>.conf) */
	assert_null(rcn_channel_find("saobei"));
	assert_null(rcn_channel_find("paypal"));
	assert_null(rcn_channel_find(NULL));
	const rcn_channel *wx = rcn_channel_find("wechat");
	assert_non_null(wx);
	assert_int_equal(rcn_channel_bill(wx, NULL)->format, RCN_FMT_WECHAT_TRADE);
	assert_int_equal(rcn_channel_bill(wx, "fundflow")->format, RCN_FMT_WECHAT_FUNDFLOW);
	assert_null(rcn_channel_bill(wx, "account"));
	assert_int_equal(rcn_channel_bill(rcn_channel_find("alipay"), "account")->format, RCN_FMT_ALIPAY_ACCOUNT);
	const rcn_channel *owner = NULL;
	assert_int_equal(rcn_channel_api_find("wechat-v2", &owner)->id, RCN_API_WECHAT_V2);
	assert_ptr_equal(owner, wx);
	assert_null(rcn_channel_api_find("wechat-v4", NULL));
	assert_null(rcn_channel_api_find(NULL, NULL));

	/* the lists messages name, in registry order */
	char out[256];
	rcn_channel_list(out, sizeof(out), RCN_LIST_CHANNELS, ", ");
	assert_string_equal(out, "wechat, alipay, unionpay");
	rcn_channel_list(out, sizeof(out), RCN_LIST_BILLS, " or ");
	assert_string_equal(out, "trade, fundflow or account");
	rcn_channel_list(out, sizeof(out), RCN_LIST_APIS, " or ");
	assert_string_equal(out, "wechat-v3, wechat-v2, alipay or unionpay");
	rcn_channel_list(out, 10, RCN_LIST_APIS, " or ");
	assert_string_equal(out, "wechat-v3");
}

/* ---- the configuration reader follows the registry ---- */

static char conf[64];

/* Loads text; "" when it loads, else the message without the temp path. */
static const char *load(const char *text)
{
	static char msg[1200];
	rcn_config *cfg = NULL;
	rcn_err err;
	snprintf(conf, sizeof(conf), "/tmp/recon-channels-XXXXXX");
	int fd = mkstemp(conf);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	rcn_rc rc = rcn_config_load(&cfg, conf, &err);
	unlink(conf);
	if (rc == RCN_OK) {
		rcn_config_free(cfg);
		return "";
	}
	char buf[1200];
	rcn_err_format(&err, buf, sizeof(buf));
	snprintf(msg, sizeof(msg), "%s", buf + strlen(conf));
	return msg;
}

/* A value [source] accepts for each key the registry names; a key missing
 * here is one the configuration reader would have to learn first. */
static const char *example_value(const char *key)
{
	static const char *const values[][2] = {
		{"private_key", "key.pem"}, {"cert_serial", "01"},	    {"platform_cert", "cert.pem"},
		{"app_id", "app"},	    {"api_key_file", "api.key"},    {"platform_key_id", "PUB_KEY_ID_1"},
		{"max_clock_skew", "60"},   {"bill_hosts", "bill.example"}, {"allow_http_download", "yes"},
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (strcmp(values[i][0], key) == 0)
			return values[i][1];
	fail_msg("no example value for [source] key '%s'", key);
	return NULL;
}

static void source_text(char *out, size_t n, const rcn_channel *c, const rcn_api_info *api, const char *skip,
			const char *extra)
{
	size_t used =
		(size_t)snprintf(out, n, "[source s]\nchannel = %s\nmerchant_id = 1\napi = %s\n", c->name, api->name);
	for (size_t k = 0; k < RCN_API_MAX_KEYS && api->required[k]; k++)
		if (!skip || strcmp(api->required[k], skip) != 0)
			used += (size_t)snprintf(out + used, n - used, "%s = %s\n", api->required[k],
						 example_value(api->required[k]));
	if (extra)
		snprintf(out + used, n - used, "%s = %s\n", extra, example_value(extra));
}

static void test_config_follows_registry(void **state)
{
	(void)state;
	char text[2048], want[512];
	for (size_t i = 0; i < rcn_channel_count(); i++) {
		const rcn_channel *c = rcn_channel_at(i);
		for (size_t b = 0; b < n_bills(c); b++) {
			snprintf(text, sizeof(text),
				 "[source s]\nchannel = %s\nbill = %s\nmerchant_id = 1\nlocation = x\n", c->name,
				 c->bills[b].name);
			assert_string_equal(load(text), "");
		}
		for (size_t a = 0; a < n_apis(c); a++) {
			const rcn_api_info *api = &c->apis[a];
			source_text(text, sizeof(text), c, api, NULL, NULL);
			assert_string_equal(load(text), "");
			for (size_t k = 0; k < RCN_API_MAX_KEYS && api->required[k]; k++) {
				source_text(text, sizeof(text), c, api, api->required[k], NULL);
				snprintf(want, sizeof(want), ":1: [source s] lacks the required key '%s' (for api %s)",
					 api->required[k], api->name);
				assert_string_equal(load(text), want);
			}
			/* an API's own keys: accepted with it, refused with every other API */
			for (size_t k = 0; k < RCN_API_MAX_KEYS && api->only[k]; k++) {
				source_text(text, sizeof(text), c, api, NULL, api->only[k]);
				assert_string_equal(load(text), "");
				for (size_t j = 0; j < rcn_channel_count(); j++) {
					const rcn_channel *other = rcn_channel_at(j);
					for (size_t o = 0; o < n_apis(other); o++) {
						if (&other->apis[o] == api)
							continue;
						source_text(text, sizeof(text), other, &other->apis[o], NULL,
							    api->only[k]);
						snprintf(want, sizeof(want),
							 ":1: [source s]: '%s' is for api = %s only", api->only[k],
							 api->name);
						assert_string_equal(load(text), want);
					}
				}
			}
		}
	}
	assert_string_equal(load("[source s]\nbill = weekly\n"),
			    ":2: bad value for 'bill': 'weekly' (use trade, fundflow or account)");
	assert_string_equal(load("[source s]\nchannel = saobei\nbill = fundflow\nmerchant_id = 1\nlocation = x\n"),
			    ":1: [source s]: channel saobei has no 'fundflow' bill");
	assert_string_equal(load("[source s]\nchannel = saobei\napi = alipay\nmerchant_id = 1\nlocation = x\n"),
			    ":1: [source s]: api alipay needs channel = alipay");
}

/* ---- the statement reader follows the registry ---- */

static rcn_rc check_file(const char *path, const char *channel, const char *bill, rcn_stmt_result *res)
{
	rcn_stmt_kind kind = {channel, bill, NULL, 0, false};
	return rcn_stmt_parse(path, "bill.zip", &kind, NULL, NULL, NULL, res, NULL);
}

/* A zip for a bill with no archive layout says so, instead of naming
 * another channel's layout (it named Alipay's 业务明细 for WeChat). */
static void test_zip_without_layout(void **state)
{
	(void)state;
	rcn_stmt_result res;
	assert_int_equal(check_file(FIXTURES_DIR "/zip/stored.zip", "wechat", "trade", &res), RCN_EFORMAT);
	assert_true(res.rejected);
	assert_string_equal(res.reason.file, "bill.zip");
	assert_string_equal(res.reason.msg, "a wechat statement is a plain or gzip file, not a zip archive");
	assert_int_equal(check_file(FIXTURES_DIR "/zip/stored.zip", "wechat", "fundflow", &res), RCN_EFORMAT);
	assert_string_equal(res.reason.msg, "a wechat statement is a plain or gzip file, not a zip archive");
	/* a channel that is neither built in nor given a profile */
	assert_int_equal(check_file(FIXTURES_DIR "/zip/stored.zip", "paypal", NULL, &res), RCN_EUSAGE);
	assert_string_equal(res.reason.msg, "unsupported channel: paypal");
}

RCN_TEST_MAIN(cmocka_unit_test(test_rows_consistent), cmocka_unit_test(test_lookup),
	      cmocka_unit_test(test_config_follows_registry), cmocka_unit_test(test_zip_without_layout))
