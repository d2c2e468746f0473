/* libFuzzer target for the merge's reader of a shard's stored outcome
 * (src/match/shard.c, src/items/night.c, src/run/sources.c; recon/wire.h): the input as the
 * outcome's bytes once unpacked, and as stored (length + zlib,
 * rcn_run_unpack). Damaged bytes are refused, never a crash; what is read is
 * whole: every finding of a known kind and side, every string terminated. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "items/night_int.h"
#include "recon/match.h"
#include "run/night.h"
#include "run/sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const rcn_match_source SOURCES[] = {{.name = "wx-main", .channel = "wechat", .merchant_id = "1900000109"}};

static void check(void *ctx, const rcn_finding *const *f, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		if (f[i]->kind >= RCN_K__COUNT || (f[i]->side != RCN_SIDE_CHANNEL && f[i]->side != RCN_SIDE_LEDGER) ||
		    strlen(f[i]->order_no) > (size_t)1 << 30 || strlen(f[i]->detail) > (size_t)1 << 30)
			__builtin_trap();
}

static const rcn_source_conf CONF = {.name = "wx-main", .channel = "wechat", .merchant_id = "1900000109"};

/* The files' part (shard 0's account of the statements) into a job. */
static void read_sources(const void *p, size_t n)
{
	rcn_source_job job;
	rcn_source_job_init(&job, NULL, &CONF, 20514, NULL);
	rcn_wire w;
	rcn_wire_open(&w, p, n);
	if (rcn_source_job_import(&job, &w)) {
		if (job.res.format[sizeof job.res.format - 1] || strlen(job.input.verdict) > n)
			__builtin_trap();
	} else if (!w.bad) {
		__builtin_trap();
	}
	rcn_source_job_free(&job);
}

static void read_outcome(const uint8_t *data, size_t size)
{
	rcn_match *m = rcn_match_new(20514, 3, SOURCES, 1);
	rcn_findings *sink = rcn_findings_new();
	rcn_findings_subscribe(sink, check, NULL);
	rcn_match_set_sink(m, sink);
	rcn_match_run(m);
	rcn_wire w;
	rcn_wire_open(&w, data, size);
	size_t n_sources;
	const void *sources = rcn_wire_get_bytes(&w, &n_sources);
	if (sources)
		read_sources(sources, n_sources);
	if (rcn_match_import(m, sink, &w)) {
		rcn_match_imported(m);
		rcn_items_night *items = rcn_items_night_new(20515, NULL);
		(void)rcn_items_night_import_evidence(items, &w);
		rcn_items_night_free(items);
	} else if (!w.bad) {
		__builtin_trap(); /* a refusal is always marked */
	}
	size_t n;
	(void)rcn_findings_sorted(sink, &n);
	rcn_match_free(m);
	rcn_findings_free(sink);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_outcome(data, size);
	size_t len = 0;
	unsigned char *raw = rcn_run_unpack(data, size, &len);
	if (raw) {
		read_outcome(raw, len);
		free(raw);
	}
	return 0;
}
