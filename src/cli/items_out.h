/* Rows of text cells printed as a table, CSV or JSON (recon items). */
#ifndef RECON_CLI_ITEMS_OUT_H
#define RECON_CLI_ITEMS_OUT_H

#include <stdio.h>

#include "recon/common.h"

typedef enum { RCN_OUT_TABLE, RCN_OUT_CSV, RCN_OUT_JSON } rcn_out_format;
/* "table", "csv", "json"; false for anything else. */
bool rcn_out_format_parse(const char *s, rcn_out_format *out);

/* How JSON shows a cell: a string; a number or a date/amount that is null
 * when empty; true when not empty. */
typedef enum { RCN_OUT_TEXT, RCN_OUT_INT, RCN_OUT_NULLABLE, RCN_OUT_BOOL } rcn_out_type;

typedef struct {
	const char *name;  /* CSV header and JSON key */
	const char *title; /* the table's header */
	rcn_out_type type;
	int max; /* the table's widest cell (display columns), 0: any */
} rcn_out_col;

/* Rows kept (copied) until printed. */
typedef struct {
	const rcn_out_col *cols;
	size_t n_cols;
	const char **rows; /* n_rows * n_cols */
	size_t n_rows, cap;
	rcn_arena arena;
} rcn_out;

void rcn_out_init(rcn_out *o, const rcn_out_col *cols, size_t n_cols);
void rcn_out_row(rcn_out *o, const char *const *cells); /* n_cols cells, copied; NULL is "" */
void rcn_out_print(const rcn_out *o, rcn_out_format fmt, FILE *f);
void rcn_out_free(rcn_out *o);

#endif
