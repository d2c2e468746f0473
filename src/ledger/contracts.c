/* Auto-debit contracts (ledger_contracts) and each contract's debit history,
 * read in the run's snapshot for the contract checks of the matcher. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/db_internal.h"
#include "ledger/pgtext.h"

#define BATCH 5000

static const char CONTRACTS_SQL[] =
	"SELECT c.contract_id, c.merchant_id, c.channel, c.status,"
	" to_char(c.signed_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS'),"
	" to_char(c.terminated_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS'),"
	" c.per_debit_limit_fen, c.max_debits_per_day, h.n, h.avg_fen, h.month_n"
	" FROM ledger_contracts c"
	" LEFT JOIN LATERAL (SELECT count(*) AS n, coalesce(round(avg(o.amount_fen)), 0)::bigint AS avg_fen,"
	"   count(*) FILTER (WHERE o.paid_at >= date_trunc('month', $3::date)::timestamp AT TIME ZONE $2) AS month_n"
	"   FROM ledger_orders o WHERE o.contract_id = c.contract_id"
	"   AND o.status IN ('PAID', 'REFUNDED', 'PARTIALLY_REFUNDED')"
	"   AND o.paid_at < $3::date::timestamp AT TIME ZONE $2) h ON true"
	" WHERE c.contract_id = ANY($1::text[])";

static const char *nz(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

static bool int64_of(const PGresult *res, int row, int col, int64_t *out)
{
	return !PQgetisnull(res, row, col) && rcn_pgtext_int64(PQgetvalue(res, row, col), out);
}

rcn_rc rcn_ledger_load_contracts(rcn_db *db, const rcn_ledger_window *w, const char *const *ids, size_t n,
				 const rcn_ledger_sink *sink, rcn_err *err)
{
	char date[11];
	rcn_rc rc = RCN_OK;
	rcn_date_format(date, w->day);
	for (size_t start = 0; start < n && rc == RCN_OK; start += BATCH) {
		size_t count = n - start < BATCH ? n - start : BATCH;
		rcn_buf arr;
		rcn_buf_init(&arr, (size_t)1 << 28);
		rc = rcn_pgtext_put_array(&arr, ids + start, count) == RCN_OK
			     ? RCN_OK
			     : rcn_err_set(err, RCN_EDB, "", 0, "contract ids do not fit one query");
		if (rc == RCN_OK) {
			const char *params[3] = {arr.data, w->timezone, date};
			PGresult *res = PQexecParams(db->conn, CONTRACTS_SQL, 3, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 11) {
				rc = rcn_pq_fail(db, res, err, "ledger contracts");
			} else {
				for (int i = 0; i < PQntuples(res); i++) {
					int64_t v;
					rcn_ledger_contract c = {.contract_id = nz(res, i, 0),
								 .merchant_id = nz(res, i, 1),
								 .channel = nz(res, i, 2),
								 .status = nz(res, i, 3),
								 .signed_at = nz(res, i, 4),
								 .terminated_at = nz(res, i, 5)};
					c.has_limit = int64_of(res, i, 6, &c.per_debit_limit_fen);
					if (int64_of(res, i, 7, &v) && v >= 0 && v < 1000000) {
						c.has_max_per_day = true;
						c.max_debits_per_day = (int)v;
					}
					if (int64_of(res, i, 8, &v))
						c.past_debits = (long)v;
					int64_of(res, i, 9, &c.past_average_fen);
					if (int64_of(res, i, 10, &v))
						c.debits_this_month = (long)v;
					if (sink->contract)
						sink->contract(sink->ctx, &c);
				}
			}
			PQclear(res);
		}
		rcn_buf_free(&arr);
	}
	return rc;
}
