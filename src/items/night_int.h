/* Private to src/items: a night's state on the register (night.c reads and
 * gathers evidence, assign.c decides, store.c writes). */
#ifndef RECON_ITEMS_NIGHT_INT_H
#define RECON_ITEMS_NIGHT_INT_H

#include "items/items_int.h"
#include "recon/match.h"

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
	bool dry_run;	    /* nothing will be stored: new items get no id */
	char *parts_read;   /* the date's parts as the night read them: "part:gen;..." */
	bool parts_changed; /* and someone wrote them since (store.c) */
	bool any_closed;    /* the register held a closed item when the night read it */
	rcn_open_item *book;
	rcn_open_book summary;
	uint32_t *item_of; /* tonight's findings in report order: the index of the item each one is, or UINT32_MAX */
};

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
