/* recon-<date>.xlsx: the date's reports as an Excel workbook: 汇总 Summary, a
 * sheet per discrepancy kind that occurs ("短款 SHORT_PAYMENT"), 待核对 PENDING,
 * notes, settlement, quarantine; bilingual headings, frozen header, autofilter,
 * amounts as numbers in yuan, text inline (or shared when rows repeat it,
 * xlsx_strings.c), never a formula. Here: the cell writer, the finding sheets,
 * the package; xlsx_sheets.c: the other sheets. Written by hand (ECMA-376, the
 * parts Excel needs) rather than with a library: a 10 M night's half a million
 * findings took a general-purpose writer longer than the whole reconciliation.
 * Sheets are generated and deflated (level 1) on their own threads, then
 * zipped in a fixed order with a fixed time: the same findings, the same bytes. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <unistd.h>

#include "recon/money.h"
#include "recon/report.h"
#include "report/report_int.h"
#include "report/xlsx_int.h"
#include "util/pool.h"

/* Rows of a sheet, the header included: Excel's limit (a test lowers it). */
static long max_rows = 1048576;

void rcn_report_xlsx_max_rows(long rows)
{
	max_rows = rows;
}

static const char *const finding_heads[] = {
	"渠道 channel",
	"商户号 merchant_id",
	"商户订单号 order_no",
	"退款单号 refund_no",
	"渠道交易号 channel_txn_id",
	"原因 reason",
	"账本状态 ledger_status",
	"渠道状态 channel_status",
	"账本金额 ledger_amount",
	"渠道金额 channel_amount",
	"差额 difference",
	"规则手续费 expected_fee",
	"渠道手续费 channel_fee",
	"交易时间 trade_time",
	"首次发现 first_seen",
	"账龄天数 age_days",
	"来源 source",
	"说明 detail",
	"处理建议 action",
	"处理期限 due_by",
	"紧急 urgent",
	"原因说明 reason_cn", /* appended, so the columns before keep their places */
	"编号 id",	      /* the open item (issue 19) */
};
#define N_FINDING_COLS (sizeof(finding_heads) / sizeof(finding_heads[0]))

/* ---- a sheet's XML, streamed into its zip entry ---- */

static void xw_flush(rcn_xw *w)
{
	rcn_zipw_entry_write(w->e, w->buf, w->len);
	w->len = 0;
}

static void put(rcn_xw *w, const char *s, size_t n)
{
	if (w->len + n > sizeof(w->buf)) {
		xw_flush(w);
		if (n > sizeof(w->buf)) {
			rcn_zipw_entry_write(w->e, s, n);
			return;
		}
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void puts_(rcn_xw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_u(rcn_xw *w, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, d + i, sizeof(d) - i);
}

/* Room for n more bytes (n far below the buffer's size) at buf + len,
 * written in place: a cell's markup without a call per piece. */
static char *room(rcn_xw *w, size_t n)
{
	if (w->len + n > sizeof(w->buf))
		xw_flush(w);
	return w->buf + w->len;
}

/* Pieces of markup written at p; CELL_ROOM covers the longest cell's markup. */
#define CELL_ROOM	96
#define PUT_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) += sizeof(lit) - 1)

/* "A1"-style reference of 0-based column c (below 26 * 27) and 1-based row
 * r, at p; returns its end. A row's digits are formatted once for all its
 * cells. */
static char *ref_at(rcn_xw *w, char *p, int c, long r)
{
	if (c >= 26)
		*p++ = (char)('A' + c / 26 - 1);
	*p++ = (char)('A' + c % 26);
	if (r != w->ref_row) {
		char d[24];
		size_t i = sizeof(d);
		uint64_t v = (uint64_t)r;
		do {
			d[--i] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		w->ref_n = (uint8_t)(sizeof(d) - i);
		memcpy(w->ref_digits, d + i, w->ref_n);
		w->ref_row = r;
	}
	memcpy(p, w->ref_digits, sizeof(w->ref_digits)); /* fixed size: no call; only ref_n count */
	return p + w->ref_n;
}

static void put_ref(rcn_xw *w, int c, long r)
{
	char *p = room(w, CELL_ROOM);
	w->len = (size_t)(ref_at(w, p, c, r) - w->buf);
}

/* An exact decimal: v in units of 10^-places, trailing zeros dropped
 * (5500 fen is "55", 600 at 1e-5 yuan "0.006"). Excel reads it as the double
 * nearest the decimal, which its "#,##0.00" / "0.00000" formats show exactly. */
static void put_decimal(rcn_xw *w, int64_t v, int places)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t unit = 1;
	for (int i = 0; i < places; i++)
		unit *= 10;
	if (v < 0)
		put(w, "-", 1);
	put_u(w, m / unit);
	uint64_t frac = m % unit;
	if (!frac)
		return;
	char d[24];
	int n = places;
	while (frac % 10 == 0) {
		frac /= 10;
		n--;
	}
	for (int i = n - 1; i >= 0; i--) {
		d[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	put(w, ".", 1);
	put(w, d, (size_t)n);
}

/* Length of the well-formed UTF-8 sequence at s that XML 1.0 may carry (no
 * surrogates, no U+FFFE/U+FFFF), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
			return 0; /* U+FFFE, U+FFFF */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* The bytes put_escaped copies as they are: ASCII from the space on but for
 * & < > (and tab, line feed, carriage return) — nearly every byte of a sheet:
 * ids, times, amounts. */
#define IS_PLAIN(c)                                                                                                    \
	(((c) >= 0x20 && (c) < 0x80 && (c) != '&' && (c) != '<' && (c) != '>') || (c) == '\t' || (c) == '\n' ||        \
	 (c) == '\r')
#define P(c)  [c] = IS_PLAIN(c)
#define P8(c) P(c), P(c + 1), P(c + 2), P(c + 3), P(c + 4), P(c + 5), P(c + 6), P(c + 7)
static const bool PLAIN[256] = {P8(0),	P8(8),	P8(16), P8(24), P8(32), P8(40),	 P8(48),  P8(56),
				P8(64), P8(72), P8(80), P8(88), P8(96), P8(104), P8(112), P8(120)};
#undef P8
#undef P
#undef IS_PLAIN

#ifdef __SSE2__
/* The bytes of v that put_escaped cannot copy as they are (a superset of
 * !PLAIN: a signed compare below 0x20 takes in tab and line ends, and every
 * byte from 0x80). */
static unsigned odd_bytes(__m128i v)
{
	const __m128i space = _mm_set1_epi8(0x20), amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'),
		      gt = _mm_set1_epi8('>');
	__m128i odd = _mm_or_si128(
		_mm_cmplt_epi8(v, space),
		_mm_or_si128(_mm_cmpeq_epi8(v, amp), _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt))));
	return (unsigned)_mm_movemask_epi8(odd);
}
#endif

/* XML text: & < > escaped; control characters XML 1.0 cannot carry become
 * Excel's _xHHHH_ escapes; a byte that is not well-formed UTF-8 becomes
 * U+FFFD, so one bad byte in a statement never makes Excel refuse the file. */
static void put_escaped(rcn_xw *w, const char *s, size_t n)
{
	const char *run = s, *end = s + n;
	while (s < end) {
#ifdef __SSE2__
		/* past plain bytes 16 at a time */
		while (end - s >= 16) {
			unsigned m = odd_bytes(_mm_loadu_si128((const __m128i *)(const void *)s));
			if (m) {
				s += __builtin_ctz(m);
				break;
			}
			s += 16;
		}
#endif
		/* the rest (most cells are shorter than 16 bytes) a byte at a time */
		while (s < end && PLAIN[(unsigned char)*s])
			s++;
		if (s >= end)
			break;
		unsigned char c = (unsigned char)*s;
		const char *rep = NULL;
		char ctl[8];
		size_t len = 1;
		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			snprintf(ctl, sizeof(ctl), "_x%04X_", c);
			rep = ctl;
		} else if (c >= 0x80 && (len = utf8_len((const unsigned char *)s)) == 0) {
			rep = "\xEF\xBF\xBD";
			len = 1;
		}
		if (rep) {
			put(w, run, (size_t)(s - run));
			puts_(w, rep);
			run = s + len;
		}
		s += len;
	}
	put(w, run, (size_t)(end - run));
}

static void text(rcn_xw *w, int c, long r, const char *s, bool head)
{
	if (!s || !*s)
		return;
	size_t n = strlen(s);
	bool space =
		s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[0] == '\n' || s[n - 1] == '\n';
	char *p = room(w, CELL_ROOM);
	PUT_LIT(p, "<c r=\"");
	p = ref_at(w, p, c, r);
	if (head)
		PUT_LIT(p, "\" s=\"1"); /* RCN_XST_HEAD */
	if (space)
		PUT_LIT(p, "\" t=\"inlineStr\"><is><t xml:space=\"preserve\">");
	else
		PUT_LIT(p, "\" t=\"inlineStr\"><is><t>");
	w->len = (size_t)(p - w->buf);
	put_escaped(w, s, n);
	p = room(w, CELL_ROOM);
	PUT_LIT(p, "</t></is></c>");
	w->len = (size_t)(p - w->buf);
}

static void number(rcn_xw *w, int c, long r, int64_t v, int places, int style)
{
	char *p = room(w, CELL_ROOM);
	PUT_LIT(p, "<c r=\"");
	p = ref_at(w, p, c, r);
	if (style == 0) {
		PUT_LIT(p, "\"><v>");
	} else {
		PUT_LIT(p, "\" s=\"0\"><v>");
		p[-6] = (char)('0' + style);
	}
	w->len = (size_t)(p - w->buf);
	put_decimal(w, v, places);
	p = room(w, CELL_ROOM);
	PUT_LIT(p, "</v></c>");
	w->len = (size_t)(p - w->buf);
}

static void money(rcn_xw *w, int c, long r, int64_t v, int scale)
{
	number(w, c, r, v, scale == RCN_SCALE_FEE ? 5 : 2, scale == RCN_SCALE_FEE ? RCN_XST_FEE : RCN_XST_MONEY);
}

static void row_open(rcn_xw *w, long r)
{
	puts_(w, "<row r=\"");
	put_u(w, (uint64_t)r);
	puts_(w, "\">");
}

/* Everything before the first data row: the frozen header and the columns. */
static void sheet_begin(rcn_xw *w, size_t ncols, long last_row, bool selected, const char *const *heads)
{
	puts_(w,
	      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	      "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
	      "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><dimension ref=\"A1:");
	put_ref(w, (int)ncols - 1, last_row);
	puts_(w, selected ? "\"/><sheetViews><sheetView tabSelected=\"1\" workbookViewId=\"0\">"
			  : "\"/><sheetViews><sheetView workbookViewId=\"0\">");
	puts_(w, "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
		 "<selection pane=\"bottomLeft\"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>"
		 "<cols><col min=\"1\" max=\"");
	put_u(w, ncols);
	puts_(w, "\" width=\"16.7109375\" customWidth=\"1\"/></cols><sheetData>");
	row_open(w, 1);
	for (size_t i = 0; i < ncols; i++)
		text(w, (int)i, 1, heads[i], true);
	puts_(w, "</row>");
}

static void sheet_end(rcn_xw *w, size_t ncols, long filter_row)
{
	puts_(w, "</sheetData><autoFilter ref=\"A1:");
	put_ref(w, (int)ncols - 1, filter_row);
	puts_(w, "\"/><pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" "
		 "footer=\"0.3\"/></worksheet>");
}

/* The cell writer for xlsx_sheets.c (the finding rows call the static ones). */
void rcn_xlsx_escaped(rcn_xw *w, const char *s)
{
	put_escaped(w, s, strlen(s));
}

/* A text cell by its index in the shared strings, or inline when it has none. */
static void text_shared(rcn_xw *w, int c, long r, const char *s, const rcn_xlsx_sst *sst)
{
	long k = rcn_xlsx_sst_find(sst, s);
	if (k < 0) {
		text(w, c, r, s, false);
		return;
	}
	char *p = room(w, CELL_ROOM);
	PUT_LIT(p, "<c r=\"");
	p = ref_at(w, p, c, r);
	PUT_LIT(p, "\" t=\"s\"><v>");
	w->len = (size_t)(p - w->buf);
	put_u(w, (uint64_t)k);
	p = room(w, CELL_ROOM);
	PUT_LIT(p, "</v></c>");
	w->len = (size_t)(p - w->buf);
}

void rcn_xlsx_puts(rcn_xw *w, const char *s)
{
	puts_(w, s);
}

void rcn_xlsx_text(rcn_xw *w, int c, long r, const char *s, bool head)
{
	text(w, c, r, s, head);
}

void rcn_xlsx_number(rcn_xw *w, int c, long r, int64_t v, int places, int style)
{
	number(w, c, r, v, places, style);
}

void rcn_xlsx_money(rcn_xw *w, int c, long r, int64_t v, int scale)
{
	money(w, c, r, v, scale);
}

void rcn_xlsx_row_open(rcn_xw *w, long r)
{
	row_open(w, r);
}

void rcn_xlsx_row_close(rcn_xw *w)
{
	puts_(w, "</row>");
}

void rcn_xlsx_head_row(rcn_xw *w, long r, const char *const *heads, size_t n)
{
	row_open(w, r);
	for (size_t i = 0; i < n; i++)
		text(w, (int)i, r, heads[i], true);
	puts_(w, "</row>");
}

void rcn_xlsx_sheet_begin(rcn_xw *w, size_t ncols, long last_row, bool selected, const char *const *heads)
{
	sheet_begin(w, ncols, last_row, selected, heads);
}

void rcn_xlsx_sheet_end(rcn_xw *w, size_t ncols, long filter_row)
{
	sheet_end(w, ncols, filter_row);
}

char *rcn_xlsx_col(char out[4], int c)
{
	char *p = out;
	if (c >= 26)
		*p++ = (char)('A' + c / 26 - 1);
	*p++ = (char)('A' + c % 26);
	*p = '\0';
	return out;
}

static void finding_row(rcn_xw *w, long r, const rcn_finding *f, const rcn_xlsx_sst *sst)
{
	char d[11];
	int64_t diff;
	const char *t[] = {f->channel,	      f->merchant_id, f->order_no,	f->refund_no,
			   f->channel_txn_id, f->reason,      f->ledger_status, f->channel_status};
	row_open(w, r);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		text(w, (int)i, r, t[i], false);
	if (f->has_ledger_amount)
		money(w, 8, r, f->ledger_amount, RCN_SCALE_FEN);
	if (f->has_channel_amount)
		money(w, 9, r, f->channel_amount, RCN_SCALE_FEN);
	if (rcn_finding_difference(f, &diff))
		money(w, 10, r, diff, RCN_SCALE_FEN);
	if (f->has_expected_fee)
		money(w, 11, r, f->expected_fee, RCN_SCALE_FEE);
	if (f->has_channel_fee)
		money(w, 12, r, f->channel_fee, RCN_SCALE_FEE);
	text(w, 13, r, f->trade_time, false);
	text(w, 14, r, rcn_date_format(d, f->first_seen), false);
	number(w, 15, r, f->age_days, 0, RCN_XST_NONE);
	text(w, 16, r, f->source, false);
	text(w, 17, r, f->detail, false);
	text_shared(w, 18, r, f->action_cn, f->action_filled ? NULL : sst);
	if (f->due_by)
		text(w, 19, r, rcn_date_format(d, f->due_by), false);
	if (f->urgent)
		text(w, 20, r, "紧急 yes", false);
	text_shared(w, 21, r, rcn_reason_cn(f->kind, f->reason), sst);
	text(w, 22, r, f->item_id, false);
	puts_(w, "</row>");
}

/* ---- the sheets ---- */

typedef enum { SH_SUMMARY, SH_FINDINGS, SH_NOTES, SH_SETTLEMENT, SH_QUARANTINE, SH_OPEN_ITEMS } sheet_type;

typedef struct {
	char name[64]; /* as Excel shows it: at most 31 characters, unique */
	sheet_type type;
	rcn_kind kind;	 /* SH_FINDINGS: the findings' kind */
	size_t ncols;	 /* the table's columns */
	long count;	 /* SH_FINDINGS, SH_NOTES: findings */
	long last_row;	 /* the sheet's last row (header = 1) */
	long filter_row; /* the last row the autofilter covers */
	rcn_zipw_entry entry;
} sheet;

/* One sheet of findings (of the sheet's kind, or the notes), in report
 * order. A sheet holds at most max_rows rows: past that, its last row says
 * how many more the CSV has. */
static void findings_sheet(rcn_xw *w, const sheet *sh, const rcn_report_data *data, const rcn_xlsx_sst *sst,
			   bool selected)
{
	long fit = sh->count < max_rows ? sh->count : max_rows - 2, r = 1;
	bool notes = sh->type == SH_NOTES;
	sheet_begin(w, N_FINDING_COLS, sh->last_row, selected, finding_heads);
	if (notes) {
		for (size_t i = 0; i < data->n_notes && r - 1 < fit; i++)
			finding_row(w, ++r, data->notes[i], sst);
	} else {
		rcn_report_walk walk;
		rcn_report_walk_kinds(&walk, data, sh->kind, sh->kind);
		for (const rcn_finding *f; r - 1 < fit && (f = rcn_report_walk_next(&walk)) != NULL;)
			finding_row(w, ++r, f, sst);
		rcn_report_walk_close(&walk);
	}
	if (sh->count > fit) {
		const char *csv = notes ? "notes.csv" : sh->kind == RCN_K_PENDING ? "pending.csv" : "discrepancies.csv";
		char note[160];
		snprintf(note, sizeof(note), "另有 %ld 条见 %s — %ld more rows in %s", sh->count - fit, csv,
			 sh->count - fit, csv);
		row_open(w, ++r);
		text(w, 0, r, note, false);
		puts_(w, "</row>");
	}
	sheet_end(w, N_FINDING_COLS, sh->filter_row);
}

typedef struct {
	sheet *sheets;
	const size_t *order; /* the sheets' indexes, biggest first */
	size_t n, next;
	const char *date;
	const rcn_report_data *data;
	pthread_mutex_t lock;
	const rcn_xlsx_sst *sst;
} sheet_queue;

static void write_sheet(rcn_xw *w, const sheet *sh, const sheet_queue *q, bool selected)
{
	switch (sh->type) {
	case SH_SUMMARY:
		rcn_xlsx_summary_sheet(w, q->date, q->data, selected);
		break;
	case SH_SETTLEMENT:
		rcn_xlsx_settlement_sheet(w, q->data, selected);
		break;
	case SH_QUARANTINE:
		rcn_xlsx_quarantine_sheet(w, q->data, selected);
		break;
	case SH_OPEN_ITEMS:
		rcn_xlsx_open_items_sheet(w, q->data, max_rows, selected);
		break;
	default:
		findings_sheet(w, sh, q->data, q->sst, selected);
	}
}

static void *sheet_worker(void *p)
{
	sheet_queue *q = p;
	rcn_xw *w = rcn_xmalloc(sizeof(*w));
	for (;;) {
		pthread_mutex_lock(&q->lock);
		size_t i = q->next < q->n ? q->order[q->next++] : SIZE_MAX;
		pthread_mutex_unlock(&q->lock);
		if (i == SIZE_MAX)
			break;
		sheet *sh = &q->sheets[i];
		char part[64];
		snprintf(part, sizeof(part), "xl/worksheets/sheet%zu.xml", i + 1);
		rcn_zipw_entry_init(&sh->entry, part);
		w->e = &sh->entry;
		w->len = 0;
		w->ref_row = 0;
		write_sheet(w, sh, q, i == 0);
		xw_flush(w);
		rcn_zipw_entry_finish(&sh->entry);
	}
	free(w);
	return NULL;
}

/* ---- the package's other parts ---- */

static void small_part(rcn_zipw_entry *e, const char *name, const char *xml)
{
	rcn_zipw_entry_init(e, name);
	rcn_zipw_entry_write(e, xml, strlen(xml));
	rcn_zipw_entry_finish(e);
}

static const char XML_HEAD[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
static const char CT_SHEET[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
static const char REL_NS[] = "http://schemas.openxmlformats.org/package/2006/relationships";
static const char OFFICE_REL[] = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

static void content_types(rcn_zipw_entry *e, size_t n_sheets)
{
	rcn_buf b;
	rcn_buf_init(&b, 1 << 20);
	rcn_buf_printf(
		&b,
		"%s<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
		"<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
		"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
		"<Override PartName=\"/docProps/app.xml\" "
		"ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
		"<Override PartName=\"/docProps/core.xml\" "
		"ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
		"<Override PartName=\"/xl/styles.xml\" "
		"ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
		"<Override PartName=\"/xl/sharedStrings.xml\" "
		"ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>"
		"<Override PartName=\"/xl/workbook.xml\" "
		"ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
		XML_HEAD);
	for (size_t i = 0; i < n_sheets; i++)
		rcn_buf_printf(&b, "<Override PartName=\"/xl/worksheets/sheet%zu.xml\" ContentType=\"%s\"/>", i + 1,
			       CT_SHEET);
	rcn_buf_printf(&b, "</Types>");
	small_part(e, "[Content_Types].xml", b.data);
	rcn_buf_free(&b);
}

static void root_rels(rcn_zipw_entry *e)
{
	char xml[1024];
	snprintf(xml, sizeof(xml),
		 "%s<Relationships xmlns=\"%s\">"
		 "<Relationship Id=\"rId1\" Type=\"%s/officeDocument\" Target=\"xl/workbook.xml\"/>"
		 "<Relationship Id=\"rId2\" Type=\"%s/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
		 "<Relationship Id=\"rId3\" Type=\"%s/extended-properties\" Target=\"docProps/app.xml\"/>"
		 "</Relationships>",
		 XML_HEAD, REL_NS, OFFICE_REL, REL_NS, OFFICE_REL);
	small_part(e, "_rels/.rels", xml);
}

static void doc_props(rcn_zipw_entry *core, rcn_zipw_entry *app, const char *date)
{
	/* the business date, 00:00 UTC, not the time of writing: a re-run gives the same bytes */
	char xml[1024];
	snprintf(xml, sizeof(xml),
		 "%s<cp:coreProperties "
		 "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
		 "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" "
		 "xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" "
		 "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
		 "<dc:title>recon</dc:title><dc:creator>recon</dc:creator>"
		 "<dcterms:created xsi:type=\"dcterms:W3CDTF\">%.10sT00:00:00Z</dcterms:created>"
		 "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">%.10sT00:00:00Z</dcterms:modified>"
		 "</cp:coreProperties>",
		 XML_HEAD, date, date);
	small_part(core, "docProps/core.xml", xml);
	snprintf(xml, sizeof(xml),
		 "%s<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" "
		 "xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">"
		 "<Application>recon</Application></Properties>",
		 XML_HEAD);
	small_part(app, "docProps/app.xml", xml);
}

static void workbook(rcn_zipw_entry *wb, rcn_zipw_entry *rels, const sheet *sheets, size_t n)
{
	rcn_buf b;
	rcn_buf_init(&b, 1 << 20);
	rcn_buf_printf(&b,
		       "%s<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"%s\">"
		       "<bookViews><workbookView/></bookViews><sheets>",
		       XML_HEAD, OFFICE_REL);
	/* sheet names are recon's own (kind names, 汇总 Summary, …): nothing in
	 * them needs escaping, and none holds an apostrophe to double when quoted */
	for (size_t i = 0; i < n; i++)
		rcn_buf_printf(&b, "<sheet name=\"%s\" sheetId=\"%zu\" r:id=\"rId%zu\"/>", sheets[i].name, i + 1,
			       i + 1);
	rcn_buf_printf(&b, "</sheets><definedNames>");
	/* the autofilter ranges, as Excel itself records them */
	for (size_t i = 0; i < n; i++) {
		char col[4];
		rcn_buf_printf(&b,
			       "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"%zu\" hidden=\"1\">"
			       "'%s'!$A$1:$%s$%ld</definedName>",
			       i, sheets[i].name, rcn_xlsx_col(col, (int)sheets[i].ncols - 1), sheets[i].filter_row);
	}
	rcn_buf_printf(&b, "</definedNames><calcPr calcId=\"124519\" fullCalcOnLoad=\"1\"/></workbook>");
	small_part(wb, "xl/workbook.xml", b.data);
	rcn_buf_reset(&b);
	rcn_buf_printf(&b, "%s<Relationships xmlns=\"%s\">", XML_HEAD, REL_NS);
	for (size_t i = 0; i < n; i++)
		rcn_buf_printf(&b,
			       "<Relationship Id=\"rId%zu\" Type=\"%s/worksheet\" Target=\"worksheets/sheet%zu.xml\"/>",
			       i + 1, OFFICE_REL, i + 1);
	rcn_buf_printf(&b,
		       "<Relationship Id=\"rId%zu\" Type=\"%s/styles\" Target=\"styles.xml\"/>"
		       "<Relationship Id=\"rId%zu\" Type=\"%s/sharedStrings\" Target=\"sharedStrings.xml\"/>"
		       "</Relationships>",
		       n + 1, OFFICE_REL, n + 2, OFFICE_REL);
	small_part(rels, "xl/_rels/workbook.xml.rels", b.data);
	rcn_buf_free(&b);
}

/* Fonts Calibri 11 (bold for the header), the two amount formats. */
static const char STYLES[] =
	"<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
	"<numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"#,##0.00\"/>"
	"<numFmt numFmtId=\"165\" formatCode=\"0.00000\"/></numFmts>"
	"<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
	"<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
	"<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
	"<fill><patternFill patternType=\"gray125\"/></fill></fills>"
	"<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
	"<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
	"<cellXfs count=\"4\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
	"<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
	"<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
	"<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>"
	"<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
	"<dxfs count=\"0\"/><tableStyles count=\"0\"/></styleSheet>";

/* Room for the sheets: summary, a sheet per kind (pending included), notes, settlement, quarantine,
 * open items. */
#define MAX_SHEETS (RCN_K_PENDING + 6)

static size_t add_sheet(sheet *sheets, size_t n, sheet_type type, size_t ncols, long rows, long table_rows,
			const char *name)
{
	sheet *sh = &sheets[n];
	snprintf(sh->name, sizeof(sh->name), "%s", name);
	sh->type = type;
	sh->kind = RCN_K__COUNT;
	sh->ncols = ncols;
	sh->count = rows;
	sh->last_row = rows + 1;
	sh->filter_row = table_rows;
	return n + 1;
}

/* A sheet of findings: one row each (and a last row saying how many more the
 * CSV has, if they do not fit). */
static size_t add_findings_sheet(sheet *sheets, size_t n, sheet_type type, rcn_kind kind, long count, const char *name)
{
	long rows = count < max_rows ? count + 1 : max_rows;
	n = add_sheet(sheets, n, type, N_FINDING_COLS, count, rows, name);
	sheets[n - 1].kind = kind;
	sheets[n - 1].last_row = rows;
	return n;
}

/* The book's sheets, in order: summary, each kind that occurs, pending
 * (always), notes, settlement, quarantine, open items (always). A kind's sheet is
 * named "<Chinese> <code>" ("解约后扣款 DEBIT_AFTER_TERMINATION", the longest,
 * is 29 characters of Excel's 31). */
static size_t book_sheets(sheet *sheets, const rcn_report_data *data)
{
	long count[RCN_K__COUNT];
	rcn_report_kinds(data, count);
	size_t n = 0;
	memset(sheets, 0, MAX_SHEETS * sizeof(*sheets));
	n = add_sheet(sheets, n, SH_SUMMARY, rcn_xlsx_summary_cols, 0, rcn_xlsx_summary_table_rows(data),
		      "汇总 Summary");
	sheets[0].last_row = rcn_xlsx_summary_last_row(data);
	for (int k = 0; k <= RCN_K_PENDING; k++) {
		char name[64];
		if (k < RCN_K_PENDING && !count[k])
			continue;
		snprintf(name, sizeof(name), "%s %s", rcn_kind_name_cn((rcn_kind)k), rcn_kind_name((rcn_kind)k));
		n = add_findings_sheet(sheets, n, SH_FINDINGS, (rcn_kind)k, count[k], name);
	}
	n = add_findings_sheet(sheets, n, SH_NOTES, RCN_K_MATCHED, (long)data->n_notes, "已匹配备注 Notes");
	n = add_sheet(sheets, n, SH_SETTLEMENT, rcn_xlsx_settlement_cols, (long)data->n_settlements,
		      (long)data->n_settlements + 1, "结算 Settlement");
	n = add_sheet(sheets, n, SH_QUARANTINE, rcn_xlsx_quarantine_cols, (long)data->n_quarantine,
		      (long)data->n_quarantine + 1, "隔离 Quarantine");
	long open = rcn_xlsx_open_items_last_row(data, max_rows); /* the import finds it by "open_items" */
	n = add_sheet(sheets, n, SH_OPEN_ITEMS, rcn_xlsx_open_items_cols, data->book ? (long)data->book->n : 0, open,
		      "未结差异 open_items");
	sheets[n - 1].last_row = open;
	return n;
}

rcn_rc rcn_report_xlsx(const char *dir, const char *date, const rcn_report_data *data, rcn_err *err)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/recon-%s.xlsx", dir, date);
	sheet sheets[MAX_SHEETS];
	size_t n = book_sheets(sheets, data);

	/* the sheets on up to two threads besides this one's share of the work,
	 * the biggest taken first: the pending sheet, often the biggest and the
	 * last in the book, would otherwise be written alone at the end. Each
	 * sheet keeps its place in the file, whoever writes it. */
	size_t order[MAX_SHEETS];
	for (size_t i = 0; i < n; i++) {
		size_t k = i;
		for (; k > 0 && sheets[order[k - 1]].count < sheets[i].count; k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	rcn_xlsx_sst *sst = rcn_xlsx_sst_collect(data);
	sheet_queue q = {sheets, order, n, 0, date, data, PTHREAD_MUTEX_INITIALIZER, sst};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	rcn_task helpers[2] = {{0}};
	for (size_t i = 0; i + 1 < (size_t)(cores > 2 ? 3 : cores > 1 ? 2 : 1) && i < 2; i++)
		(void)rcn_task_spawn(&helpers[i], sheet_worker, &q); /* or fewer: the queue is shared */
	sheet_worker(&q);
	for (size_t i = 0; i < 2; i++)
		rcn_task_join(&helpers[i]);

	enum { P_TYPES, P_RELS, P_CORE, P_APP, P_WORKBOOK, P_WB_RELS, P_STYLES, P_STRINGS, P__COUNT };
	rcn_zipw_entry parts[P__COUNT + MAX_SHEETS];
	content_types(&parts[P_TYPES], n);
	root_rels(&parts[P_RELS]);
	doc_props(&parts[P_CORE], &parts[P_APP], date);
	workbook(&parts[P_WORKBOOK], &parts[P_WB_RELS], sheets, n);
	char styles[sizeof(STYLES) + sizeof(XML_HEAD)];
	snprintf(styles, sizeof(styles), "%s%s", XML_HEAD, STYLES);
	small_part(&parts[P_STYLES], "xl/styles.xml", styles);
	rcn_xw *w = rcn_xmalloc(sizeof(*w));
	rcn_zipw_entry_init(&parts[P_STRINGS], "xl/sharedStrings.xml");
	w->e = &parts[P_STRINGS];
	w->len = 0;
	w->ref_row = 0;
	rcn_xlsx_sst_part(sst, w);
	xw_flush(w);
	rcn_zipw_entry_finish(&parts[P_STRINGS]);
	free(w);
	rcn_xlsx_sst_free(sst);
	for (size_t i = 0; i < n; i++)
		parts[P__COUNT + i] = sheets[i].entry;

	rcn_rc rc;
	FILE *f = rcn_fopen_report(path);
	if (!f)
		rc = rcn_err_set(err, RCN_EIO, path, 0, "cannot write report: %s", strerror(errno));
	else {
		rc = rcn_zipw_write(f, path, parts, P__COUNT + n, err);
		/* on disk before the directory is swapped in, as the CSVs are (fclose) */
		if (rc == RCN_OK && fflush(f) != 0)
			rc = rcn_err_set(err, RCN_EIO, path, 0, "cannot write report: %s", strerror(errno));
		if (fclose(f) != 0 && rc == RCN_OK)
			rc = rcn_err_set(err, RCN_EIO, path, 0, "cannot write report: %s", strerror(errno));
	}
	for (size_t i = 0; i < P__COUNT + n; i++)
		rcn_zipw_entry_free(&parts[i]);
	return rc;
}
