/* findings: the night's one findings sink. The matcher and the rules write
 * every discrepancy and pending item here; the sink hands each one, once and
 * complete, to its subscribers as it arrives (the results stream, which COPYs
 * them into the database while the night goes on) and, when the night's
 * stages are done, gives the reports the whole list in report order.
 *
 *   matcher ──put/flush──┐
 *   rules ───add─────────┼──► sink ──► subscribers (as they come)
 *                        │          └► rcn_findings_sorted: CSV, HTML, XLSX, alerts
 *
 * Not thread-safe: one thread writes (a shadow matcher on another thread
 * writes a sink of its own, appended afterwards with rcn_findings_append). */
#ifndef RECON_FINDINGS_H
#define RECON_FINDINGS_H

#include "recon/finding.h"

typedef struct rcn_findings rcn_findings;

/* A subscriber: gets n findings, each once and complete; the slice is valid
 * during the call only (the findings themselves live as long as the sink and
 * whoever made them). Runs on the writer's thread. */
typedef void (*rcn_findings_fn)(void *ctx, const rcn_finding *const *f, size_t n);

rcn_findings *rcn_findings_new(void);
void rcn_findings_free(rcn_findings *s);

/* Up to 4 subscribers; findings already handed out are not repeated. */
void rcn_findings_subscribe(rcn_findings *s, rcn_findings_fn fn, void *ctx);
void rcn_findings_unsubscribe(rcn_findings *s, rcn_findings_fn fn, void *ctx);

/* Adds f, borrowed: it must outlive the sink, and it may still be filled in
 * until the next rcn_findings_flush (the matcher's, in its arena). */
void rcn_findings_put(rcn_findings *s, rcn_finding *f);
/* Hands the findings put since the last flush to the subscribers once there
 * are at least `batch` of them (1: all of them). */
void rcn_findings_flush(rcn_findings *s, size_t batch);
/* Adds a copy of f (its strings too) and hands it out at once: for findings
 * made on the stack (the rules'). Returns the copy. */
const rcn_finding *rcn_findings_add(rcn_findings *s, const rcn_finding *f);
/* A copy of f in a (its text too when strings is true). */
rcn_finding *rcn_finding_dup(rcn_arena *a, const rcn_finding *f, bool strings);
/* Moves every finding of src behind dst's (in src's order) and the memory of
 * src's copies with them; src is left empty. */
void rcn_findings_append(rcn_findings *dst, rcn_findings *src);

/* Calls fn on every finding, in the order they were added, to fill in what
 * is decided after the night's findings are all in (the handling rules).
 * Subscribers have seen them already: fn may set only fields they do not
 * read (due_by, urgent, action_cn). The open-items register sets item_id
 * on the sorted findings (rcn_items_night_assign), before any report reads them. */
void rcn_findings_each(rcn_findings *s, void (*fn)(void *ctx, rcn_finding *f), void *ctx);

/* How many findings, and how many of them discrepancies (not pending). */
size_t rcn_findings_count(const rcn_findings *s);
long rcn_findings_discrepancies(const rcn_findings *s);
/* How many of each kind have been handed out (and written to runs). */
void rcn_findings_kinds(const rcn_findings *s, long out[RCN_K__COUNT]);
/* And the sum of their differences' magnitudes (rcn_finding_difference, in
 * fen: a fee's rounded away from zero), by kind. */
void rcn_findings_amounts(const rcn_findings *s, int64_t out[RCN_K__COUNT]);

/* A night too big for its memory (docs/internals/shards.md, "Bounded
 * memory") keeps its findings on disk: each part's, in report order, as a
 * sorted run (recon/findings_run.h). rcn_findings_add_run writes the n
 * findings f to a run at path (false, err naming it, when it cannot) and
 * counts them; they are not kept, and the slice subscribers are not given
 * them: the run subscribers are given the path (the results stream reads the
 * run back). The handling rules must have been applied to them already.
 * Tests: RECON_TEST_DAMAGE_FINDINGS=<i> cuts the first run from the i-th
 * on (from 0) that has findings short once it is written, before anyone
 * reads it. */
typedef void (*rcn_findings_run_fn)(void *ctx, const char *path);
void rcn_findings_subscribe_runs(rcn_findings *s, rcn_findings_run_fn fn, void *ctx);
void rcn_findings_unsubscribe_runs(rcn_findings *s, rcn_findings_run_fn fn, void *ctx);
bool rcn_findings_add_run(rcn_findings *s, const char *path, const rcn_finding *const *f, size_t n, rcn_err *err);
/* How many runs (0 when every finding is in memory), and the path of each. */
size_t rcn_findings_runs(const rcn_findings *s);
const char *rcn_findings_run_path(const rcn_findings *s, size_t i);

/* A pass: every finding once, in report order — the runs merged, those in
 * memory after them (ties in that order, as a stable sort of the parts'
 * findings one after another would give) — as a copy valid until the next
 * call, item_id set by the labeler when there is one. Open passes only once
 * rcn_findings_sorted has been called since the last finding was put: then
 * several may run at once, on several threads. A run found unreadable ends
 * the pass early; rcn_findings_ok then says so (the reports fail on it). */
typedef struct rcn_findings_pass rcn_findings_pass;
rcn_findings_pass *rcn_findings_pass_open(rcn_findings *s);
/* A pass over the kinds first .. last only (in report order: the kinds are
 * its first key), reading only theirs. */
rcn_findings_pass *rcn_findings_pass_open_kinds(rcn_findings *s, rcn_kind first, rcn_kind last);
/* A pass in no particular order, for sums: cheaper (no comparison), and
 * without item ids. */
rcn_findings_pass *rcn_findings_pass_open_any(rcn_findings *s);
const rcn_finding *rcn_findings_pass_next(rcn_findings_pass *p);
/* The position in report order of the finding handed out last (0 ..; not
 * for a pass in any order). */
size_t rcn_findings_pass_ordinal(const rcn_findings_pass *p);
void rcn_findings_pass_close(rcn_findings_pass *p);
/* False (err: the run and why) when a pass found a run unreadable. */
bool rcn_findings_ok(rcn_findings *s, rcn_err *err);
/* The item id of the finding at each position in report order (the
 * register's, rcn_items_night_assign), set on what passes hand out: id_of
 * returns it, or NULL, and may write it to buf (RCN_FINDINGS_ID_MAX bytes,
 * the pass's). */
#define RCN_FINDINGS_ID_MAX 32
void rcn_findings_label(rcn_findings *s, const char *(*id_of)(void *ctx, size_t ordinal, char *buf), void *ctx);

/* Every finding in report order (kind, channel, order_no, refund_no,
 * channel_txn_id, source, reason, side), flushed first; sorted again only
 * when something was added since the last call. */
const rcn_finding *const *rcn_findings_sorted(rcn_findings *s, size_t *n);
/* The report order itself, for lists of finding pointers (qsort). */
int rcn_findings_cmp(const void *a, const void *b);

#endif
