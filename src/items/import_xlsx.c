/* recon items import of a workbook: the sheet whose name contains
 * "open_items" (recon's own workbook, or the same re-saved by Excel or WPS),
 * read with the project's zip reader and a small XML scanner that knows
 * tags, attributes, text and entities and nothing more. Every part is read
 * whole under a size limit; the scanner only moves forward, so hostile input
 * ends in an error, never a crash or a loop.
 *
 *   xl/workbook.xml ──sheet name──► r:id ──xl/_rels/workbook.xml.rels──► sheet part
 *   xl/sharedStrings.xml ──► strings[]      sheet part ──<row><c>──► rcn_import_table_row() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "items/import_int.h"
#include "recon/zip.h"

#define PART_MAX    ((size_t)256 << 20) /* one inflated part (the sheet) */
#define STRINGS_MAX 4000000		/* shared strings */

/* ---- the scanner ---- */

typedef struct {
	const char *p, *end;
} xml;

typedef enum { X_EOF, X_OPEN, X_CLOSE, X_TEXT, X_BAD } xml_kind;

typedef struct {
	xml_kind kind;
	const char *name; /* the local name (prefix dropped) */
	size_t name_len;
	const char *attrs; /* X_OPEN: the attribute text */
	size_t attrs_len;
	bool empty; /* X_OPEN: <tag/> */
	const char *text;
	size_t text_len; /* X_TEXT: raw, entities not yet decoded */
} xml_item;

static const char *find(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);
	for (; p + n <= end; p++)
		if (memcmp(p, s, n) == 0)
			return p;
	return NULL;
}

static void local_name(const char *s, size_t n, const char **name, size_t *len)
{
	const char *colon = memchr(s, ':', n);
	*name = colon ? colon + 1 : s;
	*len = colon ? n - (size_t)(colon + 1 - s) : n;
}

/* The next tag or text; comments, declarations and processing instructions skipped. */
static xml_kind xml_next(xml *x, xml_item *it)
{
	memset(it, 0, sizeof *it);
	while (x->p < x->end) {
		if (*x->p != '<') {
			const char *lt = memchr(x->p, '<', (size_t)(x->end - x->p));
			it->text = x->p;
			it->text_len = (size_t)((lt ? lt : x->end) - x->p);
			x->p = lt ? lt : x->end;
			return it->kind = X_TEXT;
		}
		const char *skip_to = NULL, *s = x->p + 1;
		if (x->end - s >= 3 && memcmp(s, "!--", 3) == 0)
			skip_to = find(s, x->end, "-->");
		else if (s < x->end && (*s == '?' || *s == '!'))
			skip_to = memchr(s, '>', (size_t)(x->end - s));
		if (s < x->end && (*s == '?' || *s == '!')) {
			if (!skip_to)
				return it->kind = X_BAD;
			x->p = skip_to + 1;
			continue;
		}
		const char *gt = memchr(s, '>', (size_t)(x->end - s));
		if (!gt)
			return it->kind = X_BAD;
		bool close = *s == '/';
		if (close)
			s++;
		const char *ne = s;
		while (ne < gt && *ne != ' ' && *ne != '\t' && *ne != '\r' && *ne != '\n' && *ne != '/')
			ne++;
		local_name(s, (size_t)(ne - s), &it->name, &it->name_len);
		it->empty = !close && gt[-1] == '/';
		it->attrs = ne;
		it->attrs_len = (size_t)(gt - ne) - (it->empty ? 1 : 0);
		x->p = gt + 1;
		return it->kind = close ? X_CLOSE : X_OPEN;
	}
	return it->kind = X_EOF;
}

static bool is(const xml_item *it, const char *name)
{
	return it->name_len == strlen(name) && memcmp(it->name, name, it->name_len) == 0;
}

/* An attribute's raw value by its local name (prefix dropped). */
static bool attr(const xml_item *it, const char *name, const char **v, size_t *n)
{
	const char *p = it->attrs, *end = it->attrs + it->attrs_len;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		const char *ns = p;
		while (p < end && *p != '=' && *p != ' ')
			p++;
		const char *ne = p;
		while (p < end && (*p == ' ' || *p == '='))
			p++;
		if (p >= end || (*p != '"' && *p != '\''))
			return false;
		const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
		if (!q)
			return false;
		const char *ln;
		size_t ll;
		local_name(ns, (size_t)(ne - ns), &ln, &ll);
		if (ll == strlen(name) && memcmp(ln, name, ll) == 0) {
			*v = p + 1;
			*n = (size_t)(q - p - 1);
			return true;
		}
		p = q + 1;
	}
	return false;
}

static void put_utf8(rcn_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	rcn_buf_append(b, u, n);
}

/* &lt; &gt; &amp; &quot; &apos; &#N; &#xH; at s (after the '&'); the bytes used, 0 if none. */
static size_t entity(const char *s, const char *end, rcn_buf *b)
{
	static const struct {
		const char *name;
		char c;
	} NAMED[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
	for (size_t i = 0; i < sizeof NAMED / sizeof NAMED[0]; i++) {
		size_t n = strlen(NAMED[i].name);
		if ((size_t)(end - s) >= n && memcmp(s, NAMED[i].name, n) == 0) {
			rcn_buf_append(b, &NAMED[i].c, 1);
			return n;
		}
	}
	if (s >= end || *s != '#')
		return 0;
	bool hex = s + 1 < end && (s[1] == 'x' || s[1] == 'X');
	unsigned long cp = 0;
	const char *p = s + 1 + hex;
	size_t digits = 0;
	for (; p < end && digits < 8; p++, digits++) {
		int d = *p >= '0' && *p <= '9'		? *p - '0'
			: hex && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: hex && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
							: -1;
		if (d < 0)
			break;
		cp = cp * (hex ? 16 : 10) + (unsigned long)d;
	}
	if (!digits || p >= end || *p != ';')
		return 0;
	put_utf8(b, cp);
	return (size_t)(p + 1 - s);
}

/* Excel's _xHHHH_ for a character XML cannot hold (a CR in a cell: _x000D_). */
static size_t excel_escape(const char *s, const char *end, rcn_buf *b)
{
	if (end - s < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_')
		return 0;
	unsigned long cp = 0;
	for (int i = 2; i < 6; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
					       : -1;
		if (d < 0)
			return 0;
		cp = cp * 16 + (unsigned long)d;
	}
	put_utf8(b, cp);
	return 7;
}

/* Decoded text appended to b. */
static void put_text(rcn_buf *b, const char *s, size_t n)
{
	const char *end = s + n, *run = s;
	while (s < end) {
		size_t used = 0;
		if (*s == '&' || *s == '_') {
			rcn_buf_append(b, run, (size_t)(s - run));
			used = *s == '&' ? entity(s + 1, end, b) : excel_escape(s, end, b);
			if (*s == '&' && used)
				used++;
			run = s + used;
			if (!used)
				run = s;
		}
		s += used ? used : 1;
	}
	rcn_buf_append(b, run, (size_t)(end - run));
}

/* ---- the parts ---- */

static rcn_rc part_sink(void *ctx, const char *buf, size_t n, rcn_err *err)
{
	if (rcn_buf_append(ctx, buf, n) != RCN_OK)
		return rcn_err_set(err, RCN_ELIMIT, "", 0, "a part of the workbook is larger than %zu MiB",
				   PART_MAX >> 20);
	return RCN_OK;
}

/* The inflated part `name` into b; *found false (RCN_OK) when there is none. */
static rcn_rc read_part(rcn_zip *z, const char *label, const char *name, rcn_buf *b, bool *found, rcn_err *err)
{
	*found = false;
	for (size_t i = 0; i < rcn_zip_count(z); i++) {
		if (strcmp(rcn_zip_entry_at(z, i)->name, name) != 0)
			continue;
		*found = true;
		rcn_rc rc = rcn_zip_read(z, i, part_sink, b, err);
		if (rc == RCN_ELIMIT && !err->file[0])
			rcn_err_set(err, rc, label, 0, "%s", err->msg);
		return rc;
	}
	return RCN_OK;
}

/* A decoded attribute value, or "" (in b, reset first). */
static const char *attr_text(const xml_item *it, const char *name, rcn_buf *b)
{
	const char *v;
	size_t n;
	rcn_buf_reset(b);
	if (attr(it, name, &v, &n))
		put_text(b, v, n);
	return b->data ? b->data : "";
}

/* workbook.xml: the r:id of the first sheet whose name contains "open_items". */
static bool find_sheet(const rcn_buf *wb, char *rid, size_t cap, char *sheet_name, size_t name_cap)
{
	xml x = {wb->data, wb->data + wb->len};
	xml_item it;
	rcn_buf b;
	rcn_buf_init(&b, PART_MAX);
	bool found = false;
	while (!found && xml_next(&x, &it) != X_EOF && it.kind != X_BAD) {
		if (it.kind != X_OPEN || !is(&it, "sheet"))
			continue;
		if (!strstr(attr_text(&it, "name", &b), "open_items"))
			continue;
		snprintf(sheet_name, name_cap, "%s", b.data);
		snprintf(rid, cap, "%s", attr_text(&it, "id", &b));
		found = rid[0] != '\0';
	}
	rcn_buf_free(&b);
	return found;
}

/* workbook.xml.rels: the part a relationship id points at, as a zip entry name. */
static bool sheet_part(const rcn_buf *rels, const char *rid, char *out, size_t cap)
{
	xml x = {rels->data, rels->data + rels->len};
	xml_item it;
	rcn_buf b;
	rcn_buf_init(&b, PART_MAX);
	bool found = false;
	while (!found && xml_next(&x, &it) != X_EOF && it.kind != X_BAD) {
		if (it.kind != X_OPEN || !is(&it, "Relationship") || strcmp(attr_text(&it, "Id", &b), rid) != 0)
			continue;
		const char *target = attr_text(&it, "Target", &b);
		if (target[0] == '/')
			snprintf(out, cap, "%s", target + 1);
		else
			snprintf(out, cap, "xl/%s", target);
		found = true;
	}
	rcn_buf_free(&b);
	return found;
}

typedef struct {
	const char **v;
	size_t n, cap;
	rcn_arena arena;
} string_table;

static rcn_rc push_string(string_table *st, const rcn_buf *text, const char *label, rcn_err *err)
{
	if (st->n >= STRINGS_MAX)
		return rcn_err_set(err, RCN_ELIMIT, label, 0, "more than %d shared strings", STRINGS_MAX);
	rcn_xreserve((void **)&st->v, &st->cap, st->n + 1, sizeof *st->v);
	st->v[st->n++] = rcn_arena_strndup(&st->arena, text->data ? text->data : "", text->len);
	return RCN_OK;
}

/* sharedStrings.xml: each <si>'s text, the <t> of its runs joined (phonetic <rPh> left out). */
static rcn_rc shared_strings(const rcn_buf *part, string_table *st, const char *label, rcn_err *err)
{
	xml x = {part->data, part->data + part->len};
	xml_item it;
	rcn_buf text;
	rcn_buf_init(&text, PART_MAX);
	bool in_si = false, in_t = false, in_rph = false;
	rcn_rc rc = RCN_OK;
	while (rc == RCN_OK && xml_next(&x, &it) != X_EOF) {
		bool open = it.kind == X_OPEN, close = it.kind == X_CLOSE;
		if (it.kind == X_BAD) {
			rc = rcn_err_set(err, RCN_EFORMAT, label, 0, "xl/sharedStrings.xml is not well-formed XML");
		} else if (open && is(&it, "si")) {
			rcn_buf_reset(&text);
			in_t = in_rph = false;
			in_si = !it.empty;
			if (it.empty)
				rc = push_string(st, &text, label, err);
		} else if (close && is(&it, "si")) {
			rc = push_string(st, &text, label, err);
			in_si = false;
		} else if ((open || close) && is(&it, "t")) {
			in_t = open && !it.empty;
		} else if ((open || close) && is(&it, "rPh")) {
			in_rph = open && !it.empty;
		} else if (it.kind == X_TEXT && in_si && in_t && !in_rph) {
			put_text(&text, it.text, it.text_len);
		}
	}
	rcn_buf_free(&text);
	return rc;
}

/* ---- the sheet ---- */

/* The cells of the row being read: their texts back to back, with columns. */
typedef struct {
	rcn_buf text;
	size_t start[IMPORT_COLS_MAX], len[IMPORT_COLS_MAX];
	int col[IMPORT_COLS_MAX];
	size_t n;
	const char *cell[IMPORT_COLS_MAX];
} sheet_row;

typedef struct {
	import_table *t;
	const string_table *strings;
	sheet_row row;
	long row_no;
	int col, next_col;
	bool shared, in_value, in_text, in_rph;
	size_t value_start;
} sheet_reader;

/* "BC12" -> column 54 (0-based); -1 when the reference has no letters or too many. */
static int column_of(const char *s, size_t n)
{
	int col = 0;
	size_t i = 0;
	for (; i < n && i < 4 && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')); i++)
		col = col * 26 + ((s[i] | 0x20) - 'a' + 1);
	return i == 0 || i == 4 ? -1 : col - 1;
}

static long number_of(const char *s, size_t n, long max)
{
	long v = 0;
	size_t i = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9' && v <= max; i++)
		v = v * 10 + (s[i] - '0');
	return i == 0 || i != n || v > max ? -1 : v;
}

static void start_row(sheet_reader *r, const xml_item *it)
{
	const char *v;
	size_t n;
	long no = attr(it, "r", &v, &n) ? number_of(v, n, 1048576) : -1;
	r->row_no = no > 0 ? no : r->row_no + 1;
	rcn_buf_reset(&r->row.text);
	r->row.n = 0;
	r->next_col = 0;
}

static void start_cell(sheet_reader *r, const xml_item *it)
{
	const char *v;
	size_t n;
	r->col = r->next_col;
	if (attr(it, "r", &v, &n)) {
		size_t letters = 0;
		while (letters < n && !(v[letters] >= '0' && v[letters] <= '9'))
			letters++;
		r->col = column_of(v, letters);
	}
	r->next_col = r->col + 1;
	r->shared = attr(it, "t", &v, &n) && n == 1 && v[0] == 's';
	r->value_start = r->row.text.len;
	r->in_value = r->in_text = r->in_rph = false;
}

/* </c>: the cell's text (a shared string looked up) kept under its column. */
static rcn_rc end_cell(sheet_reader *r, rcn_err *err)
{
	sheet_row *row = &r->row;
	size_t len = row->text.len - r->value_start;
	if (r->col < 0 || r->col >= IMPORT_COLS_MAX || row->n >= IMPORT_COLS_MAX)
		return RCN_OK; /* far right of anything open_items has: ignored */
	if (r->shared) {
		long k = number_of(row->text.data + r->value_start, len, 100000000);
		if (k < 0 || (size_t)k >= r->strings->n)
			return rcn_err_set(err, RCN_EFORMAT, r->t->label, r->row_no,
					   "a cell names shared string %ld; the workbook has %zu", k, r->strings->n);
		row->text.len = r->value_start;
		rcn_buf_append(&row->text, r->strings->v[k], strlen(r->strings->v[k]));
		len = row->text.len - r->value_start;
	}
	row->col[row->n] = r->col;
	row->start[row->n] = r->value_start;
	row->len[row->n++] = len;
	rcn_buf_append(&row->text, "", 1);
	return RCN_OK;
}

/* </row>: the row's cells in column order ("" for a cell not written) to the table. */
static rcn_rc end_row(sheet_reader *r, rcn_err *err)
{
	sheet_row *row = &r->row;
	int width = 0;
	for (size_t i = 0; i < row->n; i++)
		if (row->col[i] + 1 > width)
			width = row->col[i] + 1;
	for (int c = 0; c < width; c++)
		row->cell[c] = "";
	for (size_t i = 0; i < row->n; i++)
		row->cell[row->col[i]] = row->text.data + row->start[i];
	return rcn_import_table_row(r->t, row->cell, (size_t)width, r->row_no, err);
}

static rcn_rc sheet_item(sheet_reader *r, const xml_item *it, rcn_err *err)
{
	bool open = it->kind == X_OPEN, close = it->kind == X_CLOSE;
	if (open && is(it, "row")) {
		start_row(r, it);
		return it->empty ? end_row(r, err) : RCN_OK;
	}
	if (close && is(it, "row"))
		return end_row(r, err);
	if (open && is(it, "c")) {
		start_cell(r, it);
		return it->empty ? end_cell(r, err) : RCN_OK;
	}
	if (close && is(it, "c"))
		return end_cell(r, err);
	if ((open || close) && (is(it, "v") || is(it, "t") || is(it, "rPh"))) {
		bool on = open && !it->empty;
		if (is(it, "v"))
			r->in_value = on;
		else if (is(it, "t"))
			r->in_text = on;
		else
			r->in_rph = on;
	} else if (it->kind == X_TEXT && (r->in_value || r->in_text) && !r->in_rph) {
		put_text(&r->row.text, it->text, it->text_len);
	}
	return RCN_OK;
}

static rcn_rc read_sheet(import_table *t, const rcn_buf *part, const string_table *strings, rcn_err *err)
{
	sheet_reader *r = rcn_xcalloc(1, sizeof *r);
	rcn_buf_init(&r->row.text, PART_MAX);
	r->t = t;
	r->strings = strings;
	xml x = {part->data, part->data + part->len};
	xml_item it;
	rcn_rc rc = RCN_OK;
	while (rc == RCN_OK && xml_next(&x, &it) != X_EOF)
		rc = it.kind == X_BAD ? rcn_err_set(err, RCN_EFORMAT, t->label, r->row_no,
						    "the open-items sheet is not well-formed XML")
				      : sheet_item(r, &it, err);
	rcn_buf_free(&r->row.text);
	free(r);
	return rc;
}

rcn_rc rcn_import_xlsx(import_table *t, const char *data, size_t n, rcn_err *err)
{
	const rcn_zip_limits lim = {512, PART_MAX, (uint64_t)1 << 30, 1000};
	rcn_zip *z = NULL;
	rcn_buf wb, rels, sst, sheet;
	rcn_buf *bufs[] = {&wb, &rels, &sst, &sheet};
	for (size_t i = 0; i < 4; i++)
		rcn_buf_init(bufs[i], PART_MAX);
	string_table strings = {0};
	char rid[256] = "", part[512] = "", name[256] = "";
	bool found = false;
	rcn_rc rc = rcn_zip_open_mem(&z, data, n, t->label, &lim, err);
	if (rc == RCN_OK && (rc = read_part(z, t->label, "xl/workbook.xml", &wb, &found, err)) == RCN_OK && !found)
		rc = rcn_err_set(err, RCN_EFORMAT, t->label, 0, "a zip but not a workbook (no xl/workbook.xml)");
	if (rc == RCN_OK && !find_sheet(&wb, rid, sizeof rid, name, sizeof name))
		rc = rcn_err_set(err, RCN_EFORMAT, t->label, 0, "no sheet whose name contains \"open_items\"");
	if (rc == RCN_OK && (rc = read_part(z, t->label, "xl/_rels/workbook.xml.rels", &rels, &found, err)) == RCN_OK &&
	    (!found || !sheet_part(&rels, rid, part, sizeof part)))
		rc = rcn_err_set(err, RCN_EFORMAT, t->label, 0, "the workbook does not say where sheet %s is", name);
	if (rc == RCN_OK && (rc = read_part(z, t->label, "xl/sharedStrings.xml", &sst, &found, err)) == RCN_OK && found)
		rc = shared_strings(&sst, &strings, t->label, err);
	if (rc == RCN_OK && (rc = read_part(z, t->label, part, &sheet, &found, err)) == RCN_OK && !found)
		rc = rcn_err_set(err, RCN_EFORMAT, t->label, 0, "sheet %s: no part %s in the workbook", name, part);
	if (rc == RCN_OK)
		rc = read_sheet(t, &sheet, &strings, err);
	free(strings.v);
	rcn_arena_free(&strings.arena);
	for (size_t i = 0; i < 4; i++)
		rcn_buf_free(bufs[i]);
	rcn_zip_close(z);
	return rc;
}
