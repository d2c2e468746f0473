/* rcn_parser: dispatches the one lifecycle to the format's own parser. The
 * formats are the ones the channel registry names (recon/channel.h), plus
 * profiles; test_channels checks that each has its ops here. */
#include <stdlib.h>

#include "parse/parser_internal.h"

struct rcn_parser {
	rcn_parser_spec spec;
	const rcn_parser_ops *ops;
	void *state;
};

static const rcn_parser_ops *const table[RCN_FMT__COUNT] = {
	[RCN_FMT_WECHAT_TRADE] = &rcn_wechat_trade_ops,
	[RCN_FMT_WECHAT_FUNDFLOW] = &rcn_wechat_fundflow_ops,
	[RCN_FMT_ALIPAY_TRADE] = &rcn_alipay_trade_ops,
	[RCN_FMT_ALIPAY_SUMMARY] = &rcn_alipay_summary_ops,
	[RCN_FMT_ALIPAY_ACCOUNT] = &rcn_alipay_account_ops,
	[RCN_FMT_UNIONPAY_ZM] = &rcn_unionpay_zm_ops,
	[RCN_FMT_UNIONPAY_ZME] = &rcn_unionpay_zme_ops,
	[RCN_FMT_UNIONPAY_RD] = &rcn_unionpay_rd_ops,
	[RCN_FMT_PROFILE] = &rcn_profile_ops,
};

const rcn_parser_ops *rcn_parser_ops_of(rcn_format_kind kind)
{
	return (unsigned)kind < RCN_FMT__COUNT ? table[kind] : NULL;
}

rcn_parser *rcn_parser_new(const rcn_parser_spec *spec)
{
	rcn_parser *p = rcn_xcalloc(1, sizeof(*p));
	p->spec = *spec;
	p->ops = table[spec->kind];
	p->state = p->ops->create(&p->spec);
	return p;
}

rcn_rc rcn_parser_feed(rcn_parser *p, const char *buf, size_t n, rcn_err *err)
{
	return p->ops->feed(p->state, buf, n, err);
}

rcn_rc rcn_parser_finish(rcn_parser *p, rcn_stmt_result *out)
{
	return p->ops->finish(p->state, out);
}

void rcn_parser_free(rcn_parser *p)
{
	if (!p)
		return;
	p->ops->destroy(p->state);
	free(p);
}
