/* Sorted runs of findings on disk, and their merge: the way a night in parts
 * lets its findings leave memory (docs/internals/shards.md, "Bounded
 * memory"; the sink's passes, recon/findings.h, walk it). A run is one part's findings in report
 * order (rcn_findings_cmp), written as packed records (recon/pack.h); the
 * merge of the runs gives every finding in report order again — the same
 * order as one sorted list, ties in run order — one at a time, so a pass
 * over a night's findings holds one finding a run. A pass is one merge:
 * open it again for the next pass. */
#ifndef RECON_FINDINGS_RUN_H
#define RECON_FINDINGS_RUN_H

#include "recon/finding.h"

/* Where each kind's findings start in a run (at[RCN_K__COUNT]: its end), so
 * that a pass over some kinds reads only theirs. */
typedef struct {
	uint64_t at[RCN_K__COUNT + 1];
} rcn_findings_run_index;

/* Writes n findings, in report order, to path (created, truncated), and
 * where each kind starts to *index (when not NULL): false (err naming the
 * file) when a write failed. Every field is kept. */
bool rcn_findings_run_write(const char *path, const rcn_finding *const *f, size_t n, rcn_findings_run_index *index,
			    rcn_err *err);

typedef struct rcn_findings_merge rcn_findings_merge;

/* Opens n runs for one pass, and the n_mem findings of mem (in report order,
 * borrowed) as one more run after them: NULL (err naming the file) when a
 * run cannot be read. */
rcn_findings_merge *rcn_findings_merge_open(const char *const *paths, size_t n, const rcn_finding *const *mem,
					    size_t n_mem, rcn_err *err);
/* A pass over some of it: the kinds first .. last only (index: the runs'
 * indexes, or NULL to read each from its start), in report order or, when
 * any_order, the runs one after another (for sums: no comparison made). */
typedef struct {
	const char *const *paths;
	const rcn_findings_run_index *index;
	size_t n;
	const rcn_finding *const *mem;
	size_t n_mem;
	rcn_kind first, last;
	bool any_order;
} rcn_findings_merge_spec;
rcn_findings_merge *rcn_findings_merge_open_spec(const rcn_findings_merge_spec *spec, rcn_err *err);
/* The next finding in report order, valid until the next call; NULL at the
 * end, or when a run is damaged (rcn_findings_merge_ok says which). */
const rcn_finding *rcn_findings_merge_next(rcn_findings_merge *m);
/* False (err naming the run) when a run was found damaged. */
bool rcn_findings_merge_ok(const rcn_findings_merge *m, rcn_err *err);
void rcn_findings_merge_close(rcn_findings_merge *m);

#endif
