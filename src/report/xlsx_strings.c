/* The workbook's shared strings (xl/sharedStrings.xml): the texts the finding
 * sheets repeat row after row — a reason in the glossary's words, a handling
 * rule's action — are written once and referred to by index, instead of being
 * escaped and deflated again in every row. Keyed by address: these texts come
 * from tables (rcn_reason_cn's, the handling rules'), so equal texts share
 * one; a text used once (an action with the finding's ids filled in) stays
 * inline. Collected on one thread before the sheets are written, then only
 * read by the sheet writers.
 *
 *   findings ──collect (count per address)──► table ──► index of each text used twice or more
 *   sheet writers ──rcn_xlsx_sst_find──► <c t="s"><v>index</v></c>, else an inline string */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/xlsx_int.h"

#define SST_BITS  14 /* 16,384 slots: a night's distinct texts are a few dozen */
#define SST_SLOTS ((size_t)1 << SST_BITS)
#define SST_MAX	  (SST_SLOTS / 2) /* beyond this many distinct addresses, the rest stay inline */

typedef struct {
	const char *key;
	long count;
	long index; /* -1: inline */
} slot;

struct rcn_xlsx_sst {
	slot *slots;
	size_t n_keys;
	const char **shared; /* index → text, in the order first seen */
	size_t n_shared;
};

static size_t hash(const char *p)
{
	return (size_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull) >> (64 - SST_BITS));
}

static slot *find_slot(const rcn_xlsx_sst *t, const char *s)
{
	for (size_t i = hash(s);; i = (i + 1) & (SST_SLOTS - 1))
		if (t->slots[i].key == s || !t->slots[i].key)
			return &t->slots[i];
}

static void count(rcn_xlsx_sst *t, const char *s)
{
	if (!s || !*s)
		return;
	slot *sl = find_slot(t, s);
	if (!sl->key) {
		if (t->n_keys == SST_MAX)
			return;
		sl->key = s;
		sl->index = -1;
		t->n_keys++;
	}
	sl->count++;
}

rcn_xlsx_sst *rcn_xlsx_sst_collect(const rcn_report_data *d)
{
	rcn_xlsx_sst *t = rcn_xcalloc(1, sizeof(*t));
	t->slots = rcn_xcalloc(SST_SLOTS, sizeof(slot));
	const rcn_finding *const *lists[2] = {d->findings, d->notes};
	size_t sizes[2] = {d->n_findings, d->n_notes};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < sizes[l]; i++) {
			count(t, rcn_reason_cn(lists[l][i]->kind, lists[l][i]->reason));
			count(t, lists[l][i]->action_cn);
		}
	/* indexes in the order the texts were first seen: the same night, the same bytes */
	t->shared = rcn_xcalloc(t->n_keys + 1, sizeof(*t->shared));
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < sizes[l]; i++) {
			const char *texts[2] = {rcn_reason_cn(lists[l][i]->kind, lists[l][i]->reason),
						lists[l][i]->action_cn};
			for (int k = 0; k < 2; k++) {
				if (!texts[k] || !*texts[k])
					continue;
				slot *sl = find_slot(t, texts[k]);
				if (sl->key && sl->count > 1 && sl->index < 0) {
					sl->index = (long)t->n_shared;
					t->shared[t->n_shared++] = texts[k];
				}
			}
		}
	return t;
}

long rcn_xlsx_sst_find(const rcn_xlsx_sst *t, const char *s)
{
	if (!t || !s || !*s)
		return -1;
	const slot *sl = find_slot(t, s);
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
	free(t->shared);
	free(t);
}
