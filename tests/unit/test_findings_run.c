/* Sorted runs of findings on disk and their merge (recon/findings_run.h):
 * a night's findings split into runs, each sorted and written, come back
 * from the merge in exactly the order of the whole list sorted at once,
 * every field equal (NULL kept NULL); a second pass gives the same; an
 * empty run and a run of one are runs; a damaged run is an error naming it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recon/findings.h"
#include "recon/findings_run.h"

enum { N = 500, RUNS = 4 };

static char text[N][6][40];
static rcn_finding all[N];

/* Finding i: kinds, channels, reasons and statuses repeating in different
 * rhythms, amounts of both signs and extremes, optional strings. */
static void make(void)
{
	static const char *const reasons[] = {"missing", "amount", "lost_callback"};
	static const char *const channels[] = {"wechat", "alipay", ""};
	for (int i = 0; i < N; i++) {
		snprintf(text[i][0], 40, "ORD-%05d", (i * 7919) % 100000);
		snprintf(text[i][1], 40, "42000%d", i);
		snprintf(text[i][2], 40, "wx.csv:%d", i + 2);
		snprintf(text[i][3], 40, "detail %d", i);
		if (i % 4 == 0)
			text[i][3][0] = '\0';
		snprintf(text[i][4], 40, "2026-03-02 %02d:%02d:00", i % 24, i % 60);
		snprintf(text[i][5], 40, "R%d", i);
		all[i] = (rcn_finding){.kind = (rcn_kind)(i % (RCN_K__COUNT - 1)),
				       .due_by = i % 3 ? 20514 + i % 5 : 0,
				       .reason = reasons[i % 3],
				       .side = i % 2 ? RCN_SIDE_CHANNEL : RCN_SIDE_LEDGER,
				       .rec_type = i % 5 ? RCN_REC_PAYMENT : RCN_REC_REFUND,
				       .channel = channels[i % 3],
				       .merchant_id = "1900000109",
				       .order_no = text[i][0],
				       .refund_no = i % 5 ? "" : text[i][5],
				       .channel_txn_id = text[i][1],
				       .channel_refund_id = "",
				       .ledger_status = i % 6 ? "PAID" : "",
				       .channel_status = i % 4 ? "SUCCESS" : "REFUND",
				       .has_ledger_amount = i % 2,
				       .has_channel_amount = i % 3 != 0,
				       .has_expected_fee = i % 7 == 0,
				       .has_channel_fee = i % 7 == 1,
				       .has_difference = i % 11 == 0,
				       .urgent = i % 13 == 0,
				       .ledger_amount = i == 1 ? INT64_MAX : i * 100,
				       .channel_amount = i == 2 ? INT64_MIN : -i,
				       .channel_settle = i * 99,
				       .expected_fee = i * 60,
				       .channel_fee = -i * 60,
				       .trade_time = text[i][4],
				       .first_seen = 20500 + i % 9,
				       .age_days = i % 9,
				       .source = text[i][2],
				       .detail = text[i][3],
				       .difference = i - 250,
				       .action_cn = i % 3 ? "核对后补单" : NULL,
				       .item_id = i % 2 ? text[i][5] : NULL};
	}
}

static void same(const rcn_finding *a, const rcn_finding *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->due_by, b->due_by);
	assert_string_equal(a->reason, b->reason);
	assert_int_equal(a->side, b->side);
	assert_int_equal(a->rec_type, b->rec_type);
	assert_string_equal(a->channel, b->channel);
	assert_string_equal(a->merchant_id, b->merchant_id);
	assert_string_equal(a->order_no, b->order_no);
	assert_string_equal(a->refund_no, b->refund_no);
	assert_string_equal(a->channel_txn_id, b->channel_txn_id);
	assert_string_equal(a->channel_refund_id, b->channel_refund_id);
	assert_string_equal(a->ledger_status, b->ledger_status);
	assert_string_equal(a->channel_status, b->channel_status);
	assert_int_equal(a->has_ledger_amount, b->has_ledger_amount);
	assert_int_equal(a->has_channel_amount, b->has_channel_amount);
	assert_int_equal(a->has_expected_fee, b->has_expected_fee);
	assert_int_equal(a->has_channel_fee, b->has_channel_fee);
	assert_int_equal(a->has_difference, b->has_difference);
	assert_int_equal(a->urgent, b->urgent);
	assert_true(a->ledger_amount == b->ledger_amount && a->channel_amount == b->channel_amount);
	assert_true(a->channel_settle == b->channel_settle && a->expected_fee == b->expected_fee);
	assert_true(a->channel_fee == b->channel_fee && a->difference == b->difference);
	assert_string_equal(a->trade_time, b->trade_time);
	assert_int_equal(a->first_seen, b->first_seen);
	assert_int_equal(a->age_days, b->age_days);
	assert_string_equal(a->source, b->source);
	assert_string_equal(a->detail, b->detail);
	if (b->action_cn)
		assert_string_equal(a->action_cn, b->action_cn);
	else
		assert_null(a->action_cn);
	if (b->item_id)
		assert_string_equal(a->item_id, b->item_id);
	else
		assert_null(a->item_id);
}

static char dir[64];
static char paths[RUNS + 2][128];

/* Writes the runs: finding i to run i % RUNS (the last run empty), each sorted. */
static void write_runs(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_findings_run.XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (int k = 0; k < RUNS + 1; k++) {
		const rcn_finding *part[N];
		size_t n = 0;
		for (int i = 0; i < N && k < RUNS; i++)
			if (i % RUNS == k)
				part[n++] = &all[i];
		if (n)
			qsort(part, n, sizeof *part, rcn_findings_cmp);
		snprintf(paths[k], sizeof paths[k], "%s/run-%d", dir, k);
		rcn_err err;
		assert_true(rcn_findings_run_write(paths[k], part, n, NULL, &err));
	}
	/* a run of one */
	const rcn_finding *one[] = {&all[7]};
	snprintf(paths[RUNS + 1], sizeof paths[RUNS + 1], "%s/run-one", dir);
	rcn_err err;
	assert_true(rcn_findings_run_write(paths[RUNS + 1], one, 1, NULL, &err));
}

static void remove_runs(void)
{
	for (int k = 0; k < RUNS + 2; k++)
		(void)unlink(paths[k]);
	(void)rmdir(dir);
}

static void test_merge_is_the_sorted_list(void **state)
{
	(void)state;
	make();
	write_runs();
	const rcn_finding *sorted[N + 1];
	for (int i = 0; i < N; i++)
		sorted[i] = &all[i];
	sorted[N] = &all[7]; /* (the run of one: the same finding twice) */
	qsort(sorted, N + 1, sizeof *sorted, rcn_findings_cmp);
	const char *p[RUNS + 2];
	for (int k = 0; k < RUNS + 2; k++)
		p[k] = paths[k];
	for (int pass = 0; pass < 2; pass++) {
		rcn_err err;
		rcn_findings_merge *m = rcn_findings_merge_open(p, RUNS + 2, NULL, 0, &err);
		assert_non_null(m);
		size_t n = 0;
		const rcn_finding *f;
		while ((f = rcn_findings_merge_next(m)) != NULL) {
			assert_true(n < N + 1);
			same(f, sorted[n++]);
		}
		assert_int_equal(n, N + 1);
		assert_true(rcn_findings_merge_ok(m, &err));
		rcn_findings_merge_close(m);
	}
	/* no run at all */
	rcn_err err;
	rcn_findings_merge *m = rcn_findings_merge_open(NULL, 0, NULL, 0, &err);
	assert_null(rcn_findings_merge_next(m));
	rcn_findings_merge_close(m);
	remove_runs();
}

static void test_damaged_run(void **state)
{
	(void)state;
	make();
	write_runs();
	/* run 2 cut in the middle of a record */
	FILE *f = fopen(paths[2], "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long size = ftell(f);
	fclose(f);
	assert_int_equal(truncate(paths[2], size / 2), 0);
	const char *p[RUNS];
	for (int k = 0; k < RUNS; k++)
		p[k] = paths[k];
	rcn_err err;
	rcn_findings_merge *m = rcn_findings_merge_open(p, RUNS, NULL, 0, &err);
	assert_non_null(m);
	size_t n = 0;
	while (rcn_findings_merge_next(m))
		n++;
	assert_true(n < N);
	assert_false(rcn_findings_merge_ok(m, &err));
	assert_string_equal(err.file, paths[2]);
	assert_non_null(strstr(err.msg, "unreadable"));
	rcn_findings_merge_close(m);
	/* run 2 cut exactly where a kind starts, or where its last record (the
	 * count) starts: between two records, still found */
	const rcn_finding *part[N];
	size_t n2 = 0;
	for (int i = 2; i < N; i += RUNS)
		part[n2++] = &all[i];
	qsort(part, n2, sizeof *part, rcn_findings_cmp);
	rcn_findings_run_index index;
	int cuts = 0;
	for (int k = 1; k <= RCN_K__COUNT; k++) {
		assert_true(rcn_findings_run_write(paths[2], part, n2, &index, &err));
		if (index.at[k] == index.at[k - 1] && k < RCN_K__COUNT)
			continue;
		assert_int_equal(truncate(paths[2], (off_t)index.at[k]), 0);
		cuts++;
		m = rcn_findings_merge_open(p, RUNS, NULL, 0, &err);
		assert_non_null(m);
		while (rcn_findings_merge_next(m))
			;
		assert_false(rcn_findings_merge_ok(m, &err));
		assert_string_equal(err.file, paths[2]);
		rcn_findings_merge_close(m);
	}
	assert_true(cuts >= 3);
	/* a run that is not there */
	p[1] = "/nonexistent/run";
	assert_null(rcn_findings_merge_open(p, RUNS, NULL, 0, &err));
	assert_string_equal(err.file, "/nonexistent/run");
	remove_runs();
}

static char ids[N + 8][16];

static const char *id_of(void *ctx, size_t i, char *buf)
{
	(void)ctx;
	(void)buf;
	snprintf(ids[i], sizeof ids[i], "ID%zu", i);
	return ids[i];
}

/* The sink of a night in parts: runs, then the findings still in memory;
 * a pass over all of it in report order, over one kind (its positions those
 * of the whole order), in any order (every finding once); item ids by
 * position; counts and kinds; a damaged run said by rcn_findings_ok. */
static void test_sink_passes(void **state)
{
	(void)state;
	make();
	snprintf(dir, sizeof dir, "/tmp/test_findings_run.XXXXXX");
	assert_non_null(mkdtemp(dir));
	rcn_findings *s = rcn_findings_new();
	enum { MEM = 5 }; /* all[N - MEM ..] stay in memory */
	long kinds[RCN_K__COUNT] = {0};
	for (int k = 0; k < RUNS; k++) {
		const rcn_finding *part[N];
		size_t n = 0;
		for (int i = 0; i < N - MEM; i++)
			if (i % RUNS == k)
				part[n++] = &all[i];
		qsort(part, n, sizeof *part, rcn_findings_cmp);
		snprintf(paths[k], sizeof paths[k], "%s/findings-%d", dir, k);
		rcn_err err;
		assert_true(rcn_findings_add_run(s, paths[k], part, n, &err));
	}
	for (int i = N - MEM; i < N; i++)
		(void)rcn_findings_add(s, &all[i]);
	for (int i = 0; i < N; i++)
		kinds[all[i].kind]++;
	size_t n_mem;
	(void)rcn_findings_sorted(s, &n_mem);
	assert_int_equal(n_mem, MEM);
	assert_int_equal(rcn_findings_count(s), N);
	assert_int_equal(rcn_findings_runs(s), RUNS);
	long got[RCN_K__COUNT];
	rcn_findings_kinds(s, got);
	assert_memory_equal(got, kinds, sizeof kinds);
	/* the whole order: each run's, then the memory's, merged (no two findings tie) */
	const rcn_finding *sorted[N];
	for (int i = 0; i < N; i++)
		sorted[i] = &all[i];
	qsort(sorted, N, sizeof *sorted, rcn_findings_cmp);
	rcn_findings_label(s, id_of, NULL);
	rcn_findings_pass *p = rcn_findings_pass_open(s);
	size_t n = 0;
	for (const rcn_finding *f; (f = rcn_findings_pass_next(p)) != NULL; n++) {
		assert_int_equal(rcn_findings_pass_ordinal(p), n);
		rcn_finding want = *sorted[n];
		if (sorted[n] >= &all[N - MEM] && !want.action_cn)
			want.action_cn = ""; /* (rcn_findings_add copies NULL as "") */
		char id[16];
		snprintf(id, sizeof id, "ID%zu", n);
		want.item_id = id;
		same(f, &want);
	}
	rcn_findings_pass_close(p);
	assert_int_equal(n, N);
	/* one kind at a time: its findings only, at their places in the whole order */
	size_t total = 0;
	for (int k = 0; k < RCN_K__COUNT; k++) {
		p = rcn_findings_pass_open_kinds(s, (rcn_kind)k, (rcn_kind)k);
		for (const rcn_finding *f; (f = rcn_findings_pass_next(p)) != NULL; total++) {
			size_t at = rcn_findings_pass_ordinal(p);
			assert_int_equal(f->kind, k);
			assert_int_equal(sorted[at]->kind, k);
			assert_string_equal(f->source, sorted[at]->source);
		}
		rcn_findings_pass_close(p);
	}
	assert_int_equal(total, N);
	/* kinds 2 .. 5 */
	p = rcn_findings_pass_open_kinds(s, (rcn_kind)2, (rcn_kind)5);
	n = 0;
	for (const rcn_finding *f; (f = rcn_findings_pass_next(p)) != NULL; n++)
		assert_true(f->kind >= 2 && f->kind <= 5);
	rcn_findings_pass_close(p);
	assert_int_equal(n, kinds[2] + kinds[3] + kinds[4] + kinds[5]);
	/* in any order: each finding once, no ids given */
	bool seen[N] = {0};
	p = rcn_findings_pass_open_any(s);
	n = 0;
	for (const rcn_finding *f; (f = rcn_findings_pass_next(p)) != NULL; n++) {
		int i = atoi(f->source + strlen("wx.csv:")) - 2;
		assert_true(i >= 0 && i < N && !seen[i]);
		seen[i] = true;
		rcn_finding want = all[i];
		if (i >= N - MEM && !want.action_cn)
			want.action_cn = "";
		same(f, &want);
	}
	rcn_findings_pass_close(p);
	assert_int_equal(n, N);
	rcn_err err;
	assert_true(rcn_findings_ok(s, &err));
	/* a run cut short: the pass ends early, and the sink says which run */
	assert_int_equal(truncate(paths[1], 9), 0);
	p = rcn_findings_pass_open(s);
	n = 0;
	while (rcn_findings_pass_next(p))
		n++;
	rcn_findings_pass_close(p);
	assert_true(n < N);
	assert_false(rcn_findings_ok(s, &err));
	assert_string_equal(err.file, paths[1]);
	rcn_findings_free(s);
	for (int k = 0; k < RUNS; k++)
		(void)unlink(paths[k]);
	(void)rmdir(dir);
}

RCN_TEST_MAIN(cmocka_unit_test(test_merge_is_the_sorted_list), cmocka_unit_test(test_damaged_run),
	      cmocka_unit_test(test_sink_passes))
