/* Tonight's new items (night_int.h): a night opens an item for nearly every
 * discrepancy it finds — millions on a large night — so they are not held
 * as items. Each is one packed record (recon/pack.h), in the findings' order,
 * which is the order of their ids: kept in memory, or in a file of its own
 * for a night in parts. In memory stay their offsets and, per item, its
 * place in the book (16 bytes). The book's walk merges them with the items
 * the register already held; the store reads them back in order.
 *
 *   assign ──rcn_items_new_add──► records (memory or <scratch>/items-new)
 *          └─ book keys ──sorted once numbered──► book walk (with n->book) ──► reports
 *   store ──rcn_items_new_read, in order──► the date's unworked parts */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "items/night_int.h"

enum { F_DIFFERENCE = 1, F_URGENT = 2, F_LEDGER_AMOUNT = 4, F_CHANNEL_AMOUNT = 8 };
enum { NEW_READ_BUF = 1 << 16 };

void rcn_items_night_scratch(rcn_items_night *n, const char *dir)
{
	free(n->new_path);
	n->new_path = NULL;
	if (dir) {
		size_t len = strlen(dir) + 16;
		n->new_path = rcn_xmalloc(len);
		snprintf(n->new_path, len, "%s/items-new", dir);
	}
}

void rcn_items_new_start(rcn_items_night *n)
{
	rcn_pack_out_free(&n->new_out);
	rcn_pack_out_init(&n->new_out, n->new_path); /* NULL: in memory */
	n->n_new = 0;
	n->first_seq = 0;
	n->new_overdue = 0;
	n->new_open_fen = n->new_overdue_fen = 0;
	rcn_age_memo *ages = rcn_xmalloc(sizeof(*ages));
	rcn_age_memo_init(ages, n->cal, n->day);
	n->new_age = rcn_age_memo_get(ages, n->day);
	free(ages);
}

void rcn_items_new_add(rcn_items_night *n, const rcn_finding *f, const char *key)
{
	int64_t diff = 0, fen = 0;
	int scale;
	bool has = rcn_finding_delta(f, &diff, &scale);
	if (!has)
		diff = 0;
	if (!rcn_finding_difference(f, &fen))
		fen = 0;
	rcn_xreserve((void **)&n->new_at, &n->cap_new_at, n->n_new + 1, sizeof(*n->new_at));
	rcn_xreserve((void **)&n->new_book, &n->cap_new_book, n->n_new + 1, sizeof(*n->new_book));
	n->new_at[n->n_new] = n->new_out.bytes;
	bool overdue = f->due_by && f->due_by < n->day; /* open, first seen tonight */
	n->new_book[n->n_new] = (new_key){rcn_items_book_key(overdue, f->due_by, n->day), 0, (uint32_t)n->n_new};
	n->n_new++;
	/* the book's counts (rcn_items_count's, for these) */
	int64_t abs_fen = fen < 0 ? -fen : fen;
	n->new_open_fen += abs_fen;
	if (overdue) {
		n->new_overdue++;
		n->new_overdue_fen += abs_fen;
	}
	rcn_pack_mark(&n->new_out); /* each record stands alone: the book reads them out of order */
	rcn_pack_rec r;
	rcn_pack_rec_init(&r);
	int64_t flags = (has ? F_DIFFERENCE : 0) | (f->urgent ? F_URGENT : 0) |
			(f->has_ledger_amount ? F_LEDGER_AMOUNT : 0) | (f->has_channel_amount ? F_CHANNEL_AMOUNT : 0);
	rcn_pack_int(&r, (int64_t)f->kind | (int64_t)f->rec_type << 8 | flags << 16);
	rcn_pack_int(&r, diff);
	rcn_pack_int(&r, fen);
	rcn_pack_int(&r, f->due_by);
	rcn_pack_int(&r, f->ledger_amount);
	rcn_pack_int(&r, f->channel_amount);
	const char *const text[] = {f->reason,
				    f->channel,
				    f->merchant_id,
				    f->order_no,
				    f->refund_no,
				    f->channel_txn_id,
				    f->channel_refund_id,
				    f->ledger_status,
				    f->channel_status,
				    f->source,
				    f->detail,
				    key};
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		rcn_pack_str(&r, text[i], false);
	rcn_pack_put(&n->new_out, &r);
}

static int new_order(const void *pa, const void *pb)
{
	const new_key *a = pa, *b = pb;
	int c = rcn_items_book_cmp(a->key, a->id8, b->key, b->id8);
	return c ? c : (a->j > b->j) - (a->j < b->j); /* (ids of more than 8 symbols: numbered in this order too) */
}

bool rcn_items_new_finish(rcn_items_night *n, int64_t first_seq, rcn_err *err)
{
	if (!rcn_pack_close(&n->new_out)) {
		rcn_err_set(err, RCN_EIO, n->new_path ? n->new_path : "", 0, "cannot write tonight's new items: %s",
			    strerror(n->new_out.err));
		return false;
	}
	n->first_seq = first_seq;
	for (size_t j = 0; j < n->n_new; j++) {
		char id[RCN_ITEM_ID_MAX] = "";
		if (first_seq)
			rcn_item_id_format(id, first_seq + (int64_t)n->new_book[j].j);
		n->new_book[j].id8 = rcn_items_book_id8(id);
	}
	if (n->n_new > 1)
		qsort(n->new_book, n->n_new, sizeof(*n->new_book), new_order);
	return true;
}

void rcn_items_new_id(const rcn_items_night *n, size_t j, char out[RCN_ITEM_ID_MAX])
{
	out[0] = '\0';
	if (n->first_seq)
		rcn_item_id_format(out, n->first_seq + (int64_t)j);
}

bool rcn_items_new_open(const rcn_items_night *n, rcn_pack_in *in)
{
	if (!n->new_path) {
		rcn_pack_in_open_mem(in, n->new_out.buf, n->new_out.len);
		return true;
	}
	if (n->n_new == 0) { /* (no record: no file) */
		rcn_pack_in_open_mem(in, "", 0);
		return true;
	}
	return rcn_pack_in_open_buf(in, n->new_path, NEW_READ_BUF);
}

bool rcn_items_new_read(const rcn_items_night *n, rcn_pack_in *in, size_t j, rcn_new_item *out)
{
	if (j >= n->n_new || (rcn_pack_in_offset(in) != n->new_at[j] && !rcn_pack_in_seek(in, n->new_at[j])) ||
	    !rcn_pack_next(in))
		return false;
	rcn_open_item *it = &out->it;
	memset(it, 0, sizeof(*it));
	int64_t head = rcn_pack_get_int(in), flags = head >> 16;
	it->kind = (rcn_kind)(head & 0xFF);
	it->rec_type = (rcn_rec_type)(head >> 8 & 0xFF);
	it->has_difference = flags & F_DIFFERENCE;
	it->urgent = flags & F_URGENT;
	it->difference = rcn_pack_get_int(in);
	it->difference_fen = rcn_pack_get_int(in);
	it->due_by = (rcn_date)rcn_pack_get_int(in);
	out->has_ledger_amount = flags & F_LEDGER_AMOUNT;
	out->has_channel_amount = flags & F_CHANNEL_AMOUNT;
	out->ledger_amount = rcn_pack_get_int(in);
	out->channel_amount = rcn_pack_get_int(in);
	const char **text[] = {&it->reason,
			       &it->channel,
			       &it->merchant_id,
			       &it->order_no,
			       &it->refund_no,
			       &it->channel_txn_id,
			       &it->channel_refund_id,
			       &it->ledger_status,
			       &it->channel_status,
			       &it->source,
			       &it->detail,
			       &out->key};
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		*text[i] = rcn_pack_get_str(in, false);
	if (!rcn_pack_done(in) || it->kind >= RCN_K_PENDING)
		return false;
	rcn_items_new_id(n, j, it->id);
	it->first_seen = it->last_seen = n->day;
	it->age_days = n->new_age;
	it->overdue = it->due_by && it->due_by < n->day;
	it->status = RCN_IS_OPEN;
	it->owner = it->note = it->evidence = it->approval_by = "";
	it->changed_by = n->actor;
	it->last_change = n->date_text;
	return true;
}

/* ---- the book: the items held, and the new ones, in the book's order ---- */

struct rcn_book_walk {
	const rcn_items_night *n;
	size_t held, fresh; /* the next of n->book, of n->new_book */
	rcn_pack_in in;
	rcn_new_item item;
	bool bad;
};

static rcn_book_walk *walk_open(const void *ctx)
{
	const rcn_items_night *n = ctx;
	rcn_book_walk *w = rcn_xcalloc(1, sizeof *w);
	w->n = n;
	if (!rcn_items_new_open(n, &w->in))
		w->bad = true;
	return w;
}

/* Whether the held item comes before the new item k in the book. */
static bool held_first(const rcn_items_night *n, const rcn_open_item *it, const new_key *k)
{
	uint64_t key = rcn_items_book_key(it->overdue, it->due_by, it->first_seen);
	if (key != k->key)
		return key < k->key;
	uint64_t id8 = rcn_items_book_id8(it->id);
	if (id8 != k->id8)
		return id8 < k->id8;
	char id[RCN_ITEM_ID_MAX];
	rcn_items_new_id(n, k->j, id);
	return strcmp(it->id, id) <= 0;
}

static const rcn_open_item *walk_next(rcn_book_walk *w)
{
	const rcn_items_night *n = w->n;
	size_t n_held = n->summary.n - n->n_new;
	if (w->held < n_held &&
	    (w->fresh >= n->n_new || w->bad || held_first(n, &n->book[w->held], &n->new_book[w->fresh])))
		return &n->book[w->held++];
	if (w->fresh >= n->n_new || w->bad)
		return NULL;
	if (!rcn_items_new_read(n, &w->in, n->new_book[w->fresh++].j, &w->item)) {
		w->bad = true; /* our own records: a bug or a disk gone bad; the walk ends */
		return NULL;
	}
	return &w->item.it;
}

static void walk_close(rcn_book_walk *w)
{
	rcn_pack_in_close(&w->in);
	free(w);
}

void rcn_items_new_book(rcn_items_night *n)
{
	rcn_open_book *b = &n->summary;
	b->items = NULL;
	b->walk_open = walk_open;
	b->walk_next = walk_next;
	b->walk_close = walk_close;
	b->walk_ctx = n;
}

void rcn_items_new_free(rcn_items_night *n)
{
	rcn_pack_out_free(&n->new_out);
	free(n->new_path);
	free(n->new_at);
	free(n->new_book);
}
