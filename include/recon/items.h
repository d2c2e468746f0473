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
#include "recon/findings.h"
#include "recon/ledger_rows.h"
#include "recon/match.h"
#include "recon/openitem.h"

/* Business days from first_seen to as_of: the working days d with
 * first_seen < d <= as_of (0 on the day it was found). Without a calendar,
 * or outside the years it covers, Monday to Friday. */
int rcn_items_age(const rcn_calendar *cal, rcn_date first_seen, rcn_date as_of);

/* Which items to read. Zero fields select nothing out. */
typedef struct {
	unsigned statuses;	 /* bit (1u << rcn_item_status) per status; 0: open and acknowledged (with ids: any) */
	uint32_t kinds;		 /* bit (1u << rcn_kind) per kind; 0: any */
	const char *channel;	 /* NULL or "": any */
	const char *merchant_id; /* NULL or "": any */
	const char *owner;	 /* NULL: any; "": nobody's */
	/* NULL or "": any; else the merchant order number, refund number,
	 * channel transaction id or channel refund id is this */
	const char *number;
	bool overdue_only; /* past due_by as of as_of, still open */
	int older_than;	   /* age_days > older_than; < 0: any age */
	bool has_at_most;  /* and age_days <= at_most */
	int at_most;
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
/* A shard's evidence (recon run --shard): every item its part of the night
 * gave evidence, appended to b (recon/wire.h). The merge adds each part's to
 * the items it read (strings borrowed from w's bytes); false when damaged. */
void rcn_items_night_export_evidence(const rcn_items_night *n, rcn_buf *b);
bool rcn_items_night_import_evidence(rcn_items_night *n, rcn_wire *w);
/* The accounts (channel, merchant_id) whose statements tonight reconciled
 * whole: only their items may be withdrawn by a re-run (a run of some
 * channels, or one whose statement was rejected, cannot tell that an item of
 * another is gone). _cover_all: every source of the configuration did, so
 * cross-channel items ("*") too. Before _assign. */
void rcn_items_night_cover(rcn_items_night *n, const char *channel, const char *merchant_id);
void rcn_items_night_cover_all(rcn_items_night *n);
/* A dry run: nothing will be stored, so tonight's new items get no id (the
 * reports show them without one). */
void rcn_items_night_dry_run(rcn_items_night *n);
/* Tonight's new items are kept in a file under dir (a night in parts),
 * removed with it; without one (NULL, the default), in memory. */
void rcn_items_night_scratch(rcn_items_night *n, const char *dir);
/* Tonight's findings (sorted, every one in: the rules' and the handling's
 * fields set) become items: found again, reopened or new (ids from the
 * register's sequence); sets each discrepancy's item_id. Then the items not
 * found: auto_closed by evidence, or withdrawn when only this date's last
 * run had found them. Builds the open book as of the date. */
rcn_rc rcn_items_night_assign(rcn_items_night *n, rcn_db *db, rcn_findings *findings, rcn_err *err);
const rcn_open_book *rcn_items_night_book(const rcn_items_night *n);
/* Writes tonight's decisions, events and the date's items, inside the
 * caller's open transaction on db (the run's). ctx is the night. */
rcn_rc rcn_items_night_store(void *ctx, rcn_db *db, rcn_err *err);
void rcn_items_night_free(rcn_items_night *n);

/* ---- the commands: people moving items (recon items resolve, approve,
 * import, history) ---- */

/* Shows the register's times (changed_at, the events' at) in time zone tz
 * on this connection, as ISO text (DateStyle ISO, YMD, whatever the server's). */
rcn_rc rcn_items_set_zone(rcn_db *db, const char *tz, rcn_err *err);
/* The latest business date that has a run, or -1 when none. */
rcn_rc rcn_items_last_date(rcn_db *db, rcn_date *out, rcn_err *err);

/* One person's change of one item. NULL fields stay as they are. */
typedef struct {
	const char *id;	    /* as typed or read (rcn_item_id_parse makes it canonical) */
	const char *status; /* a status word ("resolved") or its Chinese ("已解决") */
	const char *owner;
	const char *note;
	/* import: the row's last_change ("YYYY-MM-DD HH:MM:SS" in the zone), NULL or "" when unknown */
	const char *last_change;
	const char *file; /* where the change was read (messages: "FILE:LINE: ..."), NULL for the command line */
	long line;
} rcn_item_change;

/* Who changes items, and the rules they work under. */
typedef struct {
	const char *by;		       /* the person */
	rcn_date as_of;		       /* the business date a close is recorded on (closed_on) */
	int64_t writeoff_approval_fen; /* a write-off of more than this |difference| waits for a second person */
	/* rows of an edited open_items.csv: a row that says what the item already
	 * is changes nothing, and a row of an item that closed since the file was
	 * written is passed over when it changes nothing else; "open" on an
	 * acknowledged item is what the file said before someone took it; a
	 * row whose item a person changed after its last_change is refused */
	bool import;
} rcn_items_actor;

typedef enum {
	RCN_ITEM_CHANGED,	  /* status, owner or note changed */
	RCN_ITEM_AWAITS_APPROVAL, /* a write-off above the limit: asked, waits for a second person */
	RCN_ITEM_APPROVED,	  /* rcn_items_approve: written off */
	RCN_ITEM_UNCHANGED,	  /* it already was so */
	RCN_ITEM_PASSED_OVER,	  /* import: closed since the file was written, row changes nothing else */
} rcn_item_outcome;

/* What a change did to its item. */
typedef struct {
	char id[RCN_ITEM_ID_MAX];
	rcn_item_outcome outcome;
	rcn_item_status from, to; /* to: the status it has now */
	bool owner_changed, note_changed;
	int64_t difference_fen;
} rcn_item_done;

/* Applies the n changes in one transaction, all or nothing: the items are
 * locked (SELECT ... FOR UPDATE), each change is checked, then each item is
 * updated with one event appended (action status, note or owner;
 * approval_requested for a write-off that waits). Only open and acknowledged
 * items change; a person sets open, acknowledged, resolved or written_off,
 * and a close needs a note. Any change that breaks a rule is RCN_EUSAGE
 * naming its id (and file:line) and nothing is changed; a database failure
 * RCN_EDB. done (n entries) receives what happened to each change. The
 * connection must be outside a transaction. */
rcn_rc rcn_items_apply(rcn_db *db, const rcn_item_change *v, size_t n, const rcn_items_actor *a, rcn_item_done *done,
		       rcn_err *err);
/* A second person approves the write-off item id waits for: a->by must differ
 * from whoever asked. Written off as of a->as_of, event 'approved' (with note,
 * may be NULL). RCN_EUSAGE when the id is unknown, nothing waits, or the same
 * person approves. */
rcn_rc rcn_items_approve(rcn_db *db, const char *id, const char *note, const rcn_items_actor *a, rcn_item_done *done,
			 rcn_err *err);

/* One event of an item's history; strings live during the callback. */
typedef struct {
	const char *at; /* "YYYY-MM-DD HH:MM:SS" in the zone (rcn_items_set_zone) */
	const char *actor, *action, *from_status, *to_status, *owner, *note;
	const char *business_date; /* "" for a person's change */
	const char *evidence;
} rcn_item_event;

/* Every event of item id (canonical) in the order they were appended;
 * RCN_EUSAGE when there is no such item. */
rcn_rc rcn_items_history(rcn_db *db, const char *id, void (*fn)(void *ctx, const rcn_item_event *e), void *ctx,
			 rcn_err *err);

/* The changes an edited open_items.csv (UTF-8 with or without BOM, or the
 * GB18030 Excel saves) or the open-items sheet of a workbook (.xlsx: the
 * sheet whose name contains "open_items") asks for: one per row with an id,
 * columns found by their header (id, status, owner, note; others ignored),
 * each with the file and line (sheet row) it came from. A cell Excel would
 * have run as a formula comes back without the apostrophe the reports put
 * before it. Strings live in out's arena. */
typedef struct {
	rcn_item_change *v;
	size_t n, cap;
	rcn_arena arena;
} rcn_item_changes;
rcn_rc rcn_items_read_file(const char *path, rcn_item_changes *out, rcn_err *err);
/* The same from memory (a zip's magic bytes: a workbook, else CSV text);
 * label names the file in messages. */
rcn_rc rcn_items_read_mem(const char *label, const char *data, size_t n, rcn_item_changes *out, rcn_err *err);
void rcn_item_changes_free(rcn_item_changes *c);

/* ---- the register kept warm, for a reader that asks often (recon serve) ----
 * A part of the unworked items never changes under its generation (every
 * write of it takes a new one), so the cache reads each generation once:
 * a read fetches the list of parts, then only the parts written since,
 * and the worked items (recon_items) as the filter selects them, all in
 * one snapshot. Shared by threads; a view holds the parts it borrows. */
typedef struct rcn_items_cache rcn_items_cache;
typedef struct rcn_items_view rcn_items_view;
rcn_items_cache *rcn_items_cache_new(void);
void rcn_items_cache_free(rcn_items_cache *c);
/* What rcn_items_load would read (same filter, same order), from the
 * cache; *view (set even on failure) holds the items and keeps what they
 * borrow alive until rcn_items_view_free. A filter of open and
 * acknowledged items only (no ids, no number) is answered from the open
 * book, read again only when the register changed. */
rcn_rc rcn_items_cache_load(rcn_items_cache *c, rcn_db *db, const rcn_items_filter *f, const rcn_calendar *cal,
			    rcn_items_view **view, rcn_err *err);
/* What a filter keeps in all: how many, the sum of |difference_fen|, how
 * many overdue. */
typedef struct {
	long count, overdue;
	int64_t fen;
} rcn_items_totals;
/* One page of what a filter by ids keeps (a night's items), in the book's
 * order: items offset .. offset+limit-1 in the view, the totals of all. The
 * open ones come from the open book; the closed ones are counted and placed
 * from their brief (sort key, amount, what the filters ask: read once per
 * set of ids while the book is current, kept with it) and only the page's
 * rows read. No number or age filter (RCN_EUSAGE). */
rcn_rc rcn_items_cache_page(rcn_items_cache *c, rcn_db *db, const rcn_items_filter *f, const rcn_calendar *cal,
			    size_t offset, size_t limit, rcn_items_view **view, rcn_items_totals *tot, rcn_err *err);
/* The items the view holds, in the book's order (read only, shared). */
const rcn_open_item *const *rcn_items_view_items(const rcn_items_view *v, size_t *n);
void rcn_items_view_free(rcn_items_view *v);

#endif
