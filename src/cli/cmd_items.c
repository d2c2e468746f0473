/* recon items: the open-items register for the people who work it — list
 * (table, CSV, JSON), resolve, approve a write-off, history, and import of
 * an open_items.csv or workbook edited in Excel. What a change may do and
 * the transaction are the items module's (recon/items.h). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/items_out.h"
#include "recon/config.h"
#include "recon/items.h"
#include "recon/money.h"
#include "recon/text.h"

void rcn_cmd_items_help(void)
{
	printf("usage: recon items [--status S]... [--kind K]... [--channel C] [--overdue] [--older-than N]\n"
	       "                   [--format table|csv|json] [--as-of YYYY-MM-DD] [--config FILE]\n"
	       "       recon items resolve ID... [--status acknowledged|resolved|written_off] [--note TEXT]\n"
	       "                   [--owner NAME] [--by NAME]\n"
	       "       recon items approve ID --by NAME [--note TEXT]\n"
	       "       recon items history ID [--format table|csv|json]\n"
	       "       recon items import FILE [--by NAME]\n\n"
	       "The open items (未结差异): every discrepancy recon found, kept until a person or a later\n"
	       "night closes it. Without a subcommand, lists the items open and acknowledged, overdue\n"
	       "first, then by due date, with their age in business days as of the latest run's date.\n\n"
	       "  --status S        open, acknowledged, resolved, written_off, auto_closed, withdrawn\n"
	       "                    (repeat for several; default open and acknowledged)\n"
	       "  --kind K          a finding kind, e.g. SHORT_PAYMENT (repeat for several)\n"
	       "  --channel C       one channel's items\n"
	       "  --overdue         only items past their due date\n"
	       "  --older-than N    only items older than N business days\n"
	       "  --format F        table (default), csv (the columns of open_items.csv) or json\n"
	       "  --as-of DATE      ages, overdue and a close's date as of DATE (default: the latest\n"
	       "                    business date that has a run, else today)\n"
	       "  --config FILE     configuration (default: $RECON_CONFIG, else ./recon.conf)\n\n"
	       "resolve: every ID changes, or none does. acknowledged takes the item (owner: you unless\n"
	       "--owner); resolved and written_off close it and need --note. A write-off of more than\n"
	       "[items] writeoff_approval (default 1000.00 yuan) waits until a second person runs\n"
	       "approve. --by is who you are (default: your login name).\n"
	       "import: reads an open_items.csv (or the workbook's open_items sheet) after its status,\n"
	       "owner and note columns were filled in: rows that change nothing are ignored, any bad\n"
	       "row changes nothing and names FILE:LINE.\n\n"
	       "Exit status: 0 done; 2 usage error, unknown or mistyped id, or a change not allowed\n"
	       "(nothing changed); 4 database error.\n");
}

/* ---- the session every subcommand opens ---- */

typedef struct {
	rcn_config *cfg;
	rcn_db *db;
	rcn_calendar *cal;
	rcn_date as_of;
} session;

static int db_error(const char *what, const rcn_err *err)
{
	char why[1200];
	fflush(stdout);
	fprintf(stderr, "recon: items%s%s: %s\n", what[0] ? " " : "", what, rcn_err_format(err, why, sizeof why));
	return err->code == RCN_EDB ? RCN_EXIT_DB : RCN_EXIT_USAGE;
}

static void load_calendar(session *s)
{
	char rules[4096], path[4200];
	struct stat st;
	rcn_err err;
	rcn_config_resolve(rules, sizeof rules, s->cfg->rules_dir, s->cfg->dir);
	snprintf(path, sizeof path, "%s/calendar/cn.csv", rules);
	if (stat(path, &st) == 0 && rcn_calendar_load(&s->cal, path, &err) != RCN_OK)
		s->cal = NULL; /* ages count Monday to Friday, as without a calendar */
}

/* Config, connection (migrated), the zone, the calendar and the as-of date. */
static int open_session(session *s, const char *config, const char *as_of)
{
	memset(s, 0, sizeof *s);
	const char *path = config ? config : getenv("RECON_CONFIG") ? getenv("RECON_CONFIG") : "recon.conf";
	rcn_err err;
	char why[1200];
	if (as_of && rcn_date_parse(&s->as_of, as_of, strlen(as_of), &err) != RCN_OK)
		return rcn_cli_usage_error("items: --as-of: %s", err.msg);
	if (rcn_config_load(&s->cfg, path, &err)) {
		fprintf(stderr, "recon: %s\n", rcn_err_format(&err, why, sizeof why));
		return RCN_EXIT_USAGE;
	}
	if (rcn_cli_check_conninfo(s->cfg) != RCN_EXIT_CLEAN)
		return RCN_EXIT_USAGE;
	rcn_date last = -1;
	if (rcn_db_connect(&s->db, s->cfg->conninfo, &err) || rcn_db_migrate(s->db, &err) ||
	    rcn_items_set_zone(s->db, s->cfg->timezone, &err) || rcn_items_last_date(s->db, &last, &err))
		return db_error("", &err);
	if (!as_of)
		s->as_of = last >= 0 ? last : rcn_cli_yesterday(s->cfg->timezone) + 1;
	load_calendar(s);
	return RCN_EXIT_CLEAN;
}

static void close_session(session *s)
{
	rcn_calendar_free(s->cal);
	rcn_db_close(s->db);
	rcn_config_free(s->cfg);
}

/* Who is acting: --by, else the login name. */
static int who(const char *by, const char **out)
{
	if (!by) {
		const struct passwd *pw = getpwuid(geteuid());
		by = pw && pw->pw_name && pw->pw_name[0] ? pw->pw_name : getenv("USER");
	}
	if (!by || !by[0])
		return rcn_cli_usage_error("items: who is this? say so with --by NAME");
	rcn_text_fault fault;
	if (rcn_text_check(by, strlen(by), &fault) < strlen(by) || strpbrk(by, "\t\r\n") || strlen(by) > 200)
		return rcn_cli_usage_error("items: --by must be a name on one line (at most 200 bytes)");
	*out = by;
	return RCN_EXIT_CLEAN;
}

/* ---- options ---- */

typedef struct {
	const char *config, *as_of, *by, *note, *owner, *status, *channel, *format;
	const char *statuses[RCN_IS__COUNT * 2], *kinds[RCN_K__COUNT * 2];
	size_t n_statuses, n_kinds;
	bool overdue;
	const char *older_than;
	const char *args[1024]; /* IDs or FILE */
	size_t n_args;
} options;

/* The options `allowed` (a space-separated list) of a subcommand. */
static int parse_options(const char *sub, const char *allowed, int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			if (o->n_args >= sizeof o->args / sizeof o->args[0])
				return rcn_cli_usage_error("items %s: too many arguments", sub);
			o->args[o->n_args++] = a;
			continue;
		}
		char word[64];
		snprintf(word, sizeof word, " %s ", a + 2);
		char list[256];
		snprintf(list, sizeof list, " %s ", allowed);
		if (strlen(a) > 40 || !strstr(list, word))
			return rcn_cli_usage_error("items%s%s: unknown option '%s' (see recon items --help)",
						   sub[0] ? " " : "", sub, a);
		if (strcmp(a, "--overdue") == 0) {
			o->overdue = true;
			continue;
		}
		if (i + 1 >= argc)
			return rcn_cli_usage_error("items%s%s: option %s needs a value", sub[0] ? " " : "", sub, a);
		const char *v = argv[++i];
		if (strcmp(a, "--status") == 0 && o->n_statuses < sizeof o->statuses / sizeof o->statuses[0])
			o->statuses[o->n_statuses++] = v;
		else if (strcmp(a, "--kind") == 0 && o->n_kinds < sizeof o->kinds / sizeof o->kinds[0])
			o->kinds[o->n_kinds++] = v;
		const struct {
			const char *opt;
			const char **slot;
		} one[] = {{"--config", &o->config}, {"--as-of", &o->as_of},	      {"--by", &o->by},
			   {"--note", &o->note},     {"--owner", &o->owner},	      {"--channel", &o->channel},
			   {"--format", &o->format}, {"--older-than", &o->older_than}};
		for (size_t k = 0; k < sizeof one / sizeof one[0]; k++)
			if (strcmp(a, one[k].opt) == 0)
				*one[k].slot = v;
	}
	o->status = o->n_statuses ? o->statuses[o->n_statuses - 1] : NULL;
	return RCN_EXIT_CLEAN;
}

static int format_of(const char *sub, const options *o, rcn_out_format *fmt)
{
	*fmt = RCN_OUT_TABLE;
	if (o->format && !rcn_out_format_parse(o->format, fmt))
		return rcn_cli_usage_error("items%s%s: --format must be table, csv or json, not '%s'",
					   sub[0] ? " " : "", sub, o->format);
	return RCN_EXIT_CLEAN;
}

/* ---- recon items (the list) ---- */

static const rcn_out_col LIST_COLS[] = {
	{"id", "id", RCN_OUT_TEXT, 0},
	{"kind", "kind", RCN_OUT_TEXT, 0},
	{"kind_cn", "kind_cn", RCN_OUT_TEXT, 0},
	{"reason", "reason", RCN_OUT_TEXT, 0},
	{"reason_cn", "reason_cn", RCN_OUT_TEXT, 0},
	{"channel", "channel", RCN_OUT_TEXT, 0},
	{"merchant_id", "merchant_id", RCN_OUT_TEXT, 0},
	{"order_no", "order_no", RCN_OUT_TEXT, 0},
	{"refund_no", "refund_no", RCN_OUT_TEXT, 0},
	{"channel_txn_id", "channel_txn_id", RCN_OUT_TEXT, 0},
	{"difference", "difference", RCN_OUT_NULLABLE, 0},
	{"first_seen", "first_seen", RCN_OUT_TEXT, 0},
	{"age_days", "age_days", RCN_OUT_INT, 0},
	{"due_by", "due_by", RCN_OUT_NULLABLE, 0},
	{"overdue", "overdue", RCN_OUT_BOOL, 0},
	{"status", "status", RCN_OUT_TEXT, 0},
	{"status_cn", "status_cn", RCN_OUT_TEXT, 0},
	{"owner", "owner", RCN_OUT_TEXT, 0},
	{"note", "note", RCN_OUT_TEXT, 0},
	{"last_change", "last_change", RCN_OUT_TEXT, 0},
	{"changed_by", "changed_by", RCN_OUT_TEXT, 0},
	{"awaiting_approval", "awaiting_approval", RCN_OUT_TEXT, 0},
};
enum { N_LIST_COLS = sizeof LIST_COLS / sizeof LIST_COLS[0] };
_Static_assert(N_LIST_COLS == RCN_OPEN_ITEM_CELLS, "the list's columns are open_items.csv's");

/* The table a clerk reads: fewer columns, the Chinese beside the codes. */
static const rcn_out_col TABLE_COLS[] = {
	{"id", "id", RCN_OUT_TEXT, 0},
	{"kind", "kind", RCN_OUT_TEXT, 0},
	{"channel", "channel", RCN_OUT_TEXT, 0},
	{"order_no", "order_no", RCN_OUT_TEXT, 0},
	{"difference", "difference", RCN_OUT_TEXT, 0},
	{"first_seen", "first_seen", RCN_OUT_TEXT, 0},
	{"age_days", "age", RCN_OUT_TEXT, 0},
	{"due_by", "due_by", RCN_OUT_TEXT, 0},
	{"overdue", "overdue", RCN_OUT_TEXT, 0},
	{"status", "status", RCN_OUT_TEXT, 0},
	{"owner", "owner", RCN_OUT_TEXT, 24},
	{"note", "note", RCN_OUT_TEXT, 40},
};
enum { N_TABLE_COLS = sizeof TABLE_COLS / sizeof TABLE_COLS[0] };

static void list_row(rcn_out *out, const rcn_open_item *it, rcn_out_format fmt)
{
	char diff[32] = "", first[11], due[11] = "", age[16], kind[128], status[512];
	if (fmt != RCN_OUT_TABLE) { /* open_items.csv's very cells */
		rcn_open_item_text t;
		const char *cells[RCN_OPEN_ITEM_CELLS];
		rcn_open_item_cells(it, &t, cells);
		rcn_out_row(out, cells);
		return;
	}
	if (it->has_difference)
		rcn_money_format(diff, sizeof diff, it->difference,
				 it->kind == RCN_K_FEE_MISMATCH ? RCN_SCALE_FEE : RCN_SCALE_FEN);
	rcn_date_format(first, it->first_seen);
	if (it->due_by)
		rcn_date_format(due, it->due_by);
	snprintf(age, sizeof age, "%d", it->age_days);
	snprintf(kind, sizeof kind, "%s %s", rcn_kind_name(it->kind), rcn_kind_name_cn(it->kind));
	if (it->approval_by[0])
		snprintf(status, sizeof status, "%s, write-off awaits approval (asked by %s)",
			 rcn_item_status_name(it->status), it->approval_by);
	else
		snprintf(status, sizeof status, "%s", rcn_item_status_name(it->status));
	const char *cells[N_TABLE_COLS] = {
		it->id, kind,	   it->channel, it->order_no, diff, first, age, due, it->overdue ? "yes" : "",
		status, it->owner, it->note};
	rcn_out_row(out, cells);
}

/* --status and --kind words into the filter's bits. */
static int list_filter(const options *o, rcn_items_filter *f)
{
	for (size_t i = 0; i < o->n_statuses; i++) {
		rcn_item_status s;
		if (!rcn_item_status_parse(o->statuses[i], &s))
			return rcn_cli_usage_error(
				"items: unknown status '%s' (open, acknowledged, resolved, written_off, "
				"auto_closed, withdrawn)",
				o->statuses[i]);
		f->statuses |= 1u << s;
	}
	for (size_t i = 0; i < o->n_kinds; i++) {
		int k = 0;
		while (k < RCN_K__COUNT && strcmp(rcn_kind_name((rcn_kind)k), o->kinds[i]) != 0)
			k++;
		if (k == RCN_K__COUNT || k == RCN_K_MATCHED)
			return rcn_cli_usage_error("items: unknown kind '%s' (e.g. SHORT_PAYMENT, see README.md)",
						   o->kinds[i]);
		f->kinds |= 1u << k;
	}
	f->channel = o->channel;
	f->overdue_only = o->overdue;
	f->older_than = -1;
	if (o->older_than) {
		char *end;
		long n = strtol(o->older_than, &end, 10);
		if (!o->older_than[0] || *end || n < 0 || n > 100000)
			return rcn_cli_usage_error(
				"items: --older-than must be a whole number of business days, not '%s'", o->older_than);
		f->older_than = (int)n;
	}
	return RCN_EXIT_CLEAN;
}

static void list_footer(const rcn_item_list *l)
{
	rcn_open_book book = {0};
	char open[32], overdue[32];
	rcn_items_count(l->v, l->n, &book);
	if (l->n == 0) {
		printf("no items\n");
		return;
	}
	printf("%zu item%s; open or acknowledged: %ld (%s yuan), overdue: %ld (%s yuan)\n", l->n, l->n == 1 ? "" : "s",
	       book.open, rcn_money_format(open, sizeof open, book.open_fen, RCN_SCALE_FEN), book.overdue,
	       rcn_money_format(overdue, sizeof overdue, book.overdue_fen, RCN_SCALE_FEN));
}

static int cmd_list(int argc, char **argv)
{
	options o;
	rcn_out_format fmt;
	rcn_items_filter f = {0};
	int rc = parse_options("", "status kind channel overdue older-than format as-of config", argc, argv, &o);
	if (rc == RCN_EXIT_CLEAN && o.n_args)
		rc = rcn_cli_usage_error("items: unknown subcommand '%s' (list, resolve, approve, history, import)",
					 o.args[0]);
	if (rc != RCN_EXIT_CLEAN || (rc = format_of("", &o, &fmt)) != RCN_EXIT_CLEAN ||
	    (rc = list_filter(&o, &f)) != RCN_EXIT_CLEAN)
		return rc;
	session s;
	rcn_item_list l = {0};
	rcn_err err;
	if ((rc = open_session(&s, o.config, o.as_of)) == RCN_EXIT_CLEAN) {
		f.as_of = s.as_of;
		if (rcn_items_load(s.db, &f, s.cal, &l, &err) != RCN_OK) {
			rc = db_error("", &err);
		} else {
			rcn_out out;
			rcn_out_init(&out, fmt == RCN_OUT_TABLE ? TABLE_COLS : LIST_COLS,
				     fmt == RCN_OUT_TABLE ? N_TABLE_COLS : N_LIST_COLS);
			for (size_t i = 0; i < l.n; i++)
				list_row(&out, &l.v[i], fmt);
			if (fmt != RCN_OUT_TABLE || l.n)
				rcn_out_print(&out, fmt, stdout);
			if (fmt == RCN_OUT_TABLE)
				list_footer(&l);
			rcn_out_free(&out);
		}
	}
	rcn_item_list_free(&l);
	close_session(&s);
	return rc;
}

/* ---- resolve, import, approve: what changed ---- */

static void print_done(const rcn_item_done *d, size_t n, const rcn_items_actor *a)
{
	size_t changed = 0, unchanged = 0;
	for (size_t i = 0; i < n; i++)
		changed += d[i].outcome == RCN_ITEM_CHANGED || d[i].outcome == RCN_ITEM_AWAITS_APPROVAL ||
			   d[i].outcome == RCN_ITEM_APPROVED;
	printf("%zu item%s changed%s\n", changed, changed == 1 ? "" : "s", changed ? ":" : "");
	for (size_t i = 0; i < n; i++) {
		char amount[32], limit[32];
		const char *from = rcn_item_status_name(d[i].from), *to = rcn_item_status_name(d[i].to);
		const char *what = d[i].owner_changed && d[i].note_changed ? "owner and note"
				   : d[i].owner_changed			   ? "owner"
									   : "note";
		switch (d[i].outcome) {
		case RCN_ITEM_CHANGED:
			if (d[i].from != d[i].to)
				printf("  %s  %s -> %s\n", d[i].id, from, to);
			else
				printf("  %s  %s: %s changed\n", d[i].id, from, what);
			break;
		case RCN_ITEM_AWAITS_APPROVAL:
			rcn_money_format(amount, sizeof amount,
					 d[i].difference_fen < 0 ? -d[i].difference_fen : d[i].difference_fen,
					 RCN_SCALE_FEN);
			rcn_money_format(limit, sizeof limit, a->writeoff_approval_fen, RCN_SCALE_FEN);
			printf("  %s  %s: write-off of %s yuan (over %s) awaits approval by a second person: recon "
			       "items approve %s --by NAME\n",
			       d[i].id, from, amount, limit, d[i].id);
			break;
		case RCN_ITEM_APPROVED:
			printf("  %s  %s -> %s (write-off approved by %s)\n", d[i].id, from, to, a->by);
			break;
		case RCN_ITEM_PASSED_OVER:
			printf("  %s  passed over: it is %s now (closed since the file was written)\n", d[i].id, from);
			break;
		case RCN_ITEM_UNCHANGED:
			unchanged++;
			break;
		}
	}
	if (unchanged)
		printf("%zu unchanged\n", unchanged);
}

static int apply(session *s, const rcn_item_change *v, size_t n, const char *by, bool import)
{
	rcn_items_actor a = {by, s->as_of, s->cfg->writeoff_approval_fen, import};
	rcn_item_done *done = rcn_xcalloc(n ? n : 1, sizeof *done);
	rcn_err err;
	int rc = RCN_EXIT_CLEAN;
	if (rcn_items_apply(s->db, v, n, &a, done, &err) != RCN_OK)
		rc = db_error(import ? "import" : "resolve", &err);
	else
		print_done(done, n, &a);
	if (rc != RCN_EXIT_CLEAN && err.code != RCN_EDB)
		fprintf(stderr, "recon: nothing was changed\n");
	free(done);
	return rc;
}

static int cmd_resolve(int argc, char **argv)
{
	options o;
	const char *by = NULL;
	int rc = parse_options("resolve", "status note owner by as-of config", argc, argv, &o);
	if (rc != RCN_EXIT_CLEAN)
		return rc;
	if (!o.n_args)
		return rcn_cli_usage_error(
			"items resolve: which items? recon items resolve ID... --status S --note TEXT");
	if (o.status && strcmp(o.status, "acknowledged") && strcmp(o.status, "resolved") &&
	    strcmp(o.status, "written_off"))
		return rcn_cli_usage_error("items resolve: --status must be acknowledged, resolved or written_off, not "
					   "'%s'",
					   o.status);
	if (!o.status && !o.note && !o.owner)
		return rcn_cli_usage_error("items resolve: nothing to change: give --status, --note or --owner");
	if ((rc = who(o.by, &by)) != RCN_EXIT_CLEAN)
		return rc;
	rcn_item_change *v = rcn_xcalloc(o.n_args, sizeof *v);
	for (size_t i = 0; i < o.n_args; i++)
		v[i] = (rcn_item_change){o.args[i], o.status, o.owner, o.note, NULL, NULL, 0};
	session s;
	if ((rc = open_session(&s, o.config, o.as_of)) == RCN_EXIT_CLEAN)
		rc = apply(&s, v, o.n_args, by, false);
	close_session(&s);
	free(v);
	return rc;
}

static int cmd_import(int argc, char **argv)
{
	options o;
	const char *by = NULL;
	int rc = parse_options("import", "by as-of config", argc, argv, &o);
	if (rc != RCN_EXIT_CLEAN)
		return rc;
	if (o.n_args != 1)
		return rcn_cli_usage_error("items import: expected one FILE (open_items.csv or the workbook)");
	if ((rc = who(o.by, &by)) != RCN_EXIT_CLEAN)
		return rc;
	rcn_item_changes c = {0};
	rcn_err err;
	if (rcn_items_read_file(o.args[0], &c, &err) != RCN_OK) {
		rc = db_error("import", &err);
		fprintf(stderr, "recon: nothing was changed\n");
		rcn_item_changes_free(&c);
		return rc;
	}
	session s;
	if ((rc = open_session(&s, o.config, o.as_of)) == RCN_EXIT_CLEAN)
		rc = apply(&s, c.v, c.n, by, true);
	close_session(&s);
	rcn_item_changes_free(&c);
	return rc;
}

static int cmd_approve(int argc, char **argv)
{
	options o;
	int rc = parse_options("approve", "by note as-of config", argc, argv, &o);
	if (rc != RCN_EXIT_CLEAN)
		return rc;
	if (o.n_args != 1)
		return rcn_cli_usage_error("items approve: expected one ID: recon items approve ID --by NAME");
	if (!o.by)
		return rcn_cli_usage_error("items approve: say who approves with --by NAME");
	const char *by;
	if ((rc = who(o.by, &by)) != RCN_EXIT_CLEAN)
		return rc;
	session s;
	if ((rc = open_session(&s, o.config, o.as_of)) == RCN_EXIT_CLEAN) {
		rcn_items_actor a = {by, s.as_of, s.cfg->writeoff_approval_fen, false};
		rcn_item_done done;
		rcn_err err;
		if (rcn_items_approve(s.db, o.args[0], o.note, &a, &done, &err) != RCN_OK) {
			rc = db_error("approve", &err);
			if (err.code != RCN_EDB)
				fprintf(stderr, "recon: nothing was changed\n");
		} else {
			print_done(&done, 1, &a);
		}
	}
	close_session(&s);
	return rc;
}

/* ---- history ---- */

static const rcn_out_col HISTORY_COLS[] = {
	{"at", "at", RCN_OUT_TEXT, 0},
	{"actor", "actor", RCN_OUT_TEXT, 24},
	{"action", "action", RCN_OUT_TEXT, 0},
	{"from_status", "from", RCN_OUT_NULLABLE, 0},
	{"to_status", "to", RCN_OUT_NULLABLE, 0},
	{"owner", "owner", RCN_OUT_TEXT, 24},
	{"note", "note", RCN_OUT_TEXT, 40},
	{"business_date", "business_date", RCN_OUT_NULLABLE, 0},
	{"evidence", "evidence", RCN_OUT_TEXT, 40},
};
enum { N_HISTORY_COLS = sizeof HISTORY_COLS / sizeof HISTORY_COLS[0] };

static void history_event(void *ctx, const rcn_item_event *e)
{
	const char *cells[N_HISTORY_COLS] = {e->at,    e->actor, e->action,	   e->from_status, e->to_status,
					     e->owner, e->note,	 e->business_date, e->evidence};
	rcn_out_row(ctx, cells);
}

static int cmd_history(int argc, char **argv)
{
	options o;
	rcn_out_format fmt;
	int rc = parse_options("history", "format config", argc, argv, &o);
	if (rc != RCN_EXIT_CLEAN || (rc = format_of("history", &o, &fmt)) != RCN_EXIT_CLEAN)
		return rc;
	if (o.n_args != 1)
		return rcn_cli_usage_error("items history: expected one ID");
	char id[RCN_ITEM_ID_MAX];
	if (!rcn_item_id_parse(o.args[0], id))
		return rcn_cli_usage_error("items history: '%s' is not an item id (check symbol): check it against "
					   "the list",
					   RCN_QUOTE(o.args[0], strlen(o.args[0])));
	session s;
	if ((rc = open_session(&s, o.config, NULL)) == RCN_EXIT_CLEAN) {
		rcn_out out;
		rcn_err err;
		rcn_out_init(&out, HISTORY_COLS, N_HISTORY_COLS);
		if (rcn_items_history(s.db, id, history_event, &out, &err) != RCN_OK)
			rc = db_error("history", &err);
		else
			rcn_out_print(&out, fmt, stdout);
		rcn_out_free(&out);
	}
	close_session(&s);
	return rc;
}

int rcn_cmd_items(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} SUB[] = {{"list", cmd_list},
		   {"resolve", cmd_resolve},
		   {"approve", cmd_approve},
		   {"history", cmd_history},
		   {"import", cmd_import}};
	if (argc > 1)
		for (size_t i = 0; i < sizeof SUB / sizeof SUB[0]; i++)
			if (strcmp(argv[1], SUB[i].name) == 0)
				return SUB[i].run(argc - 1, argv + 1);
	return cmd_list(argc, argv);
}
