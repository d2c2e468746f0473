/* The open-items register (issue 19, DESIGN.md §3 "Open items"), kept in
 * PostgreSQL (sql/recon_005_open_items.sql): recon_items, the items each
 * night found (recon_item_nights) and the append-only audit trail
 * (recon_item_events). A night moves items in its own transaction
 * (rcn_items_night_*); people move them with `recon items ...`. */
#ifndef RECON_ITEMS_H
#define RECON_ITEMS_H

#include "recon/calendar.h"
#include "recon/common.h"
#include "recon/db.h"
#include "recon/ledger_rows.h"
#include "recon/match.h"
#include "recon/openitem.h"

/* Business days from first_seen to as_of: the working days d with
 * first_seen < d <= as_of (0 on the day it was found). Without a calendar,
 * or outside the years it covers, Monday to Friday. */
int rcn_items_age(const rcn_calendar *cal, rcn_date first_seen, rcn_date as_of);

/* Which items to read. Zero fields select nothing out. */
typedef struct {
	unsigned statuses;	/* bit (1u << rcn_item_status) per status; 0: open and acknowledged */
	uint32_t kinds;		/* bit (1u << rcn_kind) per kind; 0: any */
	const char *channel;	/* NULL or "": any */
	bool overdue_only;	/* past due_by as of as_of, still open */
	int older_than;		/* age_days > older_than; < 0: any age */
	const char *const *ids; /* these items only (canonical ids); NULL: any */
	size_t n_ids;
	rcn_date as_of; /* ages and overdue as of this business date */
} rcn_items_filter;

/* Items read from the register, with an arena for their text. */
typedef struct {
	rcn_open_item *v;
	size_t n, cap;
	rcn_arena arena;
} rcn_item_list;

/* Reads the items the filter selects into out (appended), each with its
 * age_days and overdue as of f->as_of; sorted as the open book is
 * (rcn_items_sort). */
rcn_rc rcn_items_load(rcn_db *db, const rcn_items_filter *f, const rcn_calendar *cal, rcn_item_list *out, rcn_err *err);
void rcn_item_list_free(rcn_item_list *l);
/* Overdue first, then by due_by (none last), first_seen, id. */
void rcn_items_sort(rcn_open_item *v, size_t n);
/* The book's counts and sums over items (status open or acknowledged only). */
void rcn_items_count(const rcn_open_item *v, size_t n, rcn_open_book *book);

/* ---- the night (run.c's stages, in this order) ---- */
typedef struct rcn_items_night rcn_items_night;
/* Reads the open items, those the date's last run found and those closed
 * after the date; *out is set even on failure (free it). */
rcn_rc rcn_items_night_load(rcn_items_night **out, rcn_db *db, rcn_date day, const rcn_calendar *cal, rcn_err *err);
/* The orders and refunds whose ledger state could close an item: for a
 * lookup outside the window, answered through _ledger_order/_refund. */
void rcn_items_night_ledger_keys(const rcn_items_night *n, const char *const **orders, size_t *n_orders,
				 const char *const **refunds, size_t *n_refunds);
void rcn_items_night_ledger_order(rcn_items_night *n, const rcn_ledger_order *o);
void rcn_items_night_ledger_refund(rcn_items_night *n, const rcn_ledger_refund *r);
/* Tonight's statements and the ledger as the matcher loaded them (after
 * rcn_match_run, before rcn_match_release). */
void rcn_items_night_evidence(rcn_items_night *n, rcn_match *m);
/* The accounts (channel, merchant_id) whose statements tonight reconciled
 * whole: only their items may be withdrawn by a re-run (a run of some
 * channels, or one whose statement was rejected, cannot tell that an item of
 * another is gone). _cover_all: every source of the configuration did, so
 * cross-channel items ("*") too. Before _assign. */
void rcn_items_night_cover(rcn_items_night *n, const char *channel, const char *merchant_id);
void rcn_items_night_cover_all(rcn_items_night *n);
/* Tonight's findings (sorted, every one in: the rules' and the handling's
 * fields set) become items: found again, reopened or new (ids from the
 * register's sequence); sets each discrepancy's item_id. Then the items not
 * found: auto_closed by evidence, or withdrawn when only this date's last
 * run had found them. Builds the open book as of the date. */
rcn_rc rcn_items_night_assign(rcn_items_night *n, rcn_db *db, const rcn_finding *const *findings, size_t n_findings,
			      rcn_err *err);
const rcn_open_book *rcn_items_night_book(const rcn_items_night *n);
/* Writes tonight's decisions, events and the date's items, inside the
 * caller's open transaction on db (the run's). ctx is the night. */
rcn_rc rcn_items_night_store(void *ctx, rcn_db *db, rcn_err *err);
void rcn_items_night_free(rcn_items_night *n);

#endif
