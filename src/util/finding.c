/* Names of the discrepancy kinds, in English and Chinese (DESIGN.md §3). */
#include "recon/finding.h"

static const char *const names[RCN_K__COUNT][2] = {
	{"SHORT_PAYMENT", "短款"},
	{"OVERPAYMENT", "长款"},
	{"STATUS_MISMATCH", "状态不符"},
	{"CURRENCY_MISMATCH", "币种不符"},
	{"DOUBLE_CHARGE", "重复扣款"},
	{"REFUND_MISMATCH", "退款不符"},
	{"FEE_MISMATCH", "手续费不符"},
	{"SETTLEMENT_MISMATCH", "结算不符"},
	{"DEBIT_AFTER_TERMINATION", "解约后扣款"},
	{"DEBIT_OVER_LIMIT", "超限扣款"},
	{"DEBIT_TOO_FREQUENT", "超频扣款"},
	{"DUPLICATE_RECORD", "重复记录"},
	{"PENDING", "待核对"},
	{"MATCHED", "已匹配"},
};

const char *rcn_kind_name(rcn_kind k)
{
	return (unsigned)k < RCN_K__COUNT ? names[k][0] : "?";
}

const char *rcn_kind_name_cn(rcn_kind k)
{
	return (unsigned)k < RCN_K__COUNT ? names[k][1] : "?";
}
