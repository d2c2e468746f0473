/* The table every statement format implements, behind rcn_parser. */
#ifndef RECON_PARSER_INTERNAL_H
#define RECON_PARSER_INTERNAL_H

#include "recon/parse.h"

typedef struct {
	const char *name; /* format family, e.g. "alipay-trade" */
	/* new: a parser state for spec (spec is valid for the parser's lifetime) */
	void *(*create)(const rcn_parser_spec *spec);
	rcn_rc (*feed)(void *state, const char *buf, size_t n, rcn_err *err);
	rcn_rc (*finish)(void *state, rcn_stmt_result *out);
	void (*destroy)(void *state);
} rcn_parser_ops;

/* The ops of a format, or NULL when no parser reads it. */
const rcn_parser_ops *rcn_parser_ops_of(rcn_format_kind kind);

extern const rcn_parser_ops rcn_wechat_trade_ops;
extern const rcn_parser_ops rcn_wechat_fundflow_ops;
extern const rcn_parser_ops rcn_alipay_trade_ops;
extern const rcn_parser_ops rcn_alipay_summary_ops;
extern const rcn_parser_ops rcn_alipay_account_ops;
extern const rcn_parser_ops rcn_unionpay_zm_ops;
extern const rcn_parser_ops rcn_unionpay_zme_ops;
extern const rcn_parser_ops rcn_unionpay_rd_ops;
extern const rcn_parser_ops rcn_profile_ops;

#endif
