/* The workbook's 未结差异 open_items sheet: open_items.csv's columns, one row
 * per item of the book in its order. `recon items import` finds the sheet by
 * "open_items" in its name and the columns by the English word that ends
 * each heading ("状态 status"): keep both. */
#include <stdio.h>

#include "recon/money.h"
#include "report/report_int.h"
#include "report/xlsx_int.h"

const size_t rcn_xlsx_open_items_cols = RCN_OPEN_COLS;

/* open_items.csv's cells (rcn_open_item_cells), the difference and the age as numbers. */
static void item_row(rcn_xw *w, long r, const rcn_open_item *it)
{
	rcn_open_item_text t;
	const char *cells[RCN_OPEN_ITEM_CELLS];
	rcn_open_item_cells(it, &t, cells);
	int64_t diff;
	int scale;
	rcn_xlsx_row_open(w, r);
	for (int c = 0; c < RCN_OPEN_ITEM_CELLS; c++) {
		if (c == 10) {
			if (rcn_open_item_difference(it, &diff, &scale))
				rcn_xlsx_money(w, c, r, diff, scale);
		} else if (c == 12) {
			rcn_xlsx_number(w, c, r, it->age_days, 0, RCN_XST_NONE);
		} else {
			rcn_xlsx_text(w, c, r, cells[c], false);
		}
	}
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
	rcn_book_cursor cur;
	rcn_book_cursor_open(&cur, d->book);
	const rcn_open_item *it;
	for (long i = 0; i < fit && (it = rcn_book_cursor_next(&cur)) != NULL; i++)
		item_row(w, i + 2, it);
	rcn_book_cursor_close(&cur);
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
