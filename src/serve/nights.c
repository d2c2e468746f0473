/* The nights (GET /nights): every business date's latest run, newest
 * first, month by month; and one night (GET /night/D): what its index.html
 * says, live from recon_runs (the counts and amounts the run stored), its
 * inputs and problems, and its report files to download. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recon/money.h"
#include "recon/pq.h"
#include "recon/report.h"
#include "serve/serve_int.h"

enum { NIGHTS_MAX = 400 }; /* more than a year of business dates */

/* A count of the run's counts jsonb, NULL when absent or not a number. */
#define COUNT(key)                                                                                                     \
	"CASE WHEN jsonb_typeof(counts->'" key "') = 'number' THEN round((counts->>'" key "')::numeric)::text END"
/* The sum of the kinds' amounts (fen), NULL for a run before they were kept. */
#define AMOUNT                                                                                                         \
	"(SELECT sum(round(v::numeric))::text FROM jsonb_each_text(CASE WHEN jsonb_typeof(counts->'amounts_fen') = "   \
	"'object' THEN counts->'amounts_fen' ELSE '{}' END) e(k, v))"
/* the counts a night shows, in this order */
#define COUNTS                                                                                                         \
	COUNT("statement_rows")                                                                                        \
	", " COUNT("matched") ", " COUNT("discrepancies") ", " COUNT("pending") ", " COUNT("quarantined") ", " COUNT(  \
		"rejected_files") ", " AMOUNT

/* clang-format off */
static const char NIGHTS_SQL[] =
	"SELECT business_date::text, exit_status, stale::text, coalesce(stale_reason, ''), " COUNTS ", runs,"
	" CASE WHEN jsonb_typeof(counts->'problems') = 'array' THEN jsonb_array_length(counts->'problems') ELSE 0 END"
	" FROM (SELECT DISTINCT ON (business_date) *, count(*) OVER (PARTITION BY business_date) AS runs"
	"  FROM recon_runs WHERE publish_state IS DISTINCT FROM 'staged' ORDER BY business_date DESC, run_id DESC) r"
	" ORDER BY business_date DESC LIMIT $1::int";
/* clang-format on */

/* What a run's exit status says, for a clerk. */
static const char *outcome(int status, const char **cls)
{
	*cls = status == 0 ? "ok" : status == 1 ? "warn" : "err";
	switch (status) {
	case 0:
		return "全部平账 all matched";
	case 1:
		return "有差异 discrepancies";
	case 3:
		return "有文件被拒 a file rejected";
	case 4:
		return "数据库错误 database error";
	case 5:
		return "报告待发布 reports not yet published";
	default:
		return "失败 failed";
	}
}

static void td_count(FILE *f, const PGresult *res, int row, int col)
{
	fputs("<td class=\"n\">", f);
	if (PQgetisnull(res, row, col))
		fputs("—", f);
	else
		rcn_html_text(f, PQgetvalue(res, row, col));
	fputs("</td>", f);
}

static void td_fen(FILE *f, const PGresult *res, int row, int col)
{
	fputs("<td class=\"n\">", f);
	if (PQgetisnull(res, row, col)) {
		fputs("—", f);
	} else {
		char yuan[40];
		rcn_html_text(f, rcn_money_format(yuan, sizeof yuan, strtoll(PQgetvalue(res, row, col), NULL, 10),
						  RCN_SCALE_FEN));
	}
	fputs("</td>", f);
}

static void nights_body(FILE *f, const void *p)
{
	const PGresult *res = p;
	int n = PQntuples(res);
	fputs("<h1>夜间对账 Nights</h1>\n", f);
	if (!n) {
		fputs("<p>还没有对账记录 No night has run yet.</p>\n", f);
		return;
	}
	char month[8] = "";
	for (int i = 0; i < n; i++) {
		const char *date = PQgetvalue(res, i, 0);
		if (strncmp(month, date, 7) != 0) {
			if (month[0])
				fputs("</table>\n", f);
			snprintf(month, sizeof month, "%.7s", date);
			fputs("<h2>", f);
			rcn_html_text(f, month);
			fputs("</h2>\n<table><tr><th>业务日期 Date</th><th>结果 Outcome</th><th>对账单行 Statement "
			      "rows</th>"
			      "<th>已匹配 Matched</th><th>差异 Discrepancies</th><th>差异金额 Amount (yuan)</th>"
			      "<th>待定 Pending</th><th>隔离 Quarantined</th><th>提示 Flags</th></tr>\n",
			      f);
		}
		const char *cls, *what = outcome(atoi(PQgetvalue(res, i, 1)), &cls);
		fputs("<tr><td><a href=\"/night/", f);
		rcn_sv_url_text(f, date);
		fputs("\">", f);
		rcn_html_text(f, date);
		fprintf(f, "</a></td><td class=\"%s\">", cls);
		rcn_html_text(f, what);
		fputs("</td>", f);
		td_count(f, res, i, 4);
		td_count(f, res, i, 5);
		td_count(f, res, i, 6);
		td_fen(f, res, i, 10);
		td_count(f, res, i, 7);
		td_count(f, res, i, 8);
		fputs("<td>", f);
		if (strcmp(PQgetvalue(res, i, 2), "true") == 0)
			fputs("<span class=\"err\">需重跑 stale</span> ", f);
		if (!PQgetisnull(res, i, 9) && strcmp(PQgetvalue(res, i, 9), "0") != 0) {
			fputs("<span class=\"err\">被拒文件 rejected files: ", f);
			rcn_html_text(f, PQgetvalue(res, i, 9));
			fputs("</span> ", f);
		}
		if (atoi(PQgetvalue(res, i, 12)) > 0)
			fputs("<span class=\"warn\">有问题 problems</span> ", f);
		if (atoi(PQgetvalue(res, i, 11)) > 1) {
			fputs("<small>", f);
			rcn_html_text(f, PQgetvalue(res, i, 11));
			fputs(" 次运行 runs</small>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

enum MHD_Result rcn_sv_nights(const rcn_sv_req *r)
{
	char limit[16];
	snprintf(limit, sizeof limit, "%d", NIGHTS_MAX);
	const char *params[1] = {limit};
	PGresult *res = NULL;
	rcn_err err;
	if (rcn_pq_query(r->db, NIGHTS_SQL, 1, params, PGRES_TUPLES_OK, 13, "reading the nights", &res, &err) != RCN_OK)
		return rcn_sv_fail(r, &err);
	enum MHD_Result ok = rcn_sv_page(r, 200, "夜间对账 Nights", nights_body, res);
	PQclear(res);
	return ok;
}

/* ---- one night ---- */

/* clang-format off */
static const char NIGHT_SQL[] =
	"SELECT run_id::text, exit_status, stale::text, coalesce(stale_reason, ''),"
	" coalesce(to_char(started_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS'), ''),"
	" coalesce(round(seconds::numeric, 1)::text, ''), coalesce(recon_version, ''), coalesce(reports_dir, ''), "
	COUNTS ", (SELECT count(*) FROM recon_runs r2 WHERE r2.business_date = r.business_date)::text"
	" FROM recon_runs r WHERE business_date = $1::date AND publish_state IS DISTINCT FROM 'staged'"
	" ORDER BY run_id DESC LIMIT 1";
/* clang-format on */

/* The run's kinds: count and amount (fen) of each, in report order. */
static const char KINDS_SQL[] =
	"SELECT k.key, CASE WHEN jsonb_typeof(k.value) = 'number' THEN round(k.value::text::numeric)::text END,"
	" CASE WHEN jsonb_typeof(counts->'amounts_fen'->k.key) = 'number'"
	"  THEN round((counts->'amounts_fen'->>k.key)::numeric)::text END"
	" FROM recon_runs, jsonb_each(counts) k WHERE run_id = $1::bigint AND upper(k.key) = k.key"
	" AND jsonb_typeof(k.value) = 'number' AND k.value::text <> '0' ORDER BY k.key";

/* Its inputs and problems, one text a row. */
static const char INPUTS_SQL[] =
	"SELECT 'input', coalesce(i->>'source', ''), coalesce(i->>'path', ''), coalesce(i->>'sha256', ''),"
	" coalesce(i->>'rows', ''), coalesce(i->>'verdict', '') FROM recon_runs,"
	" jsonb_array_elements(CASE WHEN jsonb_typeof(inputs) = 'array' THEN inputs ELSE '[]' END) i"
	" WHERE run_id = $1::bigint"
	" UNION ALL SELECT 'problem', p, '', '', '', '' FROM recon_runs,"
	" jsonb_array_elements_text(CASE WHEN jsonb_typeof(counts->'problems') = 'array' THEN counts->'problems'"
	" ELSE '[]' END) p WHERE run_id = $1::bigint";

/* Its settlements: what each account is due, when, and whether it came. */
static const char SETTLE_SQL[] =
	"SELECT channel, merchant_id, gross_fen::text, refund_fen::text, fee::text, net_fen::text,"
	" coalesce(due_date::text, ''), coalesce(status, ''), settled_fen::text, coalesce(settled_on::text, '')"
	" FROM recon_settlements WHERE business_date = $1::date ORDER BY channel, merchant_id";

typedef struct {
	const char *date;
	const PGresult *run, *kinds, *inputs, *settle;
	char **files; /* the report files, sorted */
	size_t n_files;
} night_page;

static void stat_row(FILE *f, const char *label, const PGresult *res, int col, bool fen)
{
	fputs("<tr><th>", f);
	rcn_html_text(f, label);
	fputs("</th>", f);
	if (fen)
		td_fen(f, res, 0, col);
	else
		td_count(f, res, 0, col);
	fputs("</tr>\n", f);
}

static void night_body(FILE *f, const void *p)
{
	const night_page *n = p;
	const PGresult *run = n->run;
	const char *cls, *what = outcome(atoi(PQgetvalue(run, 0, 1)), &cls);
	fputs("<h1>对账结果 Night of ", f);
	rcn_html_text(f, n->date);
	fprintf(f, "</h1>\n<p class=\"%s\"><b>", cls);
	rcn_html_text(f, what);
	fputs("</b>", f);
	if (strcmp(PQgetvalue(run, 0, 2), "true") == 0) {
		fputs(" — <span class=\"err\">需重跑 stale: ", f);
		rcn_html_text(f, PQgetvalue(run, 0, 3));
		fputs("</span>", f);
	}
	fputs("</p>\n<p><small>运行 run ", f);
	rcn_html_text(f, PQgetvalue(run, 0, 0));
	fputs(", 开始 started ", f);
	rcn_html_text(f, PQgetvalue(run, 0, 4));
	fputs(", ", f);
	rcn_html_text(f, PQgetvalue(run, 0, 5));
	fputs(" s, recon ", f);
	rcn_html_text(f, PQgetvalue(run, 0, 6));
	fputs(", 共 ", f);
	rcn_html_text(f, PQgetvalue(run, 0, 15));
	fputs(" 次运行 runs of this date</small></p>\n<table>\n", f);
	stat_row(f, "对账单行 Statement rows", run, 8, false);
	stat_row(f, "已匹配 Matched", run, 9, false);
	stat_row(f, "差异 Discrepancies", run, 10, false);
	stat_row(f, "差异金额 Amount at issue (yuan)", run, 14, true);
	stat_row(f, "待定 Pending", run, 11, false);
	stat_row(f, "隔离 Quarantined", run, 12, false);
	stat_row(f, "被拒文件 Rejected files", run, 13, false);
	fputs("</table>\n<p>这一晚发现的事项 The items this night found: <a href=\"/items?seen=", f);
	rcn_sv_url_text(f, n->date);
	fputs("\">未关闭 still open</a> · <a href=\"/items?seen=", f);
	rcn_sv_url_text(f, n->date);
	fputs("&amp;status=all\">全部 all</a></p>\n", f);

	int nk = PQntuples(n->kinds);
	if (nk) {
		fputs("<h2>差异类型 Discrepancies by kind</h2>\n<table><tr><th>类型 Kind</th><th>笔数 Count</th>"
		      "<th>金额 Amount (yuan)</th></tr>\n",
		      f);
		for (int i = 0; i < nk; i++) {
			const char *kind = PQgetvalue(n->kinds, i, 0);
			fputs("<tr><td><a href=\"/items?seen=", f);
			rcn_sv_url_text(f, n->date);
			fputs("&amp;status=all&amp;kind=", f);
			rcn_sv_url_text(f, kind);
			fputs("\">", f);
			for (int k = 0; k < RCN_K__COUNT; k++)
				if (strcmp(rcn_kind_name((rcn_kind)k), kind) == 0) {
					rcn_html_text(f, rcn_kind_name_cn((rcn_kind)k));
					fputs(" ", f);
				}
			rcn_html_text(f, kind);
			fputs("</a></td>", f);
			td_count(f, n->kinds, i, 1);
			td_fen(f, n->kinds, i, 2);
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	int ni = PQntuples(n->inputs);
	bool head = false;
	for (int i = 0; i < ni; i++) {
		if (strcmp(PQgetvalue(n->inputs, i, 0), "problem") != 0)
			continue;
		if (!head)
			fputs("<h2>问题 Problems</h2>\n<ul>\n", f);
		head = true;
		fputs("<li class=\"err\">", f);
		rcn_html_text(f, PQgetvalue(n->inputs, i, 1));
		fputs("</li>\n", f);
	}
	if (head)
		fputs("</ul>\n", f);
	head = false;
	for (int i = 0; i < ni; i++) {
		if (strcmp(PQgetvalue(n->inputs, i, 0), "input") != 0)
			continue;
		if (!head)
			fputs("<h2>对账单 Statements</h2>\n<table><tr><th>来源 Source</th><th>文件 File</th>"
			      "<th>行数 Rows</th><th>结论 Verdict</th><th>SHA-256</th></tr>\n",
			      f);
		head = true;
		fputs("<tr>", f);
		for (int c = 1; c <= 5; c++) {
			static const int order[] = {0, 1, 2, 4, 5, 3};
			fputs(c == 5 ? "<td><small>" : "<td>", f);
			rcn_html_text(f, PQgetvalue(n->inputs, i, order[c]));
			fputs(c == 5 ? "</small></td>" : "</td>", f);
		}
		fputs("</tr>\n", f);
	}
	if (head)
		fputs("</table>\n", f);
	int ns = PQntuples(n->settle);
	if (ns) {
		fputs("<h2>结算 Settlements</h2>\n<table><tr><th>渠道 Channel</th><th>商户号 Merchant</th>"
		      "<th>交易额 Gross (yuan)</th><th>退款 Refunds</th><th>手续费 Fee</th><th>应结算 Net</th>"
		      "<th>应到账日 Due</th><th>状态 Status</th><th>已到账 Settled</th><th>到账日 On</th></tr>\n",
		      f);
		for (int i = 0; i < ns; i++) {
			fputs("<tr>", f);
			for (int c = 0; c < 10; c++) {
				bool money = c >= 2 && c <= 5;
				fputs(money || c == 8 ? "<td class=\"n\">" : "<td>", f);
				const char *v = PQgetvalue(n->settle, i, c);
				if ((money || c == 8) && !PQgetisnull(n->settle, i, c)) {
					char yuan[48];
					rcn_html_text(f, rcn_money_format(yuan, sizeof yuan, strtoll(v, NULL, 10),
									  c == 4 ? RCN_SCALE_FEE : RCN_SCALE_FEN));
				} else {
					rcn_html_text(f, v);
				}
				fputs("</td>", f);
			}
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	fputs("<h2>报告下载 Reports</h2>\n", f);
	if (!n->n_files) {
		fputs("<p>这一晚的报告文件不在本机 The reports of this night are not on this machine.</p>\n", f);
		return;
	}
	fputs("<ul>\n", f);
	for (size_t i = 0; i < n->n_files; i++) {
		fputs("<li><a href=\"/night/", f);
		rcn_sv_url_text(f, n->date);
		fputs("/", f);
		rcn_sv_url_text(f, n->files[i]);
		fputs("\">", f);
		rcn_html_text(f, n->files[i]);
		fputs("</a></li>\n", f);
	}
	fputs("</ul>\n", f);
}

/* A report file's name: letters, digits, '.', '_' and '-', not starting
 * with '.' (no path, nothing hidden). */
static bool file_name_ok(const char *s)
{
	if (!s[0] || s[0] == '.' || strlen(s) > 200)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of the run's reports directory that a download may name. */
static void list_files(const char *dir, night_page *n)
{
	DIR *d = dir[0] ? opendir(dir) : NULL;
	if (!d)
		return;
	size_t cap = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		struct stat st;
		if (!file_name_ok(e->d_name) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		rcn_xreserve((void **)&n->files, &cap, n->n_files + 1, sizeof(*n->files));
		n->files[n->n_files++] = rcn_xstrdup(e->d_name);
	}
	closedir(d);
	if (n->n_files)
		qsort(n->files, n->n_files, sizeof(*n->files), by_name);
}

static const char *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (dot && strcmp(dot, ".csv") == 0)
		return "text/csv; charset=utf-8";
	if (dot && strcmp(dot, ".xlsx") == 0)
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	if (dot && strcmp(dot, ".json") == 0)
		return "application/json";
	return "application/octet-stream"; /* (index.html too: downloaded, never shown from here) */
}

enum MHD_Result rcn_sv_night(const rcn_sv_req *r, const char *rest)
{
	char date[11];
	rcn_date day;
	const char *slash = strchr(rest, '/');
	size_t dl = slash ? (size_t)(slash - rest) : strlen(rest);
	if (dl != 10)
		return rcn_sv_text(r->c, 404, "404 not found\n");
	memcpy(date, rest, 10);
	date[10] = '\0';
	if (!rcn_sv_date(date, &day))
		return rcn_sv_text(r->c, 404, "404 not found\n");
	const char *params[2] = {date, r->o->timezone ? r->o->timezone : "Asia/Shanghai"};
	PGresult *run = NULL, *kinds = NULL, *inputs = NULL;
	rcn_err err;
	if (rcn_pq_query(r->db, NIGHT_SQL, 2, params, PGRES_TUPLES_OK, 16, "reading the night", &run, &err) != RCN_OK)
		return rcn_sv_fail(r, &err);
	if (PQntuples(run) == 0) {
		PQclear(run);
		return rcn_sv_text(r->c, 404, "404 no run of this date\n");
	}
	enum MHD_Result ok;
	night_page n = {.date = date, .run = run};
	if (slash) { /* a download: a file of the run's reports directory, by its name alone */
		const char *name = slash + 1;
		const char *dir = PQgetvalue(run, 0, 7);
		int dfd = file_name_ok(name) && dir[0] ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		int fd = dfd >= 0 ? openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
		struct stat st;
		if (dfd >= 0)
			close(dfd);
		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			if (fd >= 0)
				close(fd);
			PQclear(run);
			return rcn_sv_text(r->c, 404, "404 no such report file\n");
		}
		char download[240];
		snprintf(download, sizeof download, "%s_%s", date, name);
		PQclear(run);
		return rcn_sv_file(r, fd, (size_t)st.st_size, type_of(name), download);
	}
	const char *id[1] = {PQgetvalue(run, 0, 0)};
	PGresult *settle = NULL;
	if (rcn_pq_query(r->db, KINDS_SQL, 1, id, PGRES_TUPLES_OK, 3, "reading the night's kinds", &kinds, &err) !=
		    RCN_OK ||
	    rcn_pq_query(r->db, INPUTS_SQL, 1, id, PGRES_TUPLES_OK, 6, "reading the night's inputs", &inputs, &err) !=
		    RCN_OK ||
	    rcn_pq_query(r->db, SETTLE_SQL, 1, params, PGRES_TUPLES_OK, 10, "reading the night's settlements", &settle,
			 &err) != RCN_OK) {
		PQclear(run);
		PQclear(kinds);
		PQclear(inputs);
		return rcn_sv_fail(r, &err);
	}
	n.kinds = kinds;
	n.inputs = inputs;
	n.settle = settle;
	list_files(PQgetvalue(run, 0, 7), &n);
	char title[64];
	snprintf(title, sizeof title, "对账结果 Night of %s", date);
	ok = rcn_sv_page(r, 200, title, night_body, &n);
	for (size_t i = 0; i < n.n_files; i++)
		free(n.files[i]);
	free(n.files);
	PQclear(run);
	PQclear(kinds);
	PQclear(inputs);
	PQclear(settle);
	return ok;
}
