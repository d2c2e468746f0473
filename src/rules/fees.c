/* Fee schedules (FORMATS.md §6): reads rules/fees.csv strictly (file:line and
 * the column for every mistake, overlapping rules refused), finds the rule for
 * a statement row, and computes expected fees in exact integer fen. */
#include "recon/fees.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recon/money.h"
#include "util/rulescsv.h"

#define FEES_MAX_RULES 20000 /* a hand-kept schedule holds hundreds */
#define PPM	       1000000

/* amount x rate and refund x fee never overflow in 128 bits */
__extension__ typedef unsigned __int128 u128;

/* rcn_fee_rule in file order; by_key sorted by channel, merchant, product, then line */
struct rcn_fee_rules {
	rcn_rule_table t;
};

enum column {
	COL_CHANNEL,
	COL_MERCHANT,
	COL_PRODUCT,
	COL_RATE,
	COL_MIN,
	COL_CAP,
	COL_ROUNDING,
	COL_REFUND,
	COL_FROM,
	COL_TO,
	COL__COUNT
};
static const char *const column_names[COL__COUNT] = {"channel", "merchant", "product", "rate", "min_fee",
						     "cap",	"rounding", "refund",  "from", "to"};

/* channel, merchant, product and rate are required; the rest have defaults */
static const rcn_rulescsv_spec spec = {"fee rules",  column_names,   COL__COUNT,
				       COL_RATE + 1, FEES_MAX_RULES, sizeof(rcn_fee_rule)};

/* min_fee or cap: yuan with at most 2 decimals, empty = none. */
static rcn_rc read_yuan(rcn_rulescsv *c, enum column k, const char *v, int64_t *out)
{
	rcn_err e;
	*out = 0;
	if (!*v)
		return RCN_OK;
	if (rcn_money_parse(out, v, strlen(v), RCN_SCALE_FEN, &e) != RCN_OK)
		return rcn_rulescsv_bad(c, "bad value for '%s': %s (yuan with at most 2 decimals, or empty for none)",
					column_names[k], e.msg);
	if (*out < 0)
		return rcn_rulescsv_bad(c, "bad value for '%s': %.*s is negative", column_names[k],
					rcn_rulescsv_qlen(v), v);
	return RCN_OK;
}

static rcn_rc read_date(rcn_rulescsv *c, enum column k, const char *v, rcn_date open, rcn_date *out)
{
	rcn_err e;
	*out = open;
	if (*v && rcn_date_parse(out, v, strlen(v), &e) != RCN_OK)
		return rcn_rulescsv_bad(c, "bad value for '%s': %s (or empty for no limit)", column_names[k], e.msg);
	return RCN_OK;
}

/* The index of v among names (case-insensitive), 0 for an empty cell, -1 otherwise. */
static int keyword(const char *v, const char *const *names, int n)
{
	if (!*v)
		return 0;
	for (int i = 0; i < n; i++)
		if (strcasecmp(v, names[i]) == 0)
			return i;
	return -1;
}

static rcn_rc read_rule(rcn_rulescsv *c, char **fields, void *rule)
{
	rcn_fee_rule *r = rule;
	rcn_rc rc;
	rcn_err e;
	const char *v;
	memset(r, 0, sizeof(*r));
	r->line = c->line;
	if ((rc = rcn_rulescsv_channel(c, rcn_rulescsv_cell(c, fields, COL_CHANNEL), r->channel, sizeof(r->channel))) ||
	    (rc = rcn_rulescsv_key(c, COL_MERCHANT, rcn_rulescsv_cell(c, fields, COL_MERCHANT), r->merchant,
				   sizeof(r->merchant))) ||
	    (rc = rcn_rulescsv_key(c, COL_PRODUCT, rcn_rulescsv_cell(c, fields, COL_PRODUCT), r->product,
				   sizeof(r->product))))
		return rc;

	v = rcn_rulescsv_cell(c, fields, COL_RATE);
	if (!*v)
		return rcn_rulescsv_bad(c, "bad value for 'rate': empty (write 0%% for a merchant that pays no fee)");
	if (rcn_rate_parse(&r->rate_ppm, v, strlen(v), &e) != RCN_OK)
		return rcn_rulescsv_bad(c, "bad value for 'rate': %s", e.msg);

	if ((rc = read_yuan(c, COL_MIN, rcn_rulescsv_cell(c, fields, COL_MIN), &r->min_fen)) ||
	    (rc = read_yuan(c, COL_CAP, rcn_rulescsv_cell(c, fields, COL_CAP), &r->cap_fen)))
		return rc;
	if (*rcn_rulescsv_cell(c, fields, COL_CAP) && r->cap_fen == 0)
		return rcn_rulescsv_bad(
			c, "bad value for 'cap': a cap of 0 charges nothing: write rate 0%%, or leave cap empty "
			   "for no cap");
	if (r->min_fen > 0 && r->rate_ppm == 0)
		return rcn_rulescsv_bad(c, "bad value for 'min_fee': a 0%% rule charges nothing, so it has no minimum");
	if (r->min_fen > 0 && r->cap_fen > 0 && r->min_fen > r->cap_fen)
		return rcn_rulescsv_bad(c, "bad value for 'min_fee': %s is above the cap %s",
					rcn_rulescsv_cell(c, fields, COL_MIN), rcn_rulescsv_cell(c, fields, COL_CAP));

	/* in the enums' order; an empty cell is the first */
	static const char *const roundings[] = {"half_up", "half_even", "up", "down"};
	static const char *const refunds[] = {"proportional", "kept"};
	int k;
	v = rcn_rulescsv_cell(c, fields, COL_ROUNDING);
	if ((k = keyword(v, roundings, 4)) < 0)
		return rcn_rulescsv_bad(c, "bad value for 'rounding': '%.*s' (expected half_up, half_even, up or down)",
					rcn_rulescsv_qlen(v), v);
	r->rounding = (rcn_rounding)k;
	v = rcn_rulescsv_cell(c, fields, COL_REFUND);
	if ((k = keyword(v, refunds, 2)) < 0)
		return rcn_rulescsv_bad(c, "bad value for 'refund': '%.*s' (expected proportional or kept)",
					rcn_rulescsv_qlen(v), v);
	r->refund = (rcn_refund_fee)k;

	if ((rc = read_date(c, COL_FROM, rcn_rulescsv_cell(c, fields, COL_FROM), INT32_MIN, &r->from)) ||
	    (rc = read_date(c, COL_TO, rcn_rulescsv_cell(c, fields, COL_TO), INT32_MAX, &r->to)))
		return rc;
	if (r->from > r->to)
		return rcn_rulescsv_bad(c, "bad value for 'to': %s is before 'from' %s",
					rcn_rulescsv_cell(c, fields, COL_TO), rcn_rulescsv_cell(c, fields, COL_FROM));
	return RCN_OK;
}

static int key_cmp(const char *channel, const char *merchant, const char *product, const rcn_fee_rule *r)
{
	int d = strcmp(channel, r->channel);
	if (!d)
		d = strcmp(merchant, r->merchant);
	if (!d)
		d = strcmp(product, r->product);
	return d;
}

static int by_key_cmp(const void *a, const void *b)
{
	const rcn_fee_rule *x = *(const rcn_fee_rule *const *)a, *y = *(const rcn_fee_rule *const *)b;
	int d = key_cmp(x->channel, x->merchant, x->product, y);
	return d ? d : (x->line > y->line) - (x->line < y->line);
}

/* Two rules of one channel, merchant and product in effect on a common day
 * would make the answer depend on file order: refused, naming the first line
 * (in file order) that collides with an earlier one. */
static rcn_rc check_overlaps(rcn_rulescsv *c, const rcn_rule_table *r)
{
	const rcn_fee_rule *later = NULL, *earlier = NULL;
	for (size_t g = 0, end; g < r->n; g = end) {
		const rcn_fee_rule *first = r->by_key[g];
		end = g + 1;
		while (end < r->n && key_cmp(first->channel, first->merchant, first->product, r->by_key[end]) == 0)
			end++;
		/* within a group by_key is in file order */
		for (size_t j = g + 1; j < end; j++) {
			const rcn_fee_rule *b = r->by_key[j];
			if (later && b->line >= later->line)
				break;
			for (size_t i = g; i < j; i++) {
				const rcn_fee_rule *a = r->by_key[i];
				if (a->from <= b->to && b->from <= a->to) {
					later = b;
					earlier = a;
					break;
				}
			}
		}
	}
	if (!later)
		return RCN_OK;
	c->line = later->line;
	return rcn_rulescsv_bad(c, "overlaps the rule on line %ld (same channel, merchant and product)", earlier->line);
}

rcn_rc rcn_fee_rules_load(rcn_fee_rules **out, const char *path, rcn_err *err)
{
	rcn_fee_rules *r = rcn_xcalloc(1, sizeof(*r));
	rcn_rc rc = rcn_rule_table_load(&r->t, &spec, path, err, read_rule, by_key_cmp, check_overlaps);
	if (rc == RCN_OK)
		*out = r;
	else
		free(r);
	return rc;
}

void rcn_fee_rules_free(rcn_fee_rules *r)
{
	if (r)
		rcn_rule_table_free(&r->t);
	free(r);
}

size_t rcn_fee_rules_count(const rcn_fee_rules *r)
{
	return r ? r->t.n : 0;
}

const rcn_fee_rule *rcn_fee_rules_get(const rcn_fee_rules *r, size_t i)
{
	return r && i < r->t.n ? (const rcn_fee_rule *)r->t.rules + i : NULL;
}

/* The rule of exactly this channel, merchant and product in effect on day
 * (at most one: overlaps are refused at load). */
static const rcn_fee_rule *lookup(const rcn_fee_rules *r, const char *channel, const char *merchant,
				  const char *product, rcn_date day)
{
	size_t lo = 0, hi = r->t.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(channel, merchant, product, r->t.by_key[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < r->t.n && key_cmp(channel, merchant, product, r->t.by_key[lo]) == 0; lo++) {
		const rcn_fee_rule *rule = r->t.by_key[lo];
		if (rule->from <= day && day <= rule->to)
			return rule;
	}
	return NULL;
}

const rcn_fee_rule *rcn_fee_rules_find(const rcn_fee_rules *r, const char *channel, const char *merchant,
				       const char *product, rcn_date day)
{
	if (!r || !channel)
		return NULL;
	merchant = merchant ? merchant : "";
	product = product ? product : "";
	const rcn_fee_rule *hit = lookup(r, channel, merchant, product, day);
	if (!hit)
		hit = lookup(r, channel, merchant, "*", day);
	if (!hit)
		hit = lookup(r, channel, "*", product, day);
	if (!hit)
		hit = lookup(r, channel, "*", "*", day);
	return hit;
}

void rcn_fee_rule_from_rate(rcn_fee_rule *out, const char *channel, int64_t rate_ppm)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->channel, sizeof(out->channel), "%s", channel);
	strcpy(out->merchant, "*");
	strcpy(out->product, "*");
	out->rate_ppm = rate_ppm;
	out->rounding = RCN_ROUND_HALF_UP;
	out->refund = RCN_REFUND_FEE_PROPORTIONAL;
	out->from = INT32_MIN;
	out->to = INT32_MAX;
}

/* a * b / d (d > 0) rounded the rule's way; the result must fit int64, which
 * holds for every use here: it is at most a or at most b. Rounding acts on a
 * magnitude: "up" charges (or returns) the larger fen, "down" the smaller. */
static int64_t mul_div(uint64_t a, uint64_t b, uint64_t d, rcn_rounding mode)
{
	u128 p = (u128)a * b;
	uint64_t q, rem;
	if ((uint64_t)(p >> 64) == 0) {
		/* every real amount: 64-bit division, which the compiler turns into a
		 * multiply for the constant rate scale; a 128-bit one is a library call */
		uint64_t p64 = (uint64_t)p;
		q = p64 / d;
		rem = p64 % d;
	} else {
		q = (uint64_t)(p / d);
		rem = (uint64_t)(p % d);
	}
	bool more;
	switch (mode) {
	case RCN_ROUND_HALF_EVEN:
		more = rem > d - rem || (rem == d - rem && (q & 1));
		break;
	case RCN_ROUND_UP:
		more = rem > 0;
		break;
	case RCN_ROUND_DOWN:
		more = false;
		break;
	case RCN_ROUND_HALF_UP:
	default:
		more = rem >= d - rem;
		break;
	}
	q += more ? 1 : 0;
	assert(q <= (uint64_t)INT64_MAX);
	return (int64_t)q;
}

static uint64_t rate_of(const rcn_fee_rule *rule)
{
	return rule->rate_ppm <= 0 ? 0 : rule->rate_ppm >= PPM ? PPM : (uint64_t)rule->rate_ppm;
}

static uint64_t magnitude(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

int64_t rcn_fee_payment(const rcn_fee_rule *rule, int64_t amount_fen)
{
	assert(amount_fen >= 0);
	uint64_t rate = rate_of(rule);
	/* nothing paid, or an approved 0% merchant: nothing charged, minimum or not */
	if (amount_fen <= 0 || rate == 0)
		return 0;
	int64_t fee = mul_div((uint64_t)amount_fen, rate, PPM, rule->rounding);
	if (rule->min_fen > 0 && fee < rule->min_fen)
		fee = rule->min_fen;
	if (rule->cap_fen > 0 && fee > rule->cap_fen)
		fee = rule->cap_fen;
	return fee;
}

int64_t rcn_fee_refund(const rcn_fee_rule *rule, int64_t refund_fen, int64_t order_fen)
{
	uint64_t refund = magnitude(refund_fen);
	if (refund == 0 || rule->refund == RCN_REFUND_FEE_KEPT)
		return 0;
	if (order_fen <= 0) /* the order is unknown: the rate on what came back, no minimum or cap */
		return -mul_div(refund, rate_of(rule), PPM, rule->rounding);
	int64_t fee = rcn_fee_payment(rule, order_fen);
	if (refund >= (uint64_t)order_fen)
		return -fee;
	return -mul_div((uint64_t)fee, refund, (uint64_t)order_fen, rule->rounding);
}
