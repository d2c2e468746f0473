/* recon status: the latest run of each recent business date from recon_runs
 * (counts read from the jsonb in SQL), and the dates that need a re-run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/db_internal.h"
#include "ledger/pgtext.h"

/* The latest run of each date (and how many it has), its counts read from the
 * jsonb as whole numbers (NULL when absent or not a number), started_at in $1. */
static const char RECENT_SQL[] =
	"SELECT business_date::text, exit_status::text, runs::text,"
	" CASE WHEN jsonb_typeof(counts->'statement_rows') = 'number'"
	"  THEN round((counts->>'statement_rows')::numeric)::text END,"
	" CASE WHEN jsonb_typeof(counts->'discrepancies') = 'number'"
	"  THEN round((counts->>'discrepancies')::numeric)::text END,"
	" CASE WHEN jsonb_typeof(counts->'pending') = 'number'"
	"  THEN round((counts->>'pending')::numeric)::text END,"
	" coalesce(to_char(started_at AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI:SS'), ''),"
	" coalesce(seconds::text, ''), stale::text, coalesce(stale_reason, ''),"
	" coalesce((SELECT string_agg(p, ' | ') FROM jsonb_array_elements_text(CASE"
	"  WHEN jsonb_typeof(counts->'problems') = 'array' THEN counts->'problems' ELSE '[]' END) p), '')"
	" FROM (SELECT DISTINCT ON (business_date) *, count(*) OVER (PARTITION BY business_date) AS runs"
	"  FROM recon_runs ORDER BY business_date DESC, run_id DESC LIMIT $2::int) r"
	" ORDER BY business_date";

static const char STALE_SQL[] = "SELECT business_date::text, stale::text FROM"
				" (SELECT DISTINCT ON (business_date) business_date, stale FROM recon_runs"
				" ORDER BY business_date, run_id DESC) r ORDER BY business_date";

static bool read_date(const char *s, rcn_date *out)
{
	return rcn_date_parse(out, s, strlen(s), NULL) == RCN_OK;
}

/* -1 for NULL (absent), false when not a number. */
static bool read_count(const PGresult *res, int row, int col, int64_t *out)
{
	*out = -1;
	return PQgetisnull(res, row, col) || rcn_pgtext_int64(PQgetvalue(res, row, col), out);
}

typedef struct {
	void (*fn)(void *ctx, const rcn_run_summary *r);
	void (*stale)(void *ctx, rcn_date day);
	void *ctx;
	rcn_date *last;
} runs_reader;

static rcn_rc recent_row(void *p, const PGresult *res, int i, rcn_err *err)
{
	const runs_reader *rd = p;
	rcn_run_summary r;
	memset(&r, 0, sizeof r);
	int64_t status = 0, runs = 0;
	const char *secs = PQgetvalue(res, i, 7);
	char *end = NULL;
	r.seconds = secs[0] ? strtod(secs, &end) : -1;
	if (!read_date(PQgetvalue(res, i, 0), &r.day) || !rcn_pgtext_int64(PQgetvalue(res, i, 1), &status) ||
	    !rcn_pgtext_int64(PQgetvalue(res, i, 2), &runs) || !read_count(res, i, 3, &r.statement_rows) ||
	    !read_count(res, i, 4, &r.discrepancies) || !read_count(res, i, 5, &r.pending) || (end && *end))
		return rcn_err_set(err, RCN_EDB, "", 0, "recon_runs: the run of %s does not read back",
				   PQgetvalue(res, i, 0));
	r.exit_status = (int)status;
	r.runs = (long)runs;
	r.started_at = PQgetvalue(res, i, 6);
	r.stale = strcmp(PQgetvalue(res, i, 8), "true") == 0;
	r.stale_reason = PQgetvalue(res, i, 9);
	r.problems = PQgetvalue(res, i, 10);
	rd->fn(rd->ctx, &r);
	return RCN_OK;
}

rcn_rc rcn_db_recent_runs(rcn_db *db, const char *tz, int days, void (*fn)(void *ctx, const rcn_run_summary *r),
			  void *ctx, rcn_err *err)
{
	char limit[16];
	snprintf(limit, sizeof limit, "%d", days);
	const char *params[2] = {tz, limit};
	runs_reader rd = {.fn = fn, .ctx = ctx};
	return rcn_pq_each_row(db, RECENT_SQL, 2, params, 11, "reading recon_runs", recent_row, &rd, err);
}

static rcn_rc stale_row(void *p, const PGresult *res, int i, rcn_err *err)
{
	const runs_reader *rd = p;
	rcn_date day;
	if (!read_date(PQgetvalue(res, i, 0), &day))
		return rcn_err_set(err, RCN_EDB, "", 0, "recon_runs: business date '%s' does not read back",
				   PQgetvalue(res, i, 0));
	*rd->last = day;
	if (strcmp(PQgetvalue(res, i, 1), "true") == 0)
		rd->stale(rd->ctx, day);
	return RCN_OK;
}

rcn_rc rcn_db_stale_dates(rcn_db *db, void (*fn)(void *ctx, rcn_date day), void *ctx, rcn_date *last, rcn_err *err)
{
	*last = -1;
	runs_reader rd = {.stale = fn, .ctx = ctx, .last = last};
	return rcn_pq_each_row(db, STALE_SQL, 0, NULL, 2, "reading recon_runs", stale_row, &rd, err);
}
