/* The glossary of reason codes (rcn_reason_cn, README.md "Glossary / 术语"):
 * every reason the matcher and the rules emit has Chinese words, found by
 * reading the reason literals out of the sources, and every code is in the
 * README's table; the handling rules' actions and the difference column. */
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

#include "recon/finding.h"
#include "recon/handling.h"
#include "recon/money.h"
#include "recon/report.h"
#include "recon/settlement.h"

static void test_words(void **state)
{
	(void)state;
	static const struct {
		rcn_kind kind;
		const char *code, *words; /* NULL: the code has no words for the kind */
	} cases[] = {
		{RCN_K_STATUS_MISMATCH, "lost_callback", "回调丢失（渠道已成功、账本未记）"},
		{RCN_K_REFUND_MISMATCH, "exceeds_paid", "退款超过实付金额"},
		{RCN_K_REFUND_MISMATCH, "ledger_processing", "渠道已退款、账本退款仍在处理中"},
		{RCN_K_DUPLICATE_RECORD, "same_transaction_listed_twice", "对账单重复列出同一笔交易"},
		{RCN_K_PENDING, "statement_rejected", "当日对账单被拒收，无法核对"},
		/* one code, a kind's own words */
		{RCN_K_SHORT_PAYMENT, "amount", "渠道实收少于账本金额"},
		{RCN_K_OVERPAYMENT, "amount", "渠道实收多于账本金额"},
		{RCN_K_SETTLEMENT_MISMATCH, "amount", "到账金额与应结金额不符"},
		{RCN_K_SETTLEMENT_MISMATCH, "missing", "应结款项未到账"},
		/* a status no table names still reads as its side; an unknown code has none */
		{RCN_K_STATUS_MISMATCH, "channel_weird", "渠道状态与账本不符"},
		{RCN_K_REFUND_MISMATCH, "ledger_weird", "账本状态与渠道不符"},
		{RCN_K_SHORT_PAYMENT, "lost_callback", NULL},
		{RCN_K_FEE_MISMATCH, "no_such_reason", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = rcn_reason_cn(cases[i].kind, cases[i].code);
		if (cases[i].words)
			assert_string_equal(got, cases[i].words);
		else
			assert_null(got);
	}
}

/* The answers are remembered per thread (a report asks for every row): the
 * same words whatever order the questions come in — kinds and reasons mixed
 * row by row as in the open book, one reason under several kinds, more
 * questions than the memory holds. */
static void test_words_in_any_order(void **state)
{
	(void)state;
	const char *reasons[] = {"missing",	 "amount", "lost_callback", "rate",    "ledger_created",
				 "channel_fail", "late",   "file_total",    "no_such", "channel_weird"};
	enum { NR = sizeof(reasons) / sizeof(reasons[0]), NQ = RCN_K__COUNT * NR };
	const char *first[NQ];
	for (int pass = 0; pass < 4; pass++)
		for (size_t q = 0; q < NQ; q++) {
			/* forward, backward, by a stride, forward again */
			size_t i = pass == 1 ? NQ - 1 - q : pass == 2 ? (q * 7) % NQ : q;
			const char *got = rcn_reason_cn((rcn_kind)(i % RCN_K__COUNT), reasons[i / RCN_K__COUNT]);
			if (pass == 0)
				first[i] = got;
			else
				assert_ptr_equal(got, first[i]);
		}
	/* one reason, each kind its own words, asked alternately */
	for (int round = 0; round < 3; round++) {
		assert_string_equal(rcn_reason_cn(RCN_K_SETTLEMENT_MISMATCH, "missing"), "应结款项未到账");
		assert_string_equal(rcn_reason_cn(RCN_K_SHORT_PAYMENT, "amount"), "渠道实收少于账本金额");
		assert_string_equal(rcn_reason_cn(RCN_K_OVERPAYMENT, "amount"), "渠道实收多于账本金额");
		assert_null(rcn_reason_cn(RCN_K_SHORT_PAYMENT, "lost_callback"));
		assert_string_equal(rcn_reason_cn(RCN_K_STATUS_MISMATCH, "lost_callback"),
				    "回调丢失（渠道已成功、账本未记）");
		assert_string_equal(rcn_reason_cn(RCN_K_SETTLEMENT_MISMATCH, "amount"), "到账金额与应结金额不符");
	}
}

/* Every status the ledger schema (sql/ledger.sql) and the parsers give a row,
 * as a reason prefixed with its side: the table names each one. */
static void test_status_reasons(void **state)
{
	(void)state;
	const char *ledger[] = {"created", "closed", "processing", "failed", "missing"};
	const char *channel[] = {"fail",       "processing", "revoked",	    "reversed", "closed",   "refund", "notpay",
				 "userpaying", "payerror",   "refundclose", "change",	"abnormal", "missing"};
	char code[64];
	for (size_t i = 0; i < sizeof(ledger) / sizeof(ledger[0]); i++) {
		snprintf(code, sizeof(code), "ledger_%s", ledger[i]);
		assert_string_not_equal(rcn_reason_cn(RCN_K_STATUS_MISMATCH, code), "账本状态与渠道不符");
	}
	for (size_t i = 0; i < sizeof(channel) / sizeof(channel[0]); i++) {
		snprintf(code, sizeof(code), "channel_%s", channel[i]);
		assert_string_not_equal(rcn_reason_cn(RCN_K_REFUND_MISMATCH, code), "渠道状态与账本不符");
	}
}

static char *slurp(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/../%s", RECON_RULES_DIR, rel);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return rcn_xstrdup(buf);
}

static bool has_words(const char *code)
{
	for (int k = 0; k < RCN_K__COUNT; k++)
		if (rcn_reason_cn((rcn_kind)k, code))
			return true;
	return false;
}

/* The reason literals of the files that make findings: every lower-case
 * identifier in quotes but the few that are not reasons. A new reason without
 * Chinese (or without its README row) fails here. */
static void test_every_emitted_reason(void **state)
{
	(void)state;
	const char *files[] = {"src/match/classify.c", "src/match/refunds.c", "src/match/match.c",
			       "src/rules/debits.c",   "src/rules/rules.c",   "src/rules/settle_night.c"};
	const char *not_reasons[] = {
		"ledger_orders", "ledger_refunds",   "ledger_", "channel_", "once", "d", "h", "min", "s",
		"unionpay",	 "recon_settlements"};
	char *readme = slurp("README.md");
	char *glossary = strstr(readme, "\n## Glossary / 术语\n"), *next;
	assert_non_null(glossary);
	if ((next = strstr(glossary + 1, "\n## ")) != NULL)
		*next = '\0'; /* the codes must be in the glossary's own table */
	size_t seen = 0, missing = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = slurp(files[i]);
		for (char *p = text; (p = strpbrk(p, "\"'/")) != NULL;) {
			if (p[0] == '/' && (p[1] == '*' || p[1] == '/')) { /* a comment's apostrophes are not quotes */
				char *close = p[1] == '*' ? strstr(p + 2, "*/") : strchr(p, '\n');
				p = close ? close + 1 : p + strlen(p);
				continue;
			}
			if (*p == '/') {
				p++;
				continue;
			}
			/* one literal, escapes honoured; a character literal ('"') is skipped whole */
			char q = *p, *end = p + 1;
			while (*end && *end != q)
				end += end[0] == '\\' && end[1] ? 2 : 1;
			char *body = p + 1;
			size_t n = (size_t)(end - body);
			p = *end ? end + 1 : end;
			if (q != '"' || n == 0 || strspn(body, "abcdefghijklmnopqrstuvwxyz_") != n)
				continue;
			char code[80] = "", quoted[84];
			snprintf(code, sizeof(code), "%.*s", (int)n, body);
			bool skip = false;
			for (size_t k = 0; k < sizeof(not_reasons) / sizeof(not_reasons[0]); k++)
				skip |= strcmp(code, not_reasons[k]) == 0;
			if (skip)
				continue;
			seen++;
			if (!has_words(code) && ++missing)
				print_error("%s emits reason '%s', which has no Chinese in rcn_reason_cn\n", files[i],
					    code);
			snprintf(quoted, sizeof(quoted), "`%s`", code);
			if (!strstr(glossary, quoted) && ++missing)
				print_error("%s emits reason '%s', which README.md's glossary lacks\n", files[i], code);
		}
		free(text);
	}
	assert_int_equal(missing, 0);
	assert_true(seen >= 30); /* the scan found the reasons at all */
	/* the settlement's reasons are its statuses' names */
	rcn_settle_status st[] = {RCN_SETTLE_LATE, RCN_SETTLE_AMOUNT, RCN_SETTLE_MISSING};
	for (size_t i = 0; i < 3; i++)
		assert_non_null(rcn_reason_cn(RCN_K_SETTLEMENT_MISMATCH, rcn_settle_status_name(st[i])));
	free(readme);
}

static rcn_finding finding(rcn_kind kind, const char *reason)
{
	rcn_finding f;
	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.reason = reason;
	f.channel = f.merchant_id = f.order_no = f.refund_no = f.channel_txn_id = f.channel_refund_id = "";
	f.ledger_status = f.channel_status = f.trade_time = f.source = f.detail = "";
	return f;
}

/* The difference column: one meaning per kind, never 0 on a money discrepancy. */
static void test_difference(void **state)
{
	(void)state;
	int64_t d;
	int scale;
	/* a lost callback: what the channel collected, which the ledger does not count */
	rcn_finding f = finding(RCN_K_STATUS_MISMATCH, "lost_callback");
	f.ledger_status = "CREATED", f.channel_status = "SUCCESS";
	f.has_ledger_amount = f.has_channel_amount = true;
	f.ledger_amount = f.channel_amount = 3000;
	assert_true(rcn_finding_delta(&f, &d, &scale));
	assert_int_equal(d, 3000);
	assert_int_equal(scale, RCN_SCALE_FEN);
	/* a fee: channel fee - expected fee on the fee scale, and rounded away from zero in fen */
	f = finding(RCN_K_FEE_MISMATCH, "rate");
	f.has_ledger_amount = f.has_channel_amount = f.has_channel_fee = f.has_expected_fee = true;
	f.ledger_amount = f.channel_amount = 100;
	f.channel_fee = 600, f.expected_fee = 1000; /* 0.00600 charged, 0.01 due */
	assert_true(rcn_finding_delta(&f, &d, &scale));
	assert_int_equal(d, -400);
	assert_int_equal(scale, RCN_SCALE_FEE);
	assert_true(rcn_finding_difference(&f, &d));
	assert_int_equal(d, -1);
	/* a settlement: arrived - expected; missing = -expected; late: none */
	f = finding(RCN_K_SETTLEMENT_MISMATCH, "missing");
	f.has_ledger_amount = true, f.ledger_amount = 10934;
	assert_true(rcn_finding_delta(&f, &d, &scale));
	assert_int_equal(d, -10934);
	f.reason = "amount", f.has_channel_amount = true, f.channel_amount = 10134;
	assert_true(rcn_finding_delta(&f, &d, &scale));
	assert_int_equal(d, -800);
	f.reason = "late", f.channel_amount = 10934;
	assert_false(rcn_finding_delta(&f, &d, &scale));
	/* a double charge and an auto-debit: the charge itself */
	f = finding(RCN_K_DEBIT_AFTER_TERMINATION, "after_termination");
	f.ledger_status = "PAID", f.channel_status = "SUCCESS";
	f.has_ledger_amount = f.has_channel_amount = true;
	f.ledger_amount = f.channel_amount = 2500;
	assert_true(rcn_finding_delta(&f, &d, &scale));
	assert_int_equal(d, 2500);
	/* the maker's own difference wins (a refund's excess over the paid amount) */
	f = finding(RCN_K_REFUND_MISMATCH, "exceeds_paid");
	f.ledger_status = f.channel_status = "SUCCESS";
	f.rec_type = RCN_REC_REFUND;
	f.has_ledger_amount = f.has_channel_amount = true;
	f.ledger_amount = f.channel_amount = 6000;
	f.has_difference = true, f.difference = 1000;
	assert_true(rcn_finding_delta(&f, &d, &scale));
	assert_int_equal(d, 1000);
	/* a duplicated listing moved no money */
	f = finding(RCN_K_DUPLICATE_RECORD, "same_transaction_listed_twice");
	f.has_channel_amount = true, f.channel_amount = 1000;
	assert_false(rcn_finding_delta(&f, &d, &scale));
}

/* The shipped rules/handling.csv loads, and a double charge's action names
 * the transaction kept and the one refunded. */
static void test_shipped_handling(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/handling.csv", RECON_RULES_DIR);
	rcn_handling *h = NULL;
	rcn_err err;
	assert_int_equal(rcn_handling_load(&h, path, &err), RCN_OK);
	rcn_finding f = finding(RCN_K_DOUBLE_CHARGE, "same_channel");
	f.channel_txn_id = "T2";
	f.detail = "order also paid by T1 (bill.csv:3)";
	assert_string_equal(rcn_handling_action(h, &f), "立即退还重复扣款（保留交易 T1，退还交易 T2）");
	f.reason = "cross_channel";
	f.detail = "paid on wechat (W1, w.csv:2) and on alipay (T2, a.csv:5)";
	assert_string_equal(rcn_handling_action(h, &f), "立即退还重复扣款（保留交易 W1，退还交易 T2）");
	f = finding(RCN_K_SHORT_PAYMENT, "amount");
	assert_string_equal(rcn_handling_action(h, &f), "向渠道发起差错申诉并附银行流水截图");
	f.kind = RCN_K_MATCHED;
	assert_null(rcn_handling_action(h, &f));
	rcn_handling_free(h);
}

RCN_TEST_MAIN(cmocka_unit_test(test_words), cmocka_unit_test(test_words_in_any_order),
	      cmocka_unit_test(test_status_reasons), cmocka_unit_test(test_every_emitted_reason),
	      cmocka_unit_test(test_difference), cmocka_unit_test(test_shipped_handling))
