/* Settlement cycles (FORMATS.md §6): reads rules/settlement.csv strictly
 * (file:line for every mistake, two rules of one channel and merchant refused),
 * finds a merchant account's cycle, the day its money is due (T+N on the China
 * business-day calendar of §5, D+N in natural days) and the net amount owed. */
#include "recon/settle.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recon/money.h"
#include "util/rulescsv.h"

#define SETTLE_MAX_RULES 20000 /* a hand-kept file holds tens */
#define SETTLE_MAX_DAYS	 60    /* the longest cycle any channel quotes is T+14 */

__extension__ typedef __int128 i128;

/* rcn_settle_rule in file order; by_key sorted by channel, merchant, then line */
struct rcn_settle_rules {
	rcn_rule_table t;
};

enum column { COL_CHANNEL, COL_MERCHANT, COL_CYCLE, COL__COUNT };
static const char *const column_names[COL__COUNT] = {"channel", "merchant", "cycle"};

/* every column is required */
static const rcn_rulescsv_spec spec = {"settlement rules", column_names,     COL__COUNT,
				       COL__COUNT,	   SETTLE_MAX_RULES, sizeof(rcn_settle_rule)};

/* "T+N" (working days) or "D+N" (natural days), N one or two digits, 0..60.
 * A lower-case t or d is the same cycle. */
static rcn_rc read_cycle(rcn_rulescsv *c, const char *v, rcn_settle_rule *r)
{
	char kind = v[0] == 't' ? 'T' : v[0] == 'd' ? 'D' : v[0];
	size_t digits = 0;
	int n = 0;
	if (!*v)
		return rcn_rulescsv_bad(c, "bad value for 'cycle': empty (write T+1 for the next working day)");
	if ((kind == 'T' || kind == 'D') && v[1] == '+')
		for (const char *p = v + 2; *p >= '0' && *p <= '9'; p++, digits++)
			n = digits < 3 ? n * 10 + (*p - '0') : n;
	if ((kind != 'T' && kind != 'D') || v[1] != '+' || digits == 0 || digits > 2 || v[2 + digits])
		return rcn_rulescsv_bad(
			c,
			"bad value for 'cycle': '%.*s' (expected T+N for N working days or D+N for N natural "
			"days, N from 0 to %d)",
			rcn_rulescsv_qlen(v), v, SETTLE_MAX_DAYS);
	if (n > SETTLE_MAX_DAYS)
		return rcn_rulescsv_bad(c, "bad value for 'cycle': %c+%d is longer than the %d days recon accepts",
					kind, n, SETTLE_MAX_DAYS);
	r->working_days = kind == 'T';
	r->days = n;
	return RCN_OK;
}

static rcn_rc read_rule(rcn_rulescsv *c, char **fields, void *rule)
{
	rcn_settle_rule *r = rule;
	rcn_rc rc;
	memset(r, 0, sizeof(*r));
	r->line = c->line;
	if ((rc = rcn_rulescsv_channel(c, fields[c->col[COL_CHANNEL]], r->channel, sizeof(r->channel))) ||
	    (rc = rcn_rulescsv_key(c, COL_MERCHANT, fields[c->col[COL_MERCHANT]], r->merchant, sizeof(r->merchant))))
		return rc;
	return read_cycle(c, fields[c->col[COL_CYCLE]], r);
}

static int key_cmp(const char *channel, const char *merchant, const rcn_settle_rule *r)
{
	int d = strcmp(channel, r->channel);
	return d ? d : strcmp(merchant, r->merchant);
}

static int by_key_cmp(const void *a, const void *b)
{
	const rcn_settle_rule *x = *(const rcn_settle_rule *const *)a, *y = *(const rcn_settle_rule *const *)b;
	int d = key_cmp(x->channel, x->merchant, y);
	return d ? d : (x->line > y->line) - (x->line < y->line);
}

/* Two cycles for one merchant account would leave the answer to file order:
 * refused at the first line (in file order) that repeats an earlier key. */
static rcn_rc check_duplicates(rcn_rulescsv *c, const rcn_rule_table *r)
{
	const rcn_settle_rule *later = NULL, *earlier = NULL;
	for (size_t i = 1; i < r->n; i++) {
		const rcn_settle_rule *a = r->by_key[i - 1], *b = r->by_key[i];
		/* within a key by_key is in file order: a is the key's first line when
		 * b is its second, and only the second can be the earliest repeat */
		if (key_cmp(a->channel, a->merchant, b) != 0 ||
		    (i >= 2 && key_cmp(a->channel, a->merchant, r->by_key[i - 2]) == 0))
			continue;
		if (!later || b->line < later->line)
			later = b, earlier = a;
	}
	if (!later)
		return RCN_OK;
	c->line = later->line;
	return rcn_rulescsv_bad(c, "a second rule for channel '%s' and merchant '%.*s' (the first is on line %ld)",
				later->channel, rcn_rulescsv_qlen(later->merchant), later->merchant, earlier->line);
}

rcn_rc rcn_settle_rules_load(rcn_settle_rules **out, const char *path, rcn_err *err)
{
	rcn_settle_rules *r = rcn_xcalloc(1, sizeof(*r));
	rcn_rc rc = rcn_rule_table_load(&r->t, &spec, path, err, read_rule, by_key_cmp, check_duplicates);
	if (rc == RCN_OK)
		*out = r;
	else
		free(r);
	return rc;
}

void rcn_settle_rules_free(rcn_settle_rules *r)
{
	if (r)
		rcn_rule_table_free(&r->t);
	free(r);
}

/* The rule of exactly this channel and merchant (at most one: duplicates are refused at load). */
static const rcn_settle_rule *lookup(const rcn_settle_rules *r, const char *channel, const char *merchant)
{
	size_t lo = 0, hi = r->t.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(channel, merchant, r->t.by_key[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->t.n && key_cmp(channel, merchant, r->t.by_key[lo]) == 0 ? r->t.by_key[lo] : NULL;
}

const rcn_settle_rule *rcn_settle_rules_find(const rcn_settle_rules *r, const char *channel, const char *merchant)
{
	if (!r || !channel)
		return NULL;
	const rcn_settle_rule *hit = merchant && *merchant ? lookup(r, channel, merchant) : NULL;
	return hit ? hit : lookup(r, channel, "*");
}

rcn_rc rcn_settle_due(const rcn_settle_rule *rule, const rcn_calendar *cal, rcn_date day, rcn_date *out, rcn_err *err)
{
	bool working = rule ? rule->working_days : true;
	int n = rule ? rule->days : 1;
	char iso[11];
	rcn_err e;
	rcn_date end;

	rcn_date_format(iso, day);
	if (n < 0)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "%c+%d of %s: a cycle cannot be negative",
				   working ? 'T' : 'D', n, iso);
	if (!working) {
		/* natural days never read the calendar: D+1 of a day before a holiday is the holiday */
		int y, m, d;
		rcn_date_to_ymd(day + n, &y, &m, &d);
		if (y > 9999)
			return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "D+%d of %s is past 9999-12-31", n, iso);
		*out = day + n;
		return RCN_OK;
	}
	if (!cal)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0,
				   "T+%d of %s counts working days: no business-day calendar is loaded", n, iso);
	/* T+0 is the day itself when it is a working day, else the next one (the calendar's T+0) */
	if (rcn_calendar_add_workdays(cal, day, n, &end, &e) != RCN_OK)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "T+%d of %s: %s", n, iso, e.msg);
	*out = end;
	return RCN_OK;
}

/* v / RCN_FEE_UNITS_PER_FEN rounded half away from zero: -1.5 fen is -2 fen,
 * so a fee returned on a refund rounds like the fee charged on the payment. */
static int64_t fee_to_fen(int64_t v)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t q = mag / RCN_FEE_UNITS_PER_FEN, rem = mag % RCN_FEE_UNITS_PER_FEN;
	if (rem >= RCN_FEE_UNITS_PER_FEN - rem)
		q++;
	return v < 0 ? -(int64_t)q : (int64_t)q;
}

void rcn_settle_amount_compute(rcn_settle_amount *a)
{
	/* in 128 bits the difference of three int64 cannot overflow; a net beyond
	 * int64 fen (9.2e16 yuan) is not money any statement holds */
	i128 net = (i128)a->payments_fen - a->refunds_fen - fee_to_fen(a->fee);
	assert(net >= INT64_MIN && net <= INT64_MAX);
	a->net_fen = (int64_t)net;
}
