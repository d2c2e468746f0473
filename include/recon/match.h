/* match: joins a date's statement rows with the ledger and classifies every
 * item on both sides as matched, a discrepancy, or pending (suspense). */
#ifndef RECON_MATCH_H
#define RECON_MATCH_H

#include "recon/common.h"
#include "recon/finding.h"
#include "recon/findings.h"
#include "recon/ledger_rows.h"
#include "recon/part.h"
#include "recon/record.h"
#include "recon/wire.h"

typedef struct rcn_match rcn_match;

/* One configured statement source as the matcher sees it (borrowed). */
typedef struct {
	const char *name;
	const char *channel;
	const char *merchant_id;
	const char *const *sub_merchants;
	size_t n_sub_merchants;
} rcn_match_source;

/* ---- the rules a matched item must also keep ----
 * The fee schedule and the auto-debit contracts are the rules' (src/rules/,
 * recon/rules.h): the pipeline hands the matcher their answers as this
 * interface, and the matcher asks it about each item it has matched. The
 * matcher never links the rules; without them (NULL) no fee is expected and
 * no order has a contract. */

/* A statement row as the fee schedule sees it. */
typedef struct {
	size_t source; /* index into the matcher's sources */
	const char *channel, *merchant_id, *product;
	rcn_time trade_at;
	rcn_rec_type type;
	bool ok;	      /* status SUCCESS: a failed row owes no fee */
	int64_t settle;	      /* fen */
	int64_t order_amount; /* a refund's order (fen) for a proportional fee, -1 when unknown */
} rcn_fee_row;

/* Rules that need every debit of a contract on the day (debit_day_flags). */
enum { RCN_DEBIT_TOO_MANY = 1, RCN_DEBIT_PAST_PERIOD = 2 };

/* A collected debit on the statement, matched to its ledger order. */
typedef struct {
	const char *order_no; /* the ledger order's */
	rcn_time at;	      /* the statement's trade time */
	int64_t amount;	      /* fen */
	uint8_t day_flags;    /* debit_day_flags */
} rcn_debit;

/* Room for the longest detail (a 60-byte id and two durations). */
#define RCN_DEBIT_DETAIL 320

typedef struct {
	rcn_kind kind;	    /* the gravest rule broken; RCN_K__COUNT when it keeps them all */
	const char *reason; /* static, "" when kept */
	char detail[RCN_DEBIT_DETAIL];
	bool above_average; /* above 200% of the contract's average, whatever kind was found */
} rcn_debit_verdict;

typedef struct {
	void *ctx;
	/* The fee the row should carry (1e-5 yuan); false when no rule applies. */
	bool (*expected_fee)(void *ctx, const rcn_fee_row *r, int64_t *fee);
	/* Where that fee comes from, for a finding: "rules/fees.csv line 4: 0.6000%". */
	void (*fee_basis)(void *ctx, const rcn_fee_row *r, char *out, size_t n);
	/* The index of the contract with this id, or -1 (and -1 for every id when there are none). */
	int32_t (*contract)(void *ctx, const char *contract_id);
	/* RCN_DEBIT_* of the nth (1-based, in time order) collected debit of contract c on the day. */
	uint8_t (*debit_day_flags)(void *ctx, int32_t c, long nth);
	/* Checks debit d of contract c on business date day. */
	void (*check_debit)(void *ctx, rcn_date day, int32_t c, const rcn_debit *d, rcn_debit_verdict *out);
} rcn_match_rules;

/* sum += t, every count and amount (the strings and side stay sum's). rcn_tally
 * is in recon/finding.h, for the reports; the matcher makes the tallies. */
void rcn_tally_add(rcn_tally *sum, const rcn_tally *t);

/* Key lists for ledger rows outside the window (borrowed from the matcher). */
typedef struct {
	const char **order_nos;
	size_t n_order_nos;
	const char **txn_ids;
	size_t n_txn_ids;
	const char **refund_nos;
	size_t n_refund_nos;
	const char **refund_orders;
	size_t n_refund_orders;
} rcn_match_keys;

/* sources are borrowed and must outlive the matcher. */
rcn_match *rcn_match_new(rcn_date day, int carry_days, const rcn_match_source *sources, size_t n_sources);
void rcn_match_free(rcn_match *m);

/* Statement rows collected apart from the matcher, so sources can be parsed
 * on several threads at once (one batch per source, no shared state) and
 * merged in configuration order: the result does not depend on threads. */
typedef struct rcn_batch rcn_batch;
rcn_batch *rcn_batch_new(void);
/* Copies rec (strings included) into the batch. */
void rcn_batch_add(rcn_batch *b, const rcn_record *rec);
size_t rcn_batch_count(const rcn_batch *b);
/* Drops every row: a file found bad after some of its rows were added. */
void rcn_batch_clear(rcn_batch *b);
void rcn_batch_free(rcn_batch *b);

/* The batch's fund movements (fund-flow rows: not matched, they are the
 * settlement's), in input order, with source_name ""; their strings live as
 * long as the batch. */
const rcn_movement *rcn_batch_movements(const rcn_batch *b, size_t *n);

/* A fund movement as a parser would have given it (strings copied): the
 * merge's, read back from a shard's outcome. */
void rcn_batch_add_movement(rcn_batch *b, const rcn_movement *mv);

/* Statement side: moves the batch's rows into the matcher and frees the
 * batch (its movements with it: take them first). The rows are taken as
 * they are: with a part set (below), the batch holds that part's rows only
 * (the parse job keeps its part's, a night in parts spills the others). */
void rcn_match_add_batch(rcn_match *m, size_t source, rcn_batch *b);
/* One record at a time (copied; a movement is ignored): for tests and small callers. */
void rcn_match_add_record(rcn_match *m, size_t source, const rcn_record *rec);
/* A file or rows that could not be reconciled: counted as quarantined. */
void rcn_match_add_quarantine(rcn_match *m, size_t source, long rows, int64_t amount_fen);
/* The source's statement was rejected tonight: its ledger items stay pending. */
void rcn_match_source_rejected(rcn_match *m, size_t source);

/* Ledger side (views are copied). had_prior_run: a run of day-1 exists, so
 * ledger orders of earlier days that are not in its suspense were reconciled. */
void rcn_match_add_order(rcn_match *m, const rcn_ledger_order *o);
void rcn_match_add_refund(rcn_match *m, const rcn_ledger_refund *r);
void rcn_match_add_suspense(rcn_match *m, const rcn_finding *f);
void rcn_match_set_prior_run(rcn_match *m, bool had_prior_run);
/* Threads rcn_match_run may use (default 1); the results are the same for any number. */
void rcn_match_set_threads(rcn_match *m, int threads);
/* The rules' answers (borrowed; set before rcn_match_prepare). */
void rcn_match_set_rules(rcn_match *m, const rcn_match_rules *rules);
/* The auto-debit contract (委托代扣) ids the loaded orders name, for the rules
 * to load (borrowed from the matcher). */
void rcn_match_contract_ids(rcn_match *m, const char *const **ids, size_t *n);

/* Marks the ledger rows added from now on as found by key lookup (not expected today). */
void rcn_match_begin_lookup(rcn_match *m);

/* Keys of statement rows that the loaded ledger window does not hold. */
void rcn_match_missing_keys(rcn_match *m, rcn_match_keys *out);
/* The same keys found a part at a time, so the first can be looked up while
 * the scan goes on: rcn_match_scan_orders scans until `want` more order
 * numbers are missing (or to the end) and hands them out (valid until the
 * next call; 0 at the end); rcn_match_scan_end finishes the scan, gives every
 * list (order numbers included, handed out or not) as rcn_match_missing_keys
 * does, and frees the scan. Ledger rows must not be added in between: the
 * scan tells what the ledger rows loaded before it lack. */
typedef struct rcn_match_scan rcn_match_scan;
rcn_match_scan *rcn_match_scan_new(rcn_match *m);
size_t rcn_match_scan_orders(rcn_match_scan *s, size_t want, const char *const **keys);
void rcn_match_scan_end(rcn_match_scan *s, rcn_match_keys *out);

/* The statement side's own groundwork (which rows repeat an earlier row's
 * transaction, the payments' expected fees): touches only the statement rows,
 * the tallies and the fee sums, never the ledger rows or the arena, so it may
 * run on another thread while rcn_match_missing_keys and the lookups add
 * ledger rows. Statement rows added afterwards are handled by rcn_match_run.
 * Optional; calling it again only does the rows added since. */
void rcn_match_prepare(rcn_match *m);
/* Where the matcher puts its findings (discrepancies and pending items):
 * the night's findings sink, which hands them to its subscribers while
 * rcn_match_run runs and keeps them for the reports (recon/findings.h).
 * Borrowed; set it before rcn_match_run. Without one the matcher puts them
 * into a sink of its own (rcn_match_findings reads it). */
void rcn_match_set_sink(rcn_match *m, rcn_findings *sink);
/* Classifies everything. Afterwards the tallies (sorted by channel, merchant,
 * side) and the notes are available, and every finding is in the sink. */
void rcn_match_run(rcn_match *m);
/* The findings of the matcher's sink in report order (kind, channel,
 * order_no, refund_no, channel_txn_id, source): for tests and small callers. */
const rcn_finding *const *rcn_match_findings(const rcn_match *m, size_t *n);
const rcn_tally *rcn_match_tallies(const rcn_match *m, size_t *n);
/* After rcn_match_run and the rules that read the matcher (its fee sums):
 * hands back the statement rows, the ledger orders and refunds and their
 * indexes, on another thread when rcn_match_set_threads allows, so the
 * reports are written without them in memory. What the night still reads
 * stays: tallies, notes, the findings and their strings, the fee sums, the
 * counts. Nothing may be added or run afterwards. */
void rcn_match_release(rcn_match *m);

/* Evidence for items found on earlier nights (the open-items register),
 * asked after rcn_match_run and before rcn_match_release. A successful
 * statement row of tonight (carried rows are not new evidence); strings live
 * as long as the matcher's rows. */
typedef struct {
	rcn_rec_type rec_type;
	const char *channel, *order_no, *refund_no, *channel_txn_id, *channel_refund_id;
	int64_t amount;	 /* fen */
	const char *src; /* "file:line" */
} rcn_match_seen;
/* fn for every such row that tonight's matching tied to one of the ledger's
 * orders / refunds with these numbers (the ledger's numbers are in s). */
void rcn_match_each_seen(rcn_match *m, const char *const *order_nos, size_t n_orders, const char *const *refund_nos,
			 size_t n_refunds, void (*fn)(void *ctx, const rcn_match_seen *s), void *ctx);
/* The ledger's order / refund by its number as loaded tonight (the window or
 * the lookups): its status and amount; false when not loaded. */
bool rcn_match_ledger_order(const rcn_match *m, const char *order_no, const char **status, int64_t *amount);
bool rcn_match_ledger_refund(const rcn_match *m, const char *refund_no, const char **status, int64_t *amount);
long rcn_match_discrepancy_count(const rcn_match *m);

/* A source's statement rows that a fee rule applies to: the channel's fee
 * total and the schedule's (1e-5 yuan); rejected: its statement was. The
 * reported_ sums are those of its rows whose fee was reported singly
 * (FEE_MISMATCH rate, tonight's rows only): what is left, the residual, is
 * what a finding of the file's total carries. */
typedef struct {
	int64_t channel, expected;
	long rows;
	int64_t reported_channel, reported_expected;
	long reported_rows;
	bool rejected;
} rcn_match_fee_total;
rcn_match_fee_total rcn_match_source_fees(const rcn_match *m, size_t source);

/* Matched items worth a remark (a ledger order paid through another channel
 * than it names): kind RCN_K__COUNT, in report order. */
const rcn_finding *const *rcn_match_notes(const rcn_match *m, size_t *n);
/* Channel rows that came from the previous date's suspense rather than a file. */
long rcn_match_carried_rows(const rcn_match *m);

/* ---- one part of a night (recon run --shard I/N, recon merge; recon/part.h) ----
 * With a part set, statement records (rcn_match_add_record) and carried
 * suspense of other parts are dropped as they are added (a batch comes
 * filtered; the ledger window is filtered in the server),
 * and a shard counts no quarantined file (the merge counts each once).
 * Borrowed; set before the first row. */
void rcn_match_set_part(rcn_match *m, const rcn_part_plan *part);
/* After rcn_match_run: what the night's later stages read of the matcher —
 * the findings of sink (the matcher's), notes, tallies, per-source fee sums,
 * carried rows — appended to b (recon/wire.h). */
void rcn_match_export(const rcn_match *m, rcn_findings *sink, rcn_buf *b);
/* The merge: adds one part's outcome read from w to a matcher that has run
 * (on no rows of its own) and its findings to sink; strings are borrowed
 * from w's bytes, which must outlive both. False when the bytes are damaged
 * or come from other sources. Then rcn_match_imported, once, puts the
 * tallies and notes in order. */
bool rcn_match_import(rcn_match *m, rcn_findings *sink, rcn_wire *w);
void rcn_match_imported(rcn_match *m);

#endif
