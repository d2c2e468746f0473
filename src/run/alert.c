/* alert: the night's summary posted to a webhook (WeCom, DingTalk or plain
 * JSON) after a run, through the download transport. Never fails the run:
 * see include/recon/alert.h for the bodies and the rules. */
#include "recon/alert.h"

#include <stdlib.h>
#include <string.h>

#include "fetch/http.h"
#include "recon/finding.h"
#include "recon/money.h"
#include "recon/report.h"
#include "recon/text.h"

#define WECOM_MAX    4096  /* bytes of markdown.content WeCom accepts */
#define DINGTALK_MAX 18000 /* DingTalk's limit is about 20000 characters */
#define GROUPS_MAX   256   /* channel x merchant groups listed (more are summed into the last) */

typedef struct {
	long count;
	int64_t amount_fen; /* sum of |difference| */
} kind_sum;

typedef struct {
	const char *channel, *merchant_id;
	long statement_rows;
	kind_sum kinds[RCN_K_PENDING];
} group;

/* The open book's items and amounts (|difference_fen|), all and overdue. */
typedef struct {
	kind_sum open, overdue;
} open_sum;

typedef struct {
	const rcn_alert_summary *s;
	bool matched; /* the matcher ran: tallies and findings are the night's */
	group *groups;
	size_t n_groups;
	rcn_arena names; /* the groups' channels and merchants (a pass's findings are copies) */
	kind_sum kinds[RCN_K_PENDING];
	open_sum open, open_kinds[RCN_K_PENDING]; /* s->book's, when there is one */
} digest;

/* Each exit code's outcome (the JSON field) and meaning (for people); a
 * code not listed is the last row's (database_error). */
static const struct {
	int code;
	const char *outcome, *meaning;
} exit_codes[] = {
	{0, "clean", "reconciled, no discrepancies"},
	{1, "discrepancies", "reconciled, discrepancies found"},
	{2, "usage_error", "usage or configuration error"},
	{3, "input_error", "some statement could not be read or parsed; the rest was reconciled"},
	{5, "reports_unpublished",
	 "reconciled and committed, but the reports could not be published (the next run publishes them)"},
	{4, "database_error", "database error (or the date is locked by another run); nothing committed"},
};

static size_t exit_row(int code)
{
	size_t n = sizeof(exit_codes) / sizeof(exit_codes[0]);
	for (size_t i = 0; i < n; i++)
		if (exit_codes[i].code == code)
			return i;
	return n - 1;
}

static const char *outcome(int code)
{
	return exit_codes[exit_row(code)].outcome;
}

static const char *meaning(int code)
{
	return exit_codes[exit_row(code)].meaning;
}

/* |difference| in fen, the same difference as every report (rcn_finding_difference). */
static int64_t abs_difference(const rcn_finding *f)
{
	int64_t d;
	if (!rcn_finding_difference(f, &d))
		return 0;
	return d < 0 ? -d : d;
}

static group *find_group(digest *d, const char *channel, const char *merchant)
{
	channel = channel ? channel : "";
	merchant = merchant ? merchant : "";
	for (size_t i = 0; i < d->n_groups; i++)
		if (strcmp(d->groups[i].channel, channel) == 0 && strcmp(d->groups[i].merchant_id, merchant) == 0)
			return &d->groups[i];
	if (d->n_groups == GROUPS_MAX)
		return &d->groups[GROUPS_MAX - 1];
	group *g = &d->groups[d->n_groups++];
	memset(g, 0, sizeof(*g));
	g->channel = rcn_arena_strdup(&d->names, channel);
	g->merchant_id = rcn_arena_strdup(&d->names, merchant);
	return g;
}

static int group_cmp(const void *a, const void *b)
{
	const group *x = a, *y = b;
	int c = strcmp(x->channel, y->channel);
	return c ? c : strcmp(x->merchant_id, y->merchant_id);
}

static void open_add(open_sum *o, const rcn_open_item *it)
{
	int64_t fen = it->difference_fen < 0 ? -it->difference_fen : it->difference_fen;
	o->open.count++;
	o->open.amount_fen += fen;
	if (it->overdue) {
		o->overdue.count++;
		o->overdue.amount_fen += fen;
	}
}

static void digest_init(digest *d, const rcn_alert_summary *s)
{
	memset(d, 0, sizeof(*d));
	d->s = s;
	rcn_arena_init(&d->names);
	rcn_book_cursor cur;
	rcn_book_cursor_open(&cur, s->book);
	for (const rcn_open_item *it; (it = rcn_book_cursor_next(&cur)) != NULL;) {
		open_add(&d->open, it);
		if ((unsigned)it->kind < RCN_K_PENDING)
			open_add(&d->open_kinds[it->kind], it);
	}
	rcn_book_cursor_close(&cur);
	int code = s->result->exit_code;
	d->matched = s->outcome && (code == 0 || code == 1 || code == 3 || code == 5);
	d->groups = rcn_xcalloc(GROUPS_MAX, sizeof(*d->groups));
	if (!d->matched)
		return;
	size_t n_tallies = s->outcome->n_tallies;
	const rcn_tally *t = s->outcome->tallies;
	for (size_t i = 0; i < n_tallies; i++)
		if (t[i].side == RCN_SIDE_CHANNEL)
			find_group(d, t[i].channel, t[i].merchant_id)->statement_rows += t[i].rows_in;
	rcn_findings_pass *p = s->outcome->findings ? rcn_findings_pass_open_any(s->outcome->findings) : NULL;
	for (const rcn_finding *f; p && (f = rcn_findings_pass_next(p)) != NULL;) {
		if ((int)f->kind < 0 || f->kind >= RCN_K_PENDING)
			continue;
		int64_t amount = abs_difference(f);
		kind_sum *k = &find_group(d, f->channel, f->merchant_id)->kinds[f->kind];
		k->count++;
		k->amount_fen += amount;
		d->kinds[f->kind].count++;
		d->kinds[f->kind].amount_fen += amount;
	}
	rcn_findings_pass_close(p);
	qsort(d->groups, d->n_groups, sizeof(*d->groups), group_cmp);
}

static bool failed_input(const rcn_run_input *in)
{
	return in->source && in->verdict && strcmp(in->verdict, "ok") != 0;
}

/* ---- JSON ---- */

/* A text of the summary as JSON ("" when absent). */
static void json_str(rcn_buf *b, const char *s)
{
	rcn_json_put(b, s ? s : "");
}

static bool json_kinds(rcn_buf *b, const kind_sum *kinds, const char *indent)
{
	bool first = true;
	char amount[32];
	for (int k = 0; k < RCN_K_PENDING; k++) {
		if (!kinds[k].count)
			continue;
		rcn_buf_printf(b, "%s\n%s{\"kind\": ", first ? "" : ",", indent);
		json_str(b, rcn_kind_name((rcn_kind)k));
		rcn_buf_printf(b, ", \"kind_cn\": ");
		json_str(b, rcn_kind_name_cn((rcn_kind)k));
		rcn_buf_printf(b, ", \"count\": %ld, \"amount\": \"%s\"}", kinds[k].count,
			       rcn_money_format(amount, sizeof(amount), kinds[k].amount_fen, RCN_SCALE_FEN));
		first = false;
	}
	return !first;
}

/* "open": N, "open_amount": "…", "overdue": N, "overdue_amount": "…" */
static void json_open(rcn_buf *b, const open_sum *o)
{
	char open[32], overdue[32];
	rcn_buf_printf(b, "\"open\": %ld, \"open_amount\": \"%s\", \"overdue\": %ld, \"overdue_amount\": \"%s\"",
		       o->open.count, rcn_money_format(open, sizeof(open), o->open.amount_fen, RCN_SCALE_FEN),
		       o->overdue.count,
		       rcn_money_format(overdue, sizeof(overdue), o->overdue.amount_fen, RCN_SCALE_FEN));
}

/* "open_items": the book's totals and its kinds (null without a book). */
static void json_open_items(rcn_buf *b, const digest *d)
{
	if (!d->s->book) {
		rcn_buf_printf(b, "  \"open_items\": null,\n");
		return;
	}
	rcn_buf_printf(b, "  \"open_items\": {");
	json_open(b, &d->open);
	rcn_buf_printf(b, ", \"kinds\": [");
	bool first = true;
	for (int k = 0; k < RCN_K_PENDING; k++) {
		if (!d->open_kinds[k].open.count)
			continue;
		rcn_buf_printf(b, "%s\n      {\"kind\": ", first ? "" : ",");
		json_str(b, rcn_kind_name((rcn_kind)k));
		rcn_buf_printf(b, ", \"kind_cn\": ");
		json_str(b, rcn_kind_name_cn((rcn_kind)k));
		rcn_buf_printf(b, ", ");
		json_open(b, &d->open_kinds[k]);
		rcn_buf_append(b, "}", 1);
		first = false;
	}
	rcn_buf_printf(b, "%s]},\n", first ? "" : "\n  ");
}

static char *body_json(const digest *d)
{
	const rcn_alert_summary *s = d->s;
	const rcn_run_result *r = s->result;
	char date[11];
	rcn_buf b;
	rcn_buf_init(&b, SIZE_MAX);
	rcn_buf_printf(&b, "{\n  \"schema\": \"recon.alert/1\",\n  \"business_date\": \"%s\",\n",
		       rcn_date_format(date, s->day));
	rcn_buf_printf(&b, "  \"exit_code\": %d,\n  \"outcome\": \"%s\",\n  \"meaning\": ", r->exit_code,
		       outcome(r->exit_code));
	json_str(&b, meaning(r->exit_code));
	rcn_buf_printf(&b, ",\n  \"dry_run\": %s,\n", s->dry_run ? "true" : "false");
	long zero = 0;
	rcn_buf_printf(&b,
		       "  \"totals\": {\"statement_rows\": %ld, \"matched\": %ld, \"discrepancies\": %ld, "
		       "\"pending\": %ld, \"quarantined\": %ld, \"rejected_files\": %ld},\n",
		       d->matched ? r->statement_rows : zero, d->matched ? r->matched : zero,
		       d->matched ? r->discrepancies : zero, d->matched ? r->pending : zero,
		       d->matched ? r->quarantined : zero, r->rejected_files);
	rcn_buf_printf(&b, "  \"kinds\": [");
	bool any = json_kinds(&b, d->kinds, "    ");
	rcn_buf_printf(&b, "%s],\n  \"channels\": [", any ? "\n  " : "");
	for (size_t i = 0; i < d->n_groups; i++) {
		const group *g = &d->groups[i];
		rcn_buf_printf(&b, "%s\n    {\"channel\": ", i ? "," : "");
		json_str(&b, g->channel);
		rcn_buf_printf(&b, ", \"merchant_id\": ");
		json_str(&b, g->merchant_id);
		rcn_buf_printf(&b, ", \"statement_rows\": %ld, \"kinds\": [", g->statement_rows);
		bool has = json_kinds(&b, g->kinds, "      ");
		rcn_buf_printf(&b, "%s]}", has ? "\n    " : "");
	}
	rcn_buf_printf(&b, "%s],\n", d->n_groups ? "\n  " : "");
	json_open_items(&b, d);
	rcn_buf_printf(&b, "  \"failed_files\": [");
	bool first = true;
	for (size_t i = 0; i < s->n_inputs; i++) {
		const rcn_run_input *in = &s->inputs[i];
		if (!failed_input(in))
			continue;
		rcn_buf_printf(&b, "%s\n    {\"source\": ", first ? "" : ",");
		json_str(&b, in->source);
		rcn_buf_printf(&b, ", \"file\": ");
		json_str(&b, in->path);
		rcn_buf_printf(&b, ", \"reason\": ");
		json_str(&b, in->verdict);
		rcn_buf_append(&b, "}", 1);
		first = false;
	}
	rcn_buf_printf(&b, "%s],\n  \"warnings\": [", first ? "" : "\n  ");
	first = true;
	for (size_t i = 0; i < s->n_inputs; i++) {
		const rcn_run_input *in = &s->inputs[i];
		if (!in->source || !in->warning)
			continue;
		rcn_buf_printf(&b, "%s\n    {\"source\": ", first ? "" : ",");
		json_str(&b, in->source);
		rcn_buf_printf(&b, ", \"warning\": ");
		json_str(&b, in->warning);
		rcn_buf_append(&b, "}", 1);
		first = false;
	}
	rcn_buf_printf(&b, "%s],\n  \"problems\": [", first ? "" : "\n  ");
	for (int i = 0; i < r->n_problems; i++) {
		rcn_buf_printf(&b, "%s\n    ", i ? "," : "");
		json_str(&b, r->problems[i]);
	}
	rcn_buf_printf(&b, "%s],\n  \"reports\": ", r->n_problems ? "\n  " : "");
	if (r->reports_path[0])
		json_str(&b, r->reports_path);
	else
		rcn_buf_printf(&b, "null");
	rcn_buf_printf(&b, "\n}\n");
	return b.data;
}

/* ---- markdown (WeCom, DingTalk) ---- */

/* One line of text for markdown: control characters become spaces. */
static void md_text(rcn_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		unsigned char c = *p < 0x20 || *p == 0x7f ? ' ' : *p;
		rcn_buf_append(b, &c, 1);
	}
}

static void md_title(rcn_buf *b, const digest *d)
{
	char date[11];
	const rcn_run_result *r = d->s->result;
	rcn_buf_printf(b, "recon %s: %s (exit %d)%s%s", rcn_date_format(date, d->s->day), meaning(r->exit_code),
		       r->exit_code, d->s->dry_run ? " [dry run]" : "", r->n_problems ? " — PROBLEM" : "");
}

static void md_kinds(rcn_buf *b, const kind_sum *kinds)
{
	char amount[32];
	for (int k = 0; k < RCN_K_PENDING; k++)
		if (kinds[k].count)
			rcn_buf_printf(b, "- %s %s: %ld, ¥%s\n", rcn_kind_name_cn((rcn_kind)k),
				       rcn_kind_name((rcn_kind)k), kinds[k].count,
				       rcn_money_format(amount, sizeof(amount), kinds[k].amount_fen, RCN_SCALE_FEN));
}

/* Cuts b to at most max bytes at a line boundary, ending with "…". */
static void md_cap(rcn_buf *b, size_t max)
{
	static const char more[] = "…\n";
	if (!b->data || b->len <= max)
		return;
	size_t keep = max - (sizeof(more) - 1);
	while (keep > 0 && b->data[keep - 1] != '\n')
		keep--;
	b->len = keep;
	b->data[keep] = '\0';
	rcn_buf_append(b, more, sizeof(more) - 1);
}
/* The inputs that failed (their verdicts) or, with warnings, the ones that
 * warned, under a title; nothing when there are none. */
static void md_inputs(rcn_buf *b, const rcn_alert_summary *s, const char *title, bool warnings)
{
	bool first = true;
	for (size_t i = 0; i < s->n_inputs; i++) {
		const rcn_run_input *in = &s->inputs[i];
		if (warnings ? !in->source || !in->warning : !failed_input(in))
			continue;
		if (first)
			rcn_buf_printf(b, "\n**%s**\n", title);
		first = false;
		rcn_buf_append(b, "- [source ", 10);
		md_text(b, in->source);
		rcn_buf_append(b, "] ", 2);
		md_text(b, warnings ? in->warning : in->verdict);
		rcn_buf_append(b, "\n", 1);
	}
}

static char *markdown(const digest *d, size_t max)
{
	const rcn_alert_summary *s = d->s;
	const rcn_run_result *r = s->result;
	rcn_buf b;
	rcn_buf_init(&b, SIZE_MAX);
	rcn_buf_append(&b, "## ", 3);
	md_title(&b, d);
	rcn_buf_append(&b, "\n", 1);
	if (d->matched)
		rcn_buf_printf(&b,
			       "> %ld statement rows: %ld matched, %ld discrepancies, %ld pending, %ld quarantined; "
			       "%ld ledger items: %ld matched, %ld discrepancies, %ld pending; %ld findings, "
			       "%ld file(s) failed\n",
			       r->channel.rows_in, r->channel.matched, r->channel.discrepancies, r->channel.pending,
			       r->channel.quarantined, r->ledger.rows_in, r->ledger.matched, r->ledger.discrepancies,
			       r->ledger.pending, r->discrepancies, r->rejected_files);
	else
		rcn_buf_printf(&b, "> nothing was committed for this date\n");
	if (s->book) {
		char open[32], overdue[32];
		rcn_buf_printf(&b, "> 未结差异 open items: %ld, ¥%s; 逾期 overdue: %ld, ¥%s\n", d->open.open.count,
			       rcn_money_format(open, sizeof(open), d->open.open.amount_fen, RCN_SCALE_FEN),
			       d->open.overdue.count,
			       rcn_money_format(overdue, sizeof(overdue), d->open.overdue.amount_fen, RCN_SCALE_FEN));
	}
	if (r->n_problems)
		rcn_buf_printf(&b, "\n**Problems**\n");
	for (int i = 0; i < r->n_problems; i++) {
		rcn_buf_append(&b, "- ", 2);
		md_text(&b, r->problems[i]);
		rcn_buf_append(&b, "\n", 1);
	}
	for (size_t i = 0; i < d->n_groups; i++) {
		const group *g = &d->groups[i];
		rcn_buf_append(&b, "\n**", 3);
		md_text(&b, g->channel);
		rcn_buf_append(&b, " ", 1);
		md_text(&b, g->merchant_id);
		rcn_buf_printf(&b, "**: %ld statement rows\n", g->statement_rows);
		md_kinds(&b, g->kinds);
	}
	md_inputs(&b, s, "Files that failed", false);
	md_inputs(&b, s, "Warnings", true);
	if (r->reports_path[0]) {
		rcn_buf_printf(&b, "\nReports: ");
		md_text(&b, r->reports_path);
		rcn_buf_append(&b, "\n", 1);
	}
	md_cap(&b, max);
	return b.data;
}

char *rcn_alert_body(const rcn_alert_summary *s, const char *kind)
{
	digest d;
	digest_init(&d, s);
	char *out;
	if (kind && (strcmp(kind, "wecom") == 0 || strcmp(kind, "dingtalk") == 0)) {
		bool wecom = strcmp(kind, "wecom") == 0;
		char *text = markdown(&d, wecom ? WECOM_MAX : DINGTALK_MAX);
		rcn_buf b;
		rcn_buf_init(&b, SIZE_MAX);
		rcn_buf_printf(&b, "{\"msgtype\":\"markdown\",\"markdown\":{");
		if (wecom) {
			rcn_buf_printf(&b, "\"content\":");
		} else {
			rcn_buf title;
			rcn_buf_init(&title, SIZE_MAX);
			md_title(&title, &d);
			rcn_buf_printf(&b, "\"title\":");
			json_str(&b, title.data);
			rcn_buf_printf(&b, ",\"text\":");
			rcn_buf_free(&title);
		}
		json_str(&b, text);
		rcn_buf_printf(&b, "}}");
		free(text);
		out = b.data;
	} else {
		out = body_json(&d);
	}
	free(d.groups);
	rcn_arena_free(&d.names);
	return out;
}

/* WeCom and DingTalk answer 200 with {"errcode":N,...}; N != 0 is a failure.
 * Returns the errcode (0 when there is none). */
static long robot_errcode(const rcn_http_response *resp)
{
	const char *p = resp->body.data ? strstr(resp->body.data, "\"errcode\"") : NULL;
	if (!p)
		return 0;
	p += 9;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':')
		p++;
	return strtol(p, NULL, 10);
}

void rcn_alert_send(const rcn_config *cfg, const rcn_alert_summary *s, FILE *log)
{
	if (!cfg || !cfg->alert_webhook || !cfg->alert_webhook[0])
		return;
	char date[11], why[1200], safe[1024];
	rcn_date_format(date, s->day);
	rcn_http_safe_url(safe, sizeof(safe), cfg->alert_webhook);
	char *body = rcn_alert_body(s, cfg->alert_kind);

	rcn_fetch_settings st;
	rcn_fetch_settings_default(&st);
	st.connect_timeout_s = 5;
	st.timeout_s = 15;
	st.stall_s = 10;
	st.attempts = 3;
	st.backoff_ms = 500;
	st.max_per_channel = 0;
	st.max_bytes = (uint64_t)64 << 10;
	st.ca_file = cfg->alert_ca_file;
	static const char *const headers[] = {"Content-Type: application/json; charset=utf-8", NULL};
	rcn_http_request req = {.method = "POST",
				.url = cfg->alert_webhook,
				.headers = headers,
				.body = body,
				.body_len = strlen(body),
				.channel = "alert",
				.what = "alert webhook"};
	rcn_http_response resp;
	rcn_err err;
	if (rcn_http_send(&req, &st, &resp, &err) != RCN_OK) {
		fprintf(log, "recon: %s: alert not sent: %s\n", date, rcn_err_format(&err, why, sizeof(why)));
	} else {
		long code = robot_errcode(&resp);
		if (resp.status < 200 || resp.status > 299)
			fprintf(log, "recon: %s: alert not sent: %s answered HTTP %ld\n", date, safe, resp.status);
		else if (code != 0)
			fprintf(log, "recon: %s: alert not sent: %s answered errcode %ld\n", date, safe, code);
		rcn_http_response_free(&resp);
	}
	fflush(log);
	free(body);
}

void rcn_alert_after_run(const rcn_run_opts *o, const rcn_run_result *r, const rcn_alert_outcome *outcome,
			 const rcn_open_book *book, const rcn_run_input *inputs, size_t n_inputs)
{
	if (!o->cfg->alert_webhook)
		return;
	rcn_alert_summary s = {o->day, o->dry_run, r, outcome, inputs, n_inputs, book};
	rcn_alert_send(o->cfg, &s, o->log);
}
