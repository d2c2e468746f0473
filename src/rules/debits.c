/* Auto-debit (委托代扣) contract rules (FORMATS.md §6): the contracts of a
 * night with their terms and history, the retry state of each debit of the
 * day, and the check of one collected debit, gravest rule first:
 *
 *   validity   after_termination, before_signing, after_expiry   DEBIT_AFTER_TERMINATION
 *   amount     per_debit_limit, platform_cap                      DEBIT_OVER_LIMIT
 *   retries    after_failures, retry_interval                     DEBIT_TOO_FREQUENT
 *   counts     per_day                                            DEBIT_TOO_FREQUENT
 *              contract_period                                    DOUBLE_CHARGE
 *   history    above_average                                      DEBIT_OVER_LIMIT
 */
#include "rules/debits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/money.h"

/* The platform's cap on one auto-debit: 50,000 yuan. */
#define PLATFORM_DEBIT_CAP_FEN 5000000
/* Debits a day when the contract names no maximum (the platform's 10). */
#define DEFAULT_MAX_PER_DAY 10
/* Earlier collected debits an average needs before a debit is compared with it. */
#define AVERAGE_MIN_HISTORY 3

enum period { P_NONE, P_DAY, P_WEEK, P_MONTH, P_QUARTER, P_YEAR };
static const char *const PERIOD_NAMES[] = {"", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"};

typedef struct {
	const char *id, *status, *signed_at, *terminated_at, *expires_at;
	enum period period;
	bool has_limit, has_max;
	int max_per_day, per_period, max_failures;
	int64_t limit, past_total, min_retry;
	long past, period_before;
} contract;

/* A collected attempt of the day, as its retry rules see it. */
typedef struct {
	long failures;	    /* failed attempts in a row right before it */
	rcn_time failed_at; /* the attempt just before, when it failed; RCN_NO_TIME otherwise */
	rcn_time at;
} retry;

struct rcn_debit_book {
	rcn_arena arena;
	contract *contracts;
	size_t n, cap;
	rcn_strmap idx;
	retry *retries;
	size_t n_retries, cap_retries;
	rcn_strmap retry_idx; /* order_no → retries */
};

rcn_debit_book *rcn_debit_book_new(void)
{
	rcn_debit_book *b = rcn_xcalloc(1, sizeof(*b));
	rcn_arena_init(&b->arena);
	rcn_strmap_init(&b->idx, 64);
	rcn_strmap_init(&b->retry_idx, 64);
	return b;
}

void rcn_debit_book_free(rcn_debit_book *b)
{
	if (!b)
		return;
	rcn_arena_free(&b->arena);
	rcn_strmap_free(&b->idx);
	rcn_strmap_free(&b->retry_idx);
	free(b->contracts);
	free(b->retries);
	free(b);
}

size_t rcn_debit_book_count(const rcn_debit_book *b)
{
	return b->n;
}

int32_t rcn_debit_book_find(const rcn_debit_book *b, const char *id)
{
	uint32_t v;
	return *id && rcn_strmap_get(&b->idx, id, strlen(id), &v) ? (int32_t)v : -1;
}

static enum period period_of(const char *name)
{
	for (int p = P_DAY; p <= P_YEAR; p++)
		if (strcmp(name, PERIOD_NAMES[p]) == 0)
			return (enum period)p;
	return P_NONE;
}

/* Walks the day's attempts in time order from where the history before the
 * day left off, and keeps each collected one's failures before it. */
static void note_retries(rcn_debit_book *b, const rcn_ledger_contract *c)
{
	long streak = c->failures_before;
	rcn_time prev_failed = c->last_attempt_failed ? c->last_attempt_at : RCN_NO_TIME;
	for (size_t i = 0; i < c->n_attempts; i++) {
		const rcn_debit_attempt *a = &c->attempts[i];
		if (a->failed) {
			streak++;
			prev_failed = a->at;
			continue;
		}
		const char *key = rcn_arena_strdup(&b->arena, a->order_no);
		if (*key && rcn_strmap_put(&b->retry_idx, key, strlen(key), (uint32_t)b->n_retries, NULL)) {
			rcn_xreserve((void **)&b->retries, &b->cap_retries, b->n_retries + 1, sizeof(retry));
			b->retries[b->n_retries++] = (retry){.failures = streak, .failed_at = prev_failed, .at = a->at};
		}
		streak = 0;
		prev_failed = RCN_NO_TIME;
	}
}

void rcn_debit_book_add(rcn_debit_book *b, const rcn_ledger_contract *c)
{
	const char *id = rcn_arena_strdup(&b->arena, c->contract_id);
	if (!*id || !rcn_strmap_put(&b->idx, id, strlen(id), (uint32_t)b->n, NULL))
		return;
	rcn_xreserve((void **)&b->contracts, &b->cap, b->n + 1, sizeof(contract));
	b->contracts[b->n++] =
		(contract){.id = id,
			   .status = rcn_arena_strdup(&b->arena, c->status),
			   .signed_at = rcn_arena_strdup(&b->arena, c->signed_at),
			   .terminated_at = rcn_arena_strdup(&b->arena, c->terminated_at),
			   .expires_at = rcn_arena_strdup(&b->arena, c->expires_at),
			   .period = period_of(c->billing_period),
			   .has_limit = c->has_limit,
			   .has_max = c->has_max_per_day,
			   .max_per_day = c->max_debits_per_day,
			   .per_period = c->debits_per_period > 0 ? c->debits_per_period : 1,
			   .max_failures = c->max_consecutive_failures > 0 ? c->max_consecutive_failures : 3,
			   .limit = c->per_debit_limit_fen,
			   .past_total = c->past_total_fen,
			   .min_retry = c->min_retry_seconds,
			   .past = c->past_debits,
			   .period_before = c->debits_this_period};
	note_retries(b, c);
}

uint8_t rcn_debit_day_flags(const rcn_debit_book *b, int32_t c, long nth)
{
	const contract *k = &b->contracts[c];
	uint8_t flags = 0;
	if (nth > (k->has_max ? k->max_per_day : DEFAULT_MAX_PER_DAY))
		flags |= RCN_DEBIT_TOO_MANY;
	if (k->period != P_NONE && k->period_before + nth > k->per_period)
		flags |= RCN_DEBIT_PAST_PERIOD;
	return flags;
}

/* The billing period holding day, as finance names it: 2026-03-10,
 * 2026-W11 (ISO week, Monday to Sunday), 2026-03, 2026-Q1, 2026. */
static const char *period_label(char out[32], enum period p, rcn_date day)
{
	int y, m, d;
	rcn_date_to_ymd(day, &y, &m, &d);
	switch (p) {
	case P_WEEK: {
		/* the ISO week's year is the year of its Thursday */
		rcn_date monday = day - (((day + 3) % 7) + 7) % 7, thursday = monday + 3;
		int ty, tm, td;
		rcn_date_to_ymd(thursday, &ty, &tm, &td);
		snprintf(out, 32, "%04d-W%02d", ty, (int)((thursday - rcn_date_from_ymd(ty, 1, 1)) / 7 + 1));
		break;
	}
	case P_MONTH:
		snprintf(out, 32, "%04d-%02d", y, m);
		break;
	case P_QUARTER:
		snprintf(out, 32, "%04d-Q%d", y, (m - 1) / 3 + 1);
		break;
	case P_YEAR:
		snprintf(out, 32, "%04d", y);
		break;
	default:
		rcn_date_format(out, day);
		break;
	}
	return out;
}

/* A duration as "1 h 30 min" (days, hours, minutes, seconds that are not 0). */
static const char *duration_text(char out[48], int64_t s)
{
	static const struct {
		int64_t secs;
		const char *unit;
	} units[] = {{86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}};
	size_t len = 0;
	snprintf(out, 48, "0 s");
	for (size_t i = 0; s > 0 && i < sizeof(units) / sizeof(*units) && len < 48; i++) {
		int64_t n = s / units[i].secs;
		s %= units[i].secs;
		if (n)
			len += (size_t)snprintf(out + len, 48 - len, "%s%lld %s", len ? " " : "", (long long)n,
						units[i].unit);
	}
	return out;
}

/* The contract's average debit, rounded half up to the fen (the test
 * against it, above_average, is exact). */
static const char *average_text(char *out, size_t n, const contract *k)
{
	return rcn_money_format(out, n, (2 * k->past_total + k->past) / (2 * k->past), 2);
}

/* amount > 200% of total / past, exactly: for integers, a > 2t/p ⇔ a > ⌊2t/p⌋. */
static bool above_average(const contract *k, int64_t amount)
{
	if (k->past < AVERAGE_MIN_HISTORY || k->past_total <= 0 || k->past_total > INT64_MAX / 2)
		return false;
	return amount > 2 * k->past_total / k->past;
}

void rcn_debit_check(const rcn_debit_book *b, rcn_date day, int32_t c, const rcn_debit *d, rcn_debit_verdict *out)
{
	const contract *k = &b->contracts[c];
	char when[20], a[32], avg[32], t1[48], t2[48], label[32];
	const size_t n = sizeof(out->detail);
	uint32_t v;
	const retry *r = rcn_strmap_get(&b->retry_idx, d->order_no, strlen(d->order_no), &v) ? &b->retries[v] : NULL;
	rcn_time_format(when, d->at);
	*out = (rcn_debit_verdict){.kind = RCN_K__COUNT, .reason = "", .above_average = above_average(k, d->amount)};
	/* the contract's times are local "YYYY-MM-DD HH:MM:SS" like when: text order is time order */
	if (strcmp(k->status, "TERMINATED") == 0 && *k->terminated_at && strcmp(when, k->terminated_at) > 0) {
		out->kind = RCN_K_DEBIT_AFTER_TERMINATION, out->reason = "after_termination";
		snprintf(out->detail, n, "contract %.60s terminated at %s", k->id, k->terminated_at);
	} else if (*k->signed_at && strcmp(when, k->signed_at) < 0) {
		out->kind = RCN_K_DEBIT_AFTER_TERMINATION, out->reason = "before_signing";
		snprintf(out->detail, n, "contract %.60s signed at %s", k->id, k->signed_at);
	} else if (*k->expires_at && strcmp(when, k->expires_at) >= 0) {
		out->kind = RCN_K_DEBIT_AFTER_TERMINATION, out->reason = "after_expiry";
		snprintf(out->detail, n, "contract %.60s expired at %s", k->id, k->expires_at);
	} else if (k->has_limit && d->amount > k->limit) {
		out->kind = RCN_K_DEBIT_OVER_LIMIT, out->reason = "per_debit_limit";
		snprintf(out->detail, n, "contract %.60s allows %s a debit", k->id,
			 rcn_money_format(a, sizeof(a), k->limit, 2));
	} else if (d->amount > PLATFORM_DEBIT_CAP_FEN) {
		out->kind = RCN_K_DEBIT_OVER_LIMIT, out->reason = "platform_cap";
		snprintf(out->detail, n, "above the platform cap of %s a debit",
			 rcn_money_format(a, sizeof(a), PLATFORM_DEBIT_CAP_FEN, 2));
	} else if (r && r->failures >= k->max_failures) {
		out->kind = RCN_K_DEBIT_TOO_FREQUENT, out->reason = "after_failures";
		snprintf(out->detail, n,
			 "contract %.60s debited after %ld consecutive failed attempts (it stops after %d)", k->id,
			 r->failures, k->max_failures);
	} else if (r && k->min_retry > 0 && r->failed_at != RCN_NO_TIME && r->at != RCN_NO_TIME &&
		   r->at - r->failed_at < k->min_retry) {
		out->kind = RCN_K_DEBIT_TOO_FREQUENT, out->reason = "retry_interval";
		snprintf(out->detail, n, "contract %.60s retried %s after the failed attempt at %s (at least %s apart)",
			 k->id, duration_text(t1, r->at - r->failed_at), rcn_time_format(when, r->failed_at),
			 duration_text(t2, k->min_retry));
	} else if (d->day_flags & RCN_DEBIT_TOO_MANY) {
		out->kind = RCN_K_DEBIT_TOO_FREQUENT, out->reason = "per_day";
		snprintf(out->detail, n, "contract %.60s allows %d debits a day", k->id,
			 k->has_max ? k->max_per_day : DEFAULT_MAX_PER_DAY);
	} else if (d->day_flags & RCN_DEBIT_PAST_PERIOD) {
		out->kind = RCN_K_DOUBLE_CHARGE, out->reason = "contract_period";
		if (k->per_period == 1)
			snprintf(t1, sizeof(t1), "once");
		else
			snprintf(t1, sizeof(t1), "%d times", k->per_period);
		snprintf(out->detail, n, "contract %.60s debited more than %s in %s", k->id, t1,
			 period_label(label, k->period, day));
	} else if (out->above_average) {
		out->kind = RCN_K_DEBIT_OVER_LIMIT, out->reason = "above_average";
		snprintf(out->detail, n,
			 "contract %.60s debited %s: above 200%% of its average debit of %s (%ld earlier debits)",
			 k->id, rcn_money_format(a, sizeof(a), d->amount, 2), average_text(avg, sizeof(avg), k),
			 k->past);
		return;
	}
	/* a graver rule reported it: its detail still names it among the debits
	 * summary.csv counts above the average */
	if (out->above_average) {
		size_t len = strlen(out->detail);
		snprintf(out->detail + len, n - len,
			 "; also above 200%% of its average debit of %s (%ld earlier debits)",
			 average_text(avg, sizeof(avg), k), k->past);
	}
}
