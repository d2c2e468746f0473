/* The rules object (recon/rules.h): per source its fee rate or the fee
 * schedule, and the night's auto-debit contracts, answering the matcher's
 * questions (rcn_match_rules) and checking the per-file fee totals after it. */
#include "recon/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "recon/money.h"
#include "rules/debits.h"

struct rcn_rules {
	rcn_date day;
	const rcn_rules_source *sources;
	size_t n_sources;
	const rcn_fee_rules *fees;
	rcn_fee_rule *rate_rules; /* per source: its fee_rate as a rule, when it has one */
	rcn_debit_book *debits;
	rcn_match_rules iface;
};

/* The fee rule for a row: the [source] fee_rate shortcut, else the most
 * specific schedule row for its channel, account, trade type and day. */
static const rcn_fee_rule *fee_rule(const rcn_rules *r, const rcn_fee_row *row)
{
	if (row->source >= r->n_sources)
		return NULL;
	if (r->sources[row->source].has_fee_rate)
		return &r->rate_rules[row->source];
	if (!r->fees || row->trade_at == RCN_NO_TIME)
		return NULL;
	return rcn_fee_rules_find(r->fees, row->channel, row->merchant_id, row->product, rcn_time_date(row->trade_at));
}

static bool expected_fee(void *ctx, const rcn_fee_row *row, int64_t *out)
{
	const rcn_fee_rule *rule = fee_rule(ctx, row);
	if (!rule)
		return false;
	int64_t fen = 0;
	if (row->ok)
		fen = row->type == RCN_REC_REFUND ? rcn_fee_refund(rule, row->settle, row->order_amount)
						  : rcn_fee_payment(rule, row->settle);
	*out = fen * RCN_FEE_UNITS_PER_FEN;
	return true;
}

static void fee_basis(void *ctx, const rcn_fee_row *row, char *out, size_t n)
{
	const rcn_rules *r = ctx;
	const rcn_fee_rule *rule = fee_rule(r, row);
	char rate[32];
	if (!rule) {
		snprintf(out, n, "%s", "");
	} else if (r->sources[row->source].has_fee_rate) {
		rcn_money_format(rate, sizeof(rate), r->sources[row->source].fee_rate_ppm, 4);
		snprintf(out, n, "fee_rate %s%%", rate);
	} else {
		rcn_money_format(rate, sizeof(rate), rule->rate_ppm, 4);
		snprintf(out, n, "rules/fees.csv line %ld: %s%%", rule->line, rate);
	}
}

static int32_t contract(void *ctx, const char *id)
{
	const rcn_rules *r = ctx;
	return rcn_debit_book_count(r->debits) ? rcn_debit_book_find(r->debits, id) : -1;
}

static uint8_t debit_day_flags(void *ctx, int32_t c, long nth)
{
	const rcn_rules *r = ctx;
	return rcn_debit_day_flags(r->debits, c, nth);
}

static void check_debit(void *ctx, rcn_date day, int32_t c, const rcn_debit *d, rcn_debit_verdict *out)
{
	const rcn_rules *r = ctx;
	rcn_debit_check(r->debits, day, c, d, out);
}

rcn_rules *rcn_rules_new(rcn_date day, const rcn_rules_source *sources, size_t n_sources, const rcn_fee_rules *fees)
{
	rcn_rules *r = rcn_xcalloc(1, sizeof(*r));
	r->day = day;
	r->sources = sources;
	r->n_sources = n_sources;
	r->fees = fees;
	r->rate_rules = rcn_xcalloc(n_sources + 1, sizeof(*r->rate_rules));
	for (size_t i = 0; i < n_sources; i++)
		if (sources[i].has_fee_rate)
			rcn_fee_rule_from_rate(&r->rate_rules[i], sources[i].channel, sources[i].fee_rate_ppm);
	r->debits = rcn_debit_book_new();
	r->iface = (rcn_match_rules){.ctx = r,
				     .expected_fee = expected_fee,
				     .fee_basis = fee_basis,
				     .contract = contract,
				     .debit_day_flags = debit_day_flags,
				     .check_debit = check_debit};
	return r;
}

void rcn_rules_free(rcn_rules *r)
{
	if (!r)
		return;
	rcn_debit_book_free(r->debits);
	free(r->rate_rules);
	free(r);
}

void rcn_rules_add_contract(rcn_rules *r, const rcn_ledger_contract *c)
{
	rcn_debit_book_add(r->debits, c);
}

const rcn_match_rules *rcn_rules_for_matcher(rcn_rules *r)
{
	return &r->iface;
}

/* Each file's fee total against the schedule's, less what the rows reported
 * singly (FEE_MISMATCH rate) explain: one fee problem is reported once. */
void rcn_rules_check_fee_totals(const rcn_rules *r, const rcn_match *m, rcn_findings *sink)
{
	for (size_t i = 0; i < r->n_sources; i++) {
		const rcn_rules_source *s = &r->sources[i];
		rcn_match_fee_total t = rcn_match_source_fees(m, i);
		int64_t diff = t.channel - t.expected, explained = t.reported_channel - t.reported_expected;
		int64_t residual = diff - explained;
		if (!t.rows || t.rejected ||
		    (residual < 0 ? -residual : residual) <= s->fee_tolerance_fen * RCN_FEE_UNITS_PER_FEN)
			continue;
		char a[32], b[32], c[32], tol[32], detail[200];
		rcn_money_format(tol, sizeof(tol), s->fee_tolerance_fen, 2);
		if (t.reported_rows)
			snprintf(detail, sizeof(detail),
				 "fee total of %ld rows differs by %s, %s of it in %ld rows reported singly: %s "
				 "unexplained (tolerance %s)",
				 t.rows, rcn_money_format(a, sizeof(a), diff, 5),
				 rcn_money_format(b, sizeof(b), explained, 5), t.reported_rows,
				 rcn_money_format(c, sizeof(c), residual, 5), tol);
		else
			snprintf(detail, sizeof(detail), "fee total of %ld rows differs by %s (tolerance %s)", t.rows,
				 rcn_money_format(a, sizeof(a), diff, 5), tol);
		/* the amounts are those of the rows not reported singly: their
		 * difference is the residual */
		rcn_finding f = {.kind = RCN_K_FEE_MISMATCH,
				 .reason = "file_total",
				 .side = RCN_SIDE_CHANNEL,
				 .channel = s->channel,
				 .merchant_id = s->merchant_id,
				 .has_expected_fee = true,
				 .has_channel_fee = true,
				 .expected_fee = t.expected - t.reported_expected,
				 .channel_fee = t.channel - t.reported_channel,
				 .has_difference = true,
				 .difference = residual,
				 .first_seen = r->day,
				 .source = s->label ? s->label : s->name,
				 .detail = detail};
		rcn_findings_add(sink, &f);
	}
}

/* path = dir/name when the file exists */
static bool present(char *path, size_t n, const char *dir, const char *name)
{
	struct stat st;
	snprintf(path, n, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

rcn_rc rcn_rules_files_load(rcn_rules_files *out, const char *dir, rcn_err *err)
{
	char path[4200];
	rcn_rc rc = RCN_OK;
	memset(out, 0, sizeof(*out));
	if ((present(path, sizeof(path), dir, "fees.csv") && (rc = rcn_fee_rules_load(&out->fees, path, err))) ||
	    (present(path, sizeof(path), dir, "settlement.csv") &&
	     (rc = rcn_settle_rules_load(&out->settlement, path, err))) ||
	    (present(path, sizeof(path), dir, "calendar/cn.csv") &&
	     (rc = rcn_calendar_load(&out->calendar, path, err))) ||
	    (present(path, sizeof(path), dir, "handling.csv") && (rc = rcn_handling_load(&out->handling, path, err))))
		rcn_rules_files_free(out);
	return rc;
}

void rcn_rules_files_free(rcn_rules_files *f)
{
	rcn_fee_rules_free(f->fees);
	rcn_settle_rules_free(f->settlement);
	rcn_calendar_free(f->calendar);
	rcn_handling_free(f->handling);
	memset(f, 0, sizeof(*f));
}
