/* recon_settlements: the open settlements a run checks, and the statuses it
 * writes back (inside the results transaction, see results.c). */
#include <stdio.h>
#include <string.h>

#include "ledger/db_internal.h"
#include "ledger/pgtext.h"

static const char OPEN_SQL[] =
	"SELECT business_date::text, channel, merchant_id, coalesce(cycle, ''), gross_fen, refund_fen, fee, net_fen,"
	" due_date::text FROM recon_settlements"
	" WHERE status = 'due' AND due_date IS NOT NULL AND due_date <= $1::date AND business_date < $1::date"
	" ORDER BY due_date, channel, merchant_id, business_date";

typedef struct {
	void (*fn)(void *ctx, const rcn_settlement *s);
	void *ctx;
} open_reader;

static rcn_rc open_row(void *p, const PGresult *res, int i, rcn_err *err)
{
	const open_reader *r = p;
	rcn_settlement s;
	memset(&s, 0, sizeof(s));
	s.channel = PQgetvalue(res, i, 1);
	s.merchant_id = PQgetvalue(res, i, 2);
	s.cycle = PQgetvalue(res, i, 3);
	s.status = RCN_SETTLE_DUE;
	const char *b = PQgetvalue(res, i, 0), *d = PQgetvalue(res, i, 8);
	if (rcn_date_parse(&s.business_date, b, strlen(b), NULL) || rcn_date_parse(&s.due_date, d, strlen(d), NULL) ||
	    !rcn_pgtext_int64(PQgetvalue(res, i, 4), &s.amount.payments_fen) ||
	    !rcn_pgtext_int64(PQgetvalue(res, i, 5), &s.amount.refunds_fen) ||
	    !rcn_pgtext_int64(PQgetvalue(res, i, 6), &s.amount.fee) ||
	    !rcn_pgtext_int64(PQgetvalue(res, i, 7), &s.amount.net_fen))
		return rcn_err_set(err, RCN_EDB, "", 0, "recon_settlements: a row of %s does not read back", b);
	r->fn(r->ctx, &s);
	return RCN_OK;
}

rcn_rc rcn_db_load_open_settlements(rcn_db *db, rcn_date day, void (*fn)(void *ctx, const rcn_settlement *s), void *ctx,
				    rcn_err *err)
{
	char date[11];
	const char *params[1] = {rcn_date_format(date, day)};
	open_reader r = {fn, ctx};
	return rcn_pq_each_row(db, OPEN_SQL, 1, params, 9, "open settlements", open_row, &r, err);
}

/* Inside the results transaction: replaces `date`'s settlements and updates
 * the status of earlier ones this run checked. */
/* The date's settlements that later dates already checked: a re-run that
 * expects the very same settlement keeps their verdict (a re-run with the
 * same inputs does not mark later dates stale, so nobody would check it again). */
static const char CHECKED_SQL[] =
	"SELECT channel, merchant_id, coalesce(cycle, ''), gross_fen::text, refund_fen::text, fee::text, net_fen::text,"
	" coalesce(due_date::text, ''), status, settled_fen::text, settled_on::text, detail FROM recon_settlements"
	" WHERE business_date = $1::date AND status <> 'due'";

/* The earlier verdict on the same expected settlement (v: the new row's values), or -1. */
static int checked_before(const PGresult *old, const char *const *v)
{
	for (int r = 0; old && r < PQntuples(old); r++) {
		bool same = true;
		for (int c = 0; c < 8 && same; c++)
			same = strcmp(PQgetvalue(old, r, c), v[c] ? v[c] : "") == 0;
		if (same)
			return r;
	}
	return -1;
}

static const char *opt(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

rcn_rc rcn_db_store_settlements(rcn_db *db, const char *date, const rcn_settlement *s, size_t n, rcn_err *err)
{
	const char *params[1] = {date};
	PGresult *old = NULL, *res = NULL;
	rcn_rc rc = rcn_pq_query(db, CHECKED_SQL, 1, params, PGRES_TUPLES_OK, -1, "settlements", &old, err);
	if (rc == RCN_OK)
		rc = rcn_pq_query(db, "DELETE FROM recon_settlements WHERE business_date = $1::date", 1, params,
				  PGRES_COMMAND_OK, -1, "settlements", NULL, err);
	for (size_t i = 0; i < n && rc == RCN_OK; i++) {
		char bdate[11], due[11], on[11], gross[24], refund[24], fee[24], net[24], settled[24];
		rcn_date_format(bdate, s[i].business_date);
		if (s[i].due_date)
			rcn_date_format(due, s[i].due_date);
		if (s[i].has_settled)
			rcn_date_format(on, s[i].settled_on);
		snprintf(gross, sizeof(gross), "%lld", (long long)s[i].amount.payments_fen);
		snprintf(refund, sizeof(refund), "%lld", (long long)s[i].amount.refunds_fen);
		snprintf(fee, sizeof(fee), "%lld", (long long)s[i].amount.fee);
		snprintf(net, sizeof(net), "%lld", (long long)s[i].amount.net_fen);
		snprintf(settled, sizeof(settled), "%lld", (long long)s[i].settled_fen);
		const char *v[] = {bdate,
				   s[i].channel,
				   s[i].merchant_id,
				   s[i].cycle,
				   gross,
				   refund,
				   fee,
				   net,
				   s[i].due_date ? due : NULL,
				   rcn_settle_status_name(s[i].status),
				   s[i].has_settled ? settled : NULL,
				   s[i].has_settled ? on : NULL,
				   s[i].detail[0] ? s[i].detail : NULL};
		/* today's rows are inserted; earlier business dates only get their status */
		static const char INSERT_SQL[] =
			"INSERT INTO recon_settlements (business_date, channel, merchant_id, cycle, gross_fen, "
			"refund_fen,"
			" fee, net_fen, due_date, status, settled_fen, settled_on, detail) VALUES ($1::date, $2, $3, "
			"$4,"
			" $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::date, $10, $11::bigint, $12::date, $13)";
		static const char UPDATE_SQL[] =
			"UPDATE recon_settlements SET status = $4, settled_fen = $5::bigint, settled_on = $6::date,"
			" detail = $7 WHERE business_date = $1::date AND channel = $2 AND merchant_id = $3";
		bool today = strcmp(bdate, date) == 0;
		int before = today && s[i].status == RCN_SETTLE_DUE ? checked_before(old, v + 1) : -1;
		if (before >= 0) {
			v[9] = PQgetvalue(old, before, 8);
			v[10] = opt(old, before, 9);
			v[11] = opt(old, before, 10);
			v[12] = opt(old, before, 11);
		}
		const char *u[] = {v[0], v[1], v[2], v[9], v[10], v[11], v[12]};
		res = today ? PQexecParams(db->conn, INSERT_SQL, 13, NULL, v, NULL, NULL, 0)
			    : PQexecParams(db->conn, UPDATE_SQL, 7, NULL, u, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = rcn_pq_fail(db, res, err, "settlements");
		PQclear(res);
	}
	PQclear(old);
	return rc;
}
