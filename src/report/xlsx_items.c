/* The workbook's 未结差异 open_items sheet: open_items.csv's columns, one row
 * per item of the book in its order. `recon items import` finds the sheet by
 * "open_items" in its name and the columns by the English word that ends
 * each heading ("状态 status"): keep both. */
#include <stdio.h>

#include "recon/money.h"
#include "report/report_int.h"
#include "report/xlsx_int.h"

const size_t rcn_xlsx_open_items_cols = RCN_OPEN_COLS;

static void item_row(rcn_xw *w, long r, const rcn_open_item *it)
{
	char d[11], awaiting[320];
	int64_t diff;
	int scale;
	const char *head[] = {it->id,
			      rcn_kind_name(it->kind),
			      rcn_kind_name_cn(it->kind),
			      it->reason,
			      rcn_reason_cn(it->kind, it->reason),
			      it->channel,
			      it->merchant_id,
			      it->order_no,
			      it->refund_no,
			      it->channel_txn_id};
	rcn_xlsx_row_open(w, r);
	for (int i = 0; i < (int)(sizeof(head) / sizeof(head[0])); i++)
		rcn_xlsx_text(w, i, r, head[i], false);
	if (rcn_open_item_difference(it, &diff, &scale))
		rcn_xlsx_money(w, 10, r, diff, scale);
	if (it->first_seen)
		rcn_xlsx_text(w, 11, r, rcn_date_format(d, it->first_seen), false);
	rcn_xlsx_number(w, 12, r, it->age_days, 0, RCN_XST_NONE);
	if (it->due_by)
		rcn_xlsx_text(w, 13, r, rcn_date_format(d, it->due_by), false);
	const char *tail[] = {it->overdue ? "yes" : "",
			      rcn_item_status_name(it->status),
			      rcn_item_status_cn(it->status),
			      it->owner,
			      it->note,
			      it->last_change,
			      it->changed_by,
			      rcn_open_item_awaiting(awaiting, sizeof(awaiting), it)};
	for (int i = 0; i < (int)(sizeof(tail) / sizeof(tail[0])); i++)
		rcn_xlsx_text(w, 14 + i, r, tail[i], false);
	rcn_xlsx_row_close(w);
}

void rcn_xlsx_open_items_sheet(rcn_xw *w, const rcn_report_data *d, long max_rows, bool selected)
{
	char names[RCN_OPEN_COLS][64];
	const char *heads[RCN_OPEN_COLS];
	for (int i = 0; i < RCN_OPEN_COLS; i++) {
		snprintf(names[i], sizeof(names[i]), "%s %s", rcn_open_cols[i][0], rcn_open_cols[i][1]);
		heads[i] = names[i];
	}
	long count = d->book ? (long)d->book->n : 0;
	long last = rcn_xlsx_open_items_last_row(d, max_rows), fit = count + 1 <= last ? count : last - 2;
	rcn_xlsx_sheet_begin(w, RCN_OPEN_COLS, last, selected, heads);
	for (long i = 0; i < fit; i++)
		item_row(w, i + 2, &d->book->items[i]);
	if (count > fit) {
		char note[160];
		snprintf(note, sizeof(note), "另有 %ld 条见 open_items.csv — %ld more items in open_items.csv",
			 count - fit, count - fit);
		rcn_xlsx_row_open(w, last);
		rcn_xlsx_text(w, 0, last, note, false);
		rcn_xlsx_row_close(w);
	}
	rcn_xlsx_sheet_end(w, RCN_OPEN_COLS, last);
}

long rcn_xlsx_open_items_last_row(const rcn_report_data *d, long max_rows)
{
	long count = d->book ? (long)d->book->n : 0;
	return count < max_rows ? count + 1 : max_rows;
}
