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

/* Every finding in report order (kind, channel, order_no, refund_no,
 * channel_txn_id, source, reason, side), flushed first; sorted again only
 * when something was added since the last call. */
const rcn_finding *const *rcn_findings_sorted(rcn_findings *s, size_t *n);
/* The report order itself, for lists of finding pointers (qsort). */
int rcn_findings_cmp(const void *a, const void *b);

#endif
