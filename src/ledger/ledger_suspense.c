/* The suspense carried into a date: the pending findings a previous run left
 * in recon_suspense for the business date, read back as findings for the
 * sink, and whether a run of that date finished (had_run). */
#include <string.h>

#include "ledger/ledger_int.h"
#include "ledger/pgtext.h"

/* Column order of the suspense query below. */
enum {
	S_REASON,
	S_SIDE,
	S_REC_TYPE,
	S_CHANNEL,
	S_MERCHANT_ID,
	S_ORDER_NO,
	S_REFUND_NO,
	S_TXN_ID,
	S_CHANNEL_REFUND_ID,
	S_LEDGER_STATUS,
	S_CHANNEL_STATUS,
	S_LEDGER_AMOUNT,
	S_CHANNEL_AMOUNT,
	S_CHANNEL_SETTLE,
	S_EXPECTED_FEE,
	S_CHANNEL_FEE,
	S_TRADE_TIME,
	S_FIRST_SEEN,
	S_AGE_DAYS,
	S_SOURCE,
	S_DETAIL,
	S__COUNT
};

static const char SUSPENSE_SQL[] =
	"SELECT reason, side, rec_type, channel, merchant_id, order_no, refund_no, channel_txn_id, "
	"channel_refund_id, ledger_status, channel_status, ledger_amount_fen, channel_amount_fen, "
	"channel_settle_fen, expected_fee, channel_fee, trade_time, to_char(first_seen, 'YYYY-MM-DD'), "
	"age_days, source, detail FROM recon_suspense WHERE business_date = $1::date "
	"ORDER BY channel, order_no, refund_no, channel_txn_id, side, source";

static const char HAD_RUN_SQL[] =
	"SELECT EXISTS (SELECT 1 FROM recon_runs WHERE business_date = $1::date AND exit_status IN (0, 1, 3))";

static const char *cell(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* An optional bigint cell: NULL clears *has. */
static bool opt_int64(const PGresult *res, int row, int col, bool *has, int64_t *v)
{
	const char *s = cell(res, row, col);
	*v = 0;
	if (has)
		*has = s != NULL;
	return !s || rcn_pgtext_int64(s, v);
}

static rcn_rc suspense_row(const PGresult *res, int i, rcn_finding *f, rcn_err *err)
{
	memset(f, 0, sizeof *f);
	f->kind = RCN_K_PENDING;
	f->reason = nz(cell(res, i, S_REASON));
	f->side = strcmp(nz(cell(res, i, S_SIDE)), "L") == 0 ? RCN_SIDE_LEDGER : RCN_SIDE_CHANNEL;
	f->rec_type = strcmp(nz(cell(res, i, S_REC_TYPE)), "refund") == 0 ? RCN_REC_REFUND : RCN_REC_PAYMENT;
	f->channel = nz(cell(res, i, S_CHANNEL));
	f->merchant_id = nz(cell(res, i, S_MERCHANT_ID));
	f->order_no = nz(cell(res, i, S_ORDER_NO));
	f->refund_no = nz(cell(res, i, S_REFUND_NO));
	f->channel_txn_id = nz(cell(res, i, S_TXN_ID));
	f->channel_refund_id = nz(cell(res, i, S_CHANNEL_REFUND_ID));
	f->ledger_status = nz(cell(res, i, S_LEDGER_STATUS));
	f->channel_status = nz(cell(res, i, S_CHANNEL_STATUS));
	f->trade_time = nz(cell(res, i, S_TRADE_TIME));
	f->source = nz(cell(res, i, S_SOURCE));
	f->detail = nz(cell(res, i, S_DETAIL));
	int64_t age = 0;
	bool ok = opt_int64(res, i, S_LEDGER_AMOUNT, &f->has_ledger_amount, &f->ledger_amount) &&
		  opt_int64(res, i, S_CHANNEL_AMOUNT, &f->has_channel_amount, &f->channel_amount) &&
		  opt_int64(res, i, S_CHANNEL_SETTLE, NULL, &f->channel_settle) &&
		  opt_int64(res, i, S_EXPECTED_FEE, &f->has_expected_fee, &f->expected_fee) &&
		  opt_int64(res, i, S_CHANNEL_FEE, &f->has_channel_fee, &f->channel_fee) &&
		  opt_int64(res, i, S_AGE_DAYS, NULL, &age);
	f->age_days = (int)age; /* an int column */
	const char *first = cell(res, i, S_FIRST_SEEN);
	rcn_err derr;
	if (ok && first)
		ok = rcn_date_parse(&f->first_seen, first, strlen(first), &derr) == RCN_OK;
	if (!ok)
		return rcn_err_set(err, RCN_EDB, "", 0, "recon_suspense: unreadable row for order %s", f->order_no);
	return RCN_OK;
}

static rcn_rc deliver_suspense(void *p, const PGresult *res, int i, rcn_err *err)
{
	const rcn_ledger_sink *sink = p;
	rcn_finding f;
	rcn_rc rc = suspense_row(res, i, &f, err);
	if (rc == RCN_OK && sink->suspense)
		sink->suspense(sink->ctx, &f);
	return rc;
}

rcn_rc rcn_ledger_load_suspense(rcn_db *db, rcn_date day, bool *had_run, const rcn_ledger_sink *sink, rcn_err *err)
{
	char date[11];
	const char *params[1] = {rcn_date_format(date, day)};
	PGresult *res;
	rcn_rc rc = rcn_pq_query(db, HAD_RUN_SQL, 1, params, PGRES_TUPLES_OK, -1, "suspense", &res, err);
	if (rc != RCN_OK)
		return rc;
	if (PQntuples(res) != 1)
		rc = rcn_pq_fail(db, res, err, "suspense");
	else if (had_run)
		*had_run = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (rc != RCN_OK)
		return rc;
	return rcn_pq_each_row(db, SUSPENSE_SQL, 1, params, S__COUNT, "suspense", deliver_suspense, (void *)sink, err);
}
