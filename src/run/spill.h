/* run: a night too big for its memory budget ([run] memory, --memory) is
 * reconciled in parts one after another (docs/internals/shards.md, "Bounded
 * memory"): the rows of every part but the first are written here as they
 * are parsed and as the ledger window streams in, one file per source and
 * part and one per part for the ledger, then read back part by part. The
 * files live under the spool and are removed when the night ends (and by the
 * next run of the date, after a kill). A failed write — a full disk — is
 * remembered and reported once, naming the file. */
#ifndef RECON_RUN_SPILL_H
#define RECON_RUN_SPILL_H

#include "recon/db.h"
#include "recon/record.h"

typedef struct rcn_spill rcn_spill;

/* Creates dir (a run's own; what a killed run left there is removed first). */
rcn_spill *rcn_spill_new(const char *dir, uint32_t parts, size_t n_src, rcn_err *err);
/* Writers: a source's rows from its parse thread (one thread per source),
 * the ledger's from one thread. Parts 1 .. parts-1. */
void rcn_spill_record(rcn_spill *s, size_t src, uint32_t part, const rcn_record *r);
void rcn_spill_order(rcn_spill *s, uint32_t part, const rcn_ledger_order *o);
void rcn_spill_refund(rcn_spill *s, uint32_t part, const rcn_ledger_refund *r);
/* Ends the writing: false (err: the file and why) when a write failed. */
bool rcn_spill_finish(rcn_spill *s, rcn_err *err);
/* Reads back, in the order written; the views are valid during the call.
 * Each file is read once: it is removed once read. */
bool rcn_spill_read_records(rcn_spill *s, size_t src, uint32_t part, void (*fn)(void *ctx, const rcn_record *r),
			    void *ctx, rcn_err *err);
bool rcn_spill_read_ledger(rcn_spill *s, uint32_t part, const rcn_ledger_sink *sink, rcn_err *err);
/* Tests only: RECON_TEST_DAMAGE_PART=<k> cuts the ledger file of part k,
 * or of the first part after it that has one, short once it is written, so
 * that reading it back fails. */
void rcn_spill_test_damage(rcn_spill *s);
/* The directory (a night in parts writes its runs of findings there too:
 * removed with it). */
const char *rcn_spill_dir(const rcn_spill *s);
/* How many records a part's file of a source's rows (src) or of the ledger
 * holds: what its reader may reserve room for. */
size_t rcn_spill_count_records(const rcn_spill *s, size_t src, uint32_t part);
size_t rcn_spill_count_ledger(const rcn_spill *s, uint32_t part);
/* Bytes written so far. */
uint64_t rcn_spill_bytes(const rcn_spill *s);
/* Removes every file and the directory, and frees. */
void rcn_spill_free(rcn_spill *s);

#endif
