/* What `recon items` and `recon items history` print: rows of text cells as
 * an aligned table a clerk reads (display width: a Chinese character takes
 * two columns), as CSV for Excel (the reports' conventions: BOM, CRLF,
 * formula cells neutralised) or as one JSON array of objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/items_out.h"
#include "recon/report.h"
#include "recon/text.h"

void rcn_out_init(rcn_out *o, const rcn_out_col *cols, size_t n_cols)
{
	memset(o, 0, sizeof *o);
	o->cols = cols;
	o->n_cols = n_cols;
}

void rcn_out_row(rcn_out *o, const char *const *cells)
{
	rcn_xreserve((void **)&o->rows, &o->cap, (o->n_rows + 1) * o->n_cols, sizeof *o->rows);
	for (size_t c = 0; c < o->n_cols; c++)
		o->rows[o->n_rows * o->n_cols + c] = rcn_arena_strdup(&o->arena, cells[c] ? cells[c] : "");
	o->n_rows++;
}

void rcn_out_free(rcn_out *o)
{
	free(o->rows);
	rcn_arena_free(&o->arena);
	memset(o, 0, sizeof *o);
}

/* One UTF-8 character at s: its code point and length (a bad byte: U+FFFD, 1). */
static unsigned long next_char(const unsigned char *s, size_t *len)
{
	int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	unsigned long cp = n == 1 ? s[0] : n == 2 ? s[0] & 0x1Fu : n == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			n = 0;
			break;
		}
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	*len = n ? (size_t)n : 1;
	return n ? cp : 0xFFFD;
}

/* East Asian wide and fullwidth characters take two columns of a terminal. */
static int char_width(unsigned long cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
			       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
			       (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
			       (cp >= 0x20000 && cp <= 0x3FFFD)
		       ? 2
		       : 1;
}

/* s for a terminal: control characters and line ends as one space, at most
 * max columns (then "…"); its width in *width. */
static void table_cell(rcn_buf *b, const char *s, int max, int *width)
{
	int w = 0;
	rcn_buf_reset(b);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t len;
		unsigned long cp = next_char(p, &len);
		int cw = char_width(cp);
		if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x2028 || cp == 0x2029 ||
		    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
			rcn_buf_append(b, " ", 1);
			cw = 1;
		} else if (max > 0 && w + cw > max - 1 && p[len]) {
			rcn_buf_append(b, "…", strlen("…"));
			w++;
			break;
		} else {
			rcn_buf_append(b, p, len);
		}
		w += cw;
		p += len;
	}
	*width = w;
}

static void print_table(const rcn_out *o, FILE *f)
{
	int *width = rcn_xcalloc(o->n_cols, sizeof *width);
	rcn_buf b;
	rcn_buf_init(&b, SIZE_MAX);
	for (size_t r = 0; r <= o->n_rows; r++)
		for (size_t c = 0; c < o->n_cols; c++) {
			int w;
			table_cell(&b, r ? o->rows[(r - 1) * o->n_cols + c] : o->cols[c].title, o->cols[c].max, &w);
			width[c] = w > width[c] ? w : width[c];
		}
	rcn_buf line;
	rcn_buf_init(&line, SIZE_MAX);
	for (size_t r = 0; r <= o->n_rows; r++) {
		rcn_buf_reset(&line);
		for (size_t c = 0; c < o->n_cols; c++) {
			int w;
			table_cell(&b, r ? o->rows[(r - 1) * o->n_cols + c] : o->cols[c].title, o->cols[c].max, &w);
			rcn_buf_append(&line, b.data ? b.data : "", b.len);
			if (c + 1 < o->n_cols)
				rcn_buf_printf(&line, "%*s", width[c] - w + 2, "");
		}
		while (line.len && line.data[line.len - 1] == ' ')
			line.len--; /* empty cells at the end of a line */
		fwrite(line.data, 1, line.len, f);
		fputc('\n', f);
	}
	rcn_buf_free(&line);
	rcn_buf_free(&b);
	free(width);
}

static void print_csv(const rcn_out *o, FILE *f)
{
	fputs("\xEF\xBB\xBF", f);
	for (size_t r = 0; r <= o->n_rows; r++) {
		for (size_t c = 0; c < o->n_cols; c++) {
			if (c)
				fputc(',', f);
			if (r && o->cols[c].type != RCN_OUT_TEXT) /* numbers, dates, amounts: ours, never formulas */
				fputs(o->rows[(r - 1) * o->n_cols + c], f);
			else
				rcn_csv_text(f, r ? o->rows[(r - 1) * o->n_cols + c] : o->cols[c].name);
		}
		fputs("\r\n", f);
	}
}

static void print_json(const rcn_out *o, FILE *f)
{
	rcn_buf b;
	rcn_buf_init(&b, SIZE_MAX);
	rcn_buf_append(&b, "[", 1);
	for (size_t r = 0; r < o->n_rows; r++) {
		rcn_buf_append(&b, r ? ",\n  {" : "\n  {", r ? 5 : 4);
		for (size_t c = 0; c < o->n_cols; c++) {
			const char *v = o->rows[r * o->n_cols + c];
			if (c)
				rcn_buf_append(&b, ", ", 2);
			rcn_json_put(&b, o->cols[c].name);
			rcn_buf_append(&b, ": ", 2);
			if (o->cols[c].type == RCN_OUT_INT && v[0])
				rcn_buf_append(&b, v, strlen(v));
			else if (o->cols[c].type == RCN_OUT_BOOL)
				rcn_buf_printf(&b, "%s", v[0] ? "true" : "false");
			else
				rcn_json_put(&b, o->cols[c].type == RCN_OUT_TEXT || v[0] ? v : NULL);
		}
		rcn_buf_append(&b, "}", 1);
	}
	rcn_buf_append(&b, o->n_rows ? "\n]\n" : "]\n", o->n_rows ? 3 : 2);
	fwrite(b.data, 1, b.len, f);
	rcn_buf_free(&b);
}

void rcn_out_print(const rcn_out *o, rcn_out_format fmt, FILE *f)
{
	if (fmt == RCN_OUT_CSV)
		print_csv(o, f);
	else if (fmt == RCN_OUT_JSON)
		print_json(o, f);
	else
		print_table(o, f);
}

bool rcn_out_format_parse(const char *s, rcn_out_format *out)
{
	static const char *const NAMES[] = {"table", "csv", "json"};
	for (int i = 0; i < 3; i++)
		if (strcmp(s, NAMES[i]) == 0) {
			*out = (rcn_out_format)i;
			return true;
		}
	return false;
}
