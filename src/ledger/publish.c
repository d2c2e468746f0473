/* recon_runs.publish_state: the runs whose reports were committed but not yet
 * swapped into reports/<date>, for the next run (or `recon status`) to finish. */
#include <stdio.h>
#include <string.h>

#include "ledger/db_internal.h"
#include "ledger/pgtext.h"

static const char UNPUBLISHED_SQL[] =
	"SELECT run_id::text, business_date::text, coalesce(reports_dir, ''), coalesce(staged_dir, ''),"
	" coalesce(staged_id, '') FROM recon_runs WHERE publish_state = 'staged' ORDER BY business_date, run_id";

typedef struct {
	void (*fn)(void *ctx, const rcn_unpublished *u);
	void *ctx;
} unpublished_reader;

static rcn_rc unpublished_row(void *p, const PGresult *res, int i, rcn_err *err)
{
	const unpublished_reader *r = p;
	rcn_unpublished u = {.reports_dir = PQgetvalue(res, i, 2),
			     .staged_dir = PQgetvalue(res, i, 3),
			     .staged_id = PQgetvalue(res, i, 4)};
	const char *day = PQgetvalue(res, i, 1);
	if (!rcn_pgtext_int64(PQgetvalue(res, i, 0), &u.run_id) ||
	    rcn_date_parse(&u.day, day, strlen(day), NULL) != RCN_OK)
		return rcn_err_set(err, RCN_EDB, "", 0, "recon_runs: a run of %s does not read back", day);
	r->fn(r->ctx, &u);
	return RCN_OK;
}

rcn_rc rcn_db_unpublished(rcn_db *db, void (*fn)(void *ctx, const rcn_unpublished *u), void *ctx, rcn_err *err)
{
	unpublished_reader r = {fn, ctx};
	return rcn_pq_each_row(db, UNPUBLISHED_SQL, 0, NULL, 5, "reading recon_runs", unpublished_row, &r, err);
}

rcn_rc rcn_db_set_publish_state(rcn_db *db, int64_t run_id, const char *state, rcn_err *err)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)run_id);
	const char *params[2] = {id, state};
	return rcn_pq_query(db,
			    "UPDATE recon_runs SET publish_state = $2 WHERE run_id = $1::bigint "
			    "AND publish_state = 'staged'",
			    2, params, PGRES_COMMAND_OK, -1, "storing recon_runs", NULL, err);
}
