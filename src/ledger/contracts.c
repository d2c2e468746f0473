/* Auto-debit contracts (ledger_contracts) with their terms, each contract's
 * debit history and the day's debit attempts, read in the run's snapshot for
 * the contract checks of the matcher. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/db_internal.h"
#include "ledger/pgtext.h"

#define BATCH 5000

/* The terms (billing_period … min_retry_interval) are read through to_jsonb(c):
 * a column the table lacks (a ledger older than
 * sql/ledger_002_contract_terms.sql) is then NULL, i.e. the default, instead
 * of an error. $1 the ids, $2 the zone, $3 the day; every history read is an
 * index scan on ledger_orders.contract_id. */
static const char CONTRACTS_SQL[] =
	"SELECT c.contract_id, c.merchant_id, c.channel, c.status,"
	" to_char(c.signed_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS'),"
	" to_char(c.terminated_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS'),"
	" to_char(t.expires_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS'),"
	" c.per_debit_limit_fen, c.max_debits_per_day, t.period, t.per_period, t.max_failures, t.min_retry,"
	" h.n, h.total, h.period_n, f.fails,"
	" to_char(a.last_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS'), a.last_at > a.last_ok OR a.last_ok IS NULL"
	" FROM ledger_contracts c"
	" CROSS JOIN LATERAL (SELECT to_jsonb(c) AS j) x"
	" CROSS JOIN LATERAL (SELECT"
	"   CASE WHEN x.j->>'billing_period' IS NOT NULL THEN upper(x.j->>'billing_period')"
	"        WHEN c.max_debits_per_day = 1 THEN 'MONTH' END AS period,"
	"   CASE WHEN x.j->>'billing_period' IS NOT NULL THEN coalesce((x.j->>'debits_per_period')::int, 1)"
	"        ELSE 1 END AS per_period,"
	"   (x.j->>'expires_at')::timestamptz AS expires_at,"
	"   coalesce((x.j->>'max_consecutive_failures')::int, 3) AS max_failures,"
	"   coalesce(extract(epoch FROM (x.j->>'min_retry_interval')::interval), 0)::bigint AS min_retry) t"
	" CROSS JOIN LATERAL (SELECT $3::date::timestamp AT TIME ZONE $2 AS day_start,"
	"   CASE WHEN t.period IN ('DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR')"
	"   THEN date_trunc(lower(t.period), $3::date::timestamp) AT TIME ZONE $2 END AS period_start) b"
	" LEFT JOIN LATERAL (SELECT count(*) AS n, coalesce(sum(o.amount_fen), 0)::bigint AS total,"
	"   count(*) FILTER (WHERE o.paid_at >= b.period_start) AS period_n"
	"   FROM ledger_orders o WHERE o.contract_id = c.contract_id"
	"   AND o.status IN ('PAID', 'REFUNDED', 'PARTIALLY_REFUNDED') AND o.paid_at < b.day_start) h ON true"
	" LEFT JOIN LATERAL (SELECT max(coalesce(o.paid_at, o.created_at)) FILTER (WHERE o.status <> 'CLOSED') AS "
	"last_ok,"
	"   max(coalesce(o.paid_at, o.created_at)) AS last_at"
	"   FROM ledger_orders o WHERE o.contract_id = c.contract_id"
	"   AND o.status IN ('CLOSED', 'PAID', 'REFUNDED', 'PARTIALLY_REFUNDED')"
	"   AND coalesce(o.paid_at, o.created_at) < b.day_start) a ON true"
	" LEFT JOIN LATERAL (SELECT count(*) AS fails"
	"   FROM ledger_orders o WHERE o.contract_id = c.contract_id AND o.status = 'CLOSED'"
	"   AND coalesce(o.paid_at, o.created_at) < b.day_start"
	"   AND (a.last_ok IS NULL OR coalesce(o.paid_at, o.created_at) > a.last_ok)) f ON true"
	" WHERE c.contract_id = ANY($1::text[])"
	" ORDER BY c.contract_id COLLATE \"C\"";
enum { CONTRACT_COLUMNS = 19 };

/* The day's attempts of the same contracts, in the order the contracts come. */
static const char ATTEMPTS_SQL[] =
	"SELECT o.contract_id, o.order_no, o.status = 'CLOSED',"
	" to_char(coalesce(o.paid_at, o.created_at) AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS')"
	" FROM ledger_orders o"
	" WHERE o.contract_id = ANY($1::text[]) AND o.status IN ('CLOSED', 'PAID', 'REFUNDED', 'PARTIALLY_REFUNDED')"
	" AND coalesce(o.paid_at, o.created_at) >= $3::date::timestamp AT TIME ZONE $2"
	" AND coalesce(o.paid_at, o.created_at) < ($3::date + 1)::timestamp AT TIME ZONE $2"
	" ORDER BY o.contract_id COLLATE \"C\", coalesce(o.paid_at, o.created_at), o.order_no COLLATE \"C\"";

static const char *const PERIODS[] = {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"};

static const char *nz(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

static bool int64_of(const PGresult *res, int row, int col, int64_t *out)
{
	return !PQgetisnull(res, row, col) && rcn_pgtext_int64(PQgetvalue(res, row, col), out);
}

/* An int term within [1, 1000000], or its default. */
static int term_of(const PGresult *res, int row, int col, int fallback)
{
	int64_t v;
	return int64_of(res, row, col, &v) && v >= 1 && v <= 1000000 ? (int)v : fallback;
}

static rcn_time time_of(const PGresult *res, int row, int col)
{
	rcn_time t;
	rcn_err ignore;
	const char *s = nz(res, row, col);
	return *s && rcn_time_parse(&t, s, strlen(s), &ignore) == RCN_OK ? t : RCN_NO_TIME;
}

static bool known_period(const char *p)
{
	for (size_t i = 0; i < sizeof(PERIODS) / sizeof(*PERIODS); i++)
		if (strcmp(p, PERIODS[i]) == 0)
			return true;
	return !*p;
}

/* The day's attempts (ATTEMPTS_SQL's rows) as an array in the same order. */
static rcn_debit_attempt *attempts_of(const PGresult *res)
{
	int n = PQntuples(res);
	rcn_debit_attempt *a = rcn_xmalloc(((size_t)n + 1) * sizeof(*a));
	for (int i = 0; i < n; i++)
		a[i] = (rcn_debit_attempt){
			.order_no = nz(res, i, 1), .failed = strcmp(nz(res, i, 2), "t") == 0, .at = time_of(res, i, 3)};
	return a;
}

/* Fills c from CONTRACTS_SQL's row i; false when its billing_period is unknown. */
static bool contract_of(const PGresult *res, int i, rcn_ledger_contract *c)
{
	int64_t v;
	*c = (rcn_ledger_contract){.contract_id = nz(res, i, 0),
				   .merchant_id = nz(res, i, 1),
				   .channel = nz(res, i, 2),
				   .status = nz(res, i, 3),
				   .signed_at = nz(res, i, 4),
				   .terminated_at = nz(res, i, 5),
				   .expires_at = nz(res, i, 6),
				   .billing_period = nz(res, i, 9),
				   .debits_per_period = term_of(res, i, 10, 1),
				   .max_consecutive_failures = term_of(res, i, 11, 3),
				   .last_attempt_at = time_of(res, i, 17),
				   .last_attempt_failed = strcmp(nz(res, i, 18), "t") == 0};
	c->has_limit = int64_of(res, i, 7, &c->per_debit_limit_fen);
	if (int64_of(res, i, 8, &v) && v >= 0 && v < 1000000) {
		c->has_max_per_day = true;
		c->max_debits_per_day = (int)v;
	}
	if (int64_of(res, i, 12, &v) && v > 0)
		c->min_retry_seconds = v;
	if (int64_of(res, i, 13, &v))
		c->past_debits = (long)v;
	int64_of(res, i, 14, &c->past_total_fen);
	if (int64_of(res, i, 15, &v))
		c->debits_this_period = (long)v;
	if (int64_of(res, i, 16, &v))
		c->failures_before = (long)v;
	return known_period(c->billing_period);
}

/* One batch of ids: both queries, then each contract with its attempts. */
static rcn_rc load_batch(rcn_db *db, const char *const params[3], const rcn_ledger_sink *sink, rcn_err *err)
{
	rcn_rc rc = RCN_OK;
	rcn_debit_attempt *attempts = NULL;
	PGresult *att = NULL, *res = NULL;
	if ((rc = rcn_pq_query(db, CONTRACTS_SQL, 3, params, PGRES_TUPLES_OK, CONTRACT_COLUMNS, "ledger contracts",
			       &res, err)) ||
	    (rc = rcn_pq_query(db, ATTEMPTS_SQL, 3, params, PGRES_TUPLES_OK, 4, "ledger contract attempts", &att, err)))
		goto cleanup;
	attempts = attempts_of(att);
	/* both sorted by contract_id in byte order: one walk pairs them */
	for (int i = 0, k = 0, n_att = PQntuples(att); i < PQntuples(res); i++) {
		rcn_ledger_contract c;
		if (!contract_of(res, i, &c)) {
			rc = rcn_err_set(err, RCN_EDB, "", 0,
					 "ledger_contracts: contract %.60s has a billing_period other than DAY, WEEK, "
					 "MONTH, QUARTER or YEAR",
					 c.contract_id);
			goto cleanup;
		}
		while (k < n_att && strcmp(nz(att, k, 0), c.contract_id) < 0)
			k++;
		int first = k;
		while (k < n_att && strcmp(nz(att, k, 0), c.contract_id) == 0)
			k++;
		c.attempts = attempts + first;
		c.n_attempts = (size_t)(k - first);
		if (sink->contract)
			sink->contract(sink->ctx, &c);
	}
cleanup:
	free(attempts);
	PQclear(att);
	PQclear(res);
	return rc;
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
		if (rcn_pgtext_put_array(&arr, ids + start, count) != RCN_OK) {
			rc = rcn_err_set(err, RCN_EDB, "", 0, "contract ids do not fit one query");
		} else {
			const char *params[3] = {arr.data, w->timezone, date};
			rc = load_batch(db, params, sink, err);
		}
		rcn_buf_free(&arr);
	}
	return rc;
}
