/* Private to src/items: reading items with the columns a caller adds. */
#ifndef RECON_ITEMS_INT_H
#define RECON_ITEMS_INT_H

#include "recon/items.h"
#include "recon/pq.h"

/* Ages (rcn_items_age) as of one date, remembered by first_seen: a night's
 * items share a few dozen first dates, and walking the calendar for each of
 * fifty thousand items costs more than reading them. */
#define RCN_AGE_MEMO 1024
typedef struct {
	const rcn_calendar *cal;
	rcn_date as_of;
	int age[RCN_AGE_MEMO]; /* age[k]: of first_seen = as_of - k; -1 not yet known */
} rcn_age_memo;
void rcn_age_memo_init(rcn_age_memo *m, const rcn_calendar *cal, rcn_date as_of);
int rcn_age_memo_get(rcn_age_memo *m, rcn_date first_seen);

/* The book's order (rcn_items_sort) as two numbers: the item's place by
 * overdue, due_by and first_seen; then its id's first 8 bytes, which
 * compare as strcmp does (the id itself breaks a tie). */
uint64_t rcn_items_book_key(bool overdue, rcn_date due_by, rcn_date first_seen);
uint64_t rcn_items_book_id8(const char *id);

/* Two items in the book's order by those numbers: -1, 1, or 0 when the ids
 * themselves must decide (every sort of items in that order asks this first,
 * so that a night's page, the book and the new items agree). */
static inline int rcn_items_book_cmp(uint64_t key_a, uint64_t id8_a, uint64_t key_b, uint64_t id8_b)
{
	if (key_a != key_b)
		return key_a < key_b ? -1 : 1;
	if (id8_a != id8_b)
		return id8_a < id8_b ? -1 : 1;
	return 0;
}

/* Whether to keep an item just read (its age and overdue set); the caller's
 * extra columns start at column `col` of row `row`. */
typedef bool (*rcn_item_keep_fn)(void *ctx, const rcn_open_item *it, const PGresult *res, int row, int col);

/* SELECT <the item columns>[, extra_columns (n_extra of them)] <from>
 * ("FROM recon_items ...", "FROM recon_register ...": the columns unqualified are the items'),
 * each row an rcn_open_item aged as of as_of, appended to out when keep
 * (may be NULL) says so. Unsorted. */
rcn_rc rcn_items_select(rcn_db *db, const char *extra_columns, int n_extra, const char *from, int n_params,
			const char *const *params, const rcn_calendar *cal, rcn_date as_of, rcn_item_keep_fn keep,
			void *ctx, rcn_item_list *out, rcn_err *err);

/* A read of rows and parts as of one moment (an item taken meanwhile is in
 * one or the other): a REPEATABLE READ, READ ONLY transaction when the
 * connection is outside one (*own set), else the caller's. _end commits it
 * (or rolls back after rc's failure) and returns rc, or the commit's failure. */
rcn_rc rcn_items_snapshot_begin(rcn_db *db, bool *own, rcn_err *err);
rcn_rc rcn_items_snapshot_end(rcn_db *db, bool own, rcn_rc rc, rcn_err *err);

/* "{a,b}" for a text[] parameter, of words that need no quoting (canonical
 * ids are base32, statuses plain words). */
void rcn_items_text_array(rcn_buf *b, const char *const *v, size_t n);

/* An unworked item as its part gives it (src/items/parts.c): open, its
 * night's dates, aged as of the reader's date; its key, when its night opened
 * it (UTC), and the amounts as the night found them. Text in the arena. */
typedef struct {
	rcn_open_item it;
	const char *key, *opened_at;
	bool has_ledger_amount, has_channel_amount;
	int64_t ledger_amount, channel_amount;
} rcn_unworked;
typedef void (*rcn_unworked_fn)(void *ctx, const rcn_unworked *u);
/* Every unworked item, part after part (single-row mode: one part's text in
 * memory at a time), to fn; a damaged part is RCN_EDB naming it. */
rcn_rc rcn_items_unworked_read(rcn_db *db, rcn_arena *arena, const rcn_calendar *cal, rcn_date as_of,
			       rcn_unworked_fn fn, void *ctx, rcn_err *err);

/* rcn_items_load's halves: the worked items (recon_items) the filter
 * selects, appended to out; whether it wants unworked ones at all, and
 * whether it keeps one (ids: rcn_items_filter_ids's map of f->ids). */
rcn_rc rcn_items_load_worked(rcn_db *db, const rcn_items_filter *f, const rcn_calendar *cal, rcn_item_list *out,
			     rcn_err *err);
bool rcn_items_filter_wants_unworked(const rcn_items_filter *f);
/* The kind named so; RCN_K__COUNT when none is. */
rcn_kind rcn_items_kind_of(const char *name);
void rcn_items_filter_ids(const rcn_items_filter *f, rcn_strmap *ids);
bool rcn_items_filter_keeps_unworked(const rcn_items_filter *f, const rcn_strmap *ids, const rcn_open_item *it);
/* The unworked items of the one part whose generation is gen, as
 * rcn_items_unworked_read gives them; *found false when it is gone. */
rcn_rc rcn_items_unworked_read_gen(rcn_db *db, int64_t gen, rcn_arena *arena, const rcn_calendar *cal, rcn_date as_of,
				   rcn_unworked_fn fn, void *ctx, bool *found, rcn_err *err);

/* A set of items' closed ones in brief (src/items/closed.c): what a page
 * of a night's items needs to filter, count and order them without their
 * rows. Text (ids, channels, merchants, owners) at offsets into text. */
typedef struct {
	uint64_t key, id8; /* rcn_items_book_key, rcn_items_book_id8 */
	int64_t fen;	   /* |difference_fen|, saturated; 0 for none */
	uint32_t id, channel, merchant, owner;
	uint8_t status, kind;
} rcn_closed_brief;
typedef struct {
	uint64_t ids_key[3]; /* rcn_closed_ids_key of the ids it was read for */
	rcn_closed_brief *v;
	size_t n, cap;
	char *text;
	size_t text_len, text_cap;
	size_t bytes; /* what it holds in all */
} rcn_closed_set;
/* A set of ids as three numbers (two sums of hashes, the count): the same
 * for the same ids in any order. */
void rcn_closed_ids_key(const char *const *ids, size_t n, uint64_t key[3]);
/* The closed ones among ids (canonical), read in the caller's snapshot;
 * is_open(ctx, id) says whether an id is open (in the book) when its row
 * did not come with the ranges. */
rcn_rc rcn_closed_set_read(rcn_db *db, const char *const *ids, size_t n, bool (*is_open)(void *, const char *),
			   void *ctx, rcn_closed_set **out, rcn_err *err);
/* Whether f (its statuses, kinds, channel, merchant, owner, overdue) keeps
 * b; f->statuses 0 keeps none (open and acknowledged only). */
bool rcn_closed_keeps(const rcn_closed_set *s, const rcn_closed_brief *b, const rcn_items_filter *f);
void rcn_closed_set_free(rcn_closed_set *s);

#endif
