/* recon items import, inside: the table both readers (CSV text, the
 * workbook's sheet) hand their rows to, one row of cells at a time. */
#ifndef RECON_ITEMS_IMPORT_INT_H
#define RECON_ITEMS_IMPORT_INT_H

#include "recon/items.h"

#define IMPORT_ROWS_MAX 1000000 /* rows of one file: 20 years of nights' open items */
#define IMPORT_COLS_MAX 512	/* cells of one row the reader keeps (open_items.csv has ~25) */

/* The header row names the columns; every later row with an id is a change. */
typedef struct {
	const char *label; /* the file, for messages */
	rcn_item_changes *out;
	int col_id, col_status, col_owner, col_note, col_last_change; /* -1: not in the header */
	bool have_header;
	long rows;
} import_table;

void rcn_import_table_init(import_table *t, const char *label, rcn_item_changes *out);
/* One row: cells[0..n) (NUL-terminated, borrowed for the call), `line` the
 * file's line (the sheet's row number) it starts on. */
rcn_rc rcn_import_table_row(import_table *t, const char *const *cells, size_t n, long line, rcn_err *err);
/* After the last row: RCN_EFORMAT when no header was found. */
rcn_rc rcn_import_table_end(const import_table *t, rcn_err *err);

/* The workbook's sheet whose name contains "open_items", row by row into t. */
rcn_rc rcn_import_xlsx(import_table *t, const char *data, size_t n, rcn_err *err);

#endif
