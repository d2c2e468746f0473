/* The workbook's shared strings (xl/sharedStrings.xml): the texts the finding
 * sheets repeat row after row — a reason in the glossary's words, a handling
 * rule's action — are written once and referred to by index, instead of being
 * escaped and deflated again in every row. Keyed by text (copied: the
 * findings of a night in parts are read back from disk, a copy each); an
 * action with the finding's ids filled in (action_filled), or a text used
 * once, stays inline. Collected on one thread before the sheets are written,
 * then only read by the sheet writers.
 *
 *   findings ──collect (count per address)──► table ──► index of each text used twice or more
 *   sheet writers ──rcn_xlsx_sst_find──► <c t="s"><v>index</v></c>, else an inline string */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "report/xlsx_int.h"

#define SST_BITS  14 /* 16,384 slots: a night's distinct texts are a few dozen */
#define SST_SLOTS ((size_t)1 << SST_BITS)
#define SST_MAX	  (SST_SLOTS / 2) /* beyond this many distinct addresses, the rest stay inline */

typedef struct {
	const char *key; /* a copy */
	size_t len;
	uint64_t hash;
	long count;
	long index; /* -1: inline */
} slot;

struct rcn_xlsx_sst {
	slot *slots;
	size_t n_keys;
	slot **seen;	     /* the keys in the order first seen */
	const char **shared; /* index → text, in the order first seen */
	size_t n_shared;
	rcn_arena arena;
};

static uint64_t hash_of(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h;
}

static slot *find_slot(const rcn_xlsx_sst *t, const char *s, size_t len, uint64_t h)
{
	for (size_t i = (size_t)(h >> (64 - SST_BITS));; i = (i + 1) & (SST_SLOTS - 1)) {
		const slot *sl = &t->slots[i];
		if (!sl->key || (sl->hash == h && sl->len == len && memcmp(sl->key, s, len) == 0))
			return &t->slots[i];
	}
}

static void count(rcn_xlsx_sst *t, const char *s)
{
	if (!s || !*s)
		return;
	size_t len = strlen(s);
	uint64_t h = hash_of(s, len);
	slot *sl = find_slot(t, s, len, h);
	if (!sl->key) {
		if (t->n_keys == SST_MAX)
			return;
		sl->key = rcn_arena_strndup(&t->arena, s, len);
		sl->len = len;
		sl->hash = h;
		sl->index = -1;
		t->seen[t->n_keys++] = sl;
	}
	sl->count++;
}

rcn_xlsx_sst *rcn_xlsx_sst_collect(const rcn_report_data *d)
{
	rcn_xlsx_sst *t = rcn_xcalloc(1, sizeof(*t));
	t->slots = rcn_xcalloc(SST_SLOTS, sizeof(slot));
	t->seen = rcn_xcalloc(SST_MAX + 1, sizeof(*t->seen));
	rcn_arena_init(&t->arena);
	rcn_report_walk w;
	rcn_report_walk_open(&w, d);
	for (const rcn_finding *f; (f = rcn_report_walk_next(&w)) != NULL;)
		rcn_xlsx_sst_count(t, f);
	rcn_report_walk_close(&w);
	for (size_t i = 0; i < d->n_notes; i++)
		rcn_xlsx_sst_count(t, d->notes[i]);
	/* indexes in the order the texts were first seen: the same night, the same bytes */
	t->shared = rcn_xcalloc(t->n_keys + 1, sizeof(*t->shared));
	for (size_t i = 0; i < t->n_keys; i++) {
		slot *sl = t->seen[i];
		if (sl->count > 1) {
			sl->index = (long)t->n_shared;
			t->shared[t->n_shared++] = sl->key;
		}
	}
	return t;
}

void rcn_xlsx_sst_count(rcn_xlsx_sst *t, const rcn_finding *f)
{
	count(t, rcn_reason_cn(f->kind, f->reason));
	if (!f->action_filled)
		count(t, f->action_cn);
}

long rcn_xlsx_sst_find(const rcn_xlsx_sst *t, const char *s)
{
	if (!t || !s || !*s)
		return -1;
	size_t len = strlen(s);
	const slot *sl = find_slot(t, s, len, hash_of(s, len));
	return sl->key ? sl->index : -1;
}

void rcn_xlsx_sst_part(const rcn_xlsx_sst *t, rcn_xw *w)
{
	char head[160];
	snprintf(head, sizeof(head),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		 "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" uniqueCount=\"%zu\">",
		 t->n_shared);
	rcn_xlsx_puts(w, head);
	for (size_t i = 0; i < t->n_shared; i++) {
		rcn_xlsx_puts(w, "<si><t>");
		rcn_xlsx_escaped(w, t->shared[i]);
		rcn_xlsx_puts(w, "</t></si>");
	}
	rcn_xlsx_puts(w, "</sst>");
}

void rcn_xlsx_sst_free(rcn_xlsx_sst *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->seen);
	free(t->shared);
	rcn_arena_free(&t->arena);
	free(t);
}
