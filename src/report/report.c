/* The CSV reports of a business date (DESIGN.md §3), prepared in a
 * temporary directory and swapped into reports/<date> in one rename. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recon/match.h"
#include "recon/money.h"
#include "recon/report.h"
#include "report/report_int.h"
#include "util/pool.h"

#define BOM "\xEF\xBB\xBF"
#define EOL "\r\n"

static const char *const finding_columns =
	"business_date,kind,kind_cn,reason,channel,merchant_id,order_no,refund_no,channel_txn_id,ledger_status,"
	"channel_status,ledger_amount,channel_amount,difference,expected_fee,channel_fee,trade_time,first_seen,"
	"age_days,source,detail,reason_cn,action_cn,due_by,urgent,id";

/* One finding's line, built in b (reused row after row; no limit: the
 * appends cannot fail) and written in one go: two dozen cells are not two
 * dozen stdio calls and a call per separator. */
static void write_finding(FILE *out, rcn_buf *b, const char *date, const rcn_finding *f)
{
	char d[11];
	int64_t diff = 0;
	rcn_buf_reset(b);
	(void)rcn_buf_append(b, date, strlen(date));
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_text_buf(b, rcn_kind_name(f->kind));
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_text_buf(b, rcn_kind_name_cn(f->kind));
	const char *text[] = {f->reason,    f->channel,	       f->merchant_id,	 f->order_no,
			      f->refund_no, f->channel_txn_id, f->ledger_status, f->channel_status};
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		(void)rcn_buf_append(b, ",", 1);
		rcn_csv_text_buf(b, text[i]);
	}
	int diff_scale;
	bool has_diff = rcn_finding_delta(f, &diff, &diff_scale);
	const struct {
		bool has;
		int64_t v;
		int scale;
	} money[] = {{f->has_ledger_amount, f->ledger_amount, RCN_SCALE_FEN},
		     {f->has_channel_amount, f->channel_amount, RCN_SCALE_FEN},
		     {has_diff, diff, diff_scale}, /* a fee difference keeps the fee's 5 decimals */
		     {f->has_expected_fee, f->expected_fee, RCN_SCALE_FEE},
		     {f->has_channel_fee, f->channel_fee, RCN_SCALE_FEE}};
	for (size_t i = 0; i < sizeof(money) / sizeof(money[0]); i++) { /* an empty cell when absent */
		(void)rcn_buf_append(b, ",", 1);
		if (money[i].has)
			rcn_csv_money_buf(b, money[i].v, money[i].scale);
	}
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_text_buf(b, f->trade_time);
	(void)rcn_buf_append(b, ",", 1);
	(void)rcn_buf_append(b, rcn_date_format(d, f->first_seen), 10);
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_money_buf(b, f->age_days, 0);
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_text_buf(b, f->source);
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_text_buf(b, f->detail);
	/* for the clerk (issue 18): the reason in the glossary's words, then the
	 * kind's handling rule (rules/handling.csv, set by rcn_rules_handle) */
	const char *reason_cn = rcn_reason_cn(f->kind, f->reason);
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_text_buf(b, reason_cn ? reason_cn : "");
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_text_buf(b, f->action_cn ? f->action_cn : "");
	(void)rcn_buf_append(b, ",", 1);
	if (f->due_by)
		(void)rcn_buf_append(b, rcn_date_format(d, f->due_by), 10);
	(void)rcn_buf_append(b, f->urgent ? ",yes," : ",no,", f->urgent ? 5 : 4);
	rcn_csv_text_buf(b, f->item_id ? f->item_id : ""); /* the open item it is (issue 19) */
	(void)rcn_buf_append(b, EOL, 2);
	fwrite(b->data, 1, b->len, out);
}

rcn_rc rcn_report_write(const char *dir, const char *name, rcn_report_body_fn body, const void *ctx, rcn_err *err)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *out = rcn_fopen_report(path);
	if (!out)
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot write report: %s", strerror(errno));
	setvbuf(out, NULL, _IOFBF, 1 << 16);
	__fsetlocking(out, FSETLOCKING_BYCALLER); /* one thread writes it: no lock per fputc */
	body(out, ctx);
	bool bad = ferror(out) != 0 || fflush(out) != 0;
	if (fclose(out) != 0 || bad) /* (on the disk once closed) */
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot write report: %s", strerror(errno ? errno : EIO));
	return RCN_OK;
}

typedef struct {
	const char *header;
	rcn_report_body_fn body;
	const void *ctx;
} csv_file;

static void csv_body(FILE *out, const void *p)
{
	const csv_file *c = p;
	fputs(BOM, out);
	fputs(c->header, out);
	fputs(EOL, out);
	c->body(out, c->ctx);
}

/* Writes dir/name: BOM, header, body; fails with the path and errno. */
static rcn_rc write_file(const char *dir, const char *name, const char *header, rcn_report_body_fn body,
			 const void *ctx, rcn_err *err)
{
	csv_file c = {header, body, ctx};
	return rcn_report_write(dir, name, csv_body, &c, err);
}

typedef struct {
	const char *date;
	const rcn_report_data *d;
} report_ctx;

/* The findings of one CSV: pending ones only, or all the others. */
static void findings_body(FILE *out, const char *date, const rcn_report_data *d, bool pending)
{
	rcn_buf line;
	rcn_buf_init(&line, SIZE_MAX);
	rcn_report_walk w;
	if (pending)
		rcn_report_walk_kinds(&w, d, RCN_K_PENDING, RCN_K_PENDING);
	else
		rcn_report_walk_kinds(&w, d, 0, RCN_K_PENDING - 1);
	for (const rcn_finding *f; (f = rcn_report_walk_next(&w)) != NULL;)
		write_finding(out, &line, date, f);
	rcn_report_walk_close(&w);
	rcn_buf_free(&line);
}

static void discrepancies_body(FILE *out, const void *p)
{
	const report_ctx *c = p;
	findings_body(out, c->date, c->d, false);
}

static void pending_body(FILE *out, const void *p)
{
	const report_ctx *c = p;
	findings_body(out, c->date, c->d, true);
}

static void notes_body(FILE *out, const void *p)
{
	const report_ctx *c = p;
	rcn_buf line;
	rcn_buf_init(&line, SIZE_MAX);
	for (size_t i = 0; i < c->d->n_notes; i++)
		write_finding(out, &line, c->date, c->d->notes[i]);
	rcn_buf_free(&line);
}

static void quarantine_body(FILE *out, const void *p)
{
	const report_ctx *c = p;
	for (size_t i = 0; i < c->d->n_quarantine; i++) {
		const rcn_quarantine_entry *q = &c->d->quarantine[i];
		fprintf(out, "%s,", c->date);
		rcn_csv_text(out, q->source);
		fputc(',', out);
		rcn_csv_text(out, q->file);
		fputc(',', out);
		if (q->line > 0)
			fprintf(out, "%ld", q->line);
		fprintf(out, ",%s,", q->line > 0 ? "row" : "file");
		rcn_csv_text(out, q->reason);
		fprintf(out, ",%ld,", q->rows);
		rcn_csv_money(out, q->amount_fen, RCN_SCALE_FEN);
		fputs(EOL, out);
	}
}

static void settlement_body(FILE *out, const void *p)
{
	const report_ctx *c = p;
	for (size_t i = 0; i < c->d->n_settlements; i++) {
		const rcn_settlement *s = &c->d->settlements[i];
		char d[11];
		fprintf(out, "%s,", c->date);
		fprintf(out, "%s,", rcn_date_format(d, s->business_date));
		const char *text[] = {s->channel, s->merchant_id, s->cycle};
		for (size_t k = 0; k < sizeof(text) / sizeof(text[0]); k++) {
			rcn_csv_text(out, text[k]);
			fputc(',', out);
		}
		rcn_csv_money(out, s->amount.payments_fen, RCN_SCALE_FEN);
		fputc(',', out);
		rcn_csv_money(out, s->amount.refunds_fen, RCN_SCALE_FEN);
		fputc(',', out);
		rcn_csv_money(out, s->amount.fee, RCN_SCALE_FEE);
		fputc(',', out);
		rcn_csv_money(out, s->amount.net_fen, RCN_SCALE_FEN);
		fprintf(out, ",%s,%s,", s->due_date ? rcn_date_format(d, s->due_date) : "",
			rcn_settle_status_name(s->status));
		if (s->has_settled)
			rcn_csv_money(out, s->settled_fen, RCN_SCALE_FEN);
		fprintf(out, ",%s,", s->has_settled ? rcn_date_format(d, s->settled_on) : "");
		rcn_csv_text(out, s->detail);
		fputs(EOL, out);
	}
}

/* One line of summary.csv; amounts: the account's per-kind amounts, open:
 * its open items (both NULL on a ledger-side line). */
static void tally_row(FILE *out, const char *date, const rcn_tally *t, const int64_t *amounts, const rcn_open_sum *open)
{
	bool ch = t->side == RCN_SIDE_CHANNEL;
	bool balanced =
		t->rows_in == t->matched + t->discrepancies + t->pending + t->quarantined &&
		t->amount_in == t->amount_matched + t->amount_discrepancies + t->amount_pending + t->amount_quarantined;
	fprintf(out, "%s,", date);
	rcn_csv_text(out, t->channel);
	fputc(',', out);
	rcn_csv_text(out, t->merchant_id);
	fprintf(out, ",%s,%s,%ld,", ch ? "channel" : "ledger", ch ? "渠道对账单" : "商户账本", t->rows_in);
	rcn_csv_money(out, t->amount_in, RCN_SCALE_FEN);
	const long rows[] = {t->matched, t->discrepancies, t->pending, t->quarantined};
	const int64_t sums[] = {t->amount_matched, t->amount_discrepancies, t->amount_pending, t->amount_quarantined};
	for (int i = 0; i < 4; i++) {
		fprintf(out, ",%ld,", rows[i]);
		rcn_csv_money(out, sums[i], RCN_SCALE_FEN);
	}
	fprintf(out, ",%s", balanced ? "yes" : "NO");
	for (int k = 0; k < RCN_K_PENDING; k++)
		fprintf(out, ",%ld", t->kinds[k]);
	if (ch) {
		int64_t bp;
		bool over;
		fputc(',', out);
		rcn_csv_money(out, t->payments_fen, RCN_SCALE_FEN);
		fputc(',', out);
		rcn_csv_money(out, t->refunds_fen, RCN_SCALE_FEN);
		fputc(',', out);
		rcn_csv_money(out, t->channel_fee, RCN_SCALE_FEE);
		fputc(',', out);
		if (t->has_expected_fee)
			rcn_csv_money(out, t->expected_fee, RCN_SCALE_FEE);
		fputc(',', out);
		rcn_csv_money(out, rcn_report_net(t), RCN_SCALE_FEE); /* 1e-5 yuan keeps the fee exact */
		if (rcn_report_refund_rate(t, &bp, &over)) {
			fputc(',', out);
			rcn_csv_money(out, bp, 2);
			fputs(over ? ",yes" : ",no", out);
		} else {
			fputs(",,", out);
		}
		fprintf(out, ",%ld", t->suspicious_debits);
	} else {
		fputs(",,,,,,,,", out);
	}
	for (int k = 0; k < RCN_K_PENDING; k++) { /* appended: older spreadsheets keep their columns */
		fputc(',', out);
		if (amounts)
			rcn_csv_money(out, amounts[k], RCN_SCALE_FEN);
	}
	if (open) { /* the open book (issue 19), appended likewise */
		fprintf(out, ",%ld,", open->open);
		rcn_csv_money(out, open->open_fen, RCN_SCALE_FEN);
		fprintf(out, ",%ld,", open->overdue);
		rcn_csv_money(out, open->overdue_fen, RCN_SCALE_FEN);
	} else {
		fputs(",,,,", out);
	}
	fputs(EOL, out);
}

void rcn_report_totals(rcn_tally total[2], const rcn_report_data *d)
{
	memset(total, 0, 2 * sizeof(*total));
	total[0].channel = total[1].channel = "*";
	total[0].merchant_id = total[1].merchant_id = "*";
	total[0].side = RCN_SIDE_LEDGER;
	total[1].side = RCN_SIDE_CHANNEL;
	for (size_t i = 0; i < d->n_tallies; i++)
		rcn_tally_add(&total[d->tallies[i].side == RCN_SIDE_CHANNEL], &d->tallies[i]);
}

static void summary_body(FILE *out, const void *p)
{
	const report_ctx *c = p;
	rcn_tally total[2];
	rcn_kind_amounts a;
	rcn_open_sums o;
	rcn_report_totals(total, c->d);
	rcn_report_kind_amounts(&a, c->d);
	rcn_report_open_sums(&o, c->d);
	for (size_t i = 0; i < c->d->n_tallies; i++) {
		const rcn_tally *t = &c->d->tallies[i];
		bool ch = t->side == RCN_SIDE_CHANNEL;
		tally_row(out, c->date, t, ch ? a.by_tally[i] : NULL, ch ? &o.by_tally[i] : NULL);
	}
	tally_row(out, c->date, &total[0], NULL, NULL);
	tally_row(out, c->date, &total[1], a.total, &o.total);
	rcn_report_kind_amounts_free(&a);
	rcn_report_open_sums_free(&o);
}

static void summary_header(char *buf, size_t n)
{
	size_t len = (size_t)snprintf(buf, n,
				      "business_date,channel,merchant_id,side,side_cn,rows_in,amount_in,matched_rows,"
				      "matched_amount,discrepancy_rows,discrepancy_amount,pending_rows,pending_amount,"
				      "quarantined_rows,quarantined_amount,balanced");
	for (int k = 0; k < RCN_K_PENDING && len < n; k++)
		len += (size_t)snprintf(buf + len, n - len, ",%s", rcn_kind_name((rcn_kind)k));
	if (len < n)
		len += (size_t)snprintf(
			buf + len, n - len,
			",payments,refunds,channel_fee,expected_fee,expected_net_settlement,refund_rate_pct,"
			"refund_rate_over_5pct,debits_over_200pct_of_contract_average");
	for (int k = 0; k < RCN_K_PENDING && len < n; k++)
		len += (size_t)snprintf(buf + len, n - len, ",%s_amount", rcn_kind_name((rcn_kind)k));
	if (len < n)
		snprintf(buf + len, n - len, ",open_items,open_amount,overdue_items,overdue_amount");
}

/* open_items.csv's header: the columns' English names. */
static void open_items_header(char *buf, size_t n)
{
	size_t len = 0;
	for (int i = 0; i < RCN_OPEN_COLS && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? "," : "", rcn_open_cols[i][1]);
}

/* The open book as of the date, in the book's order (overdue first). */
static void open_items_body(FILE *out, const void *p)
{
	const report_ctx *c = p;
	const rcn_open_book *book = c->d->book;
	rcn_buf line;
	rcn_buf_init(&line, SIZE_MAX);
	rcn_buf block; /* rows written 64 KiB at a time: one stdio call, not one a row */
	rcn_buf_init(&block, SIZE_MAX);
	rcn_book_cursor cur;
	rcn_book_cursor_open(&cur, book);
	for (const rcn_open_item *it; (it = rcn_book_cursor_next(&cur)) != NULL;) {
		rcn_report_open_item_row(&line, it);
		(void)rcn_buf_append(&block, line.data, line.len);
		if (block.len >= 65536) {
			fwrite(block.data, 1, block.len, out);
			rcn_buf_reset(&block);
		}
	}
	rcn_book_cursor_close(&cur);
	if (block.len)
		fwrite(block.data, 1, block.len, out);
	rcn_buf_free(&block);
	rcn_buf_free(&line);
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Temporary directories of this date left by a run that was killed before it
 * published (or before it removed the old reports): safe to delete, since the
 * caller holds the date's lock and no other run of it can be writing one. */
static void remove_stale_tmp(const char *reports_dir, const char *date)
{
	char prefix[32], path[4400];
	snprintf(prefix, sizeof(prefix), ".%s.tmp-", date);
	DIR *d = opendir(reports_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", reports_dir, e->d_name);
		remove_tree(path);
	}
	closedir(d);
}

static rcn_rc make_dirs(const char *dir, rcn_err *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return rcn_err_set(err, RCN_EIO, path, 0, "cannot create directory: %s", strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot create directory: %s", strerror(errno));
	return RCN_OK;
}

typedef struct {
	const char *dir, *date;
	const rcn_report_data *data;
	rcn_rc rc;
	rcn_err err;
} xlsx_job;

static void *xlsx_thread(void *p)
{
	xlsx_job *j = p;
	j->rc = rcn_report_xlsx(j->dir, j->date, j->data, &j->err);
	return NULL;
}

/* open_items.csv: the open book, as long as tonight's findings and more. */
typedef struct {
	const char *dir;
	report_ctx *c;
	rcn_rc rc;
	rcn_err err;
} open_job;

static void *open_items_thread(void *p)
{
	open_job *j = p;
	char header[512];
	open_items_header(header, sizeof(header));
	j->rc = write_file(j->dir, "open_items.csv", header, open_items_body, j->c, &j->err);
	return NULL;
}

rcn_rc rcn_report_prepare(rcn_report_dir *out, const char *reports_dir, rcn_date day, const rcn_report_data *data,
			  rcn_err *err)
{
	char date[11], header[2048];
	rcn_rc rc;
	rcn_date_format(date, day);
	snprintf(out->final_dir, sizeof(out->final_dir), "%s/%s", reports_dir, date);
	snprintf(out->tmp_dir, sizeof(out->tmp_dir), "%s/.%s.tmp-%ld", reports_dir, date, (long)getpid());
	if ((rc = make_dirs(reports_dir, err)))
		return rc;
	remove_stale_tmp(reports_dir, date);
	if (mkdir(out->tmp_dir, 0755) != 0)
		return rcn_err_set(err, RCN_EIO, out->tmp_dir, 0, "cannot create directory: %s", strerror(errno));

	report_ctx c = {date, data};
	/* the workbook, the slowest to write, on a thread of its own meanwhile */
	xlsx_job xj = {.dir = out->tmp_dir, .date = date, .data = data, .rc = RCN_OK};
	rcn_task xt;
	rcn_task_start(&xt, xlsx_thread, &xj);
	/* and the open book on another: with the findings' files it would be the last to finish */
	open_job oj = {.dir = out->tmp_dir, .c = &c, .rc = RCN_OK};
	rcn_task ot;
	rcn_task_start(&ot, open_items_thread, &oj);
	summary_header(header, sizeof(header));
	if ((rc = write_file(out->tmp_dir, "discrepancies.csv", finding_columns, discrepancies_body, &c, err)) ||
	    (rc = write_file(out->tmp_dir, "pending.csv", finding_columns, pending_body, &c, err)) ||
	    (rc = write_file(out->tmp_dir, "notes.csv", finding_columns, notes_body, &c, err)) ||
	    (rc = write_file(out->tmp_dir, "summary.csv", header, summary_body, &c, err)) ||
	    (rc = write_file(out->tmp_dir, "settlement.csv",
			     "report_date,business_date,channel,merchant_id,cycle,payments,refunds,fees,expected_net,"
			     "due_date,status,settled_amount,settled_on,detail",
			     settlement_body, &c, err)) ||
	    (rc = write_file(out->tmp_dir, "quarantine.csv", "business_date,source,file,line,scope,reason,rows,amount",
			     quarantine_body, &c, err)) ||
	    (rc = rcn_report_html(out->tmp_dir, date, data, err))) {
		rcn_task_join(&xt);
		rcn_task_join(&ot);
		rcn_report_abort(out);
		return rc;
	}
	rcn_task_join(&xt);
	rcn_task_join(&ot);
	if (xj.rc || oj.rc) {
		*err = xj.rc ? xj.err : oj.err;
		rcn_report_abort(out);
		return xj.rc ? xj.rc : oj.rc;
	}
	/* the files are synced as written; their names too, before the run commits:
	 * a committed run's staged reports survive a power loss to be published */
	if (!rcn_sync_dir(out->tmp_dir)) {
		rc = rcn_err_set(err, RCN_EIO, out->tmp_dir, 0, "cannot write reports: %s", strerror(errno));
		rcn_report_abort(out);
		return rc;
	}
	return RCN_OK;
}

bool rcn_report_dir_id(const char *dir, char *out, size_t n)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return false;
	snprintf(out, n, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	return true;
}

/* Swaps tmp into final: an atomic exchange when final exists (readers see the
 * old night or the new one, never a mix), the old reports then removed. */
static rcn_rc swap_in(const char *tmp, const char *final, rcn_err *err)
{
	struct stat st;
	if (stat(final, &st) != 0) {
		if (rename(tmp, final) != 0)
			return rcn_err_set(err, RCN_EIO, final, 0, "cannot publish reports: %s", strerror(errno));
	} else {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_EXCHANGE) != 0)
			return rcn_err_set(err, RCN_EIO, final, 0, "cannot publish reports: %s", strerror(errno));
		remove_tree(tmp); /* now holds the previous reports */
	}
	/* published already: a failure here only leaves the swap to the kernel's own writeback.
	 * final is always "<reports>/<date>": its parent is everything before the last slash. */
	const char *slash = strrchr(final, '/');
	char parent[4096];
	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - final) : 0, final);
	(void)rcn_sync_dir(parent[0] ? parent : slash ? "/" : ".");
	return RCN_OK;
}

rcn_rc rcn_report_commit(rcn_report_dir *dir, rcn_err *err)
{
	return swap_in(dir->tmp_dir, dir->final_dir, err);
}

rcn_rc rcn_report_publish_staged(const char *final_dir, const char *staged_dir, const char *staged_id,
				 rcn_publish_outcome *out, rcn_err *err)
{
	char id[64];
	/* the swap happened (the exchange leaves the old reports under the staged
	 * name until they are removed): nothing to do but that removal */
	if (rcn_report_dir_id(final_dir, id, sizeof(id)) && strcmp(id, staged_id) == 0) {
		if (rcn_report_dir_id(staged_dir, id, sizeof(id)))
			remove_tree(staged_dir);
		*out = RCN_PUBLISH_DONE_BEFORE;
		return RCN_OK;
	}
	if (!rcn_report_dir_id(staged_dir, id, sizeof(id)) || strcmp(id, staged_id) != 0) {
		*out = RCN_PUBLISH_LOST;
		return RCN_OK;
	}
	rcn_rc rc = swap_in(staged_dir, final_dir, err);
	if (rc == RCN_OK)
		*out = RCN_PUBLISH_DONE_NOW;
	return rc;
}

void rcn_report_abort(rcn_report_dir *dir)
{
	remove_tree(dir->tmp_dir);
}
