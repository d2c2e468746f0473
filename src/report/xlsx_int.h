/* report/xlsx: what the workbook's driver (xlsx.c: the cell writer, the
 * finding sheets, the package) shares with its other sheets (xlsx_sheets.c:
 * summary, settlement, quarantine; xlsx_items.c: the open items). A sheet's XML is streamed through an
 * rcn_xw into its zip entry:
 *   rcn_xlsx_sheet_begin -> rows of cells (rcn_xlsx_text / _number / _money) -> rcn_xlsx_sheet_end */
#ifndef RECON_REPORT_XLSX_INT_H
#define RECON_REPORT_XLSX_INT_H

#include "recon/report.h"
#include "report/zipw.h"

typedef struct {
	rcn_zipw_entry *e;
	size_t len;
	long ref_row; /* the row whose digits ref_digits holds (0: none yet) */
	uint8_t ref_n;
	char ref_digits[24];
	char buf[1 << 16];
} rcn_xw;

/* Cell styles, as numbered in styles.xml's cellXfs. */
enum { RCN_XST_NONE = 0, RCN_XST_HEAD = 1, RCN_XST_MONEY = 2, RCN_XST_FEE = 3 };

void rcn_xlsx_puts(rcn_xw *w, const char *s);
/* Cells of 0-based column c in 1-based row r; empty text writes no cell. */
void rcn_xlsx_text(rcn_xw *w, int c, long r, const char *s, bool head);
void rcn_xlsx_number(rcn_xw *w, int c, long r, int64_t v, int places, int style);
void rcn_xlsx_money(rcn_xw *w, int c, long r, int64_t v, int scale);
void rcn_xlsx_row_open(rcn_xw *w, long r);
void rcn_xlsx_row_close(rcn_xw *w);
/* A row of bold text cells from column 0 (a table's heading). */
void rcn_xlsx_head_row(rcn_xw *w, long r, const char *const *heads, size_t n);
/* Everything before the first data row (header row 1, frozen); last_row
 * is the sheet's last row. */
void rcn_xlsx_sheet_begin(rcn_xw *w, size_t ncols, long last_row, bool selected, const char *const *heads);
/* The end of the sheet, the autofilter over rows 1 to filter_row. */
void rcn_xlsx_sheet_end(rcn_xw *w, size_t ncols, long filter_row);
/* s as XML text (& < > escaped, control characters and bad bytes replaced). */
void rcn_xlsx_escaped(rcn_xw *w, const char *s);

/* The shared strings (xlsx_strings.c): the texts the finding sheets repeat. */
typedef struct rcn_xlsx_sst rcn_xlsx_sst;
rcn_xlsx_sst *rcn_xlsx_sst_collect(const rcn_report_data *d);
/* Counts f's texts (rcn_xlsx_sst_collect does, for each of d's findings and notes). */
void rcn_xlsx_sst_count(rcn_xlsx_sst *t, const rcn_finding *f);
/* The index of text s, or -1 when it is written inline. */
long rcn_xlsx_sst_find(const rcn_xlsx_sst *t, const char *s);
/* xl/sharedStrings.xml. */
void rcn_xlsx_sst_part(const rcn_xlsx_sst *t, rcn_xw *w);
void rcn_xlsx_sst_free(rcn_xlsx_sst *t);

/* Column c's letters ("A", "AV") in out[4]; returns out. */
char *rcn_xlsx_col(char out[4], int c);

/* The sheets of xlsx_sheets.c: columns, the last row of the table the
 * filter covers and the last row of the sheet, and the writer. */
extern const size_t rcn_xlsx_summary_cols, rcn_xlsx_settlement_cols, rcn_xlsx_quarantine_cols;
long rcn_xlsx_summary_table_rows(const rcn_report_data *d); /* header included */
long rcn_xlsx_summary_last_row(const rcn_report_data *d);
void rcn_xlsx_summary_sheet(rcn_xw *w, const char *date, const rcn_report_data *d, bool selected);
void rcn_xlsx_settlement_sheet(rcn_xw *w, const rcn_report_data *d, bool selected);
void rcn_xlsx_quarantine_sheet(rcn_xw *w, const rcn_report_data *d, bool selected);
/* xlsx_items.c: 未结差异 open_items, the book's items (at most max_rows rows,
 * the header and a last row saying how many more open_items.csv has included). */
extern const size_t rcn_xlsx_open_items_cols;
long rcn_xlsx_open_items_last_row(const rcn_report_data *d, long max_rows);
void rcn_xlsx_open_items_sheet(rcn_xw *w, const rcn_report_data *d, long max_rows, bool selected);

#endif
