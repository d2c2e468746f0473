/* Database tests of src/ledger on the throwaway cluster of tests/db/pg.sh:
 * migrations, the date window in Asia/Shanghai, lookups, the date lock and
 * the results round trip. Fixtures are written with libpq directly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/migrations.h"
#include "recon/db.h"
#include "db_test_util.h"

static rcn_date day_of(const char *s)
{
	rcn_date d;
	rcn_err err;
	assert_ok(rcn_date_parse(&d, s, strlen(s), &err));
	return d;
}

/* The single value of a one-row, one-column query, copied into a static buffer. */
static const char *value(const char *q)
{
	static char out[4096];
	PGresult *res = PQexec(raw, q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("%s: %s", q, PQresultErrorMessage(res));
	snprintf(out, sizeof out, "%s", PQgetisnull(res, 0, 0) ? "NULL" : PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

/* Every row a sink received, as "a|b|c" lines, so tests compare exact values. */
typedef struct {
	char *rows[64];
	size_t n;
	size_t total;
	rcn_finding found[8];
	char *found_text[8][16];
	size_t n_found;
	size_t expect_calls, expected, total_at_expect; /* expect_orders: calls, its n, rows before it */
} recorder;

static void keep(recorder *r, const char *line)
{
	if (r->n < 64)
		r->rows[r->n++] = strdup(line);
	r->total++;
}

static void on_order(void *ctx, const rcn_ledger_order *o)
{
	char line[1024], created[20], paid[20];
	snprintf(line, sizeof line, "O %s|%s|%s|%s|%s|%s|%lld|%s|%s|%d", o->order_no, o->merchant_id, o->channel,
		 o->channel_txn_id, o->status, o->contract_id, (long long)o->amount_fen,
		 rcn_time_format(created, o->created_at), rcn_time_format(paid, o->paid_at), (int)o->business_date);
	keep(ctx, line);
}

static void on_refund(void *ctx, const rcn_ledger_refund *x)
{
	char line[1024], requested[20], refunded[20];
	snprintf(line, sizeof line, "R %s|%s|%s|%s|%lld|%s|%s|%d|%s|%s", x->refund_no, x->order_no,
		 x->channel_refund_id, x->status, (long long)x->amount_fen, rcn_time_format(requested, x->requested_at),
		 rcn_time_format(refunded, x->refunded_at), (int)x->business_date, x->channel, x->merchant_id);
	keep(ctx, line);
}

/* Findings are copied field by field: the sink's strings die with the callback. */
static void on_suspense(void *ctx, const rcn_finding *f)
{
	recorder *r = ctx;
	if (r->n_found >= 8)
		return;
	size_t i = r->n_found++;
	rcn_finding *c = &r->found[i];
	*c = *f;
	const char **texts[] = {&c->reason,
				&c->channel,
				&c->merchant_id,
				&c->order_no,
				&c->refund_no,
				&c->channel_txn_id,
				&c->channel_refund_id,
				&c->ledger_status,
				&c->channel_status,
				&c->trade_time,
				&c->source,
				&c->detail};
	for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
		r->found_text[i][k] = strdup(*texts[k]);
		*texts[k] = r->found_text[i][k];
	}
}

static void recorder_free(recorder *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rows[i]);
	for (size_t i = 0; i < r->n_found; i++)
		for (size_t k = 0; k < 16; k++)
			free(r->found_text[i][k]);
	memset(r, 0, sizeof *r);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows received equal `want` (any order). */
static void expect_rows(recorder *r, const char *const *want, size_t n)
{
	qsort(r->rows, r->n, sizeof r->rows[0], cmp_str);
	const char *sorted[64];
	memcpy(sorted, want, n * sizeof *want);
	qsort(sorted, n, sizeof sorted[0], cmp_str);
	for (size_t i = 0; i < r->n || i < n; i++) {
		const char *got = i < r->n ? r->rows[i] : "(none)";
		const char *exp = i < n ? sorted[i] : "(none)";
		if (strcmp(got, exp) != 0)
			fail_msg("row %zu: got\n  %s\nwant\n  %s", i, got, exp);
	}
}

static void on_expect(void *ctx, size_t n)
{
	recorder *r = ctx;
	r->expect_calls++;
	r->expected = n;
	r->total_at_expect = r->total;
}

static rcn_ledger_sink sink_for(recorder *r)
{
	rcn_ledger_sink s = {.order = on_order, .refund = on_refund, .suspense = on_suspense, .ctx = r};
	return s;
}

/* Loads window w into a fresh recorder: its rows equal `want` (any order). */
static void expect_window(const rcn_ledger_window *w, const char *const *want, size_t n)
{
	rcn_err err;
	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	assert_ok(rcn_ledger_load_window(db, w, &s, &err));
	expect_rows(&r, want, n);
	recorder_free(&r);
}

static int group_setup(void **state)
{
	(void)state;
	if (db_test_open(NULL) != 0)
		return -1;
	/* a test that fails inside a snapshot leaves it open: the fixtures'
	 * TRUNCATE then fails fast instead of waiting for its lock forever */
	PQclear(PQexec(raw, "SET lock_timeout = '5s'"));
	char *schema = read_file(SQL_DIR "/ledger.sql");
	PGresult *res = PQexec(raw, schema);
	free(schema);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "ledger.sql: %s", PQresultErrorMessage(res));
	PQclear(res);
	rcn_err err;
	if (!ok || rcn_db_migrate(db, &err) != RCN_OK) {
		fprintf(stderr, "setup failed: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Orders around the 2026-03-01 cut in Asia/Shanghai (UTC+8), written in UTC. */
static void load_ledger_fixture(void)
{
	sql("TRUNCATE ledger_orders, ledger_refunds");
	sql("INSERT INTO ledger_orders (order_no, merchant_id, channel, channel_txn_id, amount_fen, currency, status,"
	    " created_at, paid_at, contract_id) VALUES"
	    " ('A', 'm1', 'wechat', '4200A', 1234, 'CNY', 'PAID', '2026-03-01 15:00:00+00', '2026-03-01 15:59:59+00', "
	    "NULL),"
	    " ('B', 'm1', 'wechat', '4200B', 500, 'CNY', 'PAID', '2026-03-01 15:59:00+00', '2026-03-01 16:00:00+00', "
	    "NULL),"
	    " ('C', 'm2', 'alipay', NULL, 99, 'CNY', 'CREATED', '2026-02-28 16:00:00+00', NULL, 'K1'),"
	    " ('D', 'm1', 'wechat', '4200D', 700, 'CNY', 'PAID', '2026-02-28 15:00:00+00', '2026-02-28 15:59:59+00', "
	    "NULL),"
	    " ('E', 'm1', 'wechat', '4200E', 800, 'CNY', 'REFUNDED', '2026-02-20 01:00:00+00', '2026-02-20 "
	    "01:00:05+00', NULL),"
	    " ('q\"u\\o''te', 'm1', 'wechat', 'tx\"\\', 1, 'CNY', 'PAID', '2026-01-01 00:00:00+00', '2026-01-01 "
	    "00:00:00+00', NULL)");
	sql("INSERT INTO ledger_refunds (refund_no, order_no, channel_refund_id, amount_fen, status, requested_at,"
	    " refunded_at) VALUES"
	    " ('R1', 'A', '5000R1', 234, 'SUCCESS', '2026-03-01 15:10:00+00', '2026-03-01 15:59:59+00'),"
	    " ('R2', 'NOPE', NULL, 10, 'PROCESSING', '2026-03-01 01:00:00+00', NULL),"
	    " ('R3', 'A', '5000R3', 100, 'SUCCESS', '2026-03-01 15:00:00+00', '2026-03-01 16:00:00+00'),"
	    " ('R4', 'E', '5000R4', 800, 'SUCCESS', '2026-02-20 02:00:00+00', '2026-02-20 03:00:00+00')");
}

#define O_A "O A|m1|wechat|4200A|PAID||1234||2026-03-01 23:59:59|20513"
#define O_B "O B|m1|wechat|4200B|PAID||500||2026-03-02 00:00:00|20514"
#define O_C "O C|m2|alipay||CREATED|K1|99|2026-03-01 00:00:00||20513"
#define O_D "O D|m1|wechat|4200D|PAID||700||2026-02-28 23:59:59|20512"
#define O_E "O E|m1|wechat|4200E|REFUNDED||800||2026-02-20 09:00:05|20504"
#define O_Q "O q\"u\\o'te|m1|wechat|tx\"\\|PAID||1||2026-01-01 08:00:00|20454"
#define R_1 "R R1|A|5000R1|SUCCESS|234||2026-03-01 23:59:59|20513|wechat|m1"
#define R_2 "R R2|NOPE||PROCESSING|10|2026-03-01 09:00:00||20513||"
#define R_3 "R R3|A|5000R3|SUCCESS|100||2026-03-02 00:00:00|20514|wechat|m1"
#define R_4 "R R4|E|5000R4|SUCCESS|800||2026-02-20 11:00:00|20504|wechat|m1"

static void test_migrate_twice(void **state)
{
	(void)state;
	rcn_err err;
	assert_ok(rcn_db_migrate(db, &err));
	assert_ok(rcn_db_migrate(db, &err));
	char q[128];
	snprintf(q, sizeof q, "SELECT count(*) FROM recon_schema_migrations");
	assert_int_equal(atoi(value(q)), (int)rcn_migrations_count);
	assert_string_equal(value("SELECT min(name) FROM recon_schema_migrations"), "recon_001_init.sql");
	assert_string_equal(value("SELECT count(*) FROM pg_tables WHERE tablename IN ('recon_runs',"
				  " 'recon_discrepancies', 'recon_suspense', 'recon_settlements')"),
			    "4");
	assert_string_equal(value("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'recon'"), "1");
}

static void test_window_cutoff(void **state)
{
	(void)state;
	load_ledger_fixture();
	assert_int_equal(day_of("2026-03-01"), 20513);
	rcn_err err;
	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	rcn_ledger_window w = {day_of("2026-03-01"), 0, "Asia/Shanghai", NULL, NULL, false, NULL};
	assert_ok(rcn_ledger_begin(db, &err));
	const char *want[] = {O_A, O_C, R_1, R_2};
	expect_window(&w, want, 4);

	w.day = day_of("2026-03-02");
	const char *want2[] = {O_B, R_3};
	expect_window(&w, want2, 2);

	/* carry-over: [2026-02-26, 2026-03-01] */
	w.day = day_of("2026-03-01");
	w.carry_days = 3;
	const char *want3[] = {O_A, O_C, O_D, R_1, R_2};
	expect_window(&w, want3, 5);
	assert_ok(rcn_ledger_end(db, &err));

	/* The same instants in UTC make other business dates. */
	w.timezone = "UTC";
	w.carry_days = 0;
	assert_ok(rcn_ledger_load_window(db, &w, &s, &err));
	assert_int_equal(r.total, 5); /* A, B, R1, R2, R3: C and D fall on 2026-02-28 in UTC */
	recorder_free(&r);
}

/* Tabs, newlines and backslashes survive COPY's text format. */
static void test_window_escapes(void **state)
{
	(void)state;
	sql("TRUNCATE ledger_orders, ledger_refunds");
	sql("INSERT INTO ledger_orders VALUES (E'W\\t1', E'm\\tx\\ny\\\\z\\rq', '微信', '\\N', 10, 'CNY', 'PAID',"
	    " '2026-03-01 00:00:00+00', '2026-03-01 00:00:00+00', E'\\\\N')");
	rcn_ledger_window w = {day_of("2026-03-01"), 0, "Asia/Shanghai", NULL, NULL, false, NULL};
	const char *want[] = {"O W\t1|m\tx\ny\\z\rq|微信|\\N|PAID|\\N|10||2026-03-01 08:00:00|20513"};
	expect_window(&w, want, 1);
}

/* Local times keep whole seconds and follow zones with half-hour offsets;
 * the business date is the paid time's, else the created time's. */
static void test_window_local_times(void **state)
{
	(void)state;
	sql("TRUNCATE ledger_orders, ledger_refunds");
	sql("INSERT INTO ledger_orders VALUES ('F1', 'm', 'wechat', 't', 10, 'CNY', 'PAID',"
	    " '2026-02-28 18:29:59.999+00', '2026-02-28 18:30:00.75+00', NULL),"
	    " ('F2', 'm', 'wechat', NULL, 10, 'CNY', 'CREATED', '2026-02-28 18:30:00+00', NULL, NULL)");
	rcn_ledger_window w = {day_of("2026-03-01"), 0, "Asia/Kolkata", NULL, NULL, false, NULL};
	const char *want[] = {"O F1|m|wechat|t|PAID||10||2026-03-01 00:00:00|20513",
			      "O F2|m|wechat||CREATED||10|2026-03-01 00:00:00||20513"};
	expect_window(&w, want, 2);
}

/* The window's times are put in the zone by recon, with the offsets the
 * server gives for the window: across New York's spring and autumn clock
 * changes (2026-03-08 02:00 EST to 03:00 EDT, 2026-11-01 02:00 EDT back to
 * 01:00 EST), and with an offset of seconds: Monrovia's -0:44:30, until
 * 1972-01-07 00:00 local (00:44:30 UTC), then GMT. */
static void test_window_zone_changes(void **state)
{
	(void)state;
	sql("TRUNCATE ledger_orders, ledger_refunds");
	sql("INSERT INTO ledger_orders VALUES"
	    " ('S1', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '2026-03-07 05:00:00+00', '2026-03-07 05:00:00+00', NULL),"
	    " ('S2', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '2026-03-08 00:00:00+00', '2026-03-08 06:59:59+00', NULL),"
	    " ('S3', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '2026-03-08 00:00:00+00', '2026-03-08 07:00:00+00', NULL),"
	    " ('S4', 'm', 'wechat', NULL, 10, 'CNY', 'CREATED', '2026-03-09 03:59:59+00', NULL, NULL),"
	    " ('S5', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '2026-03-09 04:00:00+00', '2026-03-09 04:00:00+00', NULL),"
	    " ('S6', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '2026-03-07 04:59:59+00', '2026-03-07 04:59:59+00', NULL),"
	    " ('A1', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '2026-11-01 05:30:00+00', '2026-11-01 05:30:00+00', NULL),"
	    " ('A2', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '2026-11-01 06:30:00+00', '2026-11-01 06:30:00+00', NULL),"
	    " ('L1', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '1972-01-07 00:44:29+00', '1972-01-07 00:44:29+00', NULL),"
	    " ('L2', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '1972-01-07 00:44:30+00', '1972-01-07 00:44:30+00', NULL),"
	    " ('L3', 'm', 'wechat', NULL, 10, 'CNY', 'PAID', '1972-01-06 00:44:30+00', '1972-01-06 00:44:30+00', "
	    "NULL)");
	rcn_ledger_window w = {day_of("2026-03-08"), 1, "America/New_York", NULL, NULL, false, NULL};
	const char *spring[] = {"O S1|m|wechat||PAID||10||2026-03-07 00:00:00|20519",
				"O S2|m|wechat||PAID||10||2026-03-08 01:59:59|20520",
				"O S3|m|wechat||PAID||10||2026-03-08 03:00:00|20520",
				"O S4|m|wechat||CREATED||10|2026-03-08 23:59:59||20520"};
	expect_window(&w, spring, 4);
	w.day = day_of("2026-11-01");
	w.carry_days = 0;
	const char *autumn[] = {"O A1|m|wechat||PAID||10||2026-11-01 01:30:00|20758",
				"O A2|m|wechat||PAID||10||2026-11-01 01:30:00|20758"};
	expect_window(&w, autumn, 2);
	w = (rcn_ledger_window){day_of("1972-01-07"), 1, "Africa/Monrovia", NULL, NULL, true, NULL};
	const char *lmt[] = {"O L1|m|wechat||PAID||10||1972-01-06 23:59:59|735",
			     "O L2|m|wechat||PAID||10||1972-01-07 00:44:30|736",
			     "O L3|m|wechat||PAID||10||1972-01-06 00:00:00|735"};
	expect_window(&w, lmt, 3);
}

/* Rows come in the binary format, yet a site's query may give any column
 * type that has a text form: numbers for ids, int4 amounts, local
 * timestamps without a zone (read in the configured one). */
static void test_site_sql_types(void **state)
{
	(void)state;
	load_ledger_fixture();
	rcn_ledger_window w = {
		day_of("2026-03-01"),
		0,
		"Asia/Shanghai",
		"SELECT order_no, 42 AS merchant_id, channel::varchar AS channel, channel_txn_id,"
		" amount_fen::int4 AS amount_fen, status, created_at::timestamp AS created_at,"
		" paid_at::timestamp AS paid_at, 7.5 AS contract_id, 'CNY'::varchar AS currency"
		" FROM ledger_orders WHERE order_no = 'A'",
		"SELECT refund_no, order_no, channel_refund_id, amount_fen::numeric(20, 0) AS amount_fen,"
		" status, requested_at::timestamp AS requested_at, refunded_at FROM ledger_refunds",
		false,
		NULL};
	const char *want[] = {
		"O A|42|wechat|4200A|PAID|7.5|1234||2026-03-01 23:59:59|20513",
		"R R1|A|5000R1|SUCCESS|234||2026-03-01 23:59:59|20513|wechat|42",
		"R R2|NOPE||PROCESSING|10|2026-03-01 09:00:00||20513||",
	};
	expect_window(&w, want, 3);
}

/* A time recon cannot show (infinity, past 9999, BC) is a one-line error
 * naming the row. Such a time is never in a window, so the order is found
 * by a lookup (the window's COPY and the lookups read rows the same way). */
static void test_times_out_of_range(void **state)
{
	(void)state;
	const char *bad[] = {"'infinity'", "'10000-01-01 00:00:00+08'", "'0001-01-01 00:00:00+08 BC'"};
	rcn_err err;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sql("TRUNCATE ledger_orders, ledger_refunds");
		char q[512], want[128], key[8];
		snprintf(key, sizeof key, "X%zu", i);
		snprintf(q, sizeof q,
			 "INSERT INTO ledger_orders VALUES ('%s', 'm', 'wechat', NULL, 10, 'CNY', 'PAID',"
			 " '2026-03-01 01:00:00+08', %s, NULL)",
			 key, bad[i]);
		sql(q);
		recorder r = {0};
		rcn_ledger_sink s = sink_for(&r);
		rcn_ledger_window w = {day_of("2026-03-01"), 0, "Asia/Shanghai", NULL, NULL, false, NULL};
		assert_ok(rcn_ledger_load_window(db, &w, &s, &err));
		assert_int_equal(r.total, 0);
		const char *keys[] = {key};
		assert_int_equal(rcn_ledger_lookup(db, &w, keys, 1, NULL, 0, NULL, 0, NULL, 0, &s, &err), RCN_EDB);
		snprintf(want, sizeof want, "ledger order %s: paid_at and created_at out of range", key);
		assert_string_equal(err.msg, want);
		recorder_free(&r);
	}
	/* year 1 and 9999 are fine */
	sql("TRUNCATE ledger_orders, ledger_refunds");
	sql("INSERT INTO ledger_orders VALUES ('Y1', 'm', 'wechat', NULL, 10, 'CNY', 'PAID',"
	    " '2026-03-01 01:00:00+08', '9999-12-31 23:59:59.999999+08', NULL)");
	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	rcn_ledger_window w = {day_of("2026-03-01"), 0, "Asia/Shanghai", NULL, NULL, false, NULL};
	const char *keys[] = {"Y1"};
	assert_ok(rcn_ledger_lookup(db, &w, keys, 1, NULL, 0, NULL, 0, NULL, 0, &s, &err));
	const char *want[] = {"O Y1|m|wechat||PAID||10||9999-12-31 23:59:59|2932896"};
	expect_rows(&r, want, 1);
	recorder_free(&r);
}

static void test_snapshot(void **state)
{
	(void)state;
	load_ledger_fixture();
	rcn_err err;
	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	rcn_ledger_window w = {day_of("2026-03-01"), 0, "Asia/Shanghai", NULL, NULL, false, NULL};
	assert_ok(rcn_ledger_begin(db, &err));
	assert_ok(rcn_ledger_load_window(db, &w, &s, &err));
	assert_int_equal(r.total, 4);
	recorder_free(&r);
	sql("INSERT INTO ledger_orders VALUES ('LATE', 'm1', 'wechat', 'x', 1, 'CNY', 'PAID',"
	    " '2026-03-01 01:00:00+00', '2026-03-01 01:00:00+00', NULL)");
	assert_ok(rcn_ledger_load_window(db, &w, &s, &err));
	assert_int_equal(r.total, 4);
	recorder_free(&r);
	/* A second BEGIN inside the snapshot is refused. */
	assert_int_equal(rcn_ledger_begin(db, &err), RCN_EDB);
	assert_ok(rcn_ledger_end(db, &err));
	assert_ok(rcn_ledger_load_window(db, &w, &s, &err));
	assert_int_equal(r.total, 5);
	recorder_free(&r);
}

/* The window asks the planner how many orders to expect, once, before the
 * first order (sizing is all it is for: the rows are the same); a site
 * SELECT that does not run fails there with the COPY's own message. */
static void test_window_expect(void **state)
{
	(void)state;
	load_ledger_fixture();
	sql("ANALYZE ledger_orders");
	rcn_err err;
	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	s.expect_orders = on_expect;
	rcn_ledger_window w = {day_of("2026-03-01"), 0, "Asia/Shanghai", NULL, NULL, false, NULL};
	assert_ok(rcn_ledger_load_window(db, &w, &s, &err));
	const char *want[] = {O_A, O_C, R_1, R_2};
	expect_rows(&r, want, 4);
	assert_int_equal(r.expect_calls, 1);
	assert_int_equal(r.total_at_expect, 0);
	assert_true(r.expected >= 1 && r.expected <= 6); /* the fixture has six orders */
	recorder_free(&r);

	w.orders_sql = "SELECT nonsense FROM ledger_orders";
	assert_int_equal(rcn_ledger_load_window(db, &w, &s, &err), RCN_EDB);
	assert_string_equal(err.msg, "[ledger] orders_query: column \"nonsense\" does not exist");
	assert_int_equal(r.expect_calls, 0);
	w.orders_sql = NULL;
	assert_ok(rcn_ledger_load_window(db, &w, &s, &err)); /* the connection still usable */
	assert_int_equal(r.total, 4);
	recorder_free(&r);
}

static void test_site_sql(void **state)
{
	(void)state;
	load_ledger_fixture();
	rcn_err err;
	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	rcn_ledger_window w = {
		day_of("2026-03-01"),
		0,
		"Asia/Shanghai",
		"SELECT order_no, merchant_id, upper(channel) AS channel, channel_txn_id, amount_fen * 2 AS amount_fen,"
		" currency, status, created_at, paid_at, contract_id FROM ledger_orders WHERE merchant_id = 'm1';\n",
		"SELECT refund_no, order_no, channel_refund_id, amount_fen, status, requested_at, refunded_at"
		" FROM ledger_refunds WHERE status = 'SUCCESS'",
		false,
		NULL};
	const char *want[] = {
		"O A|m1|WECHAT|4200A|PAID||2468||2026-03-01 23:59:59|20513",
		"R R1|A|5000R1|SUCCESS|234||2026-03-01 23:59:59|20513|WECHAT|m1",
	};
	expect_window(&w, want, 2);

	/* A broken site query is a one-line database error. */
	w.orders_sql = "SELECT nonsense FROM ledger_orders";
	assert_int_equal(rcn_ledger_load_window(db, &w, &s, &err), RCN_EDB);
	assert_int_equal(err.code, RCN_EDB);
	assert_string_equal(err.msg, "[ledger] orders_query: column \"nonsense\" does not exist");
	/* Several statements are refused, not run: the snapshot cannot be ended
	 * and nothing written from a site query. */
	w.orders_sql = "SELECT 1 AS amount_fen) AS s LIMIT 0; COMMIT; CREATE TABLE site_was_here (x int); "
		       "SELECT * FROM (SELECT * FROM ledger_orders";
	assert_int_equal(rcn_ledger_load_window(db, &w, &s, &err), RCN_EDB);
	assert_string_equal(err.msg, "[ledger] orders_query is not one statement (a site query is one SELECT): "
				     "cannot insert multiple commands into a prepared statement");
	PGresult *was = PQexec(raw, "SELECT to_regclass('site_was_here') IS NULL");
	assert_string_equal(PQgetvalue(was, 0, 0), "t");
	PQclear(was);
	w.refunds_sql =
		"SELECT 1 AS amount_fen) AS s; DROP TABLE ledger_refunds; SELECT * FROM (SELECT * FROM ledger_refunds";
	w.orders_sql = NULL;
	assert_int_equal(rcn_ledger_load_window(db, &w, &s, &err), RCN_EDB);
	assert_non_null(strstr(err.msg, "[ledger] refunds_query is not one statement"));
	w.refunds_sql = "SELECT refund_no, order_no, channel_refund_id, amount_fen, status, requested_at, refunded_at"
			" FROM ledger_refunds WHERE status = 'SUCCESS'";
	/* amount_fen must be whole fen */
	w.orders_sql = "SELECT order_no, merchant_id, channel, channel_txn_id, amount_fen / 100.0 AS amount_fen,"
		       " currency, status, created_at, paid_at, contract_id FROM ledger_orders";
	assert_int_equal(rcn_ledger_load_window(db, &w, &s, &err), RCN_EDB);
	assert_non_null(strstr(err.msg, "is not a whole number of fen"));
	recorder_free(&r);
	/* The connection is still usable after both failures. */
	w.orders_sql = NULL;
	w.refunds_sql = NULL;
	assert_ok(rcn_ledger_load_window(db, &w, &s, &err));
	assert_int_equal(r.total, 4);
	recorder_free(&r);

	w.timezone = "Mars/Olympus_Mons";
	assert_int_equal(rcn_ledger_load_window(db, &w, &s, &err), RCN_EDB);
	assert_string_equal(err.msg, "[run] timezone: invalid value for parameter \"TimeZone\": \"Mars/Olympus_Mons\"");
}

static void test_lookup(void **state)
{
	(void)state;
	load_ledger_fixture();
	rcn_err err;
	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	rcn_ledger_window w = {day_of("2026-03-01"), 0, "Asia/Shanghai", NULL, NULL, false, NULL};
	/* A is in the window (already loaded): not delivered again. D is found
	 * both by order_no and by txn id: delivered once. */
	const char *orders[] = {"A", "D", "q\"u\\o'te", "MISSING"};
	const char *txns[] = {"4200B", "4200D", "tx\"\\", "none"};
	const char *refunds[] = {"R3", "R1", "R9"};
	const char *refund_orders[] = {"E", "A"};
	assert_ok(rcn_ledger_begin(db, &err));
	assert_ok(rcn_ledger_lookup(db, &w, orders, 4, txns, 4, refunds, 3, refund_orders, 2, &s, &err));
	assert_ok(rcn_ledger_end(db, &err));
	const char *want[] = {O_B, O_D, O_Q, R_3, R_4};
	expect_rows(&r, want, 5);
	recorder_free(&r);

	assert_ok(rcn_ledger_lookup(db, &w, NULL, 0, NULL, 0, NULL, 0, NULL, 0, &s, &err));
	assert_int_equal(r.total, 0);
}

/* A ledger of orders N1 .. N<orders> (txn ids T1 ..) paid long before the
 * window, and n keys "N1" .. "N<n>" (reversed: "N<n>" .. "N1"), to free. */
static char **numbered_orders(int orders, int n, bool reversed)
{
	char q[300];
	sql("TRUNCATE ledger_orders, ledger_refunds");
	snprintf(q, sizeof q,
		 "INSERT INTO ledger_orders SELECT 'N' || i, 'm1', 'wechat', 'T' || i, i, 'CNY', 'PAID',"
		 " '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00', NULL FROM generate_series(1, %d) AS i",
		 orders);
	sql(q);
	char **keys = malloc((size_t)n * sizeof *keys);
	for (int i = 0; i < n; i++) {
		keys[i] = malloc(16);
		snprintf(keys[i], 16, "N%d", reversed ? n - i : i + 1);
	}
	return keys;
}

static void test_lookup_batches(void **state)
{
	(void)state;
	enum { N = 12500 };
	char **keys = numbered_orders(12000, N, false);
	rcn_err err;
	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	rcn_ledger_window w = {day_of("2026-03-01"), 3, "Asia/Shanghai", NULL, NULL, false, NULL};
	assert_ok(rcn_ledger_lookup(db, &w, (const char *const *)keys, N, NULL, 0, NULL, 0, NULL, 0, &s, &err));
	assert_int_equal(r.total, 12000);
	recorder_free(&r);
	for (int i = 0; i < N; i++)
		free(keys[i]);
	free(keys);
}

/* Rows in the order they arrive, folded into one number. */
typedef struct {
	uint64_t hash;
	size_t n;
	size_t longest; /* merchant_id */
	size_t bytes;	/* of every merchant_id */
} fold;

static void fold_text(fold *f, const char *s)
{
	for (; *s; s++)
		f->hash = f->hash * 1099511628211u + (unsigned char)*s;
	f->hash = f->hash * 1099511628211u + 0xff;
}

static void fold_order(void *ctx, const rcn_ledger_order *o)
{
	fold *f = ctx;
	char created[20], paid[20];
	const char *texts[] = {o->order_no,
			       o->merchant_id,
			       o->channel,
			       o->status,
			       rcn_time_format(created, o->created_at),
			       rcn_time_format(paid, o->paid_at)};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		fold_text(f, texts[i]);
	f->hash = f->hash * 31 + (uint64_t)o->amount_fen * 7 + (uint64_t)o->business_date;
	if (strlen(o->merchant_id) > f->longest)
		f->longest = strlen(o->merchant_id);
	f->bytes += strlen(o->merchant_id);
	f->n++;
}

/* Keys handed over batch by batch as a scan finds them: each batch is asked
 * while the next is found, and no row is delivered until the scan is done;
 * the rows and their order are rcn_ledger_lookup's, also when the answers
 * held exceed held_max and the later batches wait for the scan's end. */
typedef struct {
	char **keys;
	size_t n, at, batches;
	fold *f;
	size_t delivered_during_scan;
	bool others_called;
} key_feed;

static size_t feed_batch(void *ctx, size_t want, const char *const **batch)
{
	key_feed *k = ctx;
	k->delivered_during_scan += k->f->n;
	size_t n = k->n - k->at < want ? k->n - k->at : want;
	*batch = (const char *const *)k->keys + k->at;
	k->at += n;
	k->batches += n > 0;
	return n;
}

static void feed_others(void *ctx, rcn_ledger_key_lists *out)
{
	key_feed *k = ctx;
	k->others_called = true;
	static const char *txns[] = {"T12001"}; /* an order the batches did not name */
	*out = (rcn_ledger_key_lists){.txn_ids = txns, .n_txn = 1};
}

static void test_lookup_streamed(void **state)
{
	(void)state;
	enum { N = 12500 };
	char **keys = numbered_orders(12001, N, true); /* (not in the index's order) */
	rcn_err err;
	rcn_ledger_window w = {day_of("2026-03-01"), 3, "Asia/Shanghai", NULL, NULL, false, NULL};
	fold all = {0};
	rcn_ledger_sink s = {.order = fold_order, .ctx = &all};
	const char *txns[] = {"T12001"};
	assert_ok(rcn_ledger_lookup(db, &w, (const char *const *)keys, N, txns, 1, NULL, 0, NULL, 0, &s, &err));
	assert_int_equal(all.n, 12001);
	size_t limits[] = {0, 1};
	for (size_t i = 0; i < 2; i++) {
		fold got = {0};
		rcn_ledger_sink gs = {.order = fold_order, .ctx = &got};
		key_feed k = {.keys = keys, .n = N, .f = &got};
		rcn_ledger_keys src = {feed_batch, feed_others, &k, limits[i]};
		assert_ok(rcn_ledger_lookup_keys(db, &w, &src, &gs, &err));
		assert_int_equal(k.batches, 3); /* 5,000 keys a batch */
		assert_int_equal(k.delivered_during_scan, 0);
		assert_true(k.others_called);
		assert_int_equal(got.n, 12001);
		assert_true(got.hash == all.hash);
	}
	/* a failing batch: the error, and the connection still usable */
	w.orders_sql = "SELECT * FROM no_such_table";
	fold none = {0};
	rcn_ledger_sink ns = {.order = fold_order, .ctx = &none};
	key_feed k = {.keys = keys, .n = N, .f = &none};
	rcn_ledger_keys src = {feed_batch, feed_others, &k, 0};
	assert_int_equal(rcn_ledger_lookup_keys(db, &w, &src, &ns, &err), RCN_EDB);
	assert_non_null(strstr(err.msg, "no_such_table"));
	assert_int_equal(none.n, 0);
	w.orders_sql = NULL;
	k = (key_feed){.keys = keys, .n = 10, .f = &none};
	assert_ok(rcn_ledger_lookup_keys(db, &w, &src, &ns, &err));
	assert_int_equal(none.n, 1); /* N12500 .. N12491 are not in the ledger; T12001 is */
	for (int i = 0; i < N; i++)
		free(keys[i]);
	free(keys);
}

/* Received on one thread and parsed on another (more than a megabyte of rows,
 * so several batches, and a row bigger than a batch): the same rows in the
 * same order as on one thread, the same error, and a usable connection. */
static void test_window_pipelined(void **state)
{
	(void)state;
	sql("TRUNCATE ledger_orders, ledger_refunds");
	/* in this order on disk, so COPY sends the big row in the middle */
	sql("INSERT INTO ledger_orders SELECT 'P' || i,"
	    " CASE WHEN i = 20000 THEN repeat('x', 1500000) ELSE 'm' || (i % 7) END, 'wechat', 'T' || i, i, 'CNY', "
	    "'PAID',"
	    " '2026-03-01 01:00:00+00'::timestamptz + i * interval '1 ms', NULL, NULL FROM generate_series(1, 30000) "
	    "AS i");
	/* and rows whose messages end on either side of the 64 KiB a message
	 * is first read into (a row of exactly that is whole, one byte more
	 * is read on) */
	sql("INSERT INTO ledger_orders SELECT 'P' || i, repeat('y', 65300 + i - 30001), 'wechat', 'T' || i, i, 'CNY',"
	    " 'PAID', '2026-03-01 01:00:00+00'::timestamptz + i * interval '1 ms', NULL, NULL"
	    " FROM generate_series(30001, 30200) AS i");
	rcn_err err;
	rcn_ledger_window w = {day_of("2026-03-01"), 0, "Asia/Shanghai", NULL, NULL, false, NULL};
	fold one = {0}, two = {0};
	rcn_ledger_sink s1 = {.order = fold_order, .ctx = &one}, s2 = {.order = fold_order, .ctx = &two};
	assert_ok(rcn_ledger_load_window(db, &w, &s1, &err));
	w.pipelined = true;
	assert_ok(rcn_ledger_load_window(db, &w, &s2, &err));
	assert_int_equal(one.n, 30200);
	assert_int_equal(one.longest, 1500000);
	assert_int_equal(one.bytes, 1500000 + 29999 * 2 + 200 * 65300 + 199 * 200 / 2);
	assert_int_equal(two.n, one.n);
	assert_int_equal(two.longest, one.longest);
	assert_int_equal(two.bytes, one.bytes);
	assert_true(two.hash == one.hash);

	/* a bad row in the middle of the stream: the same one-line error either way */
	w.orders_sql = "SELECT order_no, merchant_id, channel, channel_txn_id,"
		       " CASE WHEN order_no = 'P25000' THEN 0.5 ELSE amount_fen END AS amount_fen,"
		       " currency, status, created_at, paid_at, contract_id FROM ledger_orders";
	char msg[2][sizeof err.msg];
	for (int p = 0; p < 2; p++) {
		fold f = {0};
		rcn_ledger_sink sk = {.order = fold_order, .ctx = &f};
		w.pipelined = p;
		assert_int_equal(rcn_ledger_load_window(db, &w, &sk, &err), RCN_EDB);
		snprintf(msg[p], sizeof msg[p], "%s", err.msg);
		assert_true(f.n < 30000);
	}
	assert_string_equal(msg[0], "ledger order P25000: amount_fen \"0.5\" is not a whole number of fen");
	assert_string_equal(msg[1], msg[0]);

	/* the server failing in the middle of the stream, after rows were sent:
	 * its message, either way, and the rows before it are not all there */
	w.orders_sql = "SELECT order_no, merchant_id, channel, channel_txn_id,"
		       " amount_fen / CASE WHEN order_no = 'P25000' THEN 0 ELSE 1 END AS amount_fen,"
		       " currency, status, created_at, paid_at, contract_id FROM ledger_orders";
	for (int p = 0; p < 2; p++) {
		fold f = {0};
		rcn_ledger_sink sk = {.order = fold_order, .ctx = &f};
		w.pipelined = p;
		assert_int_equal(rcn_ledger_load_window(db, &w, &sk, &err), RCN_EDB);
		assert_string_equal(err.msg, "[ledger] orders_query: division by zero");
		assert_true(f.n > 0 && f.n < 30000);
	}
	w.orders_sql = NULL;
	fold again = {0};
	rcn_ledger_sink sa = {.order = fold_order, .ctx = &again};
	assert_ok(rcn_ledger_load_window(db, &w, &sa, &err));
	assert_true(again.hash == one.hash);
}

static int waited;

static void on_wait(void *ctx)
{
	(void)ctx;
	waited++;
}

static void test_lock(void **state)
{
	(void)state;
	rcn_err err;
	rcn_db *other;
	rcn_date d = day_of("2026-03-01");
	assert_ok(rcn_db_connect(&other, "", &err));
	assert_ok(rcn_db_lock_date(db, d, 0, on_wait, NULL, &err));
	assert_int_equal(rcn_db_lock_date(other, d, 0, on_wait, NULL, &err), RCN_EBUSY);
	assert_int_equal(err.code, RCN_EBUSY);
	assert_string_equal(err.msg, "another recon run for 2026-03-01 is in progress");
	assert_int_equal(waited, 0);
	/* waits, tells once, gives up */
	assert_int_equal(rcn_db_lock_date(other, d, 1, on_wait, NULL, &err), RCN_EBUSY);
	assert_int_equal(waited, 1);
	/* another date is free */
	assert_ok(rcn_db_lock_date(other, d + 1, 0, NULL, NULL, &err));
	rcn_db_unlock_date(other, d + 1);
	rcn_db_unlock_date(db, d);
	assert_ok(rcn_db_lock_date(other, d, 0, NULL, NULL, &err));
	assert_int_equal(rcn_db_lock_date(db, d, 0, NULL, NULL, &err), RCN_EBUSY);
	/* Closing the session releases its lock; the backend exits a moment
	 * later, so this also shows that waiting picks the lock up. */
	rcn_db_close(other);
	assert_ok(rcn_db_lock_date(db, d, 5, on_wait, NULL, &err));
	assert_true(waited <= 2);
	rcn_db_unlock_date(db, d);
}

static const rcn_run_input run_inputs[] = {
	{"wechat-main", "/data/bills/wechat/\"20260301\".csv.gz", "ab12", "wechat-all", 3, "ok", NULL},
	{"wechat-sp", "/data/x\\y\n.csv", "", "", 0, "control totals: 总金额 differs", NULL},
};

static rcn_run_info run_for(const char *date)
{
	rcn_run_info run = {day_of(date),
			    "2026-03-02T01:00:00Z",
			    12.5,
			    1,
			    run_inputs,
			    2,
			    "{\"matched\":3,\"SHORT_PAYMENT\":1,\"PENDING\":2}",
			    NULL,
			    NULL,
			    NULL,
			    NULL,
			    NULL,
			    NULL,
			    NULL,
			    NULL};
	return run;
}

static void make_findings(rcn_finding f[3])
{
	memset(f, 0, 3 * sizeof *f);
	f[0] = (rcn_finding){.kind = RCN_K_SHORT_PAYMENT,
			     .reason = "missing",
			     .side = RCN_SIDE_LEDGER,
			     .rec_type = RCN_REC_PAYMENT,
			     .channel = "wechat",
			     .merchant_id = "m1",
			     .order_no = "A1",
			     .refund_no = "",
			     .channel_txn_id = "",
			     .channel_refund_id = "",
			     .ledger_status = "PAID",
			     .channel_status = "",
			     .has_ledger_amount = true,
			     .ledger_amount = 1234,
			     .trade_time = "2026-03-01 10:00:00",
			     .first_seen = day_of("2026-02-26"),
			     .age_days = 3,
			     .source = "ledger_orders",
			     .detail = ""};
	f[1] = (rcn_finding){.kind = RCN_K_PENDING,
			     .reason = "cutoff",
			     .side = RCN_SIDE_CHANNEL,
			     .rec_type = RCN_REC_REFUND,
			     .channel = "wechat",
			     .merchant_id = "m1",
			     .order_no = "P1",
			     .refund_no = "RF1",
			     .channel_txn_id = "4200P1",
			     .channel_refund_id = "5000P1",
			     .ledger_status = "",
			     .channel_status = "SUCCESS",
			     .has_channel_amount = true,
			     .channel_amount = 500,
			     .channel_settle = 490,
			     .has_expected_fee = true,
			     .expected_fee = 300,
			     .has_channel_fee = true,
			     .channel_fee = -300,
			     .trade_time = "2026-03-01 23:59:59",
			     .first_seen = day_of("2026-03-01"),
			     .age_days = 0,
			     .source = "bill.csv:12",
			     .detail = "tab\there\nnew \\ line \\N 中文\r"};
	/* a ledger row like f[0], pending at the cut-off */
	f[2] = f[0];
	f[2].kind = RCN_K_PENDING;
	f[2].reason = "cutoff";
	f[2].order_no = "P2";
	f[2].ledger_amount = 100;
	f[2].trade_time = "";
	f[2].first_seen = day_of("2026-02-28");
	f[2].age_days = 1;
}

static void assert_finding_equal(const rcn_finding *got, const rcn_finding *want)
{
	assert_int_equal(got->kind, RCN_K_PENDING);
	assert_string_equal(got->reason, want->reason);
	assert_int_equal(got->side, want->side);
	assert_int_equal(got->rec_type, want->rec_type);
	assert_string_equal(got->channel, want->channel);
	assert_string_equal(got->merchant_id, want->merchant_id);
	assert_string_equal(got->order_no, want->order_no);
	assert_string_equal(got->refund_no, want->refund_no);
	assert_string_equal(got->channel_txn_id, want->channel_txn_id);
	assert_string_equal(got->channel_refund_id, want->channel_refund_id);
	assert_string_equal(got->ledger_status, want->ledger_status);
	assert_string_equal(got->channel_status, want->channel_status);
	assert_int_equal(got->has_ledger_amount, want->has_ledger_amount);
	assert_int_equal(got->has_channel_amount, want->has_channel_amount);
	assert_int_equal(got->has_expected_fee, want->has_expected_fee);
	assert_int_equal(got->has_channel_fee, want->has_channel_fee);
	assert_int_equal(got->ledger_amount, want->ledger_amount);
	assert_int_equal(got->channel_amount, want->channel_amount);
	assert_int_equal(got->channel_settle, want->channel_settle);
	assert_int_equal(got->expected_fee, want->expected_fee);
	assert_int_equal(got->channel_fee, want->channel_fee);
	assert_string_equal(got->trade_time, want->trade_time);
	assert_int_equal(got->first_seen, want->first_seen);
	assert_int_equal(got->age_days, want->age_days);
	assert_string_equal(got->source, want->source);
	assert_string_equal(got->detail, want->detail);
}

static void truncate_results(void)
{
	sql("TRUNCATE recon_runs, recon_discrepancies, recon_suspense");
}

static void test_store_and_load_suspense(void **state)
{
	(void)state;
	truncate_results();
	rcn_finding f[3];
	make_findings(f);
	const rcn_finding *list[3] = {&f[0], &f[1], &f[2]};
	rcn_run_info run = run_for("2026-03-01");
	rcn_err err;
	long later = -1;
	assert_ok(rcn_db_store_results(db, &run, list, 3, NULL, 0, NULL, 0, &later, &err));
	assert_int_equal(later, 0);

	assert_string_equal(value("SELECT count(*) FROM recon_discrepancies WHERE business_date = '2026-03-01'"), "1");
	assert_string_equal(value("SELECT kind || ' ' || kind_cn || ' ' || side || ' ' || rec_type || ' '"
				  " || ledger_amount_fen || ' ' || coalesce(channel_amount_fen::text, 'null') || ' '"
				  " || first_seen || ' ' || age_days FROM recon_discrepancies"),
			    "SHORT_PAYMENT 短款 L payment 1234 null 2026-02-26 3");
	assert_string_equal(value("SELECT string_agg(kind || ' ' || kind_cn, ',') FROM recon_suspense"),
			    "PENDING 待核对,PENDING 待核对");
	assert_string_equal(value("SELECT exit_status || ' ' || seconds || ' ' || stale || ' ' || recon_version"
				  " || ' ' || (finished_at - started_at) FROM recon_runs"),
			    "1 12.5 false " RECON_VERSION " 00:00:12.5");
	assert_string_equal(value("SELECT inputs->0->>'path' FROM recon_runs"),
			    "/data/bills/wechat/\"20260301\".csv.gz");
	assert_string_equal(value("SELECT inputs->1->>'path' FROM recon_runs"), "/data/x\\y\n.csv");
	assert_string_equal(value("SELECT inputs->1->>'verdict' FROM recon_runs"), "control totals: 总金额 differs");
	assert_string_equal(value("SELECT (inputs->0->>'rows') || ' ' || (inputs->0->>'sha256') || ' '"
				  " || jsonb_array_length(inputs) FROM recon_runs"),
			    "3 ab12 2");
	assert_string_equal(value("SELECT counts->>'PENDING' FROM recon_runs"), "2");

	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	bool had_run = false;
	assert_ok(rcn_ledger_load_suspense(db, day_of("2026-03-01"), &had_run, &s, &err));
	assert_true(had_run);
	assert_int_equal(r.n_found, 2);
	assert_finding_equal(&r.found[0], &f[1]);
	assert_finding_equal(&r.found[1], &f[2]);
	recorder_free(&r);

	assert_ok(rcn_ledger_load_suspense(db, day_of("2026-02-28"), &had_run, &s, &err));
	assert_false(had_run);
	assert_int_equal(r.n_found, 0);
}

static void test_restore_replaces(void **state)
{
	(void)state;
	truncate_results();
	rcn_finding f[3];
	make_findings(f);
	const rcn_finding *list[3] = {&f[0], &f[1], &f[2]};
	rcn_run_info run = run_for("2026-03-01");
	rcn_err err;
	assert_ok(rcn_db_store_results(db, &run, list, 3, NULL, 0, NULL, 0, NULL, &err));
	assert_ok(rcn_db_store_results(db, &run, list, 3, NULL, 0, NULL, 0, NULL, &err));
	assert_string_equal(value("SELECT count(*) FROM recon_discrepancies"), "1");
	assert_string_equal(value("SELECT count(*) FROM recon_suspense"), "2");
	assert_string_equal(value("SELECT count(*) FROM recon_runs"), "2");
	/* A run with nothing to report clears the date. */
	run.exit_status = 0;
	assert_ok(rcn_db_store_results(db, &run, NULL, 0, NULL, 0, NULL, 0, NULL, &err));
	assert_string_equal(value("SELECT count(*) FROM recon_discrepancies"), "0");
	assert_string_equal(value("SELECT count(*) FROM recon_suspense"), "0");
	/* A failed store leaves the previous results in place. */
	assert_ok(rcn_db_store_results(db, &run, list, 3, NULL, 0, NULL, 0, NULL, &err));
	run.counts_json = "{not json";
	assert_int_equal(rcn_db_store_results(db, &run, list, 1, NULL, 0, NULL, 0, NULL, &err), RCN_EDB);
	assert_int_equal(err.code, RCN_EDB);
	assert_null(strchr(err.msg, '\n'));
	assert_non_null(strstr(err.msg, "storing recon_runs: invalid input syntax for type json"));
	assert_string_equal(value("SELECT count(*) FROM recon_suspense"), "2");
	assert_string_equal(value("SELECT count(*) FROM recon_runs"), "4");
}

/* Findings handed over in many calls, as the matcher streams them: the
 * pending ones reach recon_suspense a batch at a time while the
 * discrepancies' COPY is closed and opened again around each batch. Every
 * row is stored exactly once, in its own table; a store that fails at the
 * end takes every batch back with it. */
static void test_store_streamed(void **state)
{
	(void)state;
	truncate_results();
	enum { N = 120000, CALL = 7000 };
	static rcn_finding f[N];
	static char orders[N][16];
	static const rcn_finding *list[N];
	rcn_finding proto[3];
	make_findings(proto);
	for (int i = 0; i < N; i++) {
		f[i] = proto[i % 3];
		snprintf(orders[i], sizeof orders[i], "S%06d", i);
		f[i].order_no = orders[i];
		list[i] = &f[i];
	}
	for (int round = 0; round < 2; round++) {
		rcn_run_info run = run_for("2026-03-01");
		if (round == 1)
			run.counts_json = "{not json"; /* fails after every batch was stored */
		rcn_results *w;
		rcn_err err;
		assert_ok(rcn_results_begin(&w, db, day_of("2026-03-01"), &err));
		for (int i = 0; i < N; i += CALL)
			assert_ok(rcn_results_add(w, list + i, (size_t)(N - i < CALL ? N - i : CALL), &err));
		rcn_rc rc = rcn_results_finish(w, &run, NULL, 0, NULL, 0, NULL, &err);
		rcn_results_free(w);
		assert_int_equal(rc, round == 0 ? RCN_OK : RCN_EDB);
		/* a third of them discrepancies (S000000, S000003, ...), the rest pending, each once */
		assert_string_equal(value("SELECT count(*) || ' ' || count(DISTINCT order_no) || ' ' || min(order_no)"
					  " || ' ' || max(order_no) FROM recon_discrepancies"),
				    "40000 40000 S000000 S119997");
		assert_string_equal(value("SELECT count(*) || ' ' || count(DISTINCT order_no) || ' ' || min(order_no)"
					  " || ' ' || max(order_no) FROM recon_suspense"),
				    "80000 80000 S000001 S119999");
		assert_string_equal(value("SELECT count(*) FROM recon_suspense WHERE order_no ~ '^S[0-9]+$'"
					  " AND substr(order_no, 2)::int % 3 = 0"),
				    "0");
		assert_string_equal(value("SELECT count(*) FROM recon_runs"), "1");
	}
}

static void test_later_dates_stale(void **state)
{
	(void)state;
	truncate_results();
	rcn_err err;
	long later = -1;
	rcn_run_info d2 = run_for("2026-03-02");
	rcn_run_info d3 = run_for("2026-03-03");
	rcn_run_info d1 = run_for("2026-03-01");
	assert_ok(rcn_db_store_results(db, &d2, NULL, 0, NULL, 0, NULL, 0, &later, &err));
	assert_ok(rcn_db_store_results(db, &d3, NULL, 0, NULL, 0, NULL, 0, &later, &err));
	assert_ok(rcn_db_store_results(db, &d3, NULL, 0, NULL, 0, NULL, 0, &later, &err));
	assert_int_equal(later, 0);
	assert_ok(rcn_db_store_results(db, &d1, NULL, 0, NULL, 0, NULL, 0, &later, &err));
	assert_int_equal(later, 2);
	assert_string_equal(value("SELECT string_agg(business_date || ' ' || stale || ' '"
				  " || coalesce(stale_reason, '-'), ',' ORDER BY run_id) FROM recon_runs"),
			    "2026-03-02 true suspense of 2026-03-01 changed,"
			    "2026-03-03 true suspense of 2026-03-01 changed,"
			    "2026-03-03 true suspense of 2026-03-01 changed,"
			    "2026-03-01 false -");
	/* Re-running 03-02 with the same suspense leaves later dates as they are;
	 * with another suspense it marks only 03-03 (already stale, still
	 * needing a re-run). */
	assert_ok(rcn_db_store_results(db, &d2, NULL, 0, NULL, 0, NULL, 0, &later, &err));
	assert_int_equal(later, 0);
	rcn_finding f[3];
	make_findings(f);
	const rcn_finding *pf[3] = {&f[0], &f[1], &f[2]};
	assert_ok(rcn_db_store_results(db, &d2, pf, 3, NULL, 0, NULL, 0, &later, &err));
	assert_int_equal(later, 1);
	/* the same findings in another order are the same suspense */
	const rcn_finding *pr[3] = {&f[2], &f[1], &f[0]};
	assert_ok(rcn_db_store_results(db, &d2, pr, 3, NULL, 0, NULL, 0, &later, &err));
	assert_int_equal(later, 0);
	/* a changed pending item is a changed suspense; a changed discrepancy is not */
	f[0].ledger_amount++;
	assert_ok(rcn_db_store_results(db, &d2, pf, 3, NULL, 0, NULL, 0, &later, &err));
	assert_int_equal(later, 0);
	f[1].channel_amount++;
	assert_ok(rcn_db_store_results(db, &d2, pf, 3, NULL, 0, NULL, 0, &later, &err));
	assert_int_equal(later, 1);
	/* the settlements a date expects are read by later dates too */
	rcn_settlement st = {.channel = "wechat",
			     .merchant_id = "m1",
			     .cycle = "T+1",
			     .business_date = day_of("2026-03-02"),
			     .due_date = day_of("2026-03-03")};
	st.amount.net_fen = 100;
	assert_ok(rcn_db_store_results(db, &d2, pf, 3, NULL, 0, &st, 1, &later, &err));
	assert_int_equal(later, 1);
	assert_ok(rcn_db_store_results(db, &d2, pf, 3, NULL, 0, &st, 1, &later, &err));
	assert_int_equal(later, 0);
	/* a later date's verdict on that settlement survives a re-run expecting
	 * the same settlement (nobody would re-check it), not one expecting another */
	sql("UPDATE recon_settlements SET status = 'settled', settled_fen = 100, settled_on = '2026-03-03'"
	    " WHERE business_date = '2026-03-02'");
	assert_ok(rcn_db_store_results(db, &d2, pf, 3, NULL, 0, &st, 1, &later, &err));
	assert_int_equal(later, 0);
	assert_string_equal(value("SELECT status || ' ' || settled_fen || ' ' || settled_on FROM recon_settlements"
				  " WHERE business_date = '2026-03-02'"),
			    "settled 100 2026-03-03");
	st.due_date++;
	assert_ok(rcn_db_store_results(db, &d2, pf, 3, NULL, 0, &st, 1, &later, &err));
	assert_int_equal(later, 1);
	assert_string_equal(value("SELECT status || ' ' || coalesce(settled_fen::text, '-') FROM recon_settlements"
				  " WHERE business_date = '2026-03-02'"),
			    "due -");
	assert_string_equal(value("SELECT stale_reason FROM recon_runs WHERE business_date = '2026-03-03' LIMIT 1"),
			    "suspense of 2026-03-01 changed");
	/* had_run ignores nothing but database failures: exit 1 counts. */
	bool had_run = false;
	recorder r = {0};
	rcn_ledger_sink s = sink_for(&r);
	assert_ok(rcn_ledger_load_suspense(db, day_of("2026-03-03"), &had_run, &s, &err));
	assert_true(had_run);
	/* store refuses to run inside the ledger snapshot */
	assert_ok(rcn_ledger_begin(db, &err));
	assert_int_equal(rcn_db_store_results(db, &d1, NULL, 0, NULL, 0, NULL, 0, &later, &err), RCN_EDB);
	assert_ok(rcn_ledger_end(db, &err));
}

static void test_bad_conninfo(void **state)
{
	(void)state;
	rcn_err err;
	rcn_db *bad = NULL;
	const char *cases[] = {
		"host=/nonexistent-recon-dir port=1 user=x password=hunter2secret",
		"postgresql://x:hunter2secret@/recon?host=/nonexistent-recon-dir",
		"password=hunter2secret bogus_option=1",
		"host=/nonexistent-recon-dir password='hunter2secret",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rcn_err_clear(&err);
		assert_int_equal(rcn_db_connect(&bad, cases[i], &err), RCN_EDB);
		assert_null(bad);
		assert_int_equal(err.code, RCN_EDB);
		assert_null(strchr(err.msg, '\n'));
		assert_null(strstr(err.msg, "hunter2"));
		assert_non_null(strstr(err.msg, "cannot connect to the database: "));
		assert_true(strlen(err.msg) > strlen("cannot connect to the database: "));
	}
	assert_int_equal(rcn_db_connect(&bad, "dbname=recon_no_such_db", &err), RCN_EDB);
	assert_non_null(strstr(err.msg, "database \"recon_no_such_db\" does not exist"));
	assert_null(strchr(err.msg, '\n'));
}

RCN_TEST_MAIN_FIXTURE(group_setup, db_test_close, cmocka_unit_test(test_migrate_twice),
		      cmocka_unit_test(test_window_cutoff), cmocka_unit_test(test_window_escapes),
		      cmocka_unit_test(test_window_local_times), cmocka_unit_test(test_site_sql_types),
		      cmocka_unit_test(test_times_out_of_range), cmocka_unit_test(test_window_zone_changes),
		      cmocka_unit_test(test_window_pipelined), cmocka_unit_test(test_snapshot),
		      cmocka_unit_test(test_site_sql), cmocka_unit_test(test_window_expect),
		      cmocka_unit_test(test_lookup), cmocka_unit_test(test_lookup_batches),
		      cmocka_unit_test(test_lookup_streamed), cmocka_unit_test(test_lock),
		      cmocka_unit_test(test_store_and_load_suspense), cmocka_unit_test(test_restore_replaces),
		      cmocka_unit_test(test_store_streamed), cmocka_unit_test(test_later_dates_stale),
		      cmocka_unit_test(test_bad_conninfo))
