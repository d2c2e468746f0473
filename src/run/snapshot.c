/* The night's reads of the ledger, in one REPEATABLE READ snapshot: the
 * window (a shard's part of it, or routed part by part for a night in parts),
 * the previous date's suspense, the keys the window lacks and their contracts,
 * and the open-items register (on a connection of its own when there is a
 * core for it). The stages that call these are run.c's. */
#include <string.h>

#include "recon/items.h"
#include "match/perf.h"
#include "recon/match.h"
#include "run/night_state.h"
#include "run/spill.h"

static void sink_order(void *ctx, const rcn_ledger_order *o)
{
	rcn_match_add_order(ctx, o);
}
static void sink_refund(void *ctx, const rcn_ledger_refund *r)
{
	rcn_match_add_refund(ctx, r);
}
static void sink_suspense(void *ctx, const rcn_finding *f)
{
	rcn_match_add_suspense(ctx, f);
}

static void sink_expect_orders(void *ctx, size_t n)
{
	rcn_match_expect_orders(ctx, n);
}

static void sink_contract(void *ctx, const rcn_ledger_contract *c)
{
	rcn_rules_add_contract(ctx, c);
}

/* A night in parts on this machine: the window's rows of part 0 into the
 * matcher, the others' to the spill; the previous date's suspense kept for
 * every part (the matcher keeps its part's). */
static void route_order(void *ctx, const rcn_ledger_order *o)
{
	night *n = ctx;
	uint32_t part = rcn_part_plan_part(&n->part, o->order_no, "");
	if (part == 0)
		rcn_match_add_order(n->m, o);
	else
		rcn_spill_order(n->spill, part, o);
}
static void route_refund(void *ctx, const rcn_ledger_refund *r)
{
	night *n = ctx;
	uint32_t part = rcn_part_plan_part(&n->part, r->order_no, r->refund_no);
	if (part == 0)
		rcn_match_add_refund(n->m, r);
	else
		rcn_spill_refund(n->spill, part, r);
}
static void route_suspense(void *ctx, const rcn_finding *f)
{
	night *n = ctx;
	rcn_match_add_suspense(n->m, f);
	(void)rcn_findings_add(n->saved_susp, f); /* a copy, its strings too */
}
static void route_expect_orders(void *ctx, size_t n_orders)
{
	night *n = ctx;
	rcn_match_expect_orders(n->m, n_orders / n->n_parts + 64);
}

/* The window as a run reads it: a shard's part of it, or NULL. */
static rcn_ledger_window window_of(const rcn_run_opts *o, bool pipelined, rcn_part_plan *part)
{
	return (rcn_ledger_window){
		o->day, o->cfg->carry_over_days, o->cfg->timezone, o->cfg->orders_sql, o->cfg->refunds_sql, pipelined,
		part};
}

/* The snapshot's start, before the statements are parsed: a shard's part
 * of the night (its contracted orders) must be known to the parse. */
rcn_rc rcn_run_begin_snapshot(rcn_db *db, const rcn_run_opts *o, rcn_part_plan *part, rcn_err *err)
{
	rcn_ledger_window w = window_of(o, false, part);
	rcn_rc rc = rcn_ledger_begin(db, err);
	if (rc == RCN_OK && part && (rc = rcn_ledger_load_part(db, &w, err)) != RCN_OK) {
		rcn_err ignore;
		rcn_ledger_end(db, &ignore);
	}
	return rc;
}

/* The snapshot's first half, while the statements are parsed: the window and
 * the previous date's suspense. */
rcn_rc rcn_run_load_window(rcn_db *db, const rcn_run_opts *o, rcn_match *m, bool pipelined, rcn_part_plan *part,
			   night *in_parts, rcn_err *err)
{
	rcn_ledger_window w = window_of(o, in_parts ? false : pipelined, in_parts ? NULL : part);
	rcn_ledger_sink sink = {sink_order, sink_refund, sink_suspense, NULL, m, sink_expect_orders};
	if (in_parts) /* read whole, once: part 0's rows kept, the others' spilled */
		sink = (rcn_ledger_sink){route_order, route_refund, route_suspense,
					 NULL,	      in_parts,	    route_expect_orders};
	bool had_run = false;
	rcn_rc rc;

	if ((rc = rcn_ledger_load_window(db, &w, &sink, err)) ||
	    (rc = rcn_ledger_load_suspense(db, o->day - 1, &had_run, &sink, err))) {
		rcn_err ignore;
		rcn_ledger_end(db, &ignore);
		return rc;
	}
	rcn_match_set_prior_run(m, had_run);
	if (in_parts)
		in_parts->had_prior_run = had_run;
	return RCN_OK;
}

/* The second half, once every statement row is in: the keys the window lacks. */
static void sink_item_order(void *ctx, const rcn_ledger_order *o)
{
	rcn_items_night_ledger_order(ctx, o);
}
static void sink_item_refund(void *ctx, const rcn_ledger_refund *r)
{
	rcn_items_night_ledger_refund(ctx, r);
}

/* The open-items register as the snapshot has it, and the ledger rows its
 * open items wait for that the window lacks (leaves *items, even on failure). */
static rcn_rc load_items(rcn_db *db, const rcn_run_opts *o, const rcn_ledger_window *w, const rcn_calendar *cal,
			 rcn_items_night **items, rcn_err *err)
{
	/* times (an item's last change) in the zone the reports and the commands use */
	rcn_rc rc = rcn_items_set_zone(db, o->cfg->timezone, err);
	if (rc == RCN_OK)
		rc = rcn_items_night_load(items, db, o->day, cal, err);
	else
		*items = NULL;
	if (rc != RCN_OK)
		return rc;
	const char *const *orders, *const *refunds;
	size_t n_orders, n_refunds;
	rcn_items_night_ledger_keys(*items, &orders, &n_orders, &refunds, &n_refunds);
	rcn_ledger_sink sink = {.order = sink_item_order, .refund = sink_item_refund, .ctx = *items};
	if (n_orders || n_refunds)
		rc = rcn_ledger_lookup(db, w, orders, n_orders, NULL, 0, refunds, n_refunds, NULL, 0, &sink, err);
	return rc;
}

void *rcn_run_items_thread(void *p)
{
	items_job *j = p;
	rcn_db *db = NULL;
	rcn_ledger_window w = {j->o->day,
			       j->o->cfg->carry_over_days,
			       j->o->cfg->timezone,
			       j->o->cfg->orders_sql,
			       j->o->cfg->refunds_sql,
			       false,
			       NULL};
	j->rc = rcn_db_connect(&db, j->o->cfg->conninfo, &j->err);
	if (j->rc == RCN_OK)
		j->rc = load_items(db, j->o, &w, j->cal, &j->items, &j->err);
	rcn_db_close(db);
	return NULL;
}

/* Waits for the register's read; false when it failed (err says why). */
bool rcn_run_join_items(items_job *j, rcn_err *err)
{
	if (!j->started)
		return true;
	rcn_task_join(&j->task);
	j->started = false;
	if (j->rc != RCN_OK)
		*err = j->err;
	return j->rc == RCN_OK;
}

/* The matcher's scan for missing keys as the lookups' key source. */
typedef struct {
	rcn_match_scan *scan;
} scan_keys;

static size_t scan_orders(void *ctx, size_t want, const char *const **batch)
{
	return rcn_match_scan_orders(((scan_keys *)ctx)->scan, want, batch);
}

static void scan_others(void *ctx, rcn_ledger_key_lists *out)
{
	scan_keys *sk = ctx;
	rcn_match_keys k;
	rcn_match_scan_end(sk->scan, &k);
	sk->scan = NULL;
	*out = (rcn_ledger_key_lists){k.txn_ids,      k.n_txn_ids,     k.refund_nos,
				      k.n_refund_nos, k.refund_orders, k.n_refund_orders};
}

rcn_rc rcn_run_load_lookups(rcn_db *db, const rcn_run_opts *o, rcn_match *m, rcn_rules *rules, const rcn_calendar *cal,
			    rcn_items_night **items, bool end_snapshot, rcn_err *err)
{
	rcn_ledger_window w = {
		o->day, o->cfg->carry_over_days, o->cfg->timezone, o->cfg->orders_sql, o->cfg->refunds_sql, false,
		NULL};
	rcn_ledger_sink sink = {sink_order, sink_refund, sink_suspense, NULL, m, NULL};
	rcn_ledger_sink contracts = {.contract = sink_contract, .ctx = rules};
	rcn_match_begin_lookup(m);
	/* the order numbers the window lacks are asked while the scan for them
	 * goes on (the server looks up one batch while the next is found) */
	scan_keys sk = {rcn_match_scan_new(m)};
	rcn_ledger_keys keys = {scan_orders, scan_others, &sk, 0};
	rcn_rc rc = rcn_ledger_lookup_keys(db, &w, &keys, &sink, err);
	if (sk.scan) /* (a failure before the scan's end) */
		scan_others(&sk, &(rcn_ledger_key_lists){0});
	if (rc == RCN_OK) {
		/* the auto-debit contracts of every order now loaded */
		const char *const *ids;
		size_t n;
		rcn_match_contract_ids(m, &ids, &n);
		if (n)
			rc = rcn_ledger_load_contracts(db, &w, ids, n, &contracts, err);
	}
	if (rc == RCN_OK && items) /* one thread: read here, in the snapshot */
		rc = load_items(db, o, &w, cal, items, err);
	if (!end_snapshot && rc == RCN_OK)
		return RCN_OK; /* a night in parts: the later parts read in the same snapshot */
	rcn_err ignore;
	rcn_rc end = rcn_ledger_end(db, rc ? &ignore : err);
	return rc ? rc : end;
}

/* Waits for the register's read on its own thread, when it has one. */
bool rcn_run_items_in(night *n)
{
	if (!n->ij.started)
		return true;
	bool read = rcn_run_join_items(&n->ij, &n->err);
	n->items = n->ij.items;
	n->ij.items = NULL;
	return read ? true : rcn_run_night_db_fail(n);
}
