/* recon_shards (sql/recon_006_shards.sql): a shard's row — running, then
 * done with its outcome or failed with why — and the merge's reading of all
 * of a date's rows. The outcome's bytes are recon's (src/run compresses
 * them); here they are only stored and read back, in binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/db_internal.h"
#include "ledger/pgtext.h"
#include "recon/pq.h"

static void key_params(char date[11], char shard[16], char shards[16], rcn_date day, int i, int n)
{
	rcn_date_format(date, day);
	snprintf(shard, 16, "%d", i);
	snprintf(shards, 16, "%d", n);
}

rcn_rc rcn_db_shard_start(rcn_db *db, rcn_date day, int shard, int shards, const char *host, rcn_err *err)
{
	char date[11], i[16], n[16];
	key_params(date, i, n, day, shard, shards);
	const char *params[4] = {date, i, n, host ? host : ""};
	/* a date's rows of another shard count are of an earlier plan: gone */
	rcn_rc rc = rcn_pq_query(db, "DELETE FROM recon_shards WHERE business_date = $1::date AND shards <> $2::int", 2,
				 (const char *[]){date, n}, PGRES_COMMAND_OK, -1, "storing recon_shards", NULL, err);
	if (rc == RCN_OK)
		rc = rcn_pq_query(
			db,
			"INSERT INTO recon_shards (business_date, shard, shards, status, host) "
			"VALUES ($1::date, $2::int, $3::int, 'running', $4) "
			"ON CONFLICT (business_date, shards, shard) DO UPDATE SET status = 'running', "
			"started_at = now(), finished_at = NULL, host = $4, why = '', inputs_digest = '', "
			"config_digest = '', statement_rows = 0, ledger_rows = 0, bytes_read = 0, seconds = 0, "
			"outcome = NULL",
			4, params, PGRES_COMMAND_OK, -1, "storing recon_shards", NULL, err);
	return rc;
}

rcn_rc rcn_db_shard_finish(rcn_db *db, const rcn_shard_row *r, rcn_err *err)
{
	char date[11], i[16], n[16], srows[24], lrows[24], bytes[24], secs[32];
	key_params(date, i, n, r->day, r->shard, r->shards);
	snprintf(srows, sizeof srows, "%ld", r->statement_rows);
	snprintf(lrows, sizeof lrows, "%ld", r->ledger_rows);
	snprintf(bytes, sizeof bytes, "%lld", (long long)r->bytes_read);
	snprintf(secs, sizeof secs, "%.3f", r->seconds);
	const char *values[10] = {date,	 i,	n,    r->inputs_digest,	       r->config_digest, srows,
				  lrows, bytes, secs, (const char *)r->outcome};
	int lengths[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, (int)r->n_outcome};
	int formats[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	if (r->n_outcome > (size_t)1 << 30)
		return rcn_err_set(err, RCN_EDB, "", 0, "recon_shards: shard %d's outcome is over 1 GiB", r->shard);
	PGresult *res =
		PQexecParams(db->conn,
			     "UPDATE recon_shards SET status = 'done', finished_at = now(), inputs_digest = $4, "
			     "config_digest = $5, statement_rows = $6::bigint, ledger_rows = $7::bigint, "
			     "bytes_read = $8::bigint, seconds = $9::float8, outcome = $10::bytea "
			     "WHERE business_date = $1::date AND shard = $2::int AND shards = $3::int",
			     10, NULL, values, lengths, formats, 0);
	rcn_rc rc = RCN_OK;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = rcn_pq_fail(db, res, err, "storing recon_shards");
	else if (strcmp(PQcmdTuples(res), "1") != 0)
		rc = rcn_err_set(err, RCN_EDB, "", 0,
				 "recon_shards: shard %d's row is gone (another run of this shard replaced it)",
				 r->shard);
	PQclear(res);
	return rc;
}

rcn_rc rcn_db_shard_fail(rcn_db *db, rcn_date day, int shard, int shards, const char *why, rcn_err *err)
{
	char date[11], i[16], n[16];
	key_params(date, i, n, day, shard, shards);
	const char *params[4] = {date, i, n, why ? why : ""};
	return rcn_pq_query(db,
			    "UPDATE recon_shards SET status = 'failed', finished_at = now(), why = $4, outcome = NULL "
			    "WHERE business_date = $1::date AND shard = $2::int AND shards = $3::int",
			    4, params, PGRES_COMMAND_OK, -1, "storing recon_shards", NULL, err);
}

enum { C_SHARD, C_STATUS, C_HOST, C_WHY, C_INPUTS, C_CONFIG, C_SROWS, C_LROWS, C_BYTES, C_SECS, C_OUTCOME, C__N };

rcn_rc rcn_db_shards_read(rcn_db *db, rcn_date day, int shards, bool outcomes,
			  rcn_rc (*fn)(void *ctx, const rcn_shard_row *r, rcn_err *err), void *ctx, rcn_err *err)
{
	char date[11], i[16], n[16];
	key_params(date, i, n, day, 0, shards);
	const char *params[2] = {date, n};
	/* one shard at a time, in binary: its outcome's bytes as they are */
	PGresult *list;
	rcn_rc rc = rcn_pq_query(db,
				 "SELECT shard FROM recon_shards WHERE business_date = $1::date AND shards = $2::int "
				 "ORDER BY shard",
				 2, params, PGRES_TUPLES_OK, 1, "reading recon_shards", &list, err);
	if (rc != RCN_OK)
		return rc;
	for (int row = 0; row < PQntuples(list) && rc == RCN_OK; row++) {
		const char *p3[3] = {date, n, PQgetvalue(list, row, 0)};
		int formats[3] = {0, 0, 0};
		PGresult *res = PQexecParams(
			db->conn,
			outcomes ? "SELECT shard::int8, status, host, why, inputs_digest, config_digest, "
				   "statement_rows, "
				   "ledger_rows, bytes_read, (seconds * 1000)::int8, outcome FROM recon_shards WHERE "
				   "business_date = $1::date AND shards = $2::int AND shard = $3::int"
				 : "SELECT shard::int8, status, host, why, inputs_digest, config_digest, "
				   "statement_rows, "
				   "ledger_rows, bytes_read, (seconds * 1000)::int8, NULL::bytea FROM recon_shards "
				   "WHERE business_date = $1::date AND shards = $2::int AND shard = $3::int",
			3, NULL, p3, NULL, formats, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != C__N) {
			rc = rcn_pq_fail(db, res, err, "reading recon_shards");
		} else if (PQntuples(res) == 1) {
			int64_t v[C__N] = {0};
			const int ints[] = {C_SHARD, C_SROWS, C_LROWS, C_BYTES, C_SECS};
			for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
				const unsigned char *b = (const unsigned char *)PQgetvalue(res, 0, ints[k]);
				if (PQgetlength(res, 0, ints[k]) == 8)
					for (int j = 0; j < 8; j++)
						v[ints[k]] = (int64_t)((uint64_t)v[ints[k]] << 8 | b[j]);
			}
			rcn_shard_row r = {.day = day,
					   .shard = (int)v[C_SHARD],
					   .shards = shards,
					   .status = PQgetvalue(res, 0, C_STATUS),
					   .host = PQgetvalue(res, 0, C_HOST),
					   .why = PQgetvalue(res, 0, C_WHY),
					   .inputs_digest = PQgetvalue(res, 0, C_INPUTS),
					   .config_digest = PQgetvalue(res, 0, C_CONFIG),
					   .statement_rows = (long)v[C_SROWS],
					   .ledger_rows = (long)v[C_LROWS],
					   .bytes_read = v[C_BYTES],
					   .seconds = (double)v[C_SECS] / 1000.0,
					   .outcome = PQgetisnull(res, 0, C_OUTCOME)
							      ? NULL
							      : (const unsigned char *)PQgetvalue(res, 0, C_OUTCOME),
					   .n_outcome = (size_t)PQgetlength(res, 0, C_OUTCOME)};
			rc = fn(ctx, &r, err);
		}
		PQclear(res);
	}
	PQclear(list);
	return rc;
}

static const char UNMERGED_SQL[] =
	"SELECT to_char(s.business_date, 'YYYY-MM-DD'), s.shards, count(*) FILTER (WHERE s.status = 'done'), "
	"string_agg(CASE WHEN s.status = 'done' THEN NULL ELSE s.shard || ' ' || s.status || "
	"CASE WHEN s.host <> '' THEN ' on ' || s.host ELSE '' END END, ', ' ORDER BY s.shard) "
	"FROM recon_shards s WHERE s.business_date IN (SELECT DISTINCT business_date FROM recon_shards "
	"ORDER BY 1 DESC LIMIT $1::int) "
	"GROUP BY s.business_date, s.shards "
	"HAVING NOT EXISTS (SELECT 1 FROM recon_runs r WHERE r.business_date = s.business_date "
	"AND r.started_at >= date_trunc('second', max(coalesce(s.finished_at, s.started_at)))) ORDER BY 1";

typedef struct {
	void (*fn)(void *ctx, const rcn_unmerged *u);
	void *ctx;
} unmerged_reader;

static rcn_rc unmerged_row(void *p, const PGresult *res, int i, rcn_err *err)
{
	unmerged_reader *r = p;
	rcn_unmerged u = {.date = PQgetvalue(res, i, 0),
			  .shards = atoi(PQgetvalue(res, i, 1)),
			  .done = atoi(PQgetvalue(res, i, 2)),
			  .others = PQgetvalue(res, i, 3)};
	(void)err;
	r->fn(r->ctx, &u);
	return RCN_OK;
}

rcn_rc rcn_db_unmerged_shards(rcn_db *db, int days, void (*fn)(void *ctx, const rcn_unmerged *u), void *ctx,
			      rcn_err *err)
{
	char d[16];
	snprintf(d, sizeof d, "%d", days);
	const char *params[1] = {d};
	unmerged_reader r = {fn, ctx};
	return rcn_pq_each_row(db, UNMERGED_SQL, 1, params, 4, "reading recon_shards", unmerged_row, &r, err);
}
