/* Placeholder for the Alipay and WeChat fund-flow formats until they land: every file is rejected
 * as "format not supported yet", so nothing unverified is reconciled. */
#include <stdio.h>
#include <string.h>

#include "parse/parser_internal.h"

static void *stub_create(const rcn_parser_spec *spec)
{
	return (void *)spec;
}

static rcn_rc stub_feed(void *state, const char *buf, size_t n, rcn_err *err)
{
	(void)state, (void)buf, (void)n, (void)err;
	return RCN_OK;
}

static rcn_rc stub_finish(void *state, rcn_stmt_result *out)
{
	const rcn_parser_spec *spec = state;
	memset(out, 0, sizeof(*out));
	out->rejected = true;
	return rcn_err_set(&out->reason, RCN_EFORMAT, spec->file, 0, "format not supported yet");
}

static void stub_destroy(void *state)
{
	(void)state;
}

#define STUB(ops, label) const rcn_parser_ops ops = {label, stub_create, stub_feed, stub_finish, stub_destroy};

STUB(rcn_wechat_fundflow_ops, "wechat-fundflow")
STUB(rcn_alipay_trade_ops, "alipay-trade")
STUB(rcn_alipay_summary_ops, "alipay-summary")
STUB(rcn_alipay_account_ops, "alipay-account")
