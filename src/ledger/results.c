/* The write side: one transaction that replaces a business date's findings
 * (COPY FROM STDIN into recon_discrepancies / recon_suspense) and fund
 * movements (recon_movements), appends its
 * recon_runs row and marks later dates' runs stale. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/db_internal.h"
#include "recon/findings_run.h"
#include "recon/money.h"
#include "ledger/pgbin.h"
#include "ledger/pgtext.h"
#include "recon/text.h"

#define ROW_LIMIT  (64u * 1024u * 1024u)
#define COPY_CHUNK (1024u * 1024u)

static const char FINDING_COLUMNS[] =
	"(business_date, kind, kind_cn, reason, side, rec_type, channel, merchant_id, order_no, refund_no, "
	"channel_txn_id, channel_refund_id, ledger_status, channel_status, ledger_amount_fen, channel_amount_fen, "
	"channel_settle_fen, expected_fee, channel_fee, trade_time, first_seen, age_days, source, detail)";

/* "" is stored as NULL: the side or field has no such value. */
static rcn_rc put_text(rcn_buf *b, const char *s, bool last)
{
	rcn_rc rc = rcn_pgtext_put_field(b, s && s[0] ? s : NULL);
	if (rc == RCN_OK)
		rc = rcn_buf_append(b, last ? "\n" : "\t", 1);
	return rc;
}

static rcn_rc put_int(rcn_buf *b, bool has, int64_t v)
{
	if (!has)
		return rcn_buf_append(b, "\\N\t", 3);
	char d[32];
	rcn_money_format(d, sizeof d, v, 0); /* the digits, without printf's cost per row */
	size_t n = strlen(d);
	d[n++] = '\t';
	return rcn_buf_append(b, d, n);
}

/* ---- COPY's binary format, for the findings: the server then parses no
 * dates and integers from text (a fifth less of its CPU for them) ---- */

/* One finding's row of FINDING_COLUMNS, in the binary format. */
static rcn_rc put_finding_binary(rcn_buf *b, rcn_date day, const rcn_finding *f)
{
	assert((unsigned)f->kind < RCN_K__COUNT);
	rcn_rc rc = rcn_pq_bin_fields(b, 24);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_date(b, true, day);
	const char *head[] = {rcn_kind_name(f->kind),
			      rcn_kind_name_cn(f->kind),
			      f->reason,
			      f->side == RCN_SIDE_LEDGER ? "L" : "S",
			      f->rec_type == RCN_REC_REFUND ? "refund" : "payment",
			      f->channel,
			      f->merchant_id,
			      f->order_no,
			      f->refund_no,
			      f->channel_txn_id,
			      f->channel_refund_id,
			      f->ledger_status,
			      f->channel_status};
	for (size_t i = 0; i < sizeof head / sizeof head[0] && rc == RCN_OK; i++)
		rc = rcn_pq_bin_text(b, head[i], true);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_int8(b, f->has_ledger_amount, f->ledger_amount);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_int8(b, f->has_channel_amount, f->channel_amount);
	/* 应结 belongs to a channel row: none without a channel amount. */
	if (rc == RCN_OK)
		rc = rcn_pq_bin_int8(b, f->has_channel_amount, f->channel_settle);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_int8(b, f->has_expected_fee, f->expected_fee);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_int8(b, f->has_channel_fee, f->channel_fee);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_text(b, f->trade_time, true);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_date(b, true, f->first_seen);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_int4(b, f->age_days);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_text(b, f->source, true);
	if (rc == RCN_OK)
		rc = rcn_pq_bin_text(b, f->detail, true);
	return rc;
}

static rcn_rc put_copy(rcn_db *db, rcn_buf *b, rcn_err *err, const char *what)
{
	if (b->len > 0 && PQputCopyData(db->conn, b->data, (int)b->len) != 1)
		return rcn_pq_fail(db, NULL, err, what);
	rcn_buf_reset(b);
	return RCN_OK;
}

/* Writes row i into b; returns false when the row does not belong in this table. */
/* The results' business date, as text (the text format) and as a date (the binary one). */
typedef struct {
	char text[11];
	rcn_date day;
} row_date;

typedef rcn_rc (*row_writer)(rcn_buf *b, const row_date *date, const void *rows, size_t i, bool *skip);

/* An open COPY table FROM STDIN: rows collect in b and go out a chunk at a time. */
typedef struct {
	rcn_buf b;
	char what[64];
	bool binary; /* FORMAT binary: the header sent with the first rows, the trailer at the end */
} copy_in;

static rcn_rc copy_open(rcn_db *db, copy_in *c, const char *table, const char *columns, bool binary, rcn_err *err)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "COPY %s %s FROM STDIN%s", table, columns, binary ? " (FORMAT binary)" : "");
	snprintf(c->what, sizeof c->what, "storing %s", table);
	c->binary = binary;
	rcn_buf_init(&c->b, ROW_LIMIT);
	PGresult *res = PQexec(db->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rcn_rc rc = rcn_pq_fail(db, res, err, c->what);
		PQclear(res);
		(void)rcn_pq_drain(db, NULL, c->what);
		rcn_buf_free(&c->b);
		return rc;
	}
	PQclear(res);
	if (binary)
		(void)rcn_buf_append(&c->b, RCN_PGBIN_HEADER, sizeof RCN_PGBIN_HEADER);
	return RCN_OK;
}

/* Rows i in [from, to) the writer accepts. */
static rcn_rc copy_put(rcn_db *db, copy_in *c, const row_date *date, const void *rows, size_t from, size_t to,
		       row_writer write, rcn_err *err)
{
	rcn_rc rc = RCN_OK;
	for (size_t i = from; i < to && rc == RCN_OK; i++) {
		bool skip = false;
		size_t before = c->b.len;
		if (write(&c->b, date, rows, i, &skip) != RCN_OK)
			rc = rcn_err_set(err, RCN_EDB, "", 0, "%s: row %zu is too long", c->what, i + 1);
		else if (skip)
			c->b.len = before;
		else if (c->b.len >= COPY_CHUNK)
			rc = put_copy(db, &c->b, err, c->what);
	}
	return rc;
}

/* Ends the COPY: with the rows sent when rc is RCN_OK, else aborted. */
static rcn_rc copy_close(rcn_db *db, copy_in *c, rcn_rc rc, rcn_err *err)
{
	if (rc == RCN_OK && c->binary && rcn_pq_bin_trailer(&c->b) != RCN_OK) /* the trailer: -1 fields */
		rc = rcn_err_set(err, RCN_EDB, "", 0, "%s: the last rows are too long", c->what);
	if (rc == RCN_OK)
		rc = put_copy(db, &c->b, err, c->what);
	rcn_buf_free(&c->b);
	if (PQputCopyEnd(db->conn, rc == RCN_OK ? NULL : "aborted by recon") != 1 && rc == RCN_OK)
		rc = rcn_pq_fail(db, NULL, err, c->what);
	rcn_rc drc = rcn_pq_drain(db, rc == RCN_OK ? err : NULL, c->what);
	return rc != RCN_OK ? rc : drc;
}

/* COPY table (columns) FROM STDIN with every row the writer accepts. */
static rcn_rc copy_rows(rcn_db *db, const char *table, const char *columns, bool binary, const row_date *date,
			const void *rows, size_t n, row_writer write, rcn_err *err)
{
	copy_in c;
	rcn_rc rc = copy_open(db, &c, table, columns, binary, err);
	if (rc != RCN_OK)
		return rc;
	return copy_close(db, &c, copy_put(db, &c, date, rows, 0, n, write, err), err);
}

static rcn_rc write_discrepancy(rcn_buf *b, const row_date *date, const void *rows, size_t i, bool *skip)
{
	const rcn_finding *f = ((const rcn_finding *const *)rows)[i];
	*skip = f->kind == RCN_K_PENDING || f->kind == RCN_K_MATCHED;
	return *skip ? RCN_OK : put_finding_binary(b, date->day, f);
}

static rcn_rc write_pending(rcn_buf *b, const row_date *date, const void *rows, size_t i, bool *skip)
{
	const rcn_finding *f = ((const rcn_finding *const *)rows)[i];
	*skip = f->kind != RCN_K_PENDING;
	return *skip ? RCN_OK : put_finding_binary(b, date->day, f);
}

static const char MOVEMENT_COLUMNS[] = "(business_date, source_name, channel, merchant_id, trade_time, movement_type, "
				       "reference, channel_txn_id, order_no, amount_fen, balance_fen, source)";

static rcn_rc write_movement(rcn_buf *b, const row_date *date, const void *rows, size_t i, bool *skip)
{
	const rcn_movement *mv = &((const rcn_movement *)rows)[i];
	*skip = false;
	rcn_rc rc = put_text(b, date->text, false);
	const char *texts[] = {mv->source_name,	  mv->channel,	 mv->merchant_id,    mv->trade_time,
			       mv->movement_type, mv->reference, mv->channel_txn_id, mv->order_no};
	for (size_t k = 0; k < sizeof texts / sizeof texts[0] && rc == RCN_OK; k++)
		rc = put_text(b, texts[k], false);
	if (rc == RCN_OK)
		rc = put_int(b, true, mv->amount_fen);
	if (rc == RCN_OK)
		rc = put_int(b, true, mv->balance_fen);
	if (rc == RCN_OK)
		rc = put_text(b, mv->source, true);
	return rc;
}

static rcn_rc put_str(rcn_buf *b, const char *s)
{
	return rcn_buf_append(b, s, strlen(s));
}

/* name (the text before a JSON value, as ",\"path\":"), then s as a JSON string */
static rcn_rc put_member(rcn_buf *b, const char *name, const char *s)
{
	rcn_rc rc = put_str(b, name);
	return rc ? rc : rcn_json_put(b, s ? s : "");
}

/* [{"source":..,"path":..,"sha256":..,"format":..,"rows":N,"verdict":..},...] */
static rcn_rc inputs_json(rcn_buf *b, const rcn_run_info *run)
{
	rcn_rc rc = put_str(b, "[");
	for (size_t i = 0; i < run->n_inputs && rc == RCN_OK; i++) {
		const rcn_run_input *in = &run->inputs[i];
		rc = put_member(b, i ? ",{\"source\":" : "{\"source\":", in->source);
		if (rc == RCN_OK)
			rc = put_member(b, ",\"path\":", in->path);
		if (rc == RCN_OK)
			rc = put_member(b, ",\"sha256\":", in->sha256);
		if (rc == RCN_OK)
			rc = put_member(b, ",\"format\":", in->format);
		if (rc == RCN_OK)
			rc = rcn_buf_printf(b, ",\"rows\":%ld,\"verdict\":", in->rows);
		if (rc == RCN_OK)
			rc = rcn_json_put(b, in->verdict ? in->verdict : "");
		if (rc == RCN_OK)
			rc = put_str(b, "}");
	}
	if (rc == RCN_OK)
		rc = put_str(b, "]");
	return rc;
}

static const char INSERT_RUN_SQL[] =
	"INSERT INTO recon_runs (business_date, started_at, finished_at, seconds, exit_status, inputs, counts, "
	"recon_version, carry_digest, publish_state, reports_dir, staged_dir, staged_id) VALUES ($1::date, "
	"$2::timestamptz, COALESCE($2::timestamptz + $3::double precision * interval '1 second', clock_timestamp()), "
	"$3::double precision, $4::int, $5::jsonb, $6::jsonb, $7, $8, CASE WHEN $10::text IS NULL THEN NULL ELSE "
	"'staged' END, $9, $10, $11) RETURNING run_id";

/* An earlier run of the date still waiting to be published never will be:
 * this run's reports replace them (its staged directory is gone by now). */
static const char SUPERSEDE_SQL[] = "UPDATE recon_runs SET publish_state = 'superseded' "
				    "WHERE business_date = $1::date AND publish_state = 'staged'";

static rcn_rc insert_run(rcn_db *db, const char *date, const rcn_run_info *run, const char *digest, rcn_err *err)
{
	rcn_buf inputs;
	rcn_buf_init(&inputs, ROW_LIMIT);
	rcn_rc rc = inputs_json(&inputs, run);
	if (rc != RCN_OK) {
		rcn_buf_free(&inputs);
		return rcn_err_set(err, RCN_EDB, "", 0, "storing recon_runs: inputs too long");
	}
	char seconds[64], status[16];
	snprintf(seconds, sizeof seconds, "%.6f", run->seconds);
	snprintf(status, sizeof status, "%d", run->exit_status);
	const char *params[11] = {
		date,
		run->started_at && run->started_at[0] ? run->started_at : NULL,
		seconds,
		status,
		inputs.data,
		run->counts_json && run->counts_json[0] ? run->counts_json : "{}",
		RECON_VERSION,
		digest,
		run->staged_dir ? run->reports_dir : NULL,
		run->staged_dir,
		run->staged_dir ? run->staged_id : NULL,
	};
	const char *day[1] = {date};
	int64_t id = 0;
	rc = rcn_pq_query(db, SUPERSEDE_SQL, 1, day, PGRES_COMMAND_OK, -1, "storing recon_runs", NULL, err);
	if (rc == RCN_OK)
		rc = rcn_pq_int64(db, INSERT_RUN_SQL, 11, params, "storing recon_runs", &id, err);
	if (rc == RCN_OK && run->run_id)
		*run->run_id = id;
	rcn_buf_free(&inputs);
	return rc;
}

/* ---- what later dates read of this date: its pending items (the suspense
 * the next date starts from) and the settlements it expects (checked on their
 * due dates). Each item's bytes are hashed and the hashes added up, so the
 * digest does not depend on the order the findings were stored in; the same
 * inputs give the same digest, and a re-run whose digest is unchanged leaves
 * later dates alone. (A change detector for recon's own output, not a seal.) */

/* MurmurHash64A: 8 bytes a step, well mixed, no dependency. */
static uint64_t hash64(const unsigned char *p, size_t n, uint64_t seed)
{
	const uint64_t m = 0xc6a4a7935bd1e995ULL;
	uint64_t h = seed ^ (n * m);
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t k;
		memcpy(&k, p + i, 8);
		k *= m;
		k ^= k >> 47;
		k *= m;
		h ^= k;
		h *= m;
	}
	if (i < n) {
		uint64_t t = 0;
		for (size_t j = n; j > i; j--)
			t = (t << 8) | p[j - 1];
		h ^= t;
		h *= m;
	}
	h ^= h >> 47;
	h *= m;
	h ^= h >> 47;
	return h;
}

typedef struct {
	uint64_t n, a, b;
} carry_sum;

static void carry_add(carry_sum *s, const rcn_buf *b)
{
	const unsigned char *p = (const unsigned char *)(b->data ? b->data : "");
	s->n++;
	s->a += hash64(p, b->len, 0x9e3779b97f4a7c15ULL);
	s->b += hash64(p, b->len, 0xd1b54a32d192ed03ULL);
}

/* The digest of what the date leaves later dates: a sum, in any order, over
 * the pending items (those of runs already in `from`) and today's settlements. */
static rcn_rc carry_digest(carry_sum from, rcn_date day, rcn_finding *const *pending, size_t n_pending,
			   const rcn_settlement *st, size_t n_st, char *out, size_t cap, rcn_err *err)
{
	carry_sum s = from;
	rcn_buf b;
	rcn_buf_init(&b, ROW_LIMIT);
	rcn_rc rc = RCN_OK;
	for (size_t i = 0; i < n_pending && rc == RCN_OK; i++) {
		rcn_buf_reset(&b);
		rc = put_finding_binary(&b, day, pending[i]);
		if (rc == RCN_OK)
			carry_add(&s, &b);
	}
	for (size_t i = 0; i < n_st && rc == RCN_OK; i++) {
		if (st[i].business_date != day)
			continue; /* earlier dates' settlements checked today: theirs */
		rcn_buf_reset(&b);
		rc = rcn_buf_printf(&b, "settlement|%s|%s|%s|%lld|%lld|%lld|%lld|%ld", st[i].channel, st[i].merchant_id,
				    st[i].cycle ? st[i].cycle : "", (long long)st[i].amount.payments_fen,
				    (long long)st[i].amount.refunds_fen, (long long)st[i].amount.fee,
				    (long long)st[i].amount.net_fen, (long)st[i].due_date);
		if (rc == RCN_OK)
			carry_add(&s, &b);
	}
	rcn_buf_free(&b);
	if (rc != RCN_OK)
		return rcn_err_set(err, RCN_EDB, "", 0, "storing recon_runs: a pending item is too long");
	snprintf(out, cap, "%llu:%016llx%016llx", (unsigned long long)s.n, (unsigned long long)s.a,
		 (unsigned long long)s.b);
	return RCN_OK;
}

/* Whether the date's previous run (if any) left later dates something else. */
static rcn_rc carry_changed(rcn_db *db, const char *date, const char *digest, bool *changed, rcn_err *err)
{
	const char *params[1] = {date};
	PGresult *res;
	rcn_rc rc = rcn_pq_query(db,
				 "SELECT carry_digest FROM recon_runs WHERE business_date = $1::date "
				 "ORDER BY run_id DESC LIMIT 1",
				 1, params, PGRES_TUPLES_OK, -1, "reading recon_runs", &res, err);
	if (rc != RCN_OK)
		return rc;
	*changed = PQntuples(res) == 0 || PQgetisnull(res, 0, 0) || strcmp(PQgetvalue(res, 0, 0), digest) != 0;
	PQclear(res);
	return RCN_OK;
}

/* Runs after `date` started from the suspense `date` just replaced. Every
 * later date then needs a re-run, including those already marked stale. */
static rcn_rc mark_later_stale(rcn_db *db, const char *date, long *later_dates, rcn_err *err)
{
	char reason[64];
	snprintf(reason, sizeof reason, "suspense of %s changed", date);
	const char *params[2] = {date, reason};
	int64_t count = 0;
	rcn_rc rc = rcn_pq_query(db,
				 "UPDATE recon_runs SET stale = true, stale_reason = $2 "
				 "WHERE business_date > $1::date AND NOT stale",
				 2, params, PGRES_COMMAND_OK, -1, "marking later runs stale", NULL, err);
	if (rc == RCN_OK)
		rc = rcn_pq_int64(db,
				  "SELECT count(DISTINCT business_date) FROM recon_runs WHERE business_date > $1::date",
				  1, params, "counting later runs", &count, err);
	if (rc == RCN_OK && later_dates)
		*later_dates = (long)count;
	return rc;
}

/* Pending items stored a batch at a time while findings still come: one
 * connection holds one COPY, so the discrepancies' COPY is closed, the batch
 * copied into recon_suspense and the discrepancies' COPY opened again (two
 * round trips a batch), instead of all of them after the matcher is done. */
#define PENDING_BATCH 32768

struct rcn_results {
	rcn_db *db;
	row_date date;
	copy_in disc;	       /* the open COPY into recon_discrepancies */
	rcn_finding **pending; /* kept for recon_suspense */
	size_t n_pending, cap_pending;
	size_t pending_stored; /* pending[0..pending_stored) are in recon_suspense */
	carry_sum carried;     /* the runs' pending items (rcn_results_add_run) */
	bool failed;
};

/* A failed step rolls the transaction back; the writer takes nothing more. */
static rcn_rc results_fail(rcn_results *w, rcn_rc rc)
{
	w->failed = true;
	if (PQtransactionStatus(w->db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(w->db->conn, "ROLLBACK"));
	return rc;
}

rcn_rc rcn_results_begin(rcn_results **out, rcn_db *db, rcn_date day, rcn_err *err)
{
	rcn_results *w = rcn_xcalloc(1, sizeof(*w));
	w->db = db;
	rcn_date_format(w->date.text, day);
	w->date.day = day;
	*out = w;
	const char *params[1] = {w->date.text};
	rcn_rc rc = rcn_pq_require_idle(db, err, "storing results");
	if (rc != RCN_OK) {
		w->failed = true;
		return rc;
	}
	rc = rcn_pq_command(db, "BEGIN", err, "storing results");
	const char *deletes[] = {"DELETE FROM recon_discrepancies WHERE business_date = $1::date",
				 "DELETE FROM recon_suspense WHERE business_date = $1::date",
				 "DELETE FROM recon_movements WHERE business_date = $1::date"};
	for (size_t i = 0; i < sizeof deletes / sizeof deletes[0] && rc == RCN_OK; i++) {
		rc = rcn_pq_query(db, deletes[i], 1, params, PGRES_COMMAND_OK, -1, "replacing results", NULL, err);
	}
	if (rc == RCN_OK)
		rc = copy_open(db, &w->disc, "recon_discrepancies", FINDING_COLUMNS, true, err);
	return rc == RCN_OK ? RCN_OK : results_fail(w, rc);
}

rcn_rc rcn_results_add(rcn_results *w, const rcn_finding *const *findings, size_t n, rcn_err *err)
{
	if (w->failed)
		return rcn_err_set(err, RCN_EDB, "", 0, "storing results: the writer failed before");
	for (size_t i = 0; i < n; i++)
		if (findings[i]->kind == RCN_K_PENDING) {
			rcn_xreserve((void **)&w->pending, &w->cap_pending, w->n_pending + 1, sizeof(*w->pending));
			w->pending[w->n_pending++] = (rcn_finding *)findings[i];
		}
	rcn_rc rc = copy_put(w->db, &w->disc, &w->date, findings, 0, n, write_discrepancy, err);
	if (rc != RCN_OK) {
		(void)copy_close(w->db, &w->disc, rc, NULL);
		return results_fail(w, rc);
	}
	if (w->n_pending - w->pending_stored >= PENDING_BATCH) {
		rc = copy_close(w->db, &w->disc, RCN_OK, err);
		if (rc == RCN_OK)
			rc = copy_rows(w->db, "recon_suspense", FINDING_COLUMNS, true, &w->date,
				       w->pending + w->pending_stored, w->n_pending - w->pending_stored, write_pending,
				       err);
		if (rc == RCN_OK) {
			w->pending_stored = w->n_pending;
			rc = copy_open(w->db, &w->disc, "recon_discrepancies", FINDING_COLUMNS, true, err);
		}
		if (rc != RCN_OK)
			return results_fail(w, rc);
	}
	return RCN_OK;
}

/* One walk of the run at path: every finding (pending only: false) into
 * the open COPY c as write writes it; each pending item added to *carry. */
static rcn_rc copy_run(rcn_results *w, const char *path, copy_in *c, row_writer write, carry_sum *carry, long *pending,
		       rcn_err *err)
{
	rcn_findings_merge *m = rcn_findings_merge_open(&path, 1, NULL, 0, err);
	if (!m)
		return RCN_EIO;
	rcn_rc rc = RCN_OK;
	rcn_buf b;
	rcn_buf_init(&b, ROW_LIMIT);
	for (const rcn_finding *f; rc == RCN_OK && (f = rcn_findings_merge_next(m)) != NULL;) {
		rc = copy_put(w->db, c, &w->date, &f, 0, 1, write, err);
		if (rc != RCN_OK || f->kind != RCN_K_PENDING)
			continue;
		++*pending;
		if (carry) {
			rcn_buf_reset(&b);
			rc = put_finding_binary(&b, w->date.day, f);
			if (rc == RCN_OK)
				carry_add(carry, &b);
			else
				rcn_err_set(err, RCN_EDB, path, 0,
					    "storing recon_suspense: a pending item is too long");
		}
	}
	if (rc == RCN_OK && !rcn_findings_merge_ok(m, err))
		rc = RCN_EIO;
	rcn_buf_free(&b);
	rcn_findings_merge_close(m);
	return rc;
}

rcn_rc rcn_results_add_run(rcn_results *w, const char *path, rcn_err *err)
{
	if (w->failed)
		return rcn_err_set(err, RCN_EDB, "", 0, "storing results: the writer failed before");
	long pending = 0;
	rcn_rc rc = copy_run(w, path, &w->disc, write_discrepancy, NULL, &pending, err);
	if (rc == RCN_OK && pending) { /* then the run's pending items into recon_suspense */
		rc = copy_close(w->db, &w->disc, RCN_OK, err);
		copy_in sus;
		if (rc == RCN_OK)
			rc = copy_open(w->db, &sus, "recon_suspense", FINDING_COLUMNS, true, err);
		if (rc == RCN_OK) {
			pending = 0;
			rc = copy_run(w, path, &sus, write_pending, &w->carried, &pending, err);
			rc = copy_close(w->db, &sus, rc, err);
		}
		if (rc == RCN_OK)
			rc = copy_open(w->db, &w->disc, "recon_discrepancies", FINDING_COLUMNS, true, err);
		if (rc != RCN_OK)
			return results_fail(w, rc);
		return RCN_OK;
	}
	if (rc != RCN_OK) {
		(void)copy_close(w->db, &w->disc, rc, NULL);
		return results_fail(w, rc);
	}
	return RCN_OK;
}

rcn_rc rcn_results_finish(rcn_results *w, const rcn_run_info *run, const rcn_movement *moves, size_t n_moves,
			  const rcn_settlement *settlements, size_t n_settlements, long *later_dates, rcn_err *err)
{
	if (w->failed)
		return rcn_err_set(err, RCN_EDB, "", 0, "storing results: the writer failed before");
	rcn_db *db = w->db;
	rcn_rc rc = copy_close(db, &w->disc, RCN_OK, err);
	if (rc == RCN_OK)
		rc = copy_rows(db, "recon_suspense", FINDING_COLUMNS, true, &w->date, w->pending + w->pending_stored,
			       w->n_pending - w->pending_stored, write_pending, err);
	if (rc == RCN_OK && n_moves)
		rc = copy_rows(db, "recon_movements", MOVEMENT_COLUMNS, false, &w->date, moves, n_moves, write_movement,
			       err);
	if (rc == RCN_OK)
		rc = rcn_db_store_settlements(db, w->date.text, settlements, n_settlements, err);
	char digest[80];
	bool changed = true;
	if (rc == RCN_OK)
		rc = carry_digest(w->carried, w->date.day, w->pending, w->n_pending, settlements, n_settlements, digest,
				  sizeof digest, err);
	if (rc == RCN_OK)
		rc = carry_changed(db, w->date.text, digest, &changed, err);
	if (rc == RCN_OK && run->in_transaction)
		rc = run->in_transaction(run->in_transaction_ctx, db, err);
	if (rc == RCN_OK && run->before_commit)
		rc = run->before_commit(run->before_commit_ctx, err);
	if (rc == RCN_OK)
		rc = insert_run(db, w->date.text, run, digest, err);
	if (later_dates)
		*later_dates = 0;
	if (rc == RCN_OK && changed)
		rc = mark_later_stale(db, w->date.text, later_dates, err);
	if (rc == RCN_OK)
		rc = rcn_pq_command(db, "COMMIT", err, "storing results");
	return rc == RCN_OK ? RCN_OK : results_fail(w, rc);
}

void rcn_results_free(rcn_results *w)
{
	if (!w)
		return;
	if (!w->failed && PQtransactionStatus(w->db->conn) != PQTRANS_IDLE) { /* never finished */
		if (PQtransactionStatus(w->db->conn) == PQTRANS_ACTIVE)
			(void)copy_close(w->db, &w->disc, RCN_EDB, NULL);
		PQclear(PQexec(w->db->conn, "ROLLBACK"));
	}
	free(w->pending);
	free(w);
}

rcn_rc rcn_db_store_results(rcn_db *db, const rcn_run_info *run, const rcn_finding *const *findings, size_t n,
			    const rcn_movement *moves, size_t n_moves, const rcn_settlement *settlements,
			    size_t n_settlements, long *later_dates, rcn_err *err)
{
	rcn_results *w;
	rcn_rc rc = rcn_results_begin(&w, db, run->day, err);
	if (rc == RCN_OK)
		rc = rcn_results_add(w, findings, n, err);
	if (rc == RCN_OK)
		rc = rcn_results_finish(w, run, moves, n_moves, settlements, n_settlements, later_dates, err);
	rcn_results_free(w);
	return rc;
}
