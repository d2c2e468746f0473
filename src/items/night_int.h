/* Private to src/items: a night's state on the register (night.c reads and
 * gathers evidence, assign.c decides, store.c writes). */
#ifndef RECON_ITEMS_NIGHT_INT_H
#define RECON_ITEMS_NIGHT_INT_H

#include "items/items_int.h"
#include "recon/match.h"
#include "recon/pack.h"

/* What an open item waits for before a night closes it on its own. */
enum { NEED_CHANNEL = 1, NEED_LEDGER = 2 };

/* What tonight does to an item. */
typedef enum {
	OP_NONE,     /* untouched */
	OP_SAME,     /* found again by the date's re-run, nothing changed: nothing to write */
	OP_NEW,	     /* opened tonight */
	OP_FOUND,    /* found again: the finding's fields, the dates */
	OP_REOPEN,   /* a withdrawn item found again */
	OP_CLOSE,    /* auto_closed by tonight's evidence */
	OP_WITHDRAW, /* only the date's last run had found it, and this run does not */
} item_op;

/* One item's night, beside list.v[i]. */
typedef struct {
	const char *key;
	bool loaded;	   /* in the register before tonight */
	bool linked_today; /* the date's previous run found it */
	bool linked_other; /* another date's run found it */
	bool drop_link;	   /* linked today, not found tonight, and its account reconciled whole */
	uint8_t needs, have;
	item_op op;
	rcn_item_status from; /* before tonight */
	const rcn_finding *f; /* tonight's finding, when found */
	/* an item nobody has worked: kept in its night's parts (recon_item_unworked), not a row */
	bool unworked;
	rcn_date unworked_on;  /* the night whose parts hold it */
	const char *opened_at; /* when that night opened it (UTC, "YYYY-MM-DD HH:MM:SS+00") */
	bool has_ledger_amount, has_channel_amount;
	int64_t ledger_amount, channel_amount; /* as that night found them */
	const char *channel_evidence, *ledger_evidence;
} nstate;

struct rcn_items_night {
	rcn_date day;
	char date_text[11];
	char actor[40]; /* "recon run YYYY-MM-DD" */
	const rcn_calendar *cal;
	rcn_item_list list; /* loaded, then tonight's new items */
	nstate *st;
	size_t cap_st;
	rcn_strmap by_key;		    /* item_key -> index */
	rcn_strmap want_order, want_refund; /* evidence keys -> index */
	const char **ledger_orders, **ledger_refunds;
	size_t n_ledger_orders, n_ledger_refunds, cap_lo, cap_lr;
	rcn_strmap covered; /* "channel\x1fmerchant_id" of the accounts reconciled whole */
	bool cover_all;
	bool dry_run;	     /* nothing will be stored: new items get no id */
	char *parts_read;    /* the date's parts as the night read them: "part:gen;..." */
	bool parts_changed;  /* and someone wrote them since (store.c) */
	bool any_closed;     /* the register held a closed item when the night read it */
	rcn_open_item *book; /* the book's items the register held (the new ones: below), in its order */
	rcn_open_book summary;
	uint32_t *item_of; /* tonight's findings in report order: the item each one is (below), or UINT32_MAX */
	/* tonight's new items (newitems.c): not in list, but packed records in
	 * memory or, new_path set, in a file; new item j's id is first_seq + j */
	rcn_pack_out new_out;
	char *new_path;
	size_t n_new, cap_new_at, cap_new_book;
	uint64_t *new_at;	  /* where each one's record starts */
	struct new_key *new_book; /* the new items in the book's order */
	int64_t first_seq;	  /* 0: none (a dry run numbers nothing) */
	int new_age;		  /* their age as of the date */
	long new_overdue;	  /* of them, overdue; and the sums of |difference_fen| */
	int64_t new_open_fen, new_overdue_fen;
};

/* item_of: a new item's number j, or an index of list. */
#define ITEM_NEW ((uint32_t)1 << 31)

/* A new item's place in the book (rcn_items_book_key, the id's first 8 bytes) and number. */
typedef struct new_key {
	uint64_t key, id8;
	uint32_t j;
} new_key;

/* A new item read back: the item, and what the store writes beside it. */
typedef struct {
	rcn_open_item it;
	const char *key;
	bool has_ledger_amount, has_channel_amount;
	int64_t ledger_amount, channel_amount;
} rcn_new_item;

/* newitems.c. Before the findings are assigned: new items start (in memory,
 * or in a file under rcn_items_night_scratch's directory). */
void rcn_items_new_start(rcn_items_night *n);
/* Finding f (in report order) is a new item with this key. */
void rcn_items_new_add(rcn_items_night *n, const rcn_finding *f, const char *key);
/* Every new item is in: their records written out (false, err, when they
 * could not be), numbered from first_seq (0: none), put in the book's order. */
bool rcn_items_new_finish(rcn_items_night *n, int64_t first_seq, rcn_err *err);
/* New item j's id ("" when it has none). */
void rcn_items_new_id(const rcn_items_night *n, size_t j, char out[RCN_ITEM_ID_MAX]);
/* Reading them back (any order; in order, block by block): open, then
 * read item j into out (its text valid until the next read); false when the
 * records cannot be read. Close with rcn_pack_in_close. */
bool rcn_items_new_open(const rcn_items_night *n, rcn_pack_in *in);
bool rcn_items_new_read(const rcn_items_night *n, rcn_pack_in *in, size_t j, rcn_new_item *out);
/* The book walks the held items and the new ones (summary.items NULL). */
void rcn_items_new_book(rcn_items_night *n);
void rcn_items_new_free(rcn_items_night *n);

/* rcn_items_select's keep for the night's reads of rows: the item's night
 * state beside it (the N_NIGHT_EXTRA columns of NIGHT_ROWS: item_key,
 * linked today, linked to another date). */
#define NIGHT_ROWS  "item_key, (id IN " NIGHT_TODAY ")::text, 'false'"
#define NIGHT_TODAY "(SELECT unnest(item_ids) FROM recon_item_nights WHERE business_date = $1::date)"
enum { N_NIGHT_EXTRA = 3 };
/* The date's parts and their generations, "part:gen;...": as read, and locked at the store. */
/* ... and whether the register holds any closed item (else no finding can be one found again). */
#define PARTS_READ_SQL                                                                                                 \
	"SELECT coalesce(string_agg(part || ':' || gen, ';' ORDER BY part), ''), EXISTS (SELECT 1 FROM recon_items "   \
	"WHERE status NOT IN ('open', 'acknowledged'))::text FROM recon_item_unworked WHERE business_date = $1::date"
#define PARTS_LOCK_SQL                                                                                                 \
	"SELECT coalesce(string_agg(part || ':' || gen, ';' ORDER BY part), '') FROM (SELECT part, gen FROM "          \
	"recon_item_unworked WHERE business_date = $1::date FOR UPDATE) p"
bool rcn_items_night_keep(void *ctx, const rcn_open_item *it, const PGresult *res, int row, int col);
/* The night state of the item about to be list.v[list.n] (key in the list's arena). */
nstate *rcn_items_night_state(rcn_items_night *n, const rcn_open_item *it, const char *key);
/* Whether key is the one an unworked entry may leave out: the kind and the
 * refund number ("KIND|r:R") or, without one, the order number ("KIND|o:O"). */
bool rcn_items_key_is_plain(const char *key, const char *kind, const char *refund_no, const char *order_no);
/* An empty night of the date (rcn_items_night_load reads it). */
rcn_items_night *rcn_items_night_new(rcn_date day, const rcn_calendar *cal);
/* Appends the unworked items of one part (text data, len bytes) of the
 * night `night` (parts.c; `part` names it in messages); an entry without
 * its own opening time was opened at the part's, opened_at. */
rcn_rc rcn_items_parts_parse(rcn_items_night *n, rcn_date night, const char *part, const char *opened_at,
			     const char *data, size_t len, rcn_err *err);
/* Appends every unworked item (parts.c): read and parsed here, not by the
 * server (its json reader costs several microseconds an item). */
rcn_rc rcn_items_parts_read(rcn_items_night *n, rcn_db *db, rcn_err *err);
/* Indexes list.v[from..] by key and by the numbers their evidence comes by. */
void rcn_items_night_index(rcn_items_night *n, size_t from);

/* Whether tonight reconciled the item's account whole (it may be withdrawn). */
bool rcn_items_night_covers(rcn_items_night *n, const rcn_open_item *it);

#endif
