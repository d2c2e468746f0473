/* Handling rules (rules/handling.csv, recon/handling.h): per kind, and
 * optionally per reason, the deadline, urgency and action in Chinese that a
 * clerk needs to act on a finding; read strictly (file:line for every mistake,
 * every kind required) and applied to the night's findings after the matcher
 * and the other rules ran.
 *
 *   handling.csv ──load──► rules by kind ──rcn_rules_handle──► due_by, urgent, action_cn
 *                                               (each deadline computed once a night) */
#include "recon/handling.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/rulescsv.h"

#define HANDLING_MAX_RULES 1000 /* a kind has a handful of reasons */
#define HANDLING_MAX_DAYS  60	/* no channel gives more than a few working days */
#define DAYS_NONE	   (-1) /* empty cell: no deadline */
#define DAYS_CARRY	   (-2) /* "carry": when a pending item becomes a discrepancy */

typedef struct {
	long line;
	rcn_kind kind;
	char reason[64]; /* "" for the kind's default (written * or left empty) */
	int days;	 /* working days, DAYS_NONE or DAYS_CARRY */
	bool urgent;
	bool placeholders; /* action holds {name}s to fill per finding */
	char action[1024];
	rcn_date due; /* the deadline of tonight's findings, for days >= 0 */
} rule;

struct rcn_handling {
	rcn_rule_table t;
	const rule *by_kind[RCN_K__COUNT]; /* each kind's default */
	rcn_arena arena;		   /* filled-in actions */
	rcn_buf buf;
	int carry_days;
};

enum column { COL_KIND, COL_DAYS, COL_URGENT, COL_ACTION, COL_REASON, COL__COUNT };
static const char *const column_names[COL__COUNT] = {"kind", "working_days", "urgent", "action_cn", "reason"};

/* reason is optional: without it every rule is its kind's default */
static const rcn_rulescsv_spec spec = {"handling rules", column_names,	     COL__COUNT,
				       COL_REASON,	 HANDLING_MAX_RULES, sizeof(rule)};

/* The values a placeholder takes from a finding. */
enum placeholder { PH_TXN, PH_ORDER, PH_REFUND, PH_MERCHANT, PH_CHANNEL, PH_KEPT, PH__COUNT };
static const char *const placeholder_names[PH__COUNT] = {"channel_txn_id", "order_no", "refund_no",
							 "merchant_id",	   "channel",  "kept_txn_id"};

static int placeholder(const char *name, size_t n)
{
	for (int i = 0; i < PH__COUNT; i++)
		if (strlen(placeholder_names[i]) == n && strncmp(placeholder_names[i], name, n) == 0)
			return i;
	return -1;
}

static rcn_rc read_action(rcn_rulescsv *c, const char *v, rule *r)
{
	if (!*v)
		return rcn_rulescsv_bad(c, "bad value for 'action_cn': empty (write what the clerk does)");
	if (strlen(v) >= sizeof(r->action))
		return rcn_rulescsv_bad(c, "bad value for 'action_cn': longer than %zu bytes", sizeof(r->action) - 1);
	for (const char *p = strchr(v, '{'); p; p = strchr(p + 1, '{')) {
		const char *end = strchr(p, '}');
		if (!end || placeholder(p + 1, (size_t)(end - p - 1)) < 0)
			return rcn_rulescsv_bad(
				c,
				"bad value for 'action_cn': unknown placeholder '%.*s' (expected {channel_txn_id}, "
				"{order_no}, {refund_no}, {merchant_id}, {channel} or {kept_txn_id})",
				end ? (int)(end - p + 1) : rcn_rulescsv_qlen(p), p);
		r->placeholders = true;
	}
	memcpy(r->action, v, strlen(v) + 1);
	return RCN_OK;
}

static rcn_rc read_rule(rcn_rulescsv *c, char **fields, void *out)
{
	rule *r = out;
	memset(r, 0, sizeof(*r));
	r->line = c->line;
	const char *v = rcn_rulescsv_cell(c, fields, COL_KIND);
	int k = 0;
	while (k < RCN_K__COUNT && strcasecmp(v, rcn_kind_name((rcn_kind)k)) != 0)
		k++;
	if (k == RCN_K__COUNT || k == RCN_K_MATCHED)
		return rcn_rulescsv_bad(c,
					"bad value for 'kind': '%.*s' (expected a discrepancy kind such as "
					"SHORT_PAYMENT, or PENDING; matched items are not handled)",
					rcn_rulescsv_qlen(v), v);
	r->kind = (rcn_kind)k;

	v = rcn_rulescsv_cell(c, fields, COL_REASON);
	if (strcmp(v, "*") != 0) {
		for (const char *p = v; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
				return rcn_rulescsv_bad(c,
							"bad value for 'reason': '%.*s' (a reason code such as "
							"lost_callback, or * for every reason of the kind)",
							rcn_rulescsv_qlen(v), v);
		if (strlen(v) >= sizeof(r->reason))
			return rcn_rulescsv_bad(c, "bad value for 'reason': longer than %zu bytes",
						sizeof(r->reason) - 1);
		memcpy(r->reason, v, strlen(v) + 1);
	}

	v = rcn_rulescsv_cell(c, fields, COL_DAYS);
	if (!*v) {
		r->days = DAYS_NONE;
	} else if (strcasecmp(v, "carry") == 0) {
		if (r->kind != RCN_K_PENDING)
			return rcn_rulescsv_bad(c, "bad value for 'working_days': 'carry' is for PENDING rows only");
		r->days = DAYS_CARRY;
	} else {
		size_t n = strspn(v, "0123456789");
		if (n == 0 || v[n] || n > 2 || atoi(v) > HANDLING_MAX_DAYS)
			return rcn_rulescsv_bad(c,
						"bad value for 'working_days': '%.*s' (0 to %d working days, 0 = the "
						"business date itself; carry for PENDING; empty for no deadline)",
						rcn_rulescsv_qlen(v), v, HANDLING_MAX_DAYS);
		r->days = atoi(v);
	}

	v = rcn_rulescsv_cell(c, fields, COL_URGENT);
	if (strcasecmp(v, "yes") != 0 && strcasecmp(v, "no") != 0)
		return rcn_rulescsv_bad(c, "bad value for 'urgent': '%.*s' (yes or no)", rcn_rulescsv_qlen(v), v);
	r->urgent = strcasecmp(v, "yes") == 0;
	return read_action(c, rcn_rulescsv_cell(c, fields, COL_ACTION), r);
}

static int key_cmp(const rule *x, const rule *y)
{
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

static int by_key_cmp(const void *a, const void *b)
{
	const rule *x = *(const rule *const *)a, *y = *(const rule *const *)b;
	int d = key_cmp(x, y);
	return d ? d : (x->line > y->line) - (x->line < y->line);
}

/* A second rule for a kind and reason, or a kind without its default row. */
static rcn_rc check_rules(rcn_rulescsv *c, const rcn_rule_table *t)
{
	const rule *const *r = (const rule *const *)t->by_key;
	long last = 0;
	for (size_t i = 0; i < t->n; i++)
		last = r[i]->line > last ? r[i]->line : last;
	for (size_t i = 1; i < t->n; i++)
		if (key_cmp(r[i - 1], r[i]) == 0) {
			c->line = r[i]->line;
			return rcn_rulescsv_bad(
				c, "a second rule for kind %s and reason '%s' (the first is on line %ld)",
				rcn_kind_name(r[i]->kind), *r[i]->reason ? r[i]->reason : "*", r[i - 1]->line);
		}
	bool has[RCN_K__COUNT] = {false};
	for (size_t i = 0; i < t->n; i++)
		if (!*r[i]->reason)
			has[r[i]->kind] = true;
	for (int k = 0; k < RCN_K_MATCHED; k++)
		if (!has[k]) {
			c->line = last;
			return rcn_rulescsv_bad(c,
						"no rule for kind %s: every kind needs a row with reason * "
						"(README.md, \"Handling rules\")",
						rcn_kind_name((rcn_kind)k));
		}
	return RCN_OK;
}

rcn_rc rcn_handling_load(rcn_handling **out, const char *path, rcn_err *err)
{
	rcn_handling *h = rcn_xcalloc(1, sizeof(*h));
	rcn_rc rc = rcn_rule_table_load(&h->t, &spec, path, err, read_rule, by_key_cmp, check_rules);
	if (rc != RCN_OK) {
		free(h);
		return rc;
	}
	const rule *rules = h->t.rules;
	for (size_t i = 0; i < h->t.n; i++)
		if (!*rules[i].reason)
			h->by_kind[rules[i].kind] = &rules[i];
	rcn_arena_init(&h->arena);
	rcn_buf_init(&h->buf, SIZE_MAX);
	*out = h;
	return RCN_OK;
}

void rcn_handling_forget(rcn_handling *h)
{
	rcn_arena_free(&h->arena);
	rcn_arena_init(&h->arena);
}

void rcn_handling_free(rcn_handling *h)
{
	if (!h)
		return;
	rcn_rule_table_free(&h->t);
	rcn_arena_free(&h->arena);
	rcn_buf_free(&h->buf);
	free(h);
}

/* The reason's own rule, else the kind's. */
static const rule *rule_for(const rcn_handling *h, const rcn_finding *f)
{
	if ((unsigned)f->kind >= RCN_K_MATCHED)
		return NULL;
	const rule *rules = h->t.rules;
	for (size_t i = 0; i < h->t.n; i++) /* reason rows are few: a walk beats an index */
		if (rules[i].kind == f->kind && *rules[i].reason && strcmp(rules[i].reason, f->reason) == 0)
			return &rules[i];
	return h->by_kind[f->kind];
}

/* The transaction a double charge keeps: the one its detail names as paid
 * first (the matcher's wording, classify.c: "order also paid by TXN (SRC)",
 * or "paid on CH (TXN, SRC) and on ..." across channels). */
static void kept_txn(const rcn_finding *f, const char **s, size_t *n)
{
	const char *d = f->detail, *p = NULL, *end = NULL;
	*s = "";
	*n = 0;
	if (f->kind != RCN_K_DOUBLE_CHARGE)
		return;
	if (strncmp(d, "order also paid by ", 19) == 0)
		p = d + 19, end = strchr(p, ' ');
	else if (strncmp(d, "paid on ", 8) == 0 && (p = strchr(d, '(')) != NULL)
		p++, end = strchr(p, ',');
	if (p && end) {
		*s = p;
		*n = (size_t)(end - p);
	}
}

/* The value placeholder ph takes from f: n bytes at *v (n is 0 when f lacks it). */
static void placeholder_value(const rcn_finding *f, int ph, const char **v, size_t *n)
{
	if (ph == PH_KEPT) {
		kept_txn(f, v, n);
		return;
	}
	const char *const field[PH_KEPT] = {f->channel_txn_id, f->order_no, f->refund_no, f->merchant_id, f->channel};
	*v = ph >= 0 && ph < PH_KEPT ? field[ph] : "";
	*n = strlen(*v);
}

static const char *fill(rcn_handling *h, const rule *r, const rcn_finding *f)
{
	rcn_buf *b = &h->buf;
	rcn_buf_reset(b);
	const char *p = r->action;
	for (const char *open; (open = strchr(p, '{')) != NULL;) {
		const char *close = strchr(open, '}'); /* the load checked every placeholder */
		(void)rcn_buf_append(b, p, (size_t)(open - p));
		const char *v;
		size_t n;
		placeholder_value(f, placeholder(open + 1, (size_t)(close - open - 1)), &v, &n);
		if (n == 0)
			v = "?", n = 1; /* the finding lacks it: visibly, not silently */
		(void)rcn_buf_append(b, v, n);
		p = close + 1;
	}
	(void)rcn_buf_append(b, p, strlen(p));
	return rcn_arena_strndup(&h->arena, b->data, b->len);
}

const char *rcn_handling_action(rcn_handling *h, const rcn_finding *f)
{
	const rule *r = rule_for(h, f);
	if (!r)
		return NULL;
	return r->placeholders ? fill(h, r, f) : r->action;
}

static void handle(void *ctx, rcn_finding *f)
{
	rcn_handling *h = ctx;
	const rule *r = rule_for(h, f);
	if (!r)
		return;
	f->action_cn = r->placeholders ? fill(h, r, f) : r->action;
	f->action_filled = r->placeholders;
	f->urgent = r->urgent;
	f->due_by = r->days == DAYS_CARRY ? f->first_seen + h->carry_days : r->days == DAYS_NONE ? 0 : r->due;
}

void rcn_rules_handle(rcn_handling *h, const rcn_calendar *cal, rcn_date day, int carry_days, rcn_findings *sink)
{
	rule *rules = h->t.rules;
	h->carry_days = carry_days;
	for (size_t i = 0; i < h->t.n; i++) { /* one walk a rule, not one a finding */
		rule *r = &rules[i];
		rcn_err e;
		r->due = 0;
		if (r->days == 0)
			r->due = day; /* at once: the business date itself, working day or not */
		else if (r->days > 0 && cal && rcn_calendar_add_workdays(cal, day, r->days, &r->due, &e) != RCN_OK)
			r->due = 0; /* beyond the calendar: no deadline rather than a wrong one */
	}
	rcn_findings_each(sink, handle, h);
}
