/* Database tests of rcn_ledger_load_contracts on the throwaway cluster of
 * tests/db/pg.sh, in a database of their own: the contract terms and their
 * defaults, the history before the day in Asia/Shanghai, the day's attempts
 * paired with their contracts, a ledger_contracts without the terms, and a
 * billing_period that is none of the five. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/db.h"
#include "db_test_util.h"

/* Each contract the sink received as one line of text. */
typedef struct {
	char rows[16][512];
	size_t n;
} recorder;

static void on_contract(void *ctx, const rcn_ledger_contract *c)
{
	recorder *r = ctx;
	char *out = r->rows[r->n++];
	char last[20], at[20];
	int len = snprintf(out, 512, "%s|%s|%s|%s|%s|%d/%d|%d|%lld|%ld|%lld|%ld|%ld|%s%s|", c->contract_id,
			   c->signed_at, c->expires_at, c->billing_period, c->has_max_per_day ? "max" : "-",
			   c->max_debits_per_day, c->debits_per_period, c->max_consecutive_failures,
			   (long long)c->min_retry_seconds, c->past_debits, (long long)c->past_total_fen,
			   c->debits_this_period, c->failures_before, rcn_time_format(last, c->last_attempt_at),
			   c->last_attempt_at == RCN_NO_TIME ? ""
			   : c->last_attempt_failed	     ? " failed"
							     : " ok");
	for (size_t i = 0; i < c->n_attempts && len < 400; i++)
		len += snprintf(out + len, (size_t)(512 - len), "%s%s@%s%s", i ? "," : "", c->attempts[i].order_no,
				rcn_time_format(at, c->attempts[i].at), c->attempts[i].failed ? "!" : "");
}

static rcn_rc load(recorder *r, const char *const *ids, size_t n, rcn_err *err)
{
	rcn_date day;
	rcn_date_parse(&day, "2026-03-10", 10, err);
	rcn_ledger_window w = {.day = day, .carry_days = 3, .timezone = "Asia/Shanghai"};
	rcn_ledger_sink sink = {.contract = on_contract, .ctx = r};
	memset(r, 0, sizeof(*r));
	rcn_rc rc = rcn_ledger_begin(db, err);
	if (rc == RCN_OK) {
		rc = rcn_ledger_load_contracts(db, &w, ids, n, &sink, err);
		rcn_err ignore;
		rcn_ledger_end(db, rc ? &ignore : err);
	}
	return rc;
}

static int group_setup(void **state)
{
	(void)state;
	return db_test_open("recon_test_contracts");
}

/* The default schema; orders written in UTC around the Shanghai calendar's edges. */
static void fresh_ledger(void)
{
	sql("DROP TABLE IF EXISTS ledger_orders, ledger_refunds, ledger_contracts");
	char *schema = read_file(SQL_DIR "/ledger.sql");
	sql(schema);
	free(schema);
	sql("INSERT INTO ledger_orders (order_no, merchant_id, channel, amount_fen, status, created_at, paid_at,"
	    " contract_id) VALUES"
	    /* b: weekly; Monday 00:30 in Shanghai is Sunday in UTC */
	    " ('b1', 'm', 'wechat', 500, 'PAID', '2026-03-08 11:00:00+00', '2026-03-08 11:00:00+00', 'b'),"
	    " ('b2', 'm', 'wechat', 700, 'PAID', '2026-03-08 16:30:00+00', '2026-03-08 16:30:00+00', 'b'),"
	    " ('b3', 'm', 'wechat', 700, 'CREATED', '2026-03-09 01:00:00+00', NULL, 'b'),"
	    /* B: failures since its last success, one of them the day before in Shanghai only */
	    " ('B1', 'm', 'wechat', 100, 'CLOSED', '2026-03-01 02:00:00+00', NULL, 'B'),"
	    " ('B2', 'm', 'wechat', 100, 'REFUNDED', '2026-03-02 02:00:00+00', '2026-03-02 02:00:01+00', 'B'),"
	    " ('B3', 'm', 'wechat', 100, 'CLOSED', '2026-03-05 02:00:00+00', NULL, 'B'),"
	    " ('B4', 'm', 'wechat', 100, 'CLOSED', '2026-03-09 15:59:59+00', NULL, 'B'),"
	    /* the day's attempts (2026-03-10 in Shanghai), out of order */
	    " ('B6', 'm', 'wechat', 100, 'PAID', '2026-03-10 03:00:00+00', '2026-03-10 03:00:05+00', 'B'),"
	    " ('B5', 'm', 'wechat', 100, 'CLOSED', '2026-03-09 16:00:00+00', NULL, 'B'),"
	    " ('B7', 'm', 'wechat', 100, 'CLOSED', '2026-03-10 16:00:00+00', NULL, 'B'),"
	    " ('_1', 'm', 'wechat', 300, 'PAID', '2026-03-10 01:00:00+00', '2026-03-10 01:00:00+00', '_')");
}

static void test_terms_and_history(void **state)
{
	(void)state;
	rcn_err err;
	recorder r;
	fresh_ledger();
	sql("INSERT INTO ledger_contracts (contract_id, merchant_id, channel, status, signed_at, max_debits_per_day,"
	    " billing_period, debits_per_period, expires_at, max_consecutive_failures, min_retry_interval) VALUES"
	    " ('b', 'm', 'wechat', 'ACTIVE', '2026-01-01 00:00:00+08', 10, 'WEEK', 2, '2026-04-01 00:00:00+08', 5,"
	    "  '1 day 2 hours'),"
	    " ('B', 'm', 'wechat', 'ACTIVE', NULL, 1, NULL, 4, NULL, NULL, NULL),"
	    " ('_', 'm', 'wechat', 'ACTIVE', NULL, NULL, 'YEAR', NULL, NULL, NULL, NULL),"
	    " ('z', 'm', 'wechat', 'ACTIVE', NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
	const char *ids[] = {"z", "b", "_", "B", "none"};
	assert_ok(load(&r, ids, 5, &err));
	assert_int_equal(r.n, 4);
	/* byte order: B _ b z; b2 is Monday 00:30 in Shanghai: this week's; B
	 * declares no period but allows one debit a day: monthly, one */
	assert_string_equal(r.rows[0], "B|||MONTH|max|1/1|3|0|1|100|1|2|2026-03-09 23:59:59 failed|B5@2026-03-10 "
				       "00:00:00!,B6@2026-03-10 11:00:05");
	assert_string_equal(r.rows[1], "_|||YEAR|-|0/1|3|0|0|0|0|0||_1@2026-03-10 09:00:00");
	assert_string_equal(r.rows[2], "b|2026-01-01 00:00:00|2026-04-01 00:00:00|WEEK|max|10/2|5|93600|2|1200|1|0|"
				       "2026-03-09 00:30:00 ok|");
	assert_string_equal(r.rows[3], "z||||-|0/1|3|0|0|0|0|0||");
}

/* A ledger_contracts of before the terms: read with their defaults. */
static void test_table_without_terms(void **state)
{
	(void)state;
	rcn_err err;
	recorder r;
	fresh_ledger();
	sql("DROP TABLE ledger_contracts");
	sql("CREATE TABLE ledger_contracts (contract_id text PRIMARY KEY, merchant_id text NOT NULL,"
	    " channel text NOT NULL, status text NOT NULL, signed_at timestamptz, terminated_at timestamptz,"
	    " per_debit_limit_fen bigint, max_debits_per_day int)");
	sql("INSERT INTO ledger_contracts VALUES ('B', 'm', 'wechat', 'ACTIVE', NULL, NULL, 50000, 1),"
	    " ('b', 'm', 'wechat', 'ACTIVE', NULL, NULL, NULL, 10)");
	const char *ids[] = {"b", "B"};
	assert_ok(load(&r, ids, 2, &err));
	assert_int_equal(r.n, 2);
	assert_string_equal(r.rows[0], "B|||MONTH|max|1/1|3|0|1|100|1|2|2026-03-09 23:59:59 failed|B5@2026-03-10 "
				       "00:00:00!,B6@2026-03-10 11:00:05");
	assert_string_equal(r.rows[1], "b||||max|10/1|3|0|2|1200|0|0|2026-03-09 00:30:00 ok|");
}

/* A site's table without the CHECK: a period recon does not know stops the
 * read with the contract named, instead of a rule silently skipped. */
static void test_unknown_period(void **state)
{
	(void)state;
	rcn_err err;
	recorder r;
	fresh_ledger();
	sql("ALTER TABLE ledger_contracts DROP CONSTRAINT ledger_contracts_billing_period_check");
	sql("INSERT INTO ledger_contracts (contract_id, merchant_id, channel, status, billing_period) VALUES"
	    " ('K-9', 'm', 'wechat', 'ACTIVE', 'FORTNIGHT'), ('K-1', 'm', 'wechat', 'ACTIVE', 'quarter')");
	const char *ids[] = {"K-1"};
	assert_ok(load(&r, ids, 1, &err));
	assert_int_equal(r.n, 1);
	assert_string_equal(r.rows[0], "K-1|||QUARTER|-|0/1|3|0|0|0|0|0||"); /* any case */
	const char *bad[] = {"K-1", "K-9"};
	assert_int_equal(load(&r, bad, 2, &err), RCN_EDB);
	assert_string_equal(err.msg, "ledger_contracts: contract K-9 has a billing_period other than DAY, WEEK, MONTH, "
				     "QUARTER or YEAR");
}

RCN_TEST_MAIN_FIXTURE(group_setup, db_test_close, cmocka_unit_test(test_terms_and_history),
		      cmocka_unit_test(test_table_without_terms), cmocka_unit_test(test_unknown_period))
