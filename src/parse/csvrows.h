/* A streaming CSV row reader for the channel parsers: UTF-8 text goes through
 * libcsv one line at a time, and each complete non-blank row is handed to a
 * callback as borrowed field views. Holds one row, never the file. */
#ifndef RECON_PARSE_CSVROWS_H
#define RECON_PARSE_CSVROWS_H

#include "recon/common.h"
#include "recon/parse.h"

typedef struct rcn_csvrows rcn_csvrows;

/* Called once per row that has a non-blank field; the views returned by
 * rcn_csvrows_field are valid only during the call. */
typedef void (*rcn_csvrows_fn)(void *ctx, rcn_csvrows *r);

/* `file` (borrowed, must outlive the reader) labels errors. A leading UTF-8
 * BOM is dropped; a first non-blank byte '<' (an HTML or XML page) is fatal. */
rcn_csvrows *rcn_csvrows_new(const char *file, rcn_csvrows_fn on_row, void *ctx);
/* Feeds the next UTF-8 bytes, in any chunking. Does nothing once failed. */
void rcn_csvrows_feed(rcn_csvrows *r, const char *s, size_t n);
/* Ends the last row (one without a newline). */
void rcn_csvrows_finish(rcn_csvrows *r);
void rcn_csvrows_free(rcn_csvrows *r);

/* The current row's fields, at the start of every reader: the two readers
 * below are inline because a parser asks for a dozen fields of every row, and
 * a call per field returns each length through memory. Read it through them
 * only. */
typedef struct {
	rcn_buf row; /* fields, each NUL-terminated */
	size_t field_off[RCN_MAX_FIELDS];
	size_t field_len[RCN_MAX_FIELDS];
	size_t nfields;
} rcn_csvrows_fields;

static inline size_t rcn_csvrows_count(const rcn_csvrows *r)
{
	return ((const rcn_csvrows_fields *)(const void *)r)->nfields;
}

/* Field i of the current row as written, NUL-terminated; *n is its length. */
static inline const char *rcn_csvrows_field(const rcn_csvrows *r, size_t i, size_t *n)
{
	const rcn_csvrows_fields *f = (const rcn_csvrows_fields *)(const void *)r;
	*n = f->field_len[i];
	return f->row.data + f->field_off[i];
}
/* Trims spaces, TABs, CRs and LFs around every field of the current row, in
 * place (each field stays NUL-terminated). */
void rcn_csvrows_trim(rcn_csvrows *r);
/* 1-based line where the current row starts. */
long rcn_csvrows_row_line(const rcn_csvrows *r);

/* Marks the file as unreadable (the first failure wins): no row is delivered
 * after it. Used by the reader for its own limits and by the format parsers. */
void rcn_csvrows_fail(rcn_csvrows *r, rcn_rc code, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The failure, or NULL when there is none. */
const rcn_err *rcn_csvrows_error(const rcn_csvrows *r);

/* True if the header cell s[0..n) is `name`, reading the full-width
 * parentheses "（" "）" of either side as "(" ")": channels write 收支金额(元)
 * and 收支金额（元） for the same column. */
bool rcn_csvrows_name_eq(const char *s, size_t n, const char *name);

/* Every field is checked as it is copied: a NUL byte or bytes that are not
 * UTF-8 fail the reader, naming the line and the column (ASCII lines cost
 * one more instruction per 32 bytes of the line scan). */

/* What the file should be ("a WeChat trade bill", borrowed), for a message
 * about bytes that are not text before the header: "not a WeChat trade
 * bill: ...", quoting none of them. */
void rcn_csvrows_set_what(rcn_csvrows *r, const char *what);
/* The current row is the header: its names are kept to name columns in
 * later messages. A name that appears twice (read with rcn_csvrows_name_eq)
 * fails the reader naming it; false then. */
bool rcn_csvrows_set_header(rcn_csvrows *r);
/* Bytes that are not text in field `field` of the row at `line` (a format
 * that converts its charset itself finds them): fails the reader naming the
 * column, with `why`. */
void rcn_csvrows_fail_text(rcn_csvrows *r, long line, size_t field, const char *why);
/* The field the bytes fed last end in: the fields of the unfinished row so far. */
size_t rcn_csvrows_partial_field(const rcn_csvrows *r);

#endif
