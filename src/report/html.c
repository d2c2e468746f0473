/* index.html of a business date: the night at a glance for the people who
 * read it in the morning. One self-contained page — inline CSS and SVG, no
 * scripts, no external assets — that opens from a file share or a mail
 * attachment. Every number comes from the same data as the CSVs and is
 * written with integer arithmetic only, so a re-run gives the same bytes.
 * data-* attributes carry the raw counts for tests and scrapers. */
#include <stdio.h>
#include <string.h>

#include "recon/match.h"
#include "recon/money.h"
#include "recon/report.h"
#include "report/report_int.h"

#define TREND_MAX 30

void rcn_html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		const char *entity = *s == '&'	  ? "&amp;"
				     : *s == '<'  ? "&lt;"
				     : *s == '>'  ? "&gt;"
				     : *s == '"'  ? "&quot;"
				     : *s == '\'' ? "&#39;"
						  : NULL;
		if (entity)
			fputs(entity, f);
		else
			fputc(*s, f);
	}
}

static void money(FILE *f, int64_t v, int scale)
{
	char buf[64];
	fputs(rcn_money_format(buf, sizeof(buf), v, scale), f);
}

static const char *const style =
	"body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;margin:24px;"
	"color:#222;background:#fff}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #2b6cb0;"
	"padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}\n"
	"table{border-collapse:collapse;font-size:13px;margin-bottom:8px}\n"
	"th,td{border:1px solid #ccd;padding:3px 8px;text-align:left;vertical-align:top}\n"
	"th{background:#edf2f7}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"tr.total td{font-weight:bold;background:#f7fafc}\n"
	".ok{color:#276749}.bad{color:#c53030;font-weight:bold}.muted{color:#718096;font-size:12px}\n"
	".problem{border:2px solid #c53030;background:#fff5f5;color:#c53030;font-weight:bold;padding:8px 12px}\n"
	".cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ccd;border-radius:6px;"
	"padding:8px 14px;min-width:120px}.card b{display:block;font-size:22px}\n"
	"svg text{font-size:12px;font-family:inherit}\n";

/* A table's header cells, Chinese above English, and the end of its row. */
static void header_cells(FILE *f, const char *const cols[][2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<th>%s<br><span class=\"muted\">%s</span></th>", cols[i][0], cols[i][1]);
	fputs("</tr>\n", f);
}

static void td_text(FILE *f, const char *s)
{
	fputs("<td>", f);
	rcn_html_text(f, s);
	fputs("</td>", f);
}

static void td_count(FILE *f, long v)
{
	fprintf(f, "<td class=\"n\">%ld</td>", v);
}

static void td_money(FILE *f, bool has, int64_t v, int scale)
{
	fputs("<td class=\"n\">", f);
	if (has)
		money(f, v, scale);
	fputs("</td>", f);
}

static bool balanced(const rcn_tally *t)
{
	return t->rows_in == t->matched + t->discrepancies + t->pending + t->quarantined &&
	       t->amount_in == t->amount_matched + t->amount_discrepancies + t->amount_pending + t->amount_quarantined;
}

static void tally_row(FILE *f, const rcn_tally *t, bool total)
{
	bool ch = t->side == RCN_SIDE_CHANNEL;
	bool ok = balanced(t);
	fprintf(f, "<tr%s data-channel=\"", total ? " class=\"total\"" : "");
	rcn_html_text(f, t->channel);
	fputs("\" data-merchant=\"", f);
	rcn_html_text(f, t->merchant_id);
	fprintf(f,
		"\" data-side=\"%s\" data-rows=\"%ld\" data-matched=\"%ld\" data-discrepancies=\"%ld\" "
		"data-pending=\"%ld\" data-quarantined=\"%ld\" data-balanced=\"%s\">",
		ch ? "channel" : "ledger", t->rows_in, t->matched, t->discrepancies, t->pending, t->quarantined,
		ok ? "yes" : "NO");
	td_text(f, total ? "合计 total" : t->channel);
	td_text(f, total ? "" : t->merchant_id);
	td_text(f, ch ? "渠道对账单 channel" : "商户账本 ledger");
	const long rows[] = {t->rows_in, t->matched, t->discrepancies, t->pending, t->quarantined};
	const int64_t amounts[] = {t->amount_in, t->amount_matched, t->amount_discrepancies, t->amount_pending,
				   t->amount_quarantined};
	for (int i = 0; i < 5; i++) {
		td_count(f, rows[i]);
		td_money(f, true, amounts[i], RCN_SCALE_FEN);
	}
	/* the proof: every row and every fen ends in exactly one place */
	fprintf(f, "<td class=\"%s\">%s %ld = %ld + %ld + %ld + %ld</td></tr>\n", ok ? "ok" : "bad",
		ok ? "✓ 平衡 yes" : "✗ 不平衡 NO", t->rows_in, t->matched, t->discrepancies, t->pending,
		t->quarantined);
}

static void totals_section(FILE *f, const rcn_report_data *d, rcn_tally total[2])
{
	fputs("<h2>当日汇总 Totals</h2>\n<table class=\"totals\">\n<tr>", f);
	static const char *const totals_cols[][2] = {
		{"渠道", "channel"}, {"商户号", "merchant"},
		{"来源", "side"},    {"笔数", "rows"},
		{"金额", "amount"},  {"已匹配", "matched"},
		{"金额", "amount"},  {"差异", "discrepancies"},
		{"金额", "amount"},  {"待处理", "pending"},
		{"金额", "amount"},  {"隔离", "quarantined"},
		{"金额", "amount"},  {"平衡校验", "balanced: rows = matched + discrepancies + pending + quarantined"},
	};
	header_cells(f, totals_cols, sizeof(totals_cols) / sizeof(totals_cols[0]));
	for (size_t i = 0; i < d->n_tallies; i++)
		tally_row(f, &d->tallies[i], false);
	tally_row(f, &total[0], true);
	tally_row(f, &total[1], true);
	fputs("</table>\n<p class=\"muted\">金额单位：元 (amounts in yuan)</p>\n", f);
}

/* Horizontal bars, one per label; values >= 0. */
static void bar_chart(FILE *f, const char *title, const char *const *labels, const int64_t *values, size_t n,
		      bool is_money)
{
	const int label_w = 260, bar_w = 560, row_h = 22, top = 8;
	int64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	int height = top * 2 + (int)n * row_h;
	fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", label_w + bar_w + 120, height);
	rcn_html_text(f, title);
	fputs("\">\n", f);
	for (size_t i = 0; i < n; i++) {
		int y = top + (int)i * row_h;
		int w = max > 0 ? (int)(values[i] * bar_w / max) : 0;
		if (values[i] > 0 && w < 1)
			w = 1;
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + 15);
		rcn_html_text(f, labels[i]);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", label_w, y + 3, w,
			row_h - 6, is_money ? "#dd6b20" : "#2b6cb0");
		fprintf(f, "<text x=\"%d\" y=\"%d\">", label_w + w + 6, y + 15);
		if (is_money)
			money(f, values[i], RCN_SCALE_FEN);
		else
			fprintf(f, "%lld", (long long)values[i]);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

static void charts_section(FILE *f, const long count[RCN_K__COUNT], const int64_t amount[RCN_K__COUNT])
{
	char labels[RCN_K_PENDING][96];
	const char *lp[RCN_K_PENDING];
	int64_t counts[RCN_K_PENDING];
	for (int k = 0; k < RCN_K_PENDING; k++) {
		snprintf(labels[k], sizeof(labels[k]), "%s %s", rcn_kind_name_cn((rcn_kind)k),
			 rcn_kind_name((rcn_kind)k));
		lp[k] = labels[k];
		counts[k] = count[k];
	}
	fputs("<h2>差异分布 Discrepancies per kind</h2>\n<h3>笔数 Count</h3>\n", f);
	bar_chart(f, "差异笔数 Discrepancy count per kind", lp, counts, RCN_K_PENDING, false);
	fputs("<h3>差额绝对值合计（元） Sum of |difference| (yuan)</h3>\n", f);
	bar_chart(f, "差额 Amount per kind", lp, amount, RCN_K_PENDING, true);
}

/* A page is for reading: past this many rows of one kind it says how many
 * more there are and where they all are (the CSVs and the workbook). */
#define HTML_ROWS_PER_KIND 1000

static void finding_table(FILE *f, const rcn_report_data *d, rcn_kind k, long count)
{
	long shown = 0;
	fprintf(f, "<h3 id=\"kind-%s\">%s %s — %ld</h3>\n", rcn_kind_name(k), rcn_kind_name_cn(k), rcn_kind_name(k),
		count);
	fprintf(f, "<table class=\"kind\" data-kind=\"%s\" data-count=\"%ld\">\n<tr>", rcn_kind_name(k), count);
	static const char *const kind_cols[][2] = {
		{"类型", "kind"},
		{"渠道", "channel"},
		{"商户号", "merchant"},
		{"商户订单号", "order_no"},
		{"退款单号", "refund_no"},
		{"原因", "reason"},
		{"账本金额", "ledger amount"},
		{"渠道金额", "channel amount"},
		{"差额", "difference"},
		{"说明", "detail"},
	};
	header_cells(f, kind_cols, sizeof(kind_cols) / sizeof(kind_cols[0]));
	for (size_t i = 0; i < d->n_findings && shown < HTML_ROWS_PER_KIND; i++) {
		const rcn_finding *x = d->findings[i];
		int64_t diff = 0;
		if (x->kind != k)
			continue;
		shown++;
		fputs("<tr>", f);
		fputs("<td>", f);
		rcn_html_text(f, rcn_kind_name_cn(k));
		fputs("<br><span class=\"muted\">", f);
		rcn_html_text(f, rcn_kind_name(k));
		fputs("</span></td>", f);
		td_text(f, x->channel);
		td_text(f, x->merchant_id);
		td_text(f, x->order_no);
		td_text(f, x->refund_no);
		td_text(f, x->reason);
		td_money(f, x->has_ledger_amount, x->ledger_amount, RCN_SCALE_FEN);
		td_money(f, x->has_channel_amount, x->channel_amount, RCN_SCALE_FEN);
		bool has_diff = rcn_finding_difference(x, &diff);
		td_money(f, has_diff, diff, RCN_SCALE_FEN);
		td_text(f, x->detail);
		fputs("</tr>\n", f);
	}
	if (count > shown)
		fprintf(f,
			"<tr class=\"more\" data-more=\"%ld\"><td colspan=\"10\">另有 %ld 条，见 %s 与工作簿 — %ld "
			"more rows: "
			"every row is in %s and the workbook</td></tr>\n",
			count - shown, count - shown, k == RCN_K_PENDING ? "pending.csv" : "discrepancies.csv",
			count - shown, k == RCN_K_PENDING ? "pending.csv" : "discrepancies.csv");
	fputs("</table>\n", f);
}

static void quarantine_section(FILE *f, const rcn_report_data *d)
{
	if (d->n_quarantine == 0)
		return;
	fprintf(f, "<h2>隔离 Quarantined</h2>\n<table class=\"quarantine\" data-count=\"%zu\">\n<tr>", d->n_quarantine);
	static const char *const quarantine_cols[][2] = {
		{"来源", "source"}, {"文件", "file"}, {"行", "line"},
		{"原因", "reason"}, {"笔数", "rows"}, {"金额", "amount"},
	};
	header_cells(f, quarantine_cols, sizeof(quarantine_cols) / sizeof(quarantine_cols[0]));
	for (size_t i = 0; i < d->n_quarantine; i++) {
		const rcn_quarantine_entry *q = &d->quarantine[i];
		fputs("<tr>", f);
		td_text(f, q->source);
		td_text(f, q->file);
		if (q->line > 0)
			td_count(f, q->line);
		else
			td_text(f, "整个文件 whole file");
		td_text(f, q->reason);
		td_count(f, q->rows);
		td_money(f, true, q->amount_fen, RCN_SCALE_FEN);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* Columns over the last TREND_MAX dates, one chart per series. */
static void trend_chart(FILE *f, const char *title, const rcn_trend_point *p, size_t n, bool rows, const char *color)
{
	const int left = 50, col_w = 34, plot_h = 160, top = 20, bottom = 70;
	long max = 0;
	for (size_t i = 0; i < n; i++) {
		long v = rows ? p[i].statement_rows : p[i].discrepancies;
		if (v > max)
			max = v;
	}
	int width = left + (int)n * col_w + 20;
	fprintf(f, "<h3>%s</h3>\n", title);
	fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", width < 300 ? 300 : width,
		top + plot_h + bottom);
	rcn_html_text(f, title);
	fputs("\">\n", f);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", left, top + plot_h,
		left + (int)n * col_w, top + plot_h);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%ld</text>\n", left - 4, top + 4, max);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", left - 4, top + plot_h + 4);
	for (size_t i = 0; i < n; i++) {
		char d[11];
		long v = rows ? p[i].statement_rows : p[i].discrepancies;
		int h = max > 0 ? (int)(v * plot_h / max) : 0;
		if (v > 0 && h < 1)
			h = 1;
		int x = left + (int)i * col_w + 4;
		rcn_date_format(d, p[i].date);
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" data-date=\"%s\" "
			"data-value=\"%ld\"><title>%s: %ld</title></rect>",
			x, top + plot_h - h, col_w - 8, h, color, d, v, d, v);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%ld</text>", x + (col_w - 8) / 2,
			top + plot_h - h - 3, v);
		fprintf(f, "<text transform=\"translate(%d,%d) rotate(-60)\" text-anchor=\"end\">%s</text>\n",
			x + (col_w - 8) / 2 + 4, top + plot_h + 12, d + 5);
	}
	fputs("</svg>\n", f);
}

static void trend_section(FILE *f, const rcn_report_data *d)
{
	if (!d->trend || d->n_trend == 0)
		return;
	size_t n = d->n_trend > TREND_MAX ? TREND_MAX : d->n_trend;
	const rcn_trend_point *p = d->trend + (d->n_trend - n); /* the most recent ones */
	fprintf(f,
		"<h2>近 %zu 日趋势 Trend over the last %zu business dates</h2>\n<div class=\"trend\" "
		"data-points=\"%zu\">\n",
		n, n, n);
	trend_chart(f, "差异笔数 Discrepancies", p, n, false, "#c53030");
	trend_chart(f, "对账单笔数 Statement rows", p, n, true, "#2b6cb0");
	fputs("</div>\n", f);
}

static void page(FILE *f, const char *date, const rcn_report_data *d)
{
	long count[RCN_K__COUNT] = {0};
	int64_t amount[RCN_K__COUNT] = {0};
	for (size_t i = 0; i < d->n_findings; i++) {
		const rcn_finding *x = d->findings[i];
		int64_t diff;
		if ((unsigned)x->kind >= RCN_K__COUNT)
			continue;
		count[x->kind]++;
		if (rcn_finding_difference(x, &diff))
			amount[x->kind] += diff < 0 ? -diff : diff;
	}
	rcn_tally total[2];
	rcn_report_totals(total, d);
	long discrepancies = 0;
	for (int k = 0; k < RCN_K_PENDING; k++)
		discrepancies += count[k];

	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	fprintf(f, "<title>对账报告 Reconciliation report %s</title>\n<style>\n%s</style>\n</head>\n<body>\n", date,
		style);
	fprintf(f, "<h1>对账报告 Reconciliation report — %s</h1>\n", date);
	fputs("<p class=\"muted\">同目录下的 CSV 文件为明细 (details in the CSV files next to this page: "
	      "discrepancies.csv, pending.csv, summary.csv, settlement.csv, quarantine.csv, notes.csv)</p>\n",
	      f);
	/* what the night could not check comes first: nobody must miss it */
	for (size_t i = 0; i < d->n_problems; i++) {
		fputs("<p class=\"problem\">问题 Problem: ", f);
		rcn_html_text(f, d->problems[i]);
		fputs("</p>\n", f);
	}
	const rcn_tally *c = &total[1];
	fprintf(f,
		"<div class=\"cards\">\n<div class=\"card\">对账单笔数 statement rows<b>%ld</b></div>\n"
		"<div class=\"card\">已匹配 matched<b>%ld</b></div>\n"
		"<div class=\"card\">差异 discrepancies<b class=\"%s\">%ld</b></div>\n"
		"<div class=\"card\">待处理 pending<b>%ld</b></div>\n"
		"<div class=\"card\">隔离 quarantined<b class=\"%s\">%ld</b></div>\n</div>\n",
		c->rows_in, c->matched, discrepancies ? "bad" : "ok", discrepancies, count[RCN_K_PENDING],
		c->quarantined ? "bad" : "ok", c->quarantined);

	totals_section(f, d, total);
	charts_section(f, count, amount);
	trend_section(f, d);

	fputs("<h2>差异明细 Discrepancies by kind</h2>\n", f);
	if (discrepancies == 0)
		fputs("<p class=\"ok\">无差异 No discrepancies.</p>\n", f);
	for (int k = 0; k < RCN_K_PENDING; k++)
		if (count[k] > 0)
			finding_table(f, d, (rcn_kind)k, count[k]);
	if (count[RCN_K_PENDING] > 0) {
		fputs("<h2>待处理（挂账，次日继续核对） Pending, carried to the next night</h2>\n", f);
		finding_table(f, d, RCN_K_PENDING, count[RCN_K_PENDING]);
	}
	quarantine_section(f, d);
	fputs("</body>\n</html>\n", f);
}

typedef struct {
	const char *date;
	const rcn_report_data *data;
} page_args;

static void page_body(FILE *out, const void *p)
{
	const page_args *a = p;
	page(out, a->date, a->data);
}

rcn_rc rcn_report_html(const char *dir, const char *date, const rcn_report_data *data, rcn_err *err)
{
	page_args a = {date, data};
	return rcn_report_write(dir, "index.html", page_body, &a, err);
}
