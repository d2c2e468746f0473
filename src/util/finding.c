/* Names of the discrepancy kinds, in English and Chinese (DESIGN.md §3), and
 * the Chinese of every reason code the matcher and the rules emit: the one
 * glossary (README.md "Glossary / 术语") every output uses. Owns nothing. */
#include <string.h>

#include "recon/finding.h"
#include "recon/money.h"

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

#define ANY RCN_K__COUNT /* a reason that means the same under every kind */

/* A reason's words depend on its kind ("amount" is 渠道实收少于账本金额 for a
 * short payment, 到账金额与应结金额不符 for a settlement); the status reasons
 * (ledger_<status>, channel_<status>: the side whose status disagrees) read
 * the same under STATUS_MISMATCH and REFUND_MISMATCH. Keep README.md's
 * glossary table in step (tests/unit/reason_sources.sh checks both). */
static const struct {
	rcn_kind kind;
	const char *reason, *cn;
} reasons[] = {
	{RCN_K_SHORT_PAYMENT, "amount", "渠道实收少于账本金额"},
	{RCN_K_SHORT_PAYMENT, "missing", "账本已支付、渠道对账单无此笔"},
	{RCN_K_OVERPAYMENT, "amount", "渠道实收多于账本金额"},
	{RCN_K_OVERPAYMENT, "missing", "渠道已收款、账本无此订单"},
	{RCN_K_STATUS_MISMATCH, "lost_callback", "回调丢失（渠道已成功、账本未记）"},
	{RCN_K_CURRENCY_MISMATCH, "currency", "账本订单与渠道实收币种不同"},
	{RCN_K_DOUBLE_CHARGE, "same_channel", "同一订单在同一渠道重复收款"},
	{RCN_K_DOUBLE_CHARGE, "cross_channel", "同一订单在两个渠道各收款一次"},
	{RCN_K_DOUBLE_CHARGE, "contract_period", "同一代扣协议在一个周期内重复扣款"},
	{RCN_K_REFUND_MISMATCH, "amount", "退款金额不符"},
	{RCN_K_REFUND_MISMATCH, "exceeds_paid", "退款超过实付金额"},
	{RCN_K_REFUND_MISMATCH, "missing_in_channel", "账本已退款、渠道对账单无此退款"},
	{RCN_K_REFUND_MISMATCH, "missing_in_ledger", "渠道已退款、账本无此退款"},
	{RCN_K_FEE_MISMATCH, "rate", "单笔手续费与费率规则不符"},
	{RCN_K_FEE_MISMATCH, "file_total", "对账单手续费合计与规则不符"},
	{RCN_K_SETTLEMENT_MISMATCH, "late", "结算款逾期到账"},
	{RCN_K_SETTLEMENT_MISMATCH, "amount", "到账金额与应结金额不符"},
	{RCN_K_SETTLEMENT_MISMATCH, "missing", "应结款项未到账"},
	{RCN_K_DEBIT_AFTER_TERMINATION, "after_termination", "协议解约后仍扣款"},
	{RCN_K_DEBIT_AFTER_TERMINATION, "before_signing", "协议签约前扣款"},
	{RCN_K_DEBIT_AFTER_TERMINATION, "after_expiry", "协议到期后扣款"},
	{RCN_K_DEBIT_OVER_LIMIT, "per_debit_limit", "超过协议单笔扣款限额"},
	{RCN_K_DEBIT_OVER_LIMIT, "platform_cap", "超过平台单笔扣款上限"},
	{RCN_K_DEBIT_OVER_LIMIT, "above_average", "超过协议历史平均扣款的200%"},
	{RCN_K_DEBIT_TOO_FREQUENT, "after_failures", "连续扣款失败后仍重试"},
	{RCN_K_DEBIT_TOO_FREQUENT, "retry_interval", "重试间隔短于协议约定"},
	{RCN_K_DEBIT_TOO_FREQUENT, "per_day", "超过协议每日扣款次数"},
	{RCN_K_DUPLICATE_RECORD, "same_transaction_listed_twice", "对账单重复列出同一笔交易"},
	{RCN_K_DUPLICATE_RECORD, "already_reconciled", "已在以前日期对平的交易再次出现"},
	{RCN_K_PENDING, "not_in_ledger", "渠道已收款、账本暂无（等待跨日入账）"},
	{RCN_K_PENDING, "refund_not_in_ledger", "渠道已退款、账本暂无（等待跨日入账）"},
	{RCN_K_PENDING, "not_in_statement", "账本已支付、对账单暂无（等待次日对账单）"},
	{RCN_K_PENDING, "refund_not_in_statement", "账本已退款、对账单暂无（等待次日对账单）"},
	{RCN_K_PENDING, "ledger_later_date", "账本在以后的业务日期入账"},
	{RCN_K_PENDING, "statement_rejected", "当日对账单被拒收，无法核对"},
	{RCN_K_MATCHED, "other_channel", "已匹配，但实际支付渠道与账本所记不同"},
	/* the ledger's status disagrees with a channel that says it succeeded */
	{ANY, "ledger_created", "渠道已成功、账本未支付"},
	{ANY, "ledger_closed", "渠道已成功、账本订单已关闭"},
	{ANY, "ledger_processing", "渠道已退款、账本退款仍在处理中"},
	{ANY, "ledger_failed", "渠道已退款、账本记为退款失败"},
	{ANY, "ledger_missing", "渠道已成功、账本无状态"},
	/* the channel's status disagrees with a ledger that counts the money */
	{ANY, "channel_fail", "账本已记成功、渠道交易失败"},
	{ANY, "channel_processing", "账本已记成功、渠道仍在处理中"},
	{ANY, "channel_revoked", "账本已支付、渠道已撤销"},
	{ANY, "channel_reversed", "账本已支付、渠道已冲正"},
	{ANY, "channel_closed", "账本已记成功、渠道已关闭"},
	{ANY, "channel_refund", "账本已支付、渠道已转入退款"},
	{ANY, "channel_notpay", "账本已支付、渠道未支付"},
	{ANY, "channel_userpaying", "账本已支付、渠道用户支付中"},
	{ANY, "channel_payerror", "账本已支付、渠道支付失败"},
	{ANY, "channel_refundclose", "账本已退款、渠道退款关闭"},
	{ANY, "channel_change", "账本已退款、渠道退款异常"},
	{ANY, "channel_abnormal", "账本已退款、渠道退款异常"},
	{ANY, "channel_missing", "账本已记成功、渠道无状态"},
};

/* The answers this thread gave, by a hash of the question: a report asks
 * for every finding or item, and a night has a few dozen questions (kind and
 * reason), so a hash of the reason and one comparison answer nearly every
 * row instead of a walk of the table, whatever order the rows come in (the
 * open book mixes kinds and reasons row by row). The report writers run on
 * threads of their own. */
#define ANSWERS 64
static _Thread_local struct {
	bool valid;
	rcn_kind kind;
	const char *cn; /* a string of the table: lives as long as the program */
	char text[48];	/* the reason asked (copied: the caller's string may be freed) */
} answers[ANSWERS];

static const char *lookup(rcn_kind kind, const char *reason)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if ((reasons[i].kind == kind || reasons[i].kind == ANY) && strcmp(reasons[i].reason, reason) == 0)
			return reasons[i].cn;
	/* a status the table does not name yet: the side that disagrees, still in Chinese */
	if (strncmp(reason, "ledger_", 7) == 0)
		return "账本状态与渠道不符";
	if (strncmp(reason, "channel_", 8) == 0)
		return "渠道状态与账本不符";
	return NULL;
}

const char *rcn_reason_cn(rcn_kind kind, const char *reason)
{
	uint32_t h = 2166136261u ^ (uint32_t)kind;
	size_t n = 0;
	for (; reason[n]; n++)
		h = (h ^ (unsigned char)reason[n]) * 16777619u;
	unsigned slot = (h ^ h >> 16) % ANSWERS;
	if (answers[slot].valid && answers[slot].kind == kind && n < sizeof(answers[slot].text) &&
	    memcmp(answers[slot].text, reason, n + 1) == 0)
		return answers[slot].cn;
	const char *cn = lookup(kind, reason);
	if (n < sizeof(answers[slot].text)) { /* longer reasons are not kept: none is */
		memcpy(answers[slot].text, reason, n + 1);
		answers[slot].valid = true;
		answers[slot].kind = kind;
		answers[slot].cn = cn;
	}
	return cn;
}

static bool counts_money(const rcn_finding *f, bool ledger)
{
	const char *st = ledger ? f->ledger_status : f->channel_status;
	if (ledger && f->rec_type == RCN_REC_PAYMENT)
		return strcmp(st, "PAID") == 0 || strcmp(st, "REFUNDED") == 0 || strcmp(st, "PARTIALLY_REFUNDED") == 0;
	return strcmp(st, "SUCCESS") == 0;
}

/* Per kind, the quantity and its sides (the table in README.md):
 *   money collected   channel money that moved - ledger money it counts
 *                     (a status the side does not count moved nothing)
 *   currency          the channel's collected amount: the ledger counts
 *                     nothing in that currency (never compared as amounts)
 *   extra charge      DOUBLE_CHARGE: the charge beyond the first
 *   debited amount    the auto-debit kinds: the debit that broke the contract
 *   fee               FEE_MISMATCH: channel fee - expected fee, 1e-5 yuan
 *   money credited    SETTLEMENT_MISMATCH: arrived - expected; none when late
 *                     (it all arrived: the date is the discrepancy)
 * A maker that knows better sets has_difference (a refund's excess). */
bool rcn_finding_delta(const rcn_finding *f, int64_t *out, int *scale)
{
	*scale = f->kind == RCN_K_FEE_MISMATCH ? RCN_SCALE_FEE : RCN_SCALE_FEN;
	if (f->has_difference) {
		*out = f->difference;
		return true;
	}
	int64_t c = f->has_channel_amount && counts_money(f, false) ? f->channel_amount : 0;
	int64_t l = f->has_ledger_amount && counts_money(f, true) ? f->ledger_amount : 0;
	switch (f->kind) {
	case RCN_K_DUPLICATE_RECORD:
		return false;
	case RCN_K_FEE_MISMATCH:
		*out = f->channel_fee - f->expected_fee;
		return f->has_channel_fee && f->has_expected_fee;
	case RCN_K_SETTLEMENT_MISMATCH:
		*out = (f->has_channel_amount ? f->channel_amount : 0) - f->ledger_amount;
		return f->has_ledger_amount && strcmp(f->reason, "late") != 0;
	case RCN_K_CURRENCY_MISMATCH:
		*out = c ? c : -l;
		return f->has_channel_amount || f->has_ledger_amount;
	case RCN_K_DOUBLE_CHARGE:
	case RCN_K_DEBIT_AFTER_TERMINATION:
	case RCN_K_DEBIT_OVER_LIMIT:
	case RCN_K_DEBIT_TOO_FREQUENT:
		*out = f->channel_amount;
		return f->has_channel_amount;
	default:
		*out = c - l;
		return f->has_channel_amount || f->has_ledger_amount;
	}
}

bool rcn_finding_difference(const rcn_finding *f, int64_t *out)
{
	int scale;
	if (!rcn_finding_delta(f, out, &scale))
		return false;
	if (scale == RCN_SCALE_FEE) {
		int64_t units = RCN_FEE_UNITS_PER_FEN, mag = *out < 0 ? -*out : *out;
		mag = (mag + units - 1) / units;
		*out = *out < 0 ? -mag : mag;
	}
	return true;
}
