/* Streaming CSV rows over libcsv (the byte-level half of the WeChat parser,
 * shared by the fund-flow and Alipay parsers): line numbers, BOM, row and
 * field caps, the HTML check. Owns one row buffer and libcsv's field buffer. */
#include "parse/csvrows.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_SCAN 1
#endif

#include <csv.h>

#include "recon/parse.h"
#include "recon/text.h"
#include "util/err.h"

/* Bytes handed to libcsv at once, so the row cap is checked at least this often. */
#define PIECE_MAX ((size_t)64 * 1024)

static const char BOM[3] = {'\xEF', '\xBB', '\xBF'};

struct rcn_csvrows {
	rcn_csvrows_fields f; /* first: the inline readers in csvrows.h cast to it */
	const char *file;
	rcn_csvrows_fn on_row;
	void *ctx;
	struct csv_parser csv;

	char head[3]; /* first bytes, held back until we know whether they are a BOM */
	size_t head_len;
	bool head_done;
	bool seen_content; /* first non-blank byte seen (the HTML check) */
	long line;	   /* line of the bytes being fed */

	bool in_row;
	long row_line;
	size_t row_fed;	  /* bytes fed since the row began */
	size_t row_bytes; /* field bytes plus separators */

	/* the header's names, to name a column in messages (rcn_csvrows_set_header) */
	const char *what; /* "a WeChat trade bill": what the file is not, before its header */
	bool has_header;
	rcn_buf header;
	size_t header_off[RCN_MAX_FIELDS];
	size_t header_len[RCN_MAX_FIELDS];
	size_t nheader;

	bool failed;
	rcn_err err;
	bool finished;
};

/* '(' or ')' for an ASCII or full-width parenthesis at s[0..n), with its length; else 0. */
static char paren_at(const char *s, size_t n, size_t *len)
{
	if (n >= 1 && (s[0] == '(' || s[0] == ')')) {
		*len = 1;
		return s[0];
	}
	if (n >= 3 && memcmp(s, "\xEF\xBC", 2) == 0 && (s[2] == '\x88' || s[2] == '\x89')) {
		*len = 3;
		return s[2] == '\x88' ? '(' : ')';
	}
	return 0;
}

bool rcn_csvrows_name_eq(const char *s, size_t n, const char *name)
{
	size_t i = 0, j = 0, m = strlen(name);
	while (i < n && j < m) {
		size_t li = 0, lj = 0; /* set by paren_at when it finds one */
		char a = paren_at(s + i, n - i, &li), b = paren_at(name + j, m - j, &lj);
		if (a || b) {
			if (a != b)
				return false;
			i += li;
			j += lj;
		} else if (s[i++] != name[j++]) {
			return false;
		}
	}
	return i == n && j == m;
}

void rcn_csvrows_fail(rcn_csvrows *r, rcn_rc code, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_err_vset(&r->err, &r->failed, code, r->file, line, 400, fmt, ap);
	va_end(ap);
}

/* Field `field` of the row at `line` holds bytes that are not text (why):
 * the file is unreadable. `at` is the offset in the field, SIZE_MAX when
 * unknown. The column is named by the header when there is one; before it,
 * the file is said not to be what was expected, and none of its bytes are
 * quoted (it may be any file at all). */
static void fail_text(rcn_csvrows *r, long line, size_t field, size_t at, const char *why)
{
	char pos[48] = "";
	if (at != SIZE_MAX)
		snprintf(pos, sizeof(pos), " (byte %zu of the field)", at + 1);
	if (field < r->nheader && r->header_len[field] > 0)
		rcn_csvrows_fail(r, RCN_EFORMAT, line, "column %s: %s%s",
				 RCN_QUOTE(r->header.data + r->header_off[field], r->header_len[field]), why, pos);
	else if (!r->has_header && r->what)
		rcn_csvrows_fail(r, RCN_EFORMAT, line, "not %s: %s in field %zu", r->what, why, field + 1);
	else
		rcn_csvrows_fail(r, RCN_EFORMAT, line, "field %zu: %s%s", field + 1, why, pos);
}

/* Field bytes as the reader copies them: text (UTF-8, no NUL or control
 * character: rcn_text_check), or the reader fails. */
static bool check_field(rcn_csvrows *r, size_t field, const char *s, size_t n)
{
	rcn_text_fault fault;
	size_t bad = rcn_text_check(s, n, &fault);
	if (bad < n) {
		fail_text(r, r->row_line, field, bad, rcn_text_fault_name(fault));
		return false;
	}
	return true;
}

void rcn_csvrows_fail_text(rcn_csvrows *r, long line, size_t field, const char *why)
{
	fail_text(r, line, field, SIZE_MAX, why);
}

size_t rcn_csvrows_partial_field(const rcn_csvrows *r)
{
	return r->f.nfields;
}

void rcn_csvrows_set_what(rcn_csvrows *r, const char *what)
{
	r->what = what;
}

bool rcn_csvrows_set_header(rcn_csvrows *r)
{
	rcn_buf_reset(&r->header);
	for (size_t i = 0; i < r->f.nfields; i++) {
		r->header_off[i] = r->header.len;
		r->header_len[i] = r->f.field_len[i];
		/* within the limit: the header is one row */
		rcn_buf_append(&r->header, r->f.row.data + r->f.field_off[i], r->f.field_len[i] + 1);
	}
	r->nheader = r->f.nfields;
	r->has_header = true;
	for (size_t i = 0; i < r->nheader; i++) {
		const char *a = r->header.data + r->header_off[i];
		if (r->header_len[i] == 0)
			continue;
		for (size_t j = i + 1; j < r->nheader; j++)
			if (rcn_csvrows_name_eq(r->header.data + r->header_off[j], r->header_len[j], a)) {
				rcn_csvrows_fail(r, RCN_EFORMAT, r->row_line,
						 "header names column %s twice (fields %zu and %zu)",
						 RCN_QUOTE(a, r->header_len[i]), i + 1, j + 1);
				return false;
			}
	}
	return true;
}

const rcn_err *rcn_csvrows_error(const rcn_csvrows *r)
{
	return r->failed ? &r->err : NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void rcn_csvrows_trim(rcn_csvrows *r)
{
	for (size_t i = 0; i < r->f.nfields; i++) {
		char *s = r->f.row.data + r->f.field_off[i];
		size_t n = r->f.field_len[i], lead = 0;
		while (n > 0 && is_space(s[n - 1]))
			n--;
		while (lead < n && is_space(s[lead]))
			lead++;
		s[n] = '\0';
		r->f.field_off[i] += lead;
		r->f.field_len[i] = n - lead;
	}
}

long rcn_csvrows_row_line(const rcn_csvrows *r)
{
	return r->row_line;
}

static void row_too_long(rcn_csvrows *r)
{
	rcn_csvrows_fail(r, RCN_ELIMIT, r->row_line, "row longer than %u bytes", RCN_MAX_ROW_BYTES);
}

static bool row_is_blank(const rcn_csvrows *r)
{
	for (size_t i = 0; i < r->f.nfields; i++)
		for (size_t j = 0; j < r->f.field_len[i]; j++) {
			char c = r->f.row.data[r->f.field_off[i] + j];
			if (c != ' ' && c != '\t')
				return false;
		}
	return true;
}

static void add_field(rcn_csvrows *r, const char *data, size_t len)
{
	if (r->failed)
		return;
	if (!r->in_row) {
		/* A row that began after a bare CR in the middle of a line. */
		r->in_row = true;
		r->row_line = r->line;
		r->row_fed = 0;
	}
	if (r->f.nfields == RCN_MAX_FIELDS) {
		rcn_csvrows_fail(r, RCN_ELIMIT, r->row_line, "row has more than %d fields", RCN_MAX_FIELDS);
		return;
	}
	r->row_bytes += len + (size_t)(r->f.nfields > 0);
	if (r->row_bytes > RCN_MAX_ROW_BYTES) {
		row_too_long(r);
		return;
	}
	if (!check_field(r, r->f.nfields, data, len))
		return;
	/* room is reserved for a whole row (rcn_csvrows_new): no check per field */
	char *dst = r->f.row.data + r->f.row.len;
	memcpy(dst, data, len);
	dst[len] = '\0';
	r->f.field_off[r->f.nfields] = r->f.row.len;
	r->f.field_len[r->f.nfields] = len;
	r->f.row.len += len + 1;
	r->f.nfields++;
}

static void on_field(void *data, size_t len, void *vp)
{
	add_field(vp, data, len);
}

static void on_row_end(int c, void *vp)
{
	rcn_csvrows *r = vp;
	(void)c;
	if (!r->failed && r->f.nfields > 0 && !row_is_blank(r))
		r->on_row(r->ctx, r);
	r->in_row = false;
	r->f.nfields = 0;
	r->row_bytes = 0;
	rcn_buf_reset(&r->f.row);
}

static bool blank_piece(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* Where a quote, CR or LF at s[i] leaves a line that is plain so far: its
 * end (an LF, or CR LF) in *end (past the LF) and *body (before the line
 * end), true; false for a quote or a CR not before an LF. */
static bool plain_end(const char *s, size_t i, size_t len, size_t *end, size_t *body)
{
	if (s[i] == '\n' || (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')) {
		*body = i;
		*end = i + 1 + (s[i] == '\r');
		return true;
	}
	return false;
}

/* Commas at base + the set bits of m; false past the fields a row may have. */
static bool add_cuts(uint32_t *cut, size_t *k, size_t base, unsigned m)
{
	for (; m; m &= m - 1) {
		if (*k == RCN_MAX_FIELDS - 1)
			return false;
		cut[(*k)++] = (uint32_t)(base + (size_t)__builtin_ctz(m));
	}
	return true;
}

/* Where a plain line's bytes that are not ASCII lie: [first, end), first
 * SIZE_MAX when there are none. Only that span needs the UTF-8 check: the
 * scan sends a line with a control character to libcsv's path. */
typedef struct {
	size_t first, end;
} hi_span;

/* The high bits m of the block at base (bit i: byte base + i) into *h. */
static inline void note_high(hi_span *h, size_t base, unsigned m)
{
	if (!m)
		return;
	if (h->first == SIZE_MAX)
		h->first = base + (size_t)__builtin_ctz(m);
	h->end = base + 32 - (size_t)__builtin_clz(m);
}

/* The blocks of plain_line, one function per instruction set from one body
 * (csvrows_scan.h). */
#ifdef HAVE_AVX2_SCAN
#define SCAN_NAME	  line_avx2
#define SCAN_ATTR	  __attribute__((target("avx2")))
#define SCAN_BYTES	  32
#define SCAN_VEC	  __m256i
#define SCAN_LOAD(p)	  _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define SCAN_SET1(c)	  _mm256_set1_epi8(c)
#define SCAN_EQ(a, b)	  _mm256_cmpeq_epi8(a, b)
#define SCAN_MAXU(a, b)	  _mm256_max_epu8(a, b)
#define SCAN_OR(a, b)	  _mm256_or_si256(a, b)
#define SCAN_ANDNOT(a, b) _mm256_andnot_si256(a, b)
#define SCAN_MASK(v)	  _mm256_movemask_epi8(v)
#include "parse/csvrows_scan.h"
#endif

#ifdef __SSE2__
#define SCAN_NAME line_sse2
#define SCAN_ATTR
#define SCAN_BYTES	  16
#define SCAN_VEC	  __m128i
#define SCAN_LOAD(p)	  _mm_loadu_si128((const __m128i *)(const void *)(p))
#define SCAN_SET1(c)	  _mm_set1_epi8(c)
#define SCAN_EQ(a, b)	  _mm_cmpeq_epi8(a, b)
#define SCAN_MAXU(a, b)	  _mm_max_epu8(a, b)
#define SCAN_OR(a, b)	  _mm_or_si128(a, b)
#define SCAN_ANDNOT(a, b) _mm_andnot_si128(a, b)
#define SCAN_MASK(v)	  _mm_movemask_epi8(v)
#include "parse/csvrows_scan.h"
#endif

/* A whole plain line at the start of s[0..len): no quote, no control
 * character (NUL, ESC, DEL, ...; TAB passes) and no CR but the one of a CR LF
 * ending it, at most a row's fields. What libcsv would make
 * of it (fields split at commas, byte-exact, the CR LF or LF ending the
 * row) without its byte-at-a-time state machine: one pass, 32 or 16 bytes
 * at a time, finds the commas and the line's end together. True with the
 * commas in cut[0..*k), *body (the bytes before the line end) and *end
 * (past its LF), *hi the span of the bytes before the line end that are not
 * ASCII (only that span is then checked as UTF-8: an all-ASCII line needs
 * no more); false when the line is not plain or does not end within len
 * (libcsv then takes it, and says what is wrong). */
static bool plain_line(const char *s, size_t len, uint32_t *cut, size_t *k, size_t *end, size_t *body, hi_span *hi)
{
	size_t i = 0;
	int found = 0;
	*k = 0;
	hi->first = SIZE_MAX;
	hi->end = 0;
#ifdef HAVE_AVX2_SCAN
	if (__builtin_cpu_supports("avx2"))
		found = line_avx2(s, len, &i, cut, k, end, body, hi);
#endif
#ifdef __SSE2__
	if (!found)
		found = line_sse2(s, len, &i, cut, k, end, body, hi);
#endif
	for (; !found && i < len; i++) {
		if (s[i] == ',') {
			if (*k == RCN_MAX_FIELDS - 1)
				return false;
			cut[(*k)++] = (uint32_t)i;
		} else if (s[i] == '"' || ((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7F) {
			found = plain_end(s, i, len, end, body) ? 1 : -1;
		} else {
			if ((unsigned char)s[i] & 0x80u) {
				if (hi->first == SIZE_MAX)
					hi->first = i;
				hi->end = i + 1;
			}
		}
	}
	return found == 1;
}

/* A plain line's row, its commas at cut[0..n): what add_field would do
 * field by field, with one copy of the line (the commas become the fields'
 * NULs); the row was empty (a row boundary) and the line is shorter than
 * the row cap. A line with bytes that are not ASCII is checked as UTF-8
 * first, from its first such byte to its last (hi): the rest is ASCII, and
 * a valid character never spans a comma, so the span at once is enough. */
static void emit_plain(rcn_csvrows *r, const char *s, size_t body, const uint32_t *cut, size_t n, hi_span hi)
{
	_Static_assert(PIECE_MAX < RCN_MAX_ROW_BYTES, "a plain line is one piece, within the row cap");
	assert(r->f.nfields == 0 && !r->failed);
	if (hi.first != SIZE_MAX) {
		rcn_text_fault fault;
		size_t bad = hi.first + rcn_text_check(s + hi.first, hi.end - hi.first, &fault);
		if (bad < hi.end) {
			size_t f = 0, start = 0;
			while (f < n && cut[f] < bad)
				start = cut[f++] + 1;
			fail_text(r, r->row_line, f, bad - start, rcn_text_fault_name(fault));
			return;
		}
	}
	char *dst = r->f.row.data + r->f.row.len;
	memcpy(dst, s, body);
	dst[body] = '\0';
	size_t start = 0;
	for (size_t k = 0; k < n; k++) {
		dst[cut[k]] = '\0';
		r->f.field_off[k] = r->f.row.len + start;
		r->f.field_len[k] = cut[k] - start;
		start = cut[k] + 1;
	}
	r->f.field_off[n] = r->f.row.len + start;
	r->f.field_len[n] = body - start;
	r->f.nfields = n + 1;
	r->row_bytes = body;
	r->f.row.len += body + 1;
	on_row_end('\n', r);
}

/* One piece of at most one line (ends at '\n' or is cut at PIECE_MAX). */
static void feed_piece(rcn_csvrows *r, const char *s, size_t n, bool ends_line)
{
	if (!r->seen_content) {
		for (size_t i = 0; i < n; i++) {
			if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
				continue;
			r->seen_content = true;
			/* An error document or a proxy's login page instead of a bill. */
			if (s[i] == '<') {
				rcn_csvrows_fail(r, RCN_EFORMAT, r->line, "an HTML or XML page, not a bill");
				return;
			}
			break;
		}
	}
	bool started_row = r->in_row; /* a row left open by earlier pieces (a quoted newline, a cut) */
	if (!r->in_row && !blank_piece(s, n)) {
		r->in_row = true;
		r->row_line = r->line;
		r->row_fed = 0;
	}
	if (r->in_row) {
		r->row_fed += n;
		/* +2 leaves room for the CRLF that ends a row of exactly the maximum length. */
		if (r->row_fed > (size_t)RCN_MAX_ROW_BYTES + 2) {
			row_too_long(r);
			return;
		}
	}
	/* libcsv holds nothing: no row open before this piece, and its parser in
	 * state 0 (ROW_NOT_BEGUN in libcsv.c) with no pending field bytes, which a
	 * bare CR inside an earlier cut piece could leave behind */
	bool at_boundary = !started_row && r->csv.pstate == 0 && r->csv.entry_pos == 0;
	uint32_t cut[RCN_MAX_FIELDS - 1];
	size_t k, end, body;
	hi_span hi;
	if (ends_line && r->in_row && at_boundary && plain_line(s, n, cut, &k, &end, &body, &hi))
		emit_plain(r, s, body, cut, k, hi); /* split without libcsv (the first line comes here) */
	else if (csv_parse(&r->csv, s, n, on_field, on_row_end, r) != n && !r->failed)
		rcn_csvrows_fail(r, RCN_ELIMIT, r->line, "csv: %s", csv_strerror(csv_error(&r->csv)));
	if (ends_line)
		r->line++;
}

/* At a row boundary with libcsv holding nothing, a whole plain line at s
 * with some bytes before its end is split in one pass, without first
 * looking for its end (memchr) and then for its commas: the bytes through
 * its LF, or 0 with nothing done (feed_bytes then takes the line the usual
 * way, which also handles the first line, a blank one, a line longer than
 * len and every other case). Almost every line of a bill takes this path. */
static size_t line_scan(rcn_csvrows *r, const char *s, size_t len)
{
	if (!r->seen_content || r->in_row || r->csv.pstate != 0 || r->csv.entry_pos != 0)
		return 0;
	uint32_t cut[RCN_MAX_FIELDS - 1];
	size_t k, end = 0, body = 0;
	hi_span hi;
	if (!plain_line(s, len, cut, &k, &end, &body, &hi) || body == 0)
		return 0;
	/* what feed_piece does for such a line */
	r->in_row = true;
	r->row_line = r->line;
	r->row_fed = end;
	emit_plain(r, s, body, cut, k, hi);
	r->line++;
	return end;
}

static void feed_bytes(rcn_csvrows *r, const char *s, size_t n)
{
	while (n > 0 && !r->failed) {
		size_t len = n < PIECE_MAX ? n : PIECE_MAX;
		size_t plain = line_scan(r, s, len);
		if (plain) {
			s += plain;
			n -= plain;
			continue;
		}
		const char *nl = memchr(s, '\n', len);
		if (nl)
			len = (size_t)(nl - s) + 1;
		feed_piece(r, s, len, nl != NULL);
		s += len;
		n -= len;
	}
}

/* Passes on the held-back first bytes, minus a UTF-8 BOM. */
static void flush_head(rcn_csvrows *r)
{
	size_t skip = r->head_len == 3 && memcmp(r->head, BOM, 3) == 0 ? 3 : 0;
	r->head_done = true;
	feed_bytes(r, r->head + skip, r->head_len - skip);
}

static int no_space(unsigned char c)
{
	(void)c;
	return 0; /* keep fields byte-exact: each format decides what to trim */
}

rcn_csvrows *rcn_csvrows_new(const char *file, rcn_csvrows_fn on_row, void *ctx)
{
	rcn_csvrows *r = rcn_xcalloc(1, sizeof(*r));
	r->file = file;
	r->on_row = on_row;
	r->ctx = ctx;
	if (csv_init(&r->csv, 0) != 0)
		abort(); /* only fails on allocation */
	csv_set_space_func(&r->csv, no_space);
	csv_set_blk_size(&r->csv, 16 * 1024); /* libcsv grows its field buffer linearly by this */
	r->line = 1;
	/* Row bytes plus one NUL per field, reserved at once: the row caps checked
	 * in add_field keep every row inside it. */
	rcn_buf_init(&r->f.row, (size_t)RCN_MAX_ROW_BYTES + RCN_MAX_FIELDS);
	rcn_buf_reserve(&r->f.row, (size_t)RCN_MAX_ROW_BYTES + RCN_MAX_FIELDS);
	rcn_buf_init(&r->header, (size_t)RCN_MAX_ROW_BYTES + RCN_MAX_FIELDS);
	return r;
}

void rcn_csvrows_feed(rcn_csvrows *r, const char *s, size_t n)
{
	if (r->failed || r->finished)
		return;
	if (!r->head_done) {
		while (n > 0 && r->head_len < 3) {
			r->head[r->head_len++] = *s++;
			n--;
		}
		if (r->head_len < 3 && memcmp(r->head, BOM, r->head_len) == 0)
			return; /* might still be a BOM */
		flush_head(r);
	}
	feed_bytes(r, s, n);
}

void rcn_csvrows_finish(rcn_csvrows *r)
{
	if (r->finished)
		return;
	if (!r->failed && !r->head_done)
		flush_head(r);
	r->finished = true;
	if (!r->failed)
		csv_fini(&r->csv, on_field, on_row_end, r);
}

void rcn_csvrows_free(rcn_csvrows *r)
{
	if (!r)
		return;
	csv_free(&r->csv);
	rcn_buf_free(&r->f.row);
	rcn_buf_free(&r->header);
	free(r);
}
