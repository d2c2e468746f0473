/* The workbook's sheets that are not lists of findings: 汇总 Summary (the
 * columns of summary.csv, open items included, with the totals, then the balance proof and the
 * per-kind counts and amounts, each a table of values recon computed — no
 * formula), 结算 Settlement (settlement.csv) and 隔离 Quarantine
 * (quarantine.csv). The cell writer and the package are xlsx.c's. */
#include <stdio.h>
#include <string.h>

#include "recon/money.h"
#include "report/report_int.h"
#include "report/xlsx_int.h"

/* ---- 汇总 Summary ---- */

/* summary.csv's columns, in its order; the per-kind ones are made from the
 * kind names (SUM_KINDS: the counts, SUM_AMOUNTS: the amounts). */
enum {
	SUM_KINDS = 16,
	SUM_FEES = SUM_KINDS + RCN_K_PENDING,
	SUM_AMOUNTS = SUM_FEES + 8,
	SUM_OPEN = SUM_AMOUNTS + RCN_K_PENDING,
	SUM_COLS = SUM_OPEN + 4
};
static const char *const sum_heads[SUM_KINDS] = {
	"业务日期 business_date",
	"渠道 channel",
	"商户号 merchant_id",
	"来源方 side",
	"来源方 side_cn",
	"笔数 rows_in",
	"金额 amount_in",
	"已匹配笔数 matched_rows",
	"已匹配金额 matched_amount",
	"差异笔数 discrepancy_rows",
	"差异金额 discrepancy_amount",
	"待核对笔数 pending_rows",
	"待核对金额 pending_amount",
	"隔离笔数 quarantined_rows",
	"隔离金额 quarantined_amount",
	"平衡 balanced",
};
static const char *const fee_heads[8] = {
	"收款 payments",
	"退款 refunds",
	"渠道手续费 channel_fee",
	"规则手续费 expected_fee",
	"应结净额 expected_net_settlement",
	"退款率% refund_rate_pct",
	"退款率超5% refund_rate_over_5pct",
	"超合约均值200%扣款 debits_over_200pct_of_contract_average",
};

static const char *const open_heads[4] = {
	"未结差异笔数 open_items",
	"未结差异金额 open_amount",
	"逾期笔数 overdue_items",
	"逾期金额 overdue_amount",
};

const size_t rcn_xlsx_summary_cols = SUM_COLS;

/* Rows of the three tables: the summary's (header, tallies, two totals),
 * the balance proof's (title, header, tallies, totals) and the per-kind
 * one's (title, header, a row per kind, the total), a blank row between. */
long rcn_xlsx_summary_table_rows(const rcn_report_data *d)
{
	return (long)d->n_tallies + 3;
}

static long proof_first_row(const rcn_report_data *d)
{
	return rcn_xlsx_summary_table_rows(d) + 2;
}

static long kinds_first_row(const rcn_report_data *d)
{
	return proof_first_row(d) + 2 + (long)d->n_tallies + 2 + 1;
}

long rcn_xlsx_summary_last_row(const rcn_report_data *d)
{
	return kinds_first_row(d) + 2 + RCN_K_PENDING;
}

static void account_cells(rcn_xw *w, long r, int c, const rcn_tally *t)
{
	bool total = strcmp(t->channel, "*") == 0 && strcmp(t->merchant_id, "*") == 0;
	rcn_xlsx_text(w, c, r, total ? "合计 total" : t->channel, false);
	rcn_xlsx_text(w, c + 1, r, total ? "合计 total" : t->merchant_id, false);
}

static bool rows_balance(const rcn_tally *t)
{
	return t->rows_in == t->matched + t->discrepancies + t->pending + t->quarantined;
}

static bool amounts_balance(const rcn_tally *t)
{
	return t->amount_in == t->amount_matched + t->amount_discrepancies + t->amount_pending + t->amount_quarantined;
}

/* One line of summary.csv as a row; amounts and open as in summary.csv (NULL
 * on a ledger-side line). */
static void summary_row(rcn_xw *w, long r, const char *date, const rcn_tally *t, const int64_t *amounts,
			const rcn_open_sum *open)
{
	bool ch = t->side == RCN_SIDE_CHANNEL;
	rcn_xlsx_row_open(w, r);
	rcn_xlsx_text(w, 0, r, date, false);
	account_cells(w, r, 1, t);
	rcn_xlsx_text(w, 3, r, ch ? "channel" : "ledger", false);
	rcn_xlsx_text(w, 4, r, ch ? "渠道对账单" : "商户账本", false);
	const long rows[] = {t->rows_in, t->matched, t->discrepancies, t->pending, t->quarantined};
	const int64_t sums[] = {t->amount_in, t->amount_matched, t->amount_discrepancies, t->amount_pending,
				t->amount_quarantined};
	for (int j = 0; j < 5; j++) {
		rcn_xlsx_number(w, 5 + 2 * j, r, rows[j], 0, RCN_XST_NONE);
		rcn_xlsx_money(w, 6 + 2 * j, r, sums[j], RCN_SCALE_FEN);
	}
	rcn_xlsx_text(w, 15, r, rows_balance(t) && amounts_balance(t) ? "yes" : "NO", false);
	for (int k = 0; k < RCN_K_PENDING; k++)
		rcn_xlsx_number(w, SUM_KINDS + k, r, t->kinds[k], 0, RCN_XST_NONE);
	if (ch) {
		int64_t bp;
		bool over;
		rcn_xlsx_money(w, SUM_FEES, r, t->payments_fen, RCN_SCALE_FEN);
		rcn_xlsx_money(w, SUM_FEES + 1, r, t->refunds_fen, RCN_SCALE_FEN);
		rcn_xlsx_money(w, SUM_FEES + 2, r, t->channel_fee, RCN_SCALE_FEE);
		if (t->has_expected_fee)
			rcn_xlsx_money(w, SUM_FEES + 3, r, t->expected_fee, RCN_SCALE_FEE);
		rcn_xlsx_money(w, SUM_FEES + 4, r, rcn_report_net(t), RCN_SCALE_FEE);
		if (rcn_report_refund_rate(t, &bp, &over)) {
			rcn_xlsx_number(w, SUM_FEES + 5, r, bp, 2, RCN_XST_MONEY);
			rcn_xlsx_text(w, SUM_FEES + 6, r, over ? "yes" : "no", false);
		}
		rcn_xlsx_number(w, SUM_FEES + 7, r, t->suspicious_debits, 0, RCN_XST_NONE);
	}
	for (int k = 0; amounts && k < RCN_K_PENDING; k++)
		rcn_xlsx_money(w, SUM_AMOUNTS + k, r, amounts[k], RCN_SCALE_FEN);
	if (open) {
		rcn_xlsx_number(w, SUM_OPEN, r, open->open, 0, RCN_XST_NONE);
		rcn_xlsx_money(w, SUM_OPEN + 1, r, open->open_fen, RCN_SCALE_FEN);
		rcn_xlsx_number(w, SUM_OPEN + 2, r, open->overdue, 0, RCN_XST_NONE);
		rcn_xlsx_money(w, SUM_OPEN + 3, r, open->overdue_fen, RCN_SCALE_FEN);
	}
	rcn_xlsx_row_close(w);
}

/* The balance proof of one line: rows in = matched + discrepancies +
 * pending + quarantined, and the same of the amounts, each with its verdict. */
static void proof_row(rcn_xw *w, long r, const rcn_tally *t)
{
	bool ch = t->side == RCN_SIDE_CHANNEL;
	rcn_xlsx_row_open(w, r);
	account_cells(w, r, 0, t);
	rcn_xlsx_text(w, 2, r, ch ? "渠道对账单 channel" : "商户账本 ledger", false);
	const long rows[] = {t->rows_in, t->matched, t->discrepancies, t->pending, t->quarantined};
	const int64_t sums[] = {t->amount_in, t->amount_matched, t->amount_discrepancies, t->amount_pending,
				t->amount_quarantined};
	for (int j = 0; j < 5; j++) {
		rcn_xlsx_number(w, 3 + j, r, rows[j], 0, RCN_XST_NONE);
		rcn_xlsx_money(w, 10 + j, r, sums[j], RCN_SCALE_FEN);
	}
	rcn_xlsx_number(w, 8, r, rows[1] + rows[2] + rows[3] + rows[4], 0, RCN_XST_NONE);
	rcn_xlsx_text(w, 9, r, rows_balance(t) ? "平衡 yes" : "不平衡 NO", false);
	rcn_xlsx_money(w, 15, r, sums[1] + sums[2] + sums[3] + sums[4], RCN_SCALE_FEN);
	rcn_xlsx_text(w, 16, r, amounts_balance(t) ? "平衡 yes" : "不平衡 NO", false);
	rcn_xlsx_row_close(w);
}

static const char *const proof_heads[] = {
	"渠道 channel",		  "商户号 merchant_id",	      "来源方 side",
	"笔数 rows_in",		  "已匹配 matched",	      "差异 discrepancies",
	"待核对 pending",	  "隔离 quarantined",	      "四项合计 sum",
	"笔数平衡 rows_balanced", "金额 amount_in",	      "已匹配金额 matched",
	"差异金额 discrepancies", "待核对金额 pending",	      "隔离金额 quarantined",
	"四项金额合计 sum",	  "金额平衡 amount_balanced",
};

static void proof_table(rcn_xw *w, long r, const rcn_report_data *d, const rcn_tally total[2])
{
	rcn_xlsx_row_open(w, r);
	rcn_xlsx_text(w, 0, r,
		      "平衡校验 balance proof: 笔数 = 已匹配 + 差异 + 待核对 + 隔离 (rows_in = matched + "
		      "discrepancies + pending + quarantined), per side; the same for the amounts",
		      true);
	rcn_xlsx_row_close(w);
	rcn_xlsx_head_row(w, ++r, proof_heads, sizeof(proof_heads) / sizeof(proof_heads[0]));
	for (size_t i = 0; i < d->n_tallies; i++)
		proof_row(w, ++r, &d->tallies[i]);
	proof_row(w, ++r, &total[0]);
	proof_row(w, ++r, &total[1]);
}

static const char *const kind_heads[] = {
	"类型 kind",
	"代码 code",
	"账本笔数 ledger_rows",
	"渠道笔数 channel_rows",
	"差额合计 amount (sum of difference)",
};

static void kinds_table(rcn_xw *w, long r, const rcn_tally total[2], const rcn_kind_amounts *a)
{
	rcn_xlsx_row_open(w, r);
	rcn_xlsx_text(w, 0, r, "按类型 per kind: 笔数与差额合计 (summary.csv 的 <KIND> 与 <KIND>_amount)", true);
	rcn_xlsx_row_close(w);
	rcn_xlsx_head_row(w, ++r, kind_heads, sizeof(kind_heads) / sizeof(kind_heads[0]));
	long ledger = 0, channel = 0;
	int64_t sum = 0;
	for (int k = 0; k < RCN_K_PENDING; k++) {
		rcn_xlsx_row_open(w, ++r);
		rcn_xlsx_text(w, 0, r, rcn_kind_name_cn((rcn_kind)k), false);
		rcn_xlsx_text(w, 1, r, rcn_kind_name((rcn_kind)k), false);
		rcn_xlsx_number(w, 2, r, total[0].kinds[k], 0, RCN_XST_NONE);
		rcn_xlsx_number(w, 3, r, total[1].kinds[k], 0, RCN_XST_NONE);
		rcn_xlsx_money(w, 4, r, a->total[k], RCN_SCALE_FEN);
		rcn_xlsx_row_close(w);
		ledger += total[0].kinds[k], channel += total[1].kinds[k], sum += a->total[k];
	}
	rcn_xlsx_row_open(w, ++r);
	rcn_xlsx_text(w, 0, r, "合计", false);
	rcn_xlsx_text(w, 1, r, "total", false);
	rcn_xlsx_number(w, 2, r, ledger, 0, RCN_XST_NONE);
	rcn_xlsx_number(w, 3, r, channel, 0, RCN_XST_NONE);
	rcn_xlsx_money(w, 4, r, sum, RCN_SCALE_FEN);
	rcn_xlsx_row_close(w);
}

void rcn_xlsx_summary_sheet(rcn_xw *w, const char *date, const rcn_report_data *d, bool selected)
{
	char names[2][RCN_K_PENDING][64];
	const char *heads[SUM_COLS];
	memcpy(heads, sum_heads, sizeof(sum_heads));
	memcpy(heads + SUM_FEES, fee_heads, sizeof(fee_heads));
	memcpy(heads + SUM_OPEN, open_heads, sizeof(open_heads));
	for (int k = 0; k < RCN_K_PENDING; k++) {
		const char *cn = rcn_kind_name_cn((rcn_kind)k), *code = rcn_kind_name((rcn_kind)k);
		snprintf(names[0][k], sizeof(names[0][k]), "%s笔数 %s", cn, code);
		snprintf(names[1][k], sizeof(names[1][k]), "%s差额 %s_amount", cn, code);
		heads[SUM_KINDS + k] = names[0][k];
		heads[SUM_AMOUNTS + k] = names[1][k];
	}
	rcn_tally total[2];
	rcn_kind_amounts a;
	rcn_open_sums o;
	rcn_report_totals(total, d);
	rcn_report_kind_amounts(&a, d);
	rcn_report_open_sums(&o, d);

	rcn_xlsx_sheet_begin(w, SUM_COLS, rcn_xlsx_summary_last_row(d), selected, heads);
	long r = 1;
	for (size_t i = 0; i < d->n_tallies; i++) {
		const rcn_tally *t = &d->tallies[i];
		bool ch = t->side == RCN_SIDE_CHANNEL;
		summary_row(w, ++r, date, t, ch ? a.by_tally[i] : NULL, ch ? &o.by_tally[i] : NULL);
	}
	summary_row(w, ++r, date, &total[0], NULL, NULL);
	summary_row(w, ++r, date, &total[1], a.total, &o.total);
	proof_table(w, proof_first_row(d), d, total);
	kinds_table(w, kinds_first_row(d), total, &a);
	rcn_xlsx_sheet_end(w, SUM_COLS, rcn_xlsx_summary_table_rows(d));
	rcn_report_kind_amounts_free(&a);
	rcn_report_open_sums_free(&o);
}

/* A sheet of one row per item (n of them, from row 2) under its head row,
 * filtered over all of them: row() writes item i's cells on row r. */
static void list_sheet(rcn_xw *w, const char *const *heads, size_t ncols, const rcn_report_data *d, size_t n,
		       bool selected, void (*row)(rcn_xw *w, long r, const rcn_report_data *d, size_t i))
{
	long last = (long)n + 1;
	rcn_xlsx_sheet_begin(w, ncols, last, selected, heads);
	for (size_t i = 0; i < n; i++) {
		long r = (long)i + 2;
		rcn_xlsx_row_open(w, r);
		row(w, r, d, i);
		rcn_xlsx_row_close(w);
	}
	rcn_xlsx_sheet_end(w, ncols, last);
}

/* ---- 结算 Settlement ---- */

static const char *const settle_heads[] = {
	"业务日期 business_date",
	"渠道 channel",
	"商户号 merchant_id",
	"结算周期 cycle",
	"收款 payments",
	"退款 refunds",
	"手续费 fees",
	"应结净额 expected_net",
	"应到账日 due_date",
	"状态 status",
	"到账金额 settled_amount",
	"到账日期 settled_on",
	"说明 detail",
};
const size_t rcn_xlsx_settlement_cols = sizeof(settle_heads) / sizeof(settle_heads[0]);

/* The status in Chinese, with settlement.csv's code. */
static const char *status_text(char *out, size_t n, rcn_settle_status s)
{
	snprintf(out, n, "%s %s", rcn_settle_status_cn(s), rcn_settle_status_name(s));
	return out;
}

static void settlement_row(rcn_xw *w, long r, const rcn_report_data *d, size_t i)
{
	const rcn_settlement *s = &d->settlements[i];
	char day[11];
	rcn_xlsx_text(w, 0, r, rcn_date_format(day, s->business_date), false);
	rcn_xlsx_text(w, 1, r, s->channel, false);
	rcn_xlsx_text(w, 2, r, s->merchant_id, false);
	rcn_xlsx_text(w, 3, r, s->cycle, false);
	rcn_xlsx_money(w, 4, r, s->amount.payments_fen, RCN_SCALE_FEN);
	rcn_xlsx_money(w, 5, r, s->amount.refunds_fen, RCN_SCALE_FEN);
	rcn_xlsx_money(w, 6, r, s->amount.fee, RCN_SCALE_FEE);
	rcn_xlsx_money(w, 7, r, s->amount.net_fen, RCN_SCALE_FEN);
	if (s->due_date)
		rcn_xlsx_text(w, 8, r, rcn_date_format(day, s->due_date), false);
	rcn_xlsx_text(w, 9, r, status_text((char[64]){0}, 64, s->status), false);
	if (s->has_settled) {
		rcn_xlsx_money(w, 10, r, s->settled_fen, RCN_SCALE_FEN);
		rcn_xlsx_text(w, 11, r, rcn_date_format(day, s->settled_on), false);
	}
	rcn_xlsx_text(w, 12, r, s->detail, false);
}

void rcn_xlsx_settlement_sheet(rcn_xw *w, const rcn_report_data *d, bool selected)
{
	list_sheet(w, settle_heads, rcn_xlsx_settlement_cols, d, d->n_settlements, selected, settlement_row);
}

/* ---- 隔离 Quarantine ---- */

static const char *const quarantine_heads[] = {
	"来源 source", "文件 file", "行号 line", "范围 scope", "原因 reason", "笔数 rows", "金额 amount",
};
const size_t rcn_xlsx_quarantine_cols = sizeof(quarantine_heads) / sizeof(quarantine_heads[0]);

static void quarantine_row(rcn_xw *w, long r, const rcn_report_data *d, size_t i)
{
	const rcn_quarantine_entry *q = &d->quarantine[i];
	rcn_xlsx_text(w, 0, r, q->source, false);
	rcn_xlsx_text(w, 1, r, q->file, false);
	if (q->line > 0)
		rcn_xlsx_number(w, 2, r, q->line, 0, RCN_XST_NONE);
	rcn_xlsx_text(w, 3, r, q->line > 0 ? "行 row" : "文件 file", false);
	rcn_xlsx_text(w, 4, r, q->reason, false);
	rcn_xlsx_number(w, 5, r, q->rows, 0, RCN_XST_NONE);
	rcn_xlsx_money(w, 6, r, q->amount_fen, RCN_SCALE_FEN);
}

void rcn_xlsx_quarantine_sheet(rcn_xw *w, const rcn_report_data *d, bool selected)
{
	list_sheet(w, quarantine_heads, rcn_xlsx_quarantine_cols, d, d->n_quarantine, selected, quarantine_row);
}
