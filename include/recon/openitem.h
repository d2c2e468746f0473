/* Open items (issue 19, DESIGN.md §3 "Open items"): the plain data of the
 * register that outlives a night, as the reports and the commands read it.
 * The register itself (PostgreSQL, the night's changes, the commands) is
 * the items module's (recon/items.h). */
#ifndef RECON_OPENITEM_H
#define RECON_OPENITEM_H

#include "recon/common.h"
#include "recon/date.h"
#include "recon/finding.h"

/* In the order of the work: an item is open until someone or some night
 * takes it further. */
typedef enum {
	RCN_IS_OPEN,	     /* 未处理: found, nobody has taken it yet */
	RCN_IS_ACKNOWLEDGED, /* 处理中: someone owns it */
	RCN_IS_RESOLVED,     /* 已解决: a person settled it */
	RCN_IS_WRITTEN_OFF,  /* 已核销: a person wrote the money off (a second approves above the limit) */
	RCN_IS_AUTO_CLOSED,  /* 自动关闭: a later night's evidence settled it */
	RCN_IS_WITHDRAWN,    /* 已撤销: a re-run no longer finds it */
	RCN_IS__COUNT
} rcn_item_status;

const char *rcn_item_status_name(rcn_item_status s); /* "open" */
const char *rcn_item_status_cn(rcn_item_status s);   /* "未处理" */
/* "open", "acknowledged", ... (exactly, lower case); false for anything else. */
bool rcn_item_status_parse(const char *s, rcn_item_status *out);
/* open and acknowledged: the items still on someone's desk (the open book). */
bool rcn_item_status_is_open(rcn_item_status s);

/* An item's id: the register's sequence number in Crockford base32 (digits
 * and capitals without I, L, O, U), at least four symbols, then one check
 * symbol (mod 37) that catches a mistyped or swapped symbol. "0001Z"-like,
 * short enough to say on the phone. */
#define RCN_ITEM_ID_MAX 16
void rcn_item_id_format(char out[RCN_ITEM_ID_MAX], int64_t seq);
/* A typed id made canonical (upper case; I and L read as 1, O as 0; dashes
 * and spaces dropped) into out; false when it is not a well-formed id or its
 * check symbol does not match. */
bool rcn_item_id_parse(const char *typed, char out[RCN_ITEM_ID_MAX]);

/* One item as the reports and the commands show it. Text is never NULL ("" when
 * absent) and borrowed from whoever made the item (the register's arena). */
typedef struct {
	char id[RCN_ITEM_ID_MAX];
	rcn_kind kind;
	const char *reason;
	rcn_rec_type rec_type;
	const char *channel, *merchant_id, *order_no, *refund_no, *channel_txn_id, *channel_refund_id;
	const char *ledger_status, *channel_status;
	bool has_difference;
	int64_t difference;	/* the kind's scale: fen, 1e-5 yuan for FEE_MISMATCH (rcn_finding_delta) */
	int64_t difference_fen; /* the same in fen, a fee rounded away from zero (for sums) */
	const char *source, *detail;
	rcn_date first_seen, last_seen; /* business dates of the first and the latest run that found it */
	rcn_date due_by;		/* 0: no deadline */
	bool urgent;
	int age_days; /* business days from first_seen to the book's date (rcn_items_age) */
	bool overdue; /* still open past due_by as of the book's date */
	rcn_item_status status;
	const char *owner, *note;
	const char *changed_by;	 /* who changed it last: a person, or "recon run YYYY-MM-DD" */
	const char *last_change; /* when: "YYYY-MM-DD HH:MM:SS" in the zone */
	rcn_date closed_on;	 /* 0 while open */
	const char *evidence;	 /* what closed it (auto_closed: file:line or the ledger row) */
	const char *approval_by; /* a write-off waiting for a second person: who asked, else "" */
} rcn_open_item;

/* What the night did to the register, and the open book as of its date: every
 * item open or acknowledged, overdue first, then by due_by (none last), then
 * first_seen, then id. Counts and amounts (fen, difference_fen) cover the
 * open book; the night's moves count items. */
typedef struct rcn_book_walk rcn_book_walk;
typedef struct {
	rcn_date day;
	/* The n items of the book in its order; or, walk_open set (a night's
	 * book: tonight's new items are not held in memory), NULL: then walk
	 * them with a cursor (below). */
	const rcn_open_item *items;
	size_t n;
	rcn_book_walk *(*walk_open)(const void *ctx);
	const rcn_open_item *(*walk_next)(rcn_book_walk *w); /* valid until the next; NULL at the end */
	void (*walk_close)(rcn_book_walk *w);
	const void *walk_ctx;
	long open, overdue;		    /* items in the book; of them past due_by */
	int64_t open_fen, overdue_fen;	    /* sums of |difference_fen| */
	long opened, found_again, reopened; /* tonight: new items, items found again, withdrawn ones found again */
	long auto_closed, withdrawn;	    /* tonight: closed by evidence; withdrawn by this re-run */
} rcn_open_book;

/* One walk over a book in its order, whichever way it holds its items.
 * Several may run at once, on several threads. */
typedef struct {
	const rcn_open_book *b;
	size_t i;
	rcn_book_walk *w;
} rcn_book_cursor;
void rcn_book_cursor_open(rcn_book_cursor *c, const rcn_open_book *b); /* b may be NULL: an empty book */
const rcn_open_item *rcn_book_cursor_next(rcn_book_cursor *c);
void rcn_book_cursor_close(rcn_book_cursor *c);

/* An item's row of open_items.csv (the reports' and `recon items --format
 * csv`), as text: id, kind, kind_cn, reason, reason_cn, channel,
 * merchant_id, order_no, refund_no, channel_txn_id, difference (yuan; a fee
 * with 5 decimals; "" when none), first_seen, age_days, due_by, overdue
 * ("yes" or ""), status, status_cn, owner, note, last_change, changed_by,
 * awaiting_approval. Cells point into it or t. */
#define RCN_OPEN_ITEM_CELLS 22
typedef struct {
	char diff[32], first[11], age[16], due[11], awaiting[320];
} rcn_open_item_text;
void rcn_open_item_cells(const rcn_open_item *it, rcn_open_item_text *t, const char *cells[RCN_OPEN_ITEM_CELLS]);
/* Whether cell c is a number recon formatted (difference, age_days): written
 * as it is, never taken for a formula. */
bool rcn_open_item_cell_is_number(int c);

/* The book's age bands (the page and the workbook): 0–3, 4–7, 8–30, >30 business days. */
#define RCN_AGE_BANDS 4
int rcn_age_band(int age_days);
const char *rcn_age_band_label(int band); /* "0–3", "4–7", "8–30", ">30" */

#endif
