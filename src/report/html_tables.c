/* index.html's tables: one per finding kind, with what a clerk needs to look
 * a row up in the merchant portal (channel transaction id, statuses, trade
 * time, source file:line) and to act on it (due_by, action, urgent); the
 * settlements; the quarantined files and rows. */
#include <stdio.h>
#include <string.h>

#include "recon/money.h"
#include "recon/report.h"
#include "report/html_int.h"
#include "report/report_int.h"

static const char *const kind_cols[][2] = {
	{"类型", "kind"},
	{"渠道", "channel"},
	{"商户号", "merchant"},
	{"商户订单号", "order_no"},
	{"退款单号", "refund_no"},
	{"渠道交易号", "channel_txn_id"},
	{"原因", "reason"},
	{"账本状态", "ledger status"},
	{"渠道状态", "channel status"},
	{"账本金额", "ledger amount"},
	{"渠道金额", "channel amount"},
	{"差额", "difference"},
	{"规则手续费", "expected fee"}, /* the two fee columns: the fee table only */
	{"渠道手续费", "channel fee"},
	{"交易时间", "trade_time"},
	{"处理期限", "due_by"},
	{"处理建议", "action"},
	{"来源", "source"},
	{"说明", "detail"},
};
#define KIND_COLS  (sizeof(kind_cols) / sizeof(kind_cols[0]))
#define FEE_COL	   12 /* index of the first fee column */
#define FEE_COLS_N 2

static void finding_row(FILE *f, const rcn_finding *x, bool fees)
{
	int64_t diff = 0;
	char due[11];
	fprintf(f, "<tr%s data-urgent=\"%s\"><td>", x->urgent ? " class=\"urgent\"" : "", x->urgent ? "yes" : "no");
	rcn_html_text(f, rcn_kind_name_cn(x->kind));
	fputs("<br><span class=\"muted\">", f);
	rcn_html_text(f, rcn_kind_name(x->kind));
	fputs("</span>", f);
	if (x->urgent)
		fputs("<br><span class=\"tag\">紧急 urgent</span>", f);
	fputs("</td>", f);
	const char *ids[] = {x->channel, x->merchant_id, x->order_no, x->refund_no};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		rcn_html_td_text(f, ids[i]);
	fputs("<td>", f);
	rcn_html_text(f, x->channel_txn_id);
	if (x->channel_refund_id && *x->channel_refund_id) {
		fputs("<br>", f);
		rcn_html_text(f, x->channel_refund_id);
	}
	fputs("</td>", f);
	/* the reason in the glossary's words, its code beside for whoever searches
	 * the CSV (a code the glossary lacks: the code alone) */
	const char *reason_cn = rcn_reason_cn(x->kind, x->reason);
	if (reason_cn) {
		fputs("<td>", f);
		rcn_html_text(f, reason_cn);
		fputs("<br><span class=\"muted\">", f);
		rcn_html_text(f, x->reason);
		fputs("</span></td>", f);
	} else {
		rcn_html_td_text(f, x->reason);
	}
	rcn_html_td_text(f, x->ledger_status);
	rcn_html_td_text(f, x->channel_status);
	rcn_html_td_money(f, x->has_ledger_amount, x->ledger_amount, RCN_SCALE_FEN);
	rcn_html_td_money(f, x->has_channel_amount, x->channel_amount, RCN_SCALE_FEN);
	int scale = RCN_SCALE_FEN;
	bool has_diff = rcn_finding_delta(x, &diff, &scale); /* a fee's on the fee scale */
	rcn_html_td_money(f, has_diff, diff, scale);
	if (fees) {
		rcn_html_td_money(f, x->has_expected_fee, x->expected_fee, RCN_SCALE_FEE);
		rcn_html_td_money(f, x->has_channel_fee, x->channel_fee, RCN_SCALE_FEE);
	}
	rcn_html_td_text(f, x->trade_time);
	rcn_html_td_text(f, x->due_by ? rcn_date_format(due, x->due_by) : "");
	rcn_html_td_text(f, x->action_cn);
	rcn_html_td_text(f, x->source);
	rcn_html_td_text(f, x->detail);
	fputs("</tr>\n", f);
}

/* Kind k's table: its first rows from the walk w, *cur the walk's next
 * finding (the findings come in report order: by kind first). */
static void finding_table(FILE *f, rcn_report_walk *w, const rcn_finding **cur, rcn_kind k, long count)
{
	bool fees = k == RCN_K_FEE_MISMATCH;
	long shown = 0;
	fprintf(f, "<h3 id=\"kind-%s\">%s %s — %ld</h3>\n", rcn_kind_name(k), rcn_kind_name_cn(k), rcn_kind_name(k),
		count);
	fprintf(f, "<table class=\"kind\" data-kind=\"%s\" data-count=\"%ld\">\n<tr>", rcn_kind_name(k), count);
	for (size_t i = 0; i < KIND_COLS; i++)
		if (fees || i < FEE_COL || i >= FEE_COL + FEE_COLS_N)
			fprintf(f, "<th>%s<br><span class=\"muted\">%s</span></th>", kind_cols[i][0], kind_cols[i][1]);
	fputs("</tr>\n", f);
	while (*cur && (*cur)->kind < k)
		*cur = rcn_report_walk_next(w);
	for (; *cur && (*cur)->kind == k; *cur = rcn_report_walk_next(w))
		if (shown < RCN_HTML_MAX_ROWS) {
			shown++;
			finding_row(f, *cur, fees);
		}
	const char *csv = k == RCN_K_PENDING ? "pending.csv" : "discrepancies.csv";
	if (count > shown)
		fprintf(f,
			"<tr class=\"more\" data-more=\"%ld\"><td colspan=\"%zu\">另有 %ld 条，见 %s 与工作簿 — %ld "
			"more rows: every row is in %s and the workbook</td></tr>\n",
			count - shown, fees ? KIND_COLS : KIND_COLS - FEE_COLS_N, count - shown, csv, count - shown,
			csv);
	fputs("</table>\n", f);
}

void rcn_html_kind_tables(FILE *f, const rcn_report_data *d, const long count[RCN_K__COUNT])
{
	long discrepancies = 0;
	for (int k = 0; k < RCN_K_PENDING; k++)
		discrepancies += count[k];
	fputs("<h2>差异明细 Discrepancies by kind</h2>\n", f);
	if (discrepancies == 0)
		fputs("<p class=\"ok\">无差异 No discrepancies.</p>\n", f);
	rcn_report_walk w; /* one walk for every table */
	rcn_report_walk_open(&w, d);
	const rcn_finding *cur = rcn_report_walk_next(&w);
	for (int k = 0; k < RCN_K_PENDING; k++)
		if (count[k] > 0)
			finding_table(f, &w, &cur, (rcn_kind)k, count[k]);
	if (count[RCN_K_PENDING] > 0) {
		fputs("<h2>待核对（挂账，次日继续核对） Pending, carried to the next night</h2>\n", f);
		finding_table(f, &w, &cur, RCN_K_PENDING, count[RCN_K_PENDING]);
	}
	rcn_report_walk_close(&w);
}

static void settlement_row(FILE *f, const rcn_settlement *s)
{
	char d[11];
	const char *name = rcn_settle_status_name(s->status);
	const char *cls = s->status == RCN_SETTLE_SETTLED ? " class=\"ok\""
			  : s->status == RCN_SETTLE_DUE	  ? ""
							  : " class=\"bad\"";
	fprintf(f, "<tr data-status=\"%s\">", name);
	rcn_html_td_text(f, rcn_date_format(d, s->business_date));
	rcn_html_td_text(f, s->channel);
	rcn_html_td_text(f, s->merchant_id);
	rcn_html_td_text(f, s->cycle);
	rcn_html_td_money(f, true, s->amount.payments_fen, RCN_SCALE_FEN);
	rcn_html_td_money(f, true, s->amount.refunds_fen, RCN_SCALE_FEN);
	rcn_html_td_money(f, true, s->amount.fee, RCN_SCALE_FEE);
	rcn_html_td_money(f, true, s->amount.net_fen, RCN_SCALE_FEN);
	rcn_html_td_text(f, s->due_date ? rcn_date_format(d, s->due_date) : "");
	fprintf(f, "<td%s>%s<br><span class=\"muted\">%s</span></td>", cls, rcn_settle_status_cn(s->status), name);
	rcn_html_td_money(f, s->has_settled, s->settled_fen, RCN_SCALE_FEN);
	rcn_html_td_text(f, s->has_settled ? rcn_date_format(d, s->settled_on) : "");
	/* difference: arrived - expected, as SETTLEMENT_MISMATCH's */
	rcn_html_td_money(f, s->has_settled, s->settled_fen - s->amount.net_fen, RCN_SCALE_FEN);
	rcn_html_td_text(f, s->detail);
	fputs("</tr>\n", f);
}

void rcn_html_settlements(FILE *f, const rcn_report_data *d)
{
	static const char *const cols[][2] = {
		{"业务日期", "business date"},
		{"渠道", "channel"},
		{"商户号", "merchant"},
		{"结算周期", "cycle"},
		{"收款", "payments"},
		{"退款", "refunds"},
		{"手续费", "fees"},
		{"应结净额", "expected net"},
		{"应到账日", "due date"},
		{"状态", "status"},
		{"到账金额", "arrived"},
		{"到账日", "arrived on"},
		{"差额", "difference: arrived − expected"},
		{"说明", "detail"},
	};
	fprintf(f,
		"<h2>结算 Settlement</h2>\n<p class=\"muted\">当日应结，及今日核对的以前各日结算 today's expected "
		"settlements, and earlier ones checked today</p>\n<table class=\"settlement\" "
		"data-count=\"%zu\">\n<tr>",
		d->n_settlements);
	rcn_html_header(f, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < d->n_settlements; i++)
		settlement_row(f, &d->settlements[i]);
	fputs("</table>\n", f);
	if (d->n_settlements == 0)
		fputs("<p class=\"muted\">无应结款项 no settlement due</p>\n", f);
}

void rcn_html_quarantine(FILE *f, const rcn_report_data *d)
{
	if (d->n_quarantine == 0)
		return;
	fprintf(f, "<h2 id=\"quarantine\">隔离 Quarantined</h2>\n<table class=\"quarantine\" data-count=\"%zu\">\n<tr>",
		d->n_quarantine);
	static const char *const quarantine_cols[][2] = {
		{"来源", "source"}, {"文件", "file"}, {"行", "line"},
		{"原因", "reason"}, {"笔数", "rows"}, {"金额", "amount"},
	};
	rcn_html_header(f, quarantine_cols, sizeof(quarantine_cols) / sizeof(quarantine_cols[0]));
	for (size_t i = 0; i < d->n_quarantine; i++) {
		const rcn_quarantine_entry *q = &d->quarantine[i];
		fputs(q->line > 0 ? "<tr>" : "<tr class=\"bad\">", f);
		rcn_html_td_text(f, q->source);
		rcn_html_td_text(f, q->file);
		if (q->line > 0)
			rcn_html_td_count(f, q->line);
		else
			rcn_html_td_text(f, "整个文件 whole file");
		rcn_html_td_text(f, q->reason);
		rcn_html_td_count(f, q->rows);
		rcn_html_td_money(f, true, q->amount_fen, RCN_SCALE_FEN);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}
