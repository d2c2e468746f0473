/* index.html of a business date: the night at a glance for the people who
 * read it in the morning. One self-contained page — inline CSS and SVG, no
 * scripts, no external assets — that opens from a file share or a mail
 * attachment. Every number comes from the same data as the CSVs and is
 * written with integer arithmetic only, so a re-run gives the same bytes.
 * data-* attributes carry the raw counts for tests and scrapers.
 * The page, top to bottom: the banner (what the night could not check),
 * the cards, the totals (here), the charts (html_charts.c), the note on
 * difference (here), the trend, the kind tables (html_tables.c), the open
 * items (html_items.c), settlement and quarantine (html_tables.c). */
#include <stdio.h>
#include <string.h>

#include "recon/match.h"
#include "recon/money.h"
#include "recon/report.h"
#include "report/html_int.h"
#include "report/report_int.h"

void rcn_html_text(FILE *f, const char *s)
{
	if (!s)
		return;
	/* runs without a character to escape are written whole, not byte by byte */
	for (size_t run; *s; s += run) {
		run = strcspn(s, "&<>\"'");
		fwrite(s, 1, run, f);
		if (!s[run])
			break;
		const char c = s[run];
		fputs(c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;" : "&#39;", f);
		run++;
	}
}

void rcn_html_money(FILE *f, int64_t v, int scale)
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
	".problem{font-weight:bold}\n"
	".cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ccd;border-radius:6px;"
	"padding:8px 14px;min-width:120px}.card b{display:block;font-size:22px}\n"
	"svg text{font-size:12px;font-family:inherit}\n"
	".banner{border:3px solid #c53030;background:#c53030;color:#fff;padding:10px 16px;margin:-8px 0 16px;"
	"font-size:15px}.banner ul{margin:6px 0 0;padding-left:20px}\n"
	".card.bad{border:2px solid #c53030;background:#fff5f5}.card span{display:block;font-size:12px}\n"
	"tr.urgent td{background:#fff5f5}.tag{background:#c53030;color:#fff;border-radius:3px;padding:0 4px;"
	"font-size:12px}\n"
	"tr.bad td{color:#c53030}.note{border-left:4px solid #2b6cb0;background:#f7fafc;padding:6px 12px;"
	"font-size:13px}\n";

/* A table's header cells, Chinese above English, and the end of its row. */
void rcn_html_header(FILE *f, const char *const cols[][2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<th>%s<br><span class=\"muted\">%s</span></th>", cols[i][0], cols[i][1]);
	fputs("</tr>\n", f);
}

void rcn_html_td_text(FILE *f, const char *s)
{
	fputs("<td>", f);
	rcn_html_text(f, s);
	fputs("</td>", f);
}

void rcn_html_td_count(FILE *f, long v)
{
	fprintf(f, "<td class=\"n\">%ld</td>", v);
}

void rcn_html_td_money(FILE *f, bool has, int64_t v, int scale)
{
	fputs("<td class=\"n\">", f);
	if (has)
		rcn_html_money(f, v, scale);
	fputs("</td>", f);
}

static bool balanced(const rcn_tally *t)
{
	return t->rows_in == t->matched + t->discrepancies + t->pending + t->quarantined &&
	       t->amount_in == t->amount_matched + t->amount_discrepancies + t->amount_pending + t->amount_quarantined;
}

/* rejected: whole files rejected or missing, shown against the channel
 * total's proof: the proof covers only what was read. */
static void tally_row(FILE *f, const rcn_tally *t, bool total, size_t rejected)
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
	rcn_html_td_text(f, total ? "合计 total" : t->channel);
	rcn_html_td_text(f, total ? "" : t->merchant_id);
	rcn_html_td_text(f, ch ? "渠道对账单 channel" : "商户账本 ledger");
	const long rows[] = {t->rows_in, t->matched, t->discrepancies, t->pending, t->quarantined};
	const int64_t amounts[] = {t->amount_in, t->amount_matched, t->amount_discrepancies, t->amount_pending,
				   t->amount_quarantined};
	for (int i = 0; i < 5; i++) {
		rcn_html_td_count(f, rows[i]);
		rcn_html_td_money(f, true, amounts[i], RCN_SCALE_FEN);
	}
	/* the proof: every row and every fen ends in exactly one place */
	fprintf(f, "<td class=\"%s\">%s %ld = %ld + %ld + %ld + %ld", ok && !rejected ? "ok" : "bad",
		ok ? "✓ 平衡 yes" : "✗ 不平衡 NO", t->rows_in, t->matched, t->discrepancies, t->pending,
		t->quarantined);
	if (rejected)
		fprintf(f, "<br>但 %zu 个对账单文件被拒收或缺失 but %zu statement file(s) rejected or missing",
			rejected, rejected);
	fputs("</td></tr>\n", f);
}

static void totals_section(FILE *f, const rcn_report_data *d, rcn_tally total[2], size_t rejected)
{
	fputs("<h2>当日汇总 Totals</h2>\n<table class=\"totals\">\n<tr>", f);
	static const char *const totals_cols[][2] = {
		{"渠道", "channel"}, {"商户号", "merchant"},
		{"来源", "side"},    {"笔数", "rows"},
		{"金额", "amount"},  {"已匹配", "matched"},
		{"金额", "amount"},  {"差异", "discrepancies"},
		{"金额", "amount"},  {"待核对", "pending"},
		{"金额", "amount"},  {"隔离", "quarantined"},
		{"金额", "amount"},  {"平衡校验", "balanced: rows = matched + discrepancies + pending + quarantined"},
	};
	rcn_html_header(f, totals_cols, sizeof(totals_cols) / sizeof(totals_cols[0]));
	for (size_t i = 0; i < d->n_tallies; i++)
		tally_row(f, &d->tallies[i], false, 0);
	tally_row(f, &total[0], true, 0);
	tally_row(f, &total[1], true, rejected);
	fputs("</table>\n<p class=\"muted\">金额单位：元 (amounts in yuan)</p>\n", f);
}

/* What the banner and the quarantine card count. */
typedef struct {
	size_t rejected_files; /* quarantine entries of whole files (line 0) */
	long quarantined_rows; /* channel rows quarantined (rejected files' rows included) */
	size_t unverified;     /* settlements that could not be checked */
} night_gaps;

static night_gaps gaps_of(const rcn_report_data *d, const rcn_tally *channel_total)
{
	night_gaps g = {0, channel_total->quarantined, 0};
	for (size_t i = 0; i < d->n_quarantine; i++)
		g.rejected_files += d->quarantine[i].line == 0;
	for (size_t i = 0; i < d->n_settlements; i++)
		g.unverified += d->settlements[i].status == RCN_SETTLE_UNVERIFIED;
	return g;
}

/* The first thing on the page whenever the night is not whole: a statement
 * rejected or missing, rows quarantined, something the night could not
 * check, a settlement that could not be checked. Nobody must miss it. */
static void banner(FILE *f, const rcn_report_data *d, const night_gaps *g)
{
	if (g->rejected_files == 0 && g->quarantined_rows == 0 && d->n_problems == 0 && g->unverified == 0)
		return;
	fprintf(f,
		"<div class=\"banner\" role=\"alert\" data-rejected-files=\"%zu\" data-quarantined-rows=\"%ld\" "
		"data-problems=\"%zu\" data-unverified-settlements=\"%zu\">\n"
		"<b>请先处理：本夜对账不完整 Attention: this night's reconciliation is incomplete</b>\n<ul>\n",
		g->rejected_files, g->quarantined_rows, d->n_problems, g->unverified);
	for (size_t i = 0; i < d->n_quarantine; i++) {
		const rcn_quarantine_entry *q = &d->quarantine[i];
		if (q->line != 0)
			continue;
		fputs("<li>对账单被拒收或缺失 statement rejected or missing: [", f);
		rcn_html_text(f, q->source);
		fputs("] ", f);
		rcn_html_text(f, q->file);
		fputs(" — ", f);
		rcn_html_text(f, q->reason);
		fputs("</li>\n", f);
	}
	if (g->quarantined_rows > 0)
		fprintf(f,
			"<li>%ld 笔对账单记录被隔离，未参与对账 %ld statement row(s) quarantined, not reconciled "
			"(见隔离表 see <a href=\"#quarantine\">the quarantine table</a>)</li>\n",
			g->quarantined_rows, g->quarantined_rows);
	for (size_t i = 0; i < d->n_problems; i++) {
		fputs("<li class=\"problem\">问题 Problem: ", f);
		rcn_html_text(f, d->problems[i]);
		fputs("</li>\n", f);
	}
	for (size_t i = 0; i < d->n_settlements; i++) {
		const rcn_settlement *s = &d->settlements[i];
		char day[11];
		if (s->status != RCN_SETTLE_UNVERIFIED)
			continue;
		fputs("<li>结算无法核对 settlement not verified: ", f);
		rcn_html_text(f, s->channel);
		fputs(" ", f);
		rcn_html_text(f, s->merchant_id);
		fprintf(f, " %s — ", rcn_date_format(day, s->business_date));
		rcn_html_text(f, s->detail);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n</div>\n", f);
}

static void signed_card(FILE *f, const char *label, const char *attr, int64_t v)
{
	fprintf(f, "<div class=\"card\" %s=\"%lld\">%s<b class=\"%s\">%s", attr, (long long)v, label, v ? "bad" : "ok",
		v > 0 ? "+" : "");
	rcn_html_money(f, v, RCN_SCALE_FEN);
	fputs("</b></div>\n", f);
}

static void cards(FILE *f, const rcn_tally *c, const rcn_html_sums *s, long discrepancies, const night_gaps *g)
{
	bool quarantine_bad = g->quarantined_rows > 0 || g->rejected_files > 0;
	fprintf(f,
		"<div class=\"cards\">\n<div class=\"card\">对账单笔数 statement rows<b>%ld</b></div>\n"
		"<div class=\"card\">已匹配 matched<b>%ld</b></div>\n"
		"<div class=\"card\">差异 discrepancies<b class=\"%s\">%ld</b></div>\n"
		"<div class=\"card\">待核对 pending<b>%ld</b></div>\n",
		c->rows_in, c->matched, discrepancies ? "bad" : "ok", discrepancies, s->count[RCN_K_PENDING]);
	fprintf(f,
		"<div class=\"card %s\" data-quarantined-rows=\"%ld\" data-rejected-files=\"%zu\">隔离 quarantined"
		"<b class=\"%s\">%ld</b>",
		quarantine_bad ? "bad" : "ok", g->quarantined_rows, g->rejected_files, quarantine_bad ? "bad" : "ok",
		g->quarantined_rows);
	if (g->rejected_files)
		fprintf(f, "<span class=\"bad\">%zu 个文件被拒收或缺失 %zu file(s) rejected or missing</span>",
			g->rejected_files, g->rejected_files);
	fputs("</div>\n", f);
	/* short and over apart, signed: a +30 and a -20 are not 50 */
	signed_card(f, "短款合计 short payments", "data-short-total", s->negative[RCN_K_SHORT_PAYMENT]);
	signed_card(f, "长款合计 overpayments", "data-over-total", s->positive[RCN_K_OVERPAYMENT]);
	fputs("</div>\n", f);
}

/* What the difference column means, per kind (README.md has the long form). */
static void difference_note(FILE *f)
{
	fputs("<div class=\"note\" id=\"difference-note\"><b>差额的含义 What difference means</b>：渠道 − 账本，"
	      "按该类型所涉的数量 channel − ledger of the quantity the kind is about; 负数：渠道少于账本 "
	      "negative: the channel has less.\n<ul>\n"
	      "<li>短款、长款、状态不符、币种不符、退款不符 SHORT_PAYMENT, OVERPAYMENT, STATUS_MISMATCH, "
	      "CURRENCY_MISMATCH, REFUND_MISMATCH：渠道收款 − 账本收款 money collected, channel − ledger "
	      "(只计各方认为已发生的资金 only money each side says moved)</li>\n"
	      "<li>重复扣款 DOUBLE_CHARGE：多扣的金额 the extra charge</li>\n"
	      "<li>手续费不符 FEE_MISMATCH：渠道手续费 − 规则手续费 channel fee − expected fee</li>\n"
	      "<li>结算不符 SETTLEMENT_MISMATCH：到账 − 应结 arrived − expected（未到账为 −应结 missing: "
	      "−expected）</li>\n"
	      "<li>解约后扣款、超限扣款、超频扣款 DEBIT_AFTER_TERMINATION, DEBIT_OVER_LIMIT, DEBIT_TOO_FREQUENT："
	      "扣款金额 the debited amount</li>\n"
	      "<li>重复记录 DUPLICATE_RECORD：无 none</li>\n</ul></div>\n",
	      f);
}

static void page(FILE *f, const char *date, const rcn_report_data *d)
{
	rcn_html_sums sums;
	rcn_html_sums_of(&sums, d);
	rcn_tally total[2];
	rcn_report_totals(total, d);
	night_gaps gaps = gaps_of(d, &total[1]);
	long discrepancies = 0;
	for (int k = 0; k < RCN_K_PENDING; k++)
		discrepancies += sums.count[k];

	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	fprintf(f, "<title>对账报告 Reconciliation report %s</title>\n<style>\n%s</style>\n</head>\n<body>\n", date,
		style);
	banner(f, d, &gaps);
	fprintf(f, "<h1>对账报告 Reconciliation report — %s</h1>\n", date);
	fputs("<p class=\"muted\">同目录下的 CSV 文件为明细 (details in the CSV files next to this page: "
	      "discrepancies.csv, pending.csv, open_items.csv, summary.csv, settlement.csv, quarantine.csv, "
	      "notes.csv)</p>\n",
	      f);
	cards(f, &total[1], &sums, discrepancies, &gaps);
	totals_section(f, d, total, gaps.rejected_files);
	rcn_html_charts(f, d, &sums);
	difference_note(f);
	rcn_html_trend(f, d);
	rcn_html_kind_tables(f, d, sums.count);
	rcn_html_open_items(f, d);
	rcn_html_settlements(f, d);
	rcn_html_quarantine(f, d);
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
