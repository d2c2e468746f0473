/* index.html's 未结差异 Open items: the register's book as of the date (not
 * just tonight's findings) — how many items are open and overdue and for
 * how much, by kind and age band, then the items themselves, overdue first
 * (the book's order), each with who has it and what they noted. */
#include <stdio.h>
#include <string.h>

#include "recon/money.h"
#include "recon/report.h"
#include "report/html_int.h"
#include "report/report_int.h"

/* Counts and amounts (|difference_fen|) of the book by kind and age band. */
typedef struct {
	long n[RCN_K__COUNT][RCN_AGE_BANDS + 1]; /* the last column: the kind's total */
	int64_t fen[RCN_K__COUNT][RCN_AGE_BANDS + 1];
} age_table;

static void age_table_of(age_table *t, const rcn_open_book *b)
{
	memset(t, 0, sizeof(*t));
	rcn_book_cursor cur;
	rcn_book_cursor_open(&cur, b);
	for (const rcn_open_item *it; (it = rcn_book_cursor_next(&cur)) != NULL;) {
		int k = (unsigned)it->kind < RCN_K__COUNT ? (int)it->kind : RCN_K_MATCHED;
		int64_t fen = it->difference_fen < 0 ? -it->difference_fen : it->difference_fen;
		int band = rcn_age_band(it->age_days);
		t->n[k][band]++, t->fen[k][band] += fen;
		t->n[k][RCN_AGE_BANDS]++, t->fen[k][RCN_AGE_BANDS] += fen;
	}
	rcn_book_cursor_close(&cur);
}

static void ages_section(FILE *f, const age_table *t)
{
	fputs("<table class=\"open-ages\">\n<tr><th rowspan=\"2\">类型<br><span class=\"muted\">kind</span></th>", f);
	for (int b = 0; b <= RCN_AGE_BANDS; b++) {
		if (b < RCN_AGE_BANDS)
			fprintf(f,
				"<th colspan=\"2\">账龄 %s 个工作日<br><span class=\"muted\">age %s business "
				"days</span></th>",
				rcn_age_band_label(b), rcn_age_band_label(b));
		else
			fputs("<th colspan=\"2\">合计<br><span class=\"muted\">total</span></th>", f);
	}
	fputs("</tr>\n<tr>", f);
	for (int b = 0; b <= RCN_AGE_BANDS; b++)
		fputs("<th>笔数<br><span class=\"muted\">items</span></th><th>金额<br><span "
		      "class=\"muted\">amount</span></th>",
		      f);
	fputs("</tr>\n", f);
	long sum_n[RCN_AGE_BANDS + 1] = {0};
	int64_t sum_fen[RCN_AGE_BANDS + 1] = {0};
	for (int k = 0; k < RCN_K__COUNT; k++) {
		if (!t->n[k][RCN_AGE_BANDS])
			continue;
		fprintf(f, "<tr data-kind=\"%s\"><td>%s<br><span class=\"muted\">%s</span></td>",
			rcn_kind_name((rcn_kind)k), rcn_kind_name_cn((rcn_kind)k), rcn_kind_name((rcn_kind)k));
		for (int b = 0; b <= RCN_AGE_BANDS; b++) {
			rcn_html_td_count(f, t->n[k][b]);
			rcn_html_td_money(f, true, t->fen[k][b], RCN_SCALE_FEN);
			sum_n[b] += t->n[k][b], sum_fen[b] += t->fen[k][b];
		}
		fputs("</tr>\n", f);
	}
	fputs("<tr class=\"total\"><td>合计 total</td>", f);
	for (int b = 0; b <= RCN_AGE_BANDS; b++) {
		rcn_html_td_count(f, sum_n[b]);
		rcn_html_td_money(f, true, sum_fen[b], RCN_SCALE_FEN);
	}
	fputs("</tr>\n</table>\n", f);
}

static const char *const item_cols[][2] = {
	{"编号", "id"},
	{"类型", "kind"},
	{"渠道", "channel"},
	{"商户号", "merchant"},
	{"商户订单号", "order_no"},
	{"渠道交易号", "channel_txn_id"},
	{"差额", "difference"},
	{"首次发现", "first seen"},
	{"账龄", "age (business days)"},
	{"处理期限", "due_by"},
	{"状态", "status"},
	{"负责人", "owner"},
	{"备注", "note"},
	{"最后修改", "last change"},
};
#define ITEM_COLS (sizeof(item_cols) / sizeof(item_cols[0]))

static void item_row(FILE *f, const rcn_open_item *it)
{
	char d[11], awaiting[320];
	int64_t diff;
	int scale;
	fprintf(f, "<tr%s data-id=\"", it->overdue ? " class=\"urgent\"" : "");
	rcn_html_text(f, it->id);
	fprintf(f, "\" data-overdue=\"%s\" data-status=\"%s\">", it->overdue ? "yes" : "no",
		rcn_item_status_name(it->status));
	rcn_html_td_text(f, it->id);
	fputs("<td>", f);
	rcn_html_text(f, rcn_kind_name_cn(it->kind));
	fputs("<br><span class=\"muted\">", f);
	rcn_html_text(f, rcn_kind_name(it->kind));
	fputs("</span></td>", f);
	const char *ids[] = {it->channel, it->merchant_id, it->order_no, it->channel_txn_id};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		rcn_html_td_text(f, ids[i]);
	bool has = rcn_open_item_difference(it, &diff, &scale);
	rcn_html_td_money(f, has, diff, scale);
	rcn_html_td_text(f, it->first_seen ? rcn_date_format(d, it->first_seen) : "");
	rcn_html_td_count(f, it->age_days);
	fputs("<td>", f);
	if (it->due_by)
		fputs(rcn_date_format(d, it->due_by), f);
	if (it->overdue)
		fputs("<br><span class=\"tag\">逾期 overdue</span>", f);
	fprintf(f, "</td><td>%s<br><span class=\"muted\">%s</span>", rcn_item_status_cn(it->status),
		rcn_item_status_name(it->status));
	if (*rcn_open_item_awaiting(awaiting, sizeof(awaiting), it)) {
		fputs("<br>待审批 awaiting approval: ", f);
		rcn_html_text(f, awaiting);
	}
	fputs("</td>", f);
	rcn_html_td_text(f, it->owner);
	rcn_html_td_text(f, it->note);
	fputs("<td>", f);
	rcn_html_text(f, it->last_change);
	if (it->changed_by && *it->changed_by) {
		fputs("<br><span class=\"muted\">", f);
		rcn_html_text(f, it->changed_by);
		fputs("</span>", f);
	}
	fputs("</td></tr>\n", f);
}

void rcn_html_open_items(FILE *f, const rcn_report_data *d)
{
	rcn_open_book none;
	const rcn_open_book *b = rcn_report_book(d, &none);
	rcn_open_sum s = {0};
	rcn_book_cursor cur;
	rcn_book_cursor_open(&cur, b);
	for (const rcn_open_item *it; (it = rcn_book_cursor_next(&cur)) != NULL;)
		rcn_open_sum_add(&s, it);
	rcn_book_cursor_close(&cur);
	fputs("<h2 id=\"open-items\">未结差异 Open items</h2>\n", f);
	if (b->n == 0) {
		fputs("<p class=\"ok\" data-open=\"0\" data-overdue=\"0\">没有未结差异 No open items</p>\n", f);
		return;
	}
	fprintf(f,
		"<p class=\"open-summary\" data-open=\"%ld\" data-open-amount=\"%lld\" data-overdue=\"%ld\" "
		"data-overdue-amount=\"%lld\">未结 %ld 条，金额 ",
		s.open, (long long)s.open_fen, s.overdue, (long long)s.overdue_fen, s.open);
	rcn_html_money(f, s.open_fen, RCN_SCALE_FEN);
	fprintf(f, " 元；其中<span class=\"%s\">逾期 %ld 条，金额 ", s.overdue ? "bad" : "ok", s.overdue);
	rcn_html_money(f, s.overdue_fen, RCN_SCALE_FEN);
	fprintf(f, " 元</span> — %ld open item(s), ", s.open);
	rcn_html_money(f, s.open_fen, RCN_SCALE_FEN);
	fprintf(f, " yuan; %ld overdue, ", s.overdue);
	rcn_html_money(f, s.overdue_fen, RCN_SCALE_FEN);
	/* the money at stake: an item's difference counts without its sign (the
	 * book's own sums), never netted as the charts' signed sums are */
	fputs(" yuan (金额：各项差额不计正负相加 amounts: each item's difference added without its sign)</p>\n", f);
	age_table t;
	age_table_of(&t, b);
	ages_section(f, &t);
	fprintf(f, "<table class=\"open-items\" data-count=\"%zu\">\n<tr>", b->n);
	rcn_html_header(f, item_cols, ITEM_COLS);
	size_t shown = b->n < RCN_HTML_MAX_ROWS ? b->n : RCN_HTML_MAX_ROWS;
	rcn_book_cursor_open(&cur, b);
	const rcn_open_item *it;
	for (size_t i = 0; i < shown && (it = rcn_book_cursor_next(&cur)) != NULL; i++)
		item_row(f, it);
	rcn_book_cursor_close(&cur);
	if (b->n > shown)
		fprintf(f,
			"<tr class=\"more\" data-more=\"%zu\"><td colspan=\"%zu\">另有 %zu 条，见 open_items.csv "
			"与工作簿 — "
			"%zu more items: every item is in open_items.csv and the workbook</td></tr>\n",
			b->n - shown, ITEM_COLS, b->n - shown, b->n - shown);
	fputs("</table>\n", f);
}
