/* recon items import: an open_items.csv a clerk filled in in Excel (UTF-8
 * with or without BOM, or the GB18030 a Chinese Excel saves; CRLF or LF;
 * RFC 4180 quoting), or the workbook's open-items sheet (import_xlsx.c),
 * read into the changes it asks for. Owns the header's columns and the
 * rows' cells; what the changes do is commands.c's.
 *
 *   file ──zip magic?──► import_xlsx.c ─┐
 *        └─charset──► csv_records() ────┴─► rcn_import_table_row() ─► rcn_item_changes */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "items/import_int.h"
#include "recon/charset.h"
#include "recon/text.h"
#include "recon/zip.h"

#define IMPORT_FILE_MAX ((size_t)64 << 20) /* about 200k rows of open_items.csv, or a workbook */
#define CELL_MAX	((size_t)64 << 10) /* one cell: a note is at most a few KiB */

void rcn_import_table_init(import_table *t, const char *label, rcn_item_changes *out)
{
	memset(t, 0, sizeof *t);
	t->label = label;
	t->out = out;
	t->col_id = t->col_status = t->col_owner = t->col_note = t->col_last_change = -1;
}

/* A header cell names column `name` when its last word is name: "id", or
 * the workbook's bilingual "编号 id". */
static bool names(const char *cell, const char *name)
{
	size_t n = strlen(cell);
	while (n && (cell[n - 1] == ' ' || cell[n - 1] == '\t'))
		n--;
	size_t start = n;
	while (start && cell[start - 1] != ' ' && cell[start - 1] != '\t')
		start--;
	return n - start == strlen(name) && strncasecmp(cell + start, name, n - start) == 0;
}

static rcn_rc read_header(import_table *t, const char *const *cells, size_t n, long line, rcn_err *err)
{
	static const char *const NAMES[] = {"id", "status", "owner", "note", "last_change"};
	int *slots[] = {&t->col_id, &t->col_status, &t->col_owner, &t->col_note, &t->col_last_change};
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < 5; k++) {
			if (!names(cells[i], NAMES[k]))
				continue;
			if (*slots[k] >= 0)
				return rcn_err_set(err, RCN_EFORMAT, t->label, line, "two '%s' columns in the header",
						   NAMES[k]);
			*slots[k] = (int)i;
		}
	if (t->col_id < 0)
		return rcn_err_set(err, RCN_EFORMAT, t->label, line,
				   "no 'id' column in the header (the open_items.csv header names id, status, owner "
				   "and note)");
	if (t->col_status < 0 && t->col_owner < 0 && t->col_note < 0)
		return rcn_err_set(err, RCN_EFORMAT, t->label, line,
				   "none of the columns status, owner, note in the header: nothing to import");
	t->have_header = true;
	return RCN_OK;
}

/* A cell as the clerk meant it: the apostrophe the reports put before a
 * formula-like text (= + - @ tab CR) taken off again. */
static const char *cell_value(import_table *t, const char *const *cells, size_t n, int col)
{
	if (col < 0)
		return NULL;
	const char *s = (size_t)col < n ? cells[col] : "";
	if (s[0] == '\'' && s[1] && strchr("=+-@\t\r", s[1]))
		s++;
	return rcn_arena_strdup(&t->out->arena, s);
}

rcn_rc rcn_import_table_row(import_table *t, const char *const *cells, size_t n, long line, rcn_err *err)
{
	bool empty = true;
	for (size_t i = 0; i < n && empty; i++)
		empty = strspn(cells[i], " \t") == strlen(cells[i]);
	if (empty)
		return RCN_OK;
	if (!t->have_header)
		return read_header(t, cells, n, line, err);
	if (++t->rows > IMPORT_ROWS_MAX)
		return rcn_err_set(err, RCN_ELIMIT, t->label, line, "more than %d rows", IMPORT_ROWS_MAX);
	const char *id = cell_value(t, cells, n, t->col_id);
	if (strspn(id, " \t") == strlen(id))
		return rcn_err_set(err, RCN_EUSAGE, t->label, line, "a row without an id");
	rcn_item_changes *o = t->out;
	rcn_xreserve((void **)&o->v, &o->cap, o->n + 1, sizeof *o->v);
	rcn_item_change *c = &o->v[o->n++];
	c->id = id;
	c->status = cell_value(t, cells, n, t->col_status);
	if (c->status && strspn(c->status, " \t") == strlen(c->status))
		c->status = NULL; /* an empty status cell leaves the status as it is */
	c->owner = cell_value(t, cells, n, t->col_owner);
	c->note = cell_value(t, cells, n, t->col_note);
	c->last_change = cell_value(t, cells, n, t->col_last_change);
	c->file = t->label;
	c->line = line;
	return RCN_OK;
}

rcn_rc rcn_import_table_end(const import_table *t, rcn_err *err)
{
	if (!t->have_header)
		return rcn_err_set(err, RCN_EFORMAT, t->label, 0,
				   "no header row (id, status, owner, note): nothing to "
				   "import");
	return RCN_OK;
}

/* The cells of one CSV record being read. */
typedef struct {
	rcn_buf text;		       /* the cells back to back, each NUL-terminated */
	size_t start[IMPORT_COLS_MAX]; /* offsets into text */
	const char *cell[IMPORT_COLS_MAX];
	size_t n;
} csv_record;

static rcn_rc end_cell(csv_record *r, const char *label, long line, rcn_err *err)
{
	if (r->n >= IMPORT_COLS_MAX)
		return rcn_err_set(err, RCN_ELIMIT, label, line, "more than %d cells in a row", IMPORT_COLS_MAX);
	size_t len = r->text.len - (r->n ? r->start[r->n - 1] : 0);
	if (len > CELL_MAX)
		return rcn_err_set(err, RCN_ELIMIT, label, line, "a cell longer than %zu bytes", CELL_MAX);
	rcn_buf_append(&r->text, "", 1);
	r->start[r->n++] = r->text.len;
	return RCN_OK;
}

static rcn_rc emit(import_table *t, csv_record *r, long line, rcn_err *err)
{
	size_t at = 0;
	for (size_t i = 0; i < r->n; i++) {
		r->cell[i] = r->text.data + at;
		at = r->start[i];
	}
	rcn_rc rc = rcn_import_table_row(t, r->cell, r->n, line, err);
	rcn_buf_reset(&r->text);
	r->n = 0;
	return rc;
}

/* One quoted cell from s[*i] (just past its opening quote) to its closing
 * quote; a doubled quote is one quote, line ends inside are the cell's. */
static rcn_rc quoted(const char *s, size_t n, size_t *i, csv_record *r, long *line, long start, const char *label,
		     rcn_err *err)
{
	size_t k = *i;
	for (;;) {
		const char *q = memchr(s + k, '"', n - k);
		if (!q)
			return rcn_err_set(err, RCN_EFORMAT, label, start, "a quoted cell is never closed");
		for (const char *p = s + k; p < q; p++)
			*line += *p == '\n';
		rcn_buf_append(&r->text, s + k, (size_t)(q - (s + k)));
		k = (size_t)(q - s) + 1;
		if (k < n && s[k] == '"') {
			rcn_buf_append(&r->text, "\"", 1);
			k++;
			continue;
		}
		*i = k;
		return RCN_OK;
	}
}

/* RFC 4180 records of UTF-8 text s[0..n), each to the table with the line it starts on. */
static rcn_rc csv_records(import_table *t, const char *s, size_t n, rcn_err *err)
{
	csv_record *r = rcn_xcalloc(1, sizeof *r);
	rcn_buf_init(&r->text, SIZE_MAX);
	long line = 1, start = 1;
	size_t i = 0;
	rcn_rc rc = RCN_OK;
	while (rc == RCN_OK && i < n) {
		char ch = s[i];
		if (ch == '"' && r->text.len == (r->n ? r->start[r->n - 1] : 0)) {
			i++;
			rc = quoted(s, n, &i, r, &line, start, t->label, err);
		} else if (ch == ',') {
			rc = end_cell(r, t->label, start, err);
			i++;
		} else if (ch == '\r' || ch == '\n') {
			i += ch == '\r' && i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
			if ((rc = end_cell(r, t->label, start, err)) == RCN_OK)
				rc = emit(t, r, start, err);
			start = ++line;
		} else {
			rcn_buf_append(&r->text, &s[i], 1);
			i++;
		}
	}
	if (rc == RCN_OK && (r->n || r->text.len)) /* a last record without a line end */
		if ((rc = end_cell(r, t->label, start, err)) == RCN_OK)
			rc = emit(t, r, start, err);
	rcn_buf_free(&r->text);
	free(r);
	return rc;
}

/* The text as UTF-8: a BOM dropped; what is not UTF-8 read as GB18030 (the
 * "CSV (逗号分隔)" a Chinese Excel saves). */
static rcn_rc to_utf8(const char *label, const char *data, size_t n, rcn_buf *out, const char **s, size_t *len,
		      rcn_err *err)
{
	if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3;
		n -= 3;
	}
	*s = data;
	*len = n;
	if (rcn_utf8_valid(data, n))
		return RCN_OK;
	rcn_charset *cs = NULL;
	rcn_err e;
	rcn_rc rc = rcn_charset_open(&cs, "GB18030", err);
	if (rc == RCN_OK &&
	    (rcn_charset_convert(cs, data, n, out, &e) != RCN_OK || rcn_charset_finish(cs, out, &e) != RCN_OK))
		rc = rcn_err_set(err, RCN_EFORMAT, label, 0, "neither UTF-8 nor GB18030 text (%s)", e.msg);
	rcn_charset_close(cs);
	*s = out->data ? out->data : "";
	*len = out->len;
	return rc;
}

rcn_rc rcn_items_read_mem(const char *label, const char *data, size_t n, rcn_item_changes *out, rcn_err *err)
{
	import_table t;
	rcn_import_table_init(&t, label, out);
	rcn_rc rc;
	if (rcn_zip_magic(data, n)) {
		rc = rcn_import_xlsx(&t, data, n, err);
	} else {
		rcn_buf text;
		rcn_buf_init(&text, 2 * IMPORT_FILE_MAX);
		const char *s;
		size_t len;
		rc = to_utf8(label, data, n, &text, &s, &len, err);
		if (rc == RCN_OK)
			rc = csv_records(&t, s, len, err);
		rcn_buf_free(&text);
	}
	if (rc == RCN_OK)
		rc = rcn_import_table_end(&t, err);
	return rc;
}

rcn_rc rcn_items_read_file(const char *path, rcn_item_changes *out, rcn_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot open: %s", strerror(errno));
	rcn_buf b;
	rcn_buf_init(&b, IMPORT_FILE_MAX);
	char chunk[65536];
	size_t got;
	rcn_rc rc = RCN_OK;
	while (rc == RCN_OK && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (rcn_buf_append(&b, chunk, got) != RCN_OK)
			rc = rcn_err_set(err, RCN_ELIMIT, path, 0, "larger than %zu MiB", IMPORT_FILE_MAX >> 20);
	if (rc == RCN_OK && ferror(f))
		rc = rcn_err_set(err, RCN_EIO, path, 0, "cannot read: %s", strerror(errno));
	fclose(f);
	if (rc == RCN_OK)
		rc = rcn_items_read_mem(path, b.data ? b.data : "", b.len, out, err);
	rcn_buf_free(&b);
	return rc;
}

void rcn_item_changes_free(rcn_item_changes *c)
{
	free(c->v);
	rcn_arena_free(&c->arena);
	memset(c, 0, sizeof *c);
}
