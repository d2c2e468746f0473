/* The open items (GET /items): the register's queue with its filters,
 * sorting, paging, counts and amounts; one item (GET /item/ID): every
 * field, the statement row and the ledger row it concerns, its history and
 * what can be done to it; search (GET /search?q=) by merchant order
 * number, channel transaction id or refund number, across nights. All read
 * through the items module's warm cache (rcn_items_cache). */
#include <stdlib.h>
#include <string.h>

#include "recon/money.h"
#include "recon/pq.h"
#include "recon/report.h"
#include "serve/serve_int.h"

enum { PAGE_SIZE = 50, NUMBER_MAX = 128, SEARCH_MAX = 500 };

/* ---- shared by the queue, search and the item ---- */

static bool can_act(const rcn_sv_req *r)
{
	return r->who->role >= RCN_ROLE_CLERK;
}

/* The item's text cells (open_items.csv's). */
typedef struct {
	rcn_open_item_text t;
	const char *cell[RCN_OPEN_ITEM_CELLS];
} cells;

enum {
	C_ID,
	C_KIND,
	C_KIND_CN,
	C_REASON,
	C_REASON_CN,
	C_CHANNEL,
	C_MERCHANT,
	C_ORDER,
	C_REFUND,
	C_TXN,
	C_DIFF,
	C_FIRST,
	C_AGE,
	C_DUE,
	C_OVERDUE,
	C_STATUS,
	C_STATUS_CN,
	C_OWNER,
	C_NOTE,
	C_LAST_CHANGE,
	C_CHANGED_BY,
	C_AWAITING
};

static void td(FILE *f, const char *s, bool number)
{
	fputs(number ? "<td class=\"n\">" : "<td>", f);
	rcn_html_text(f, s);
	fputs("</td>", f);
}

static void item_link(FILE *f, const char *id)
{
	fputs("<a href=\"/item/", f);
	rcn_sv_url_text(f, id);
	fputs("\">", f);
	rcn_html_text(f, id);
	fputs("</a>", f);
}

static void items_table(FILE *f, const rcn_open_item *const *v, size_t n, bool checkboxes)
{
	fputs("<table><tr>", f);
	if (checkboxes)
		fputs("<th><small>选择 Select</small></th>", f);
	fputs("<th>编号 Id</th><th>类型 Kind</th><th>渠道 Channel</th><th>商户号 Merchant</th><th>订单号 Order no.</th>"
	      "<th>渠道交易号 Channel txn id / 退款号 Refund no.</th><th>差异 Difference (yuan)</th><th>发现 First "
	      "seen</th>"
	      "<th>账龄 Age (days)</th><th>期限 Due by</th><th>状态 Status</th><th>负责人 Owner</th></tr>\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		cells c;
		rcn_open_item_cells(v[i], &c.t, c.cell);
		fputs("<tr>", f);
		if (checkboxes) {
			fputs("<td><input type=\"checkbox\" name=\"id\" value=\"", f);
			rcn_html_text(f, v[i]->id);
			fputs("\" aria-label=\"", f);
			rcn_html_text(f, v[i]->id);
			fputs("\"></td>", f);
		}
		fputs("<td>", f);
		item_link(f, v[i]->id);
		fputs("</td><td>", f);
		rcn_html_text(f, c.cell[C_KIND_CN]);
		fputs(" <small>", f);
		rcn_html_text(f, c.cell[C_KIND]);
		fputs("</small></td>", f);
		td(f, c.cell[C_CHANNEL], false);
		td(f, c.cell[C_MERCHANT], false);
		td(f, c.cell[C_ORDER], false);
		td(f, v[i]->refund_no[0] ? v[i]->refund_no : v[i]->channel_txn_id, false);
		td(f, c.cell[C_DIFF], true);
		td(f, c.cell[C_FIRST], false);
		td(f, c.cell[C_AGE], true);
		fputs(v[i]->overdue ? "<td class=\"err\">" : "<td>", f);
		rcn_html_text(f, c.cell[C_DUE]);
		fputs(v[i]->overdue ? " 逾期 overdue</td>" : "</td>", f);
		fputs("<td>", f);
		rcn_html_text(f, c.cell[C_STATUS_CN]);
		fputs(" <small>", f);
		rcn_html_text(f, c.cell[C_STATUS]);
		fputs("</small>", f);
		if (v[i]->approval_by[0])
			fputs(" <span class=\"warn\">待审批 awaits approval</span>", f);
		fputs("</td>", f);
		td(f, c.cell[C_OWNER], false);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* The form that acts on the checked items (or on one, given its id). */
static void action_form_fields(FILE *f, const rcn_sv_req *r, const char *back)
{
	fputs("<input type=\"hidden\" name=\"csrf\" value=\"", f);
	rcn_html_text(f, r->csrf);
	fputs("\"><input type=\"hidden\" name=\"back\" value=\"", f);
	rcn_html_text(f, back);
	fputs("\">\n<fieldset><legend>处理 Act on the selected items</legend>"
	      "<label>操作 Action <select name=\"action\">"
	      "<option value=\"acknowledge\">认领 Acknowledge (take it)</option>"
	      "<option value=\"assign\">指派 Assign to</option>"
	      "<option value=\"resolve\">解决 Resolve</option>"
	      "<option value=\"write_off\">核销 Write off</option></select></label>"
	      "<label>负责人 Owner <input name=\"owner\" maxlength=\"64\" placeholder=\"",
	      f);
	rcn_html_text(f, r->who->name);
	fputs("\"></label><label>说明 Note (required) <textarea name=\"note\" rows=\"2\" cols=\"60\" required "
	      "maxlength=\"2000\"></textarea></label><button>提交 Submit</button></fieldset>\n",
	      f);
}

static rcn_rc as_of(const rcn_sv_req *r, rcn_items_filter *f, rcn_err *err)
{
	return rcn_sv_as_of(r, &f->as_of, err);
}

/* ---- the queue ---- */

typedef enum { SORT_BOOK, SORT_AGE, SORT_AMOUNT, SORT_KIND, SORT_CHANNEL, SORT_ID, SORT_FIRST } sort_key;
static const char *const SORT_NAMES[] = {"due", "age", "amount", "kind", "channel", "id", "first_seen"};
static const char *const SORT_LABELS[] = {
	"期限 due (overdue first)", "账龄 age", "金额 amount", "类型 kind", "渠道 channel", "编号 id",
	"发现日期 first seen"};

typedef struct {
	sort_key key;
	bool desc;
} sorting;

static int64_t magnitude(const rcn_open_item *it)
{
	int64_t d = it->difference_fen;
	return d == INT64_MIN ? INT64_MAX : d < 0 ? -d : d;
}

/* Items' ids in numeric order: by length, then as text. */
static int id_cmp(const rcn_open_item *a, const rcn_open_item *b)
{
	size_t la = strlen(a->id), lb = strlen(b->id);
	return la != lb ? (la < lb ? -1 : 1) : strcmp(a->id, b->id);
}

static __thread sorting sort_by;

static int item_cmp(const void *pa, const void *pb)
{
	const rcn_open_item *a = *(const rcn_open_item *const *)pa, *b = *(const rcn_open_item *const *)pb;
	int c = 0;
	switch (sort_by.key) {
	case SORT_AGE:
		c = (a->age_days > b->age_days) - (a->age_days < b->age_days);
		break;
	case SORT_AMOUNT:
		c = (magnitude(a) > magnitude(b)) - (magnitude(a) < magnitude(b));
		break;
	case SORT_KIND:
		c = strcmp(rcn_kind_name(a->kind), rcn_kind_name(b->kind));
		break;
	case SORT_CHANNEL:
		c = strcmp(a->channel, b->channel);
		break;
	case SORT_FIRST:
		c = (a->first_seen > b->first_seen) - (a->first_seen < b->first_seen);
		break;
	case SORT_ID:
	case SORT_BOOK:
		break;
	}
	if (c == 0)
		c = id_cmp(a, b);
	return sort_by.desc ? -c : c;
}

typedef struct {
	const rcn_sv_req *r;
	const rcn_open_item **v; /* the filtered items, in the order asked for */
	size_t n;
	bool paged;		/* v is the page itself (else all of them) */
	const char *const *arg; /* the query's filters, by name (below) */
	size_t page, pages;
	long count, overdue;
	int64_t fen;
	char as_of[11];
	const char *error;
} queue_page;

static const char *const FILTERS[] = {"kind",	 "channel", "merchant", "status", "owner",
				      "overdue", "age",	    "seen",	"sort",	  "dir"};
enum { F_KIND, F_CHANNEL, F_MERCHANT, F_STATUS, F_OWNER, F_OVERDUE, F_AGE, F_SEEN, F_SORT, F_DIR, F__COUNT };

/* The queue's URL with its filters, page k. */
static void queue_url(FILE *f, const char *const *arg, size_t k)
{
	fputs("/items?", f);
	for (int i = 0; i < F__COUNT; i++) {
		if (!arg[i][0])
			continue;
		rcn_sv_url_text(f, FILTERS[i]);
		fputs("=", f);
		rcn_sv_url_text(f, arg[i]);
		fputs("&", f);
	}
	fprintf(f, "page=%zu", k);
}

static void select_field(FILE *f, const char *name, const char *label, const char *now, const char *const *values,
			 const char *const *labels, size_t n)
{
	fputs("<label>", f);
	rcn_html_text(f, label);
	fputs(" <select name=\"", f);
	rcn_html_text(f, name);
	fputs("\">", f);
	for (size_t i = 0; i < n; i++) {
		fputs("<option value=\"", f);
		rcn_html_text(f, values[i]);
		fputs(strcmp(values[i], now) == 0 ? "\" selected>" : "\">", f);
		rcn_html_text(f, labels[i]);
		fputs("</option>", f);
	}
	fputs("</select></label>", f);
}

static void text_field(FILE *f, const char *name, const char *label, const char *now)
{
	fputs("<label>", f);
	rcn_html_text(f, label);
	fputs(" <input name=\"", f);
	rcn_html_text(f, name);
	fputs("\" size=\"12\" value=\"", f);
	rcn_html_text(f, now);
	fputs("\"></label>", f);
}

static void queue_body(FILE *f, const void *p)
{
	const queue_page *q = p;
	const char *const *a = q->arg;
	fputs("<h1>待处理事项 Open items</h1>\n<form method=\"get\" action=\"/items\" class=\"filters\">", f);
	{
		const char *v[RCN_K__COUNT + 1], *l[RCN_K__COUNT + 1];
		char labels[RCN_K__COUNT][96];
		v[0] = "";
		l[0] = "全部 any";
		for (int k = 0; k < RCN_K_PENDING; k++) {
			snprintf(labels[k], sizeof labels[k], "%s %s", rcn_kind_name_cn((rcn_kind)k),
				 rcn_kind_name((rcn_kind)k));
			v[k + 1] = rcn_kind_name((rcn_kind)k);
			l[k + 1] = labels[k];
		}
		select_field(f, "kind", "类型 Kind", a[F_KIND], v, l, RCN_K_PENDING + 1);
	}
	text_field(f, "channel", "渠道 Channel", a[F_CHANNEL]);
	text_field(f, "merchant", "商户号 Merchant", a[F_MERCHANT]);
	{
		static const char *const v[] = {
			"", "open", "acknowledged", "resolved", "written_off", "auto_closed", "withdrawn", "all"};
		static const char *const l[] = {"未关闭 open and acknowledged",
						"未处理 open",
						"处理中 acknowledged",
						"已解决 resolved",
						"已核销 written off",
						"自动关闭 auto-closed",
						"已撤销 withdrawn",
						"全部 all"};
		select_field(f, "status", "状态 Status", a[F_STATUS], v, l, 8);
	}
	text_field(f, "owner", "负责人 Owner (- nobody)", a[F_OWNER]);
	{
		static const char *const v[] = {"", "1"}, *const l[] = {"全部 all", "只看逾期 overdue only"};
		select_field(f, "overdue", "逾期 Overdue", a[F_OVERDUE], v, l, 2);
	}
	{
		static const char *const v[] = {"", "0-3", "4-7", "8-30", "31-"};
		static const char *const l[] = {"全部 any", "0–3", "4–7", "8–30", ">30"};
		select_field(f, "age", "账龄 Age (business days)", a[F_AGE], v, l, 5);
	}
	text_field(f, "seen", "对账日 Found by night (YYYY-MM-DD)", a[F_SEEN]);
	select_field(f, "sort", "排序 Sort by", a[F_SORT][0] ? a[F_SORT] : "due", SORT_NAMES, SORT_LABELS,
		     sizeof SORT_NAMES / sizeof *SORT_NAMES);
	{
		static const char *const v[] = {"", "desc"}, *const l[] = {"升序 ascending", "降序 descending"};
		select_field(f, "dir", "顺序 Order", a[F_DIR], v, l, 2);
	}
	fputs("<button>筛选 Filter</button></form>\n", f);
	if (q->error) {
		fputs("<p class=\"err\">", f);
		rcn_html_text(f, q->error);
		fputs("</p>\n", f);
		return;
	}
	char yuan[40];
	fprintf(f, "<p id=\"counts\"><b>%ld</b> 项 items, 差异合计 differences ", q->count);
	rcn_html_text(f, rcn_money_format(yuan, sizeof yuan, q->fen, RCN_SCALE_FEN));
	fprintf(f, " 元 yuan; <span class=\"%s\">%ld 项逾期 overdue</span>; 截至 as of ", q->overdue ? "err" : "ok",
		q->overdue);
	rcn_html_text(f, q->as_of);
	fputs("</p>\n", f);
	size_t from = q->paged ? 0 : (q->page - 1) * PAGE_SIZE, n = q->n > from ? q->n - from : 0;
	if (n > PAGE_SIZE)
		n = PAGE_SIZE;
	bool act = can_act(q->r);
	if (act)
		fputs("<form method=\"post\" action=\"/items/act\">\n", f);
	items_table(f, q->v + from, n, act);
	fprintf(f, "<p class=\"pager\">第 %zu / %zu 页 page ", q->page, q->pages ? q->pages : 1);
	if (q->page > 1) {
		fputs("<a href=\"", f);
		queue_url(f, a, q->page - 1);
		fputs("\">上一页 previous</a>", f);
	}
	if (q->page < q->pages) {
		fputs("<a href=\"", f);
		queue_url(f, a, q->page + 1);
		fputs("\">下一页 next</a>", f);
	}
	fputs("</p>\n", f);
	if (act) {
		char *back = NULL;
		size_t len = 0;
		FILE *b = open_memstream(&back, &len);
		if (b) {
			queue_url(b, a, q->page);
			fclose(b);
			action_form_fields(f, q->r, back);
			free(back);
		}
		fputs("</form>\n", f);
	}
}

/* The ids the date's latest run found (recon_item_nights). */
static rcn_rc night_ids(const rcn_sv_req *r, const char *date, PGresult **res, rcn_err *err)
{
	const char *p[1] = {date};
	return rcn_pq_query(r->db,
			    "SELECT unnest(item_ids) FROM recon_item_nights WHERE business_date = $1::date "
			    "UNION SELECT unnest(ARRAY[]::text[])",
			    1, p, PGRES_TUPLES_OK, 1, "reading the night's items", res, err);
}

static bool status_bits(const char *s, unsigned *out)
{
	rcn_item_status st;
	if (!s[0])
		*out = (1u << RCN_IS_OPEN) | (1u << RCN_IS_ACKNOWLEDGED);
	else if (strcmp(s, "all") == 0)
		*out = (1u << RCN_IS__COUNT) - 1;
	else if (rcn_item_status_parse(s, &st))
		*out = 1u << st;
	else
		return false;
	return true;
}

/* The filter the query's arguments ask for; a message when one is wrong. */
static const char *read_filter(const rcn_sv_req *r, const char *const *a, rcn_items_filter *f, unsigned *statuses)
{
	f->older_than = -1;
	if (a[F_KIND][0]) {
		int k = 0;
		while (k < RCN_K_PENDING && strcmp(rcn_kind_name((rcn_kind)k), a[F_KIND]) != 0)
			k++;
		if (k == RCN_K_PENDING)
			return "未知的类型 unknown kind";
		f->kinds = 1u << k;
	}
	f->channel = a[F_CHANNEL];
	f->merchant_id = a[F_MERCHANT];
	if (a[F_OWNER][0])
		f->owner = strcmp(a[F_OWNER], "-") == 0 ? "" : a[F_OWNER];
	if (!status_bits(a[F_STATUS], statuses))
		return "未知的状态 unknown status";
	f->statuses = *statuses;
	f->overdue_only = strcmp(a[F_OVERDUE], "1") == 0;
	if (a[F_AGE][0]) {
		static const struct {
			const char *band;
			int older, most;
		} bands[] = {{"0-3", -1, 3}, {"4-7", 3, 7}, {"8-30", 7, 30}, {"31-", 30, -1}};
		size_t i = 0;
		while (i < 4 && strcmp(bands[i].band, a[F_AGE]) != 0)
			i++;
		if (i == 4)
			return "未知的账龄段 unknown age band";
		f->older_than = bands[i].older;
		f->has_at_most = bands[i].most >= 0;
		f->at_most = bands[i].most;
	}
	rcn_date d;
	if (a[F_SEEN][0] && !rcn_sv_date(a[F_SEEN], &d))
		return "对账日应为 YYYY-MM-DD the night is a date, YYYY-MM-DD";
	(void)r;
	return NULL;
}

/* After a filter by ids (a night's), the statuses asked for. */
static size_t keep_statuses(const rcn_open_item **v, size_t n, unsigned statuses)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (statuses & (1u << v[i]->status))
			v[k++] = v[i];
	return k;
}

/* The page of a night's items the query asks for (q's counts set from the
 * totals), rendered. */
static enum MHD_Result night_page(const rcn_sv_req *r, queue_page *q, const rcn_items_filter *f, long page,
				  rcn_err *err)
{
	rcn_items_totals tot;
	rcn_items_view *view = NULL;
	size_t want = page >= 1 ? (size_t)page : 1;
	rcn_rc rc = rcn_items_cache_page(rcn_sv_items_cache(), r->db, f, rcn_sv_calendar(r->o), (want - 1) * PAGE_SIZE,
					 PAGE_SIZE, &view, &tot, err);
	q->pages = rc == RCN_OK ? ((size_t)tot.count + PAGE_SIZE - 1) / PAGE_SIZE : 0;
	if (rc == RCN_OK && want > 1 && want > q->pages) { /* past the end: the first page */
		rcn_items_view_free(view);
		want = 1;
		rc = rcn_items_cache_page(rcn_sv_items_cache(), r->db, f, rcn_sv_calendar(r->o), 0, PAGE_SIZE, &view,
					  &tot, err);
	}
	if (rc != RCN_OK) {
		rcn_items_view_free(view);
		return rcn_sv_fail(r, err);
	}
	size_t n;
	q->v = (const rcn_open_item **)rcn_items_view_items(view, &n);
	q->n = n;
	q->paged = true;
	q->count = tot.count;
	q->fen = tot.fen;
	q->overdue = tot.overdue;
	q->page = want;
	enum MHD_Result ok = rcn_sv_page(r, 200, "待处理事项 Open items", queue_body, q);
	rcn_items_view_free(view);
	return ok;
}

enum MHD_Result rcn_sv_items(const rcn_sv_req *r)
{
	const char *arg[F__COUNT];
	for (int i = 0; i < F__COUNT; i++) {
		arg[i] = rcn_sv_arg(r, FILTERS[i]);
		if (strlen(arg[i]) > NUMBER_MAX)
			return rcn_sv_text(r->c, 400, "400 a filter is too long\n");
	}
	queue_page q = {.r = r, .arg = arg, .page = 1};
	long page = strtol(rcn_sv_arg(r, "page"), NULL, 10);
	rcn_items_filter f = {0};
	unsigned statuses = 0;
	rcn_err err;
	q.error = read_filter(r, arg, &f, &statuses);
	if (q.error)
		return rcn_sv_page(r, 400, "待处理事项 Open items", queue_body, &q);
	if (as_of(r, &f, &err) != RCN_OK)
		return rcn_sv_fail(r, &err);
	rcn_date_format(q.as_of, f.as_of);
	PGresult *ids = NULL;
	const char **idv = NULL;
	if (arg[F_SEEN][0]) {
		if (night_ids(r, arg[F_SEEN], &ids, &err) != RCN_OK)
			return rcn_sv_fail(r, &err);
		f.n_ids = (size_t)PQntuples(ids);
		idv = rcn_xcalloc(f.n_ids + 1, sizeof(*idv));
		for (size_t i = 0; i < f.n_ids; i++)
			idv[i] = PQgetvalue(ids, (int)i, 0);
		f.ids = idv;
	}
	rcn_items_view *view = NULL;
	rcn_rc rc;
	bool book_sort = !arg[F_SORT][0] || strcmp(arg[F_SORT], "due") == 0;
	if (f.ids && book_sort && !arg[F_DIR][0] && !arg[F_AGE][0]) {
		/* a night's items in the book's order: counted by the database, only the page read */
		enum MHD_Result ok = night_page(r, &q, &f, page, &err);
		PQclear(ids);
		free(idv);
		return ok;
	}
	rc = rcn_items_cache_load(rcn_sv_items_cache(), r->db, &f, rcn_sv_calendar(r->o), &view, &err);
	PQclear(ids);
	free(idv);
	if (rc != RCN_OK) {
		rcn_items_view_free(view);
		return rcn_sv_fail(r, &err);
	}
	size_t n;
	const rcn_open_item *const *items = rcn_items_view_items(view, &n);
	const rcn_open_item **v = rcn_xcalloc(n + 1, sizeof(*v)); /* ours to sort */
	memcpy(v, items, n * sizeof(*v));
	if (f.ids)
		n = keep_statuses(v, n, statuses);
	sort_by = (sorting){SORT_BOOK, strcmp(arg[F_DIR], "desc") == 0};
	for (size_t i = 0; i < sizeof SORT_NAMES / sizeof *SORT_NAMES; i++)
		if (strcmp(arg[F_SORT], SORT_NAMES[i]) == 0)
			sort_by.key = (sort_key)i;
	if (sort_by.key != SORT_BOOK)
		qsort(v, n, sizeof(*v), item_cmp);
	else if (sort_by.desc) /* the book's order, reversed */
		for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
			const rcn_open_item *t = v[i];
			v[i] = v[j - 1];
			v[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		q.count++;
		if (__builtin_add_overflow(q.fen, magnitude(v[i]), &q.fen)) /* (a sum no money reaches) */
			q.fen = INT64_MAX;
		q.overdue += v[i]->overdue;
	}
	q.v = v;
	q.n = n;
	q.pages = (n + PAGE_SIZE - 1) / PAGE_SIZE;
	q.page = page >= 1 && (size_t)page <= q.pages ? (size_t)page : 1;
	enum MHD_Result ok = rcn_sv_page(r, 200, "待处理事项 Open items", queue_body, &q);
	free(v);
	rcn_items_view_free(view);
	return ok;
}

/* What f selects as of the register's date, from the cache; NULL when the
 * database failed (err says why). */
static rcn_items_view *load(const rcn_sv_req *r, rcn_items_filter *f, rcn_err *err)
{
	rcn_items_view *view = NULL;
	if (as_of(r, f, err) != RCN_OK)
		return NULL;
	if (rcn_items_cache_load(rcn_sv_items_cache(), r->db, f, rcn_sv_calendar(r->o), &view, err) != RCN_OK) {
		rcn_items_view_free(view);
		return NULL;
	}
	return view;
}

/* ---- search ---- */

typedef struct {
	const rcn_sv_req *r;
	const char *q;
	const rcn_open_item *const *v;
	size_t n;
	bool done;
} search_page;

static void search_body(FILE *f, const void *p)
{
	const search_page *s = p;
	fputs("<h1>搜索 Search</h1>\n<form method=\"get\" action=\"/search\"><label>订单号、渠道交易号或退款号 "
	      "Merchant order no., channel transaction id or refund no. <input name=\"q\" size=\"40\" value=\"",
	      f);
	rcn_html_text(f, s->q);
	fputs("\"></label><button>搜索 Search</button></form>\n", f);
	if (!s->done)
		return;
	if (!s->n) {
		fputs("<p id=\"counts\">没有找到 Nothing found for <b>", f);
		rcn_html_text(f, s->q);
		fputs("</b>.</p>\n", f);
		return;
	}
	fprintf(f, "<p id=\"counts\"><b>%zu</b> 项 items for <b>", s->n);
	rcn_html_text(f, s->q);
	fputs("</b></p>\n", f);
	items_table(f, s->v, s->n > SEARCH_MAX ? SEARCH_MAX : s->n, false);
}

enum MHD_Result rcn_sv_search(const rcn_sv_req *r)
{
	const char *q = rcn_sv_arg(r, "q");
	char number[NUMBER_MAX + 1];
	size_t n = strlen(q);
	while (n && (*q == ' ' || *q == '\t'))
		q++, n--;
	while (n && (q[n - 1] == ' ' || q[n - 1] == '\t'))
		n--;
	if (n > NUMBER_MAX)
		return rcn_sv_text(r->c, 400, "400 the search is too long\n");
	memcpy(number, q, n);
	number[n] = '\0';
	search_page s = {r, number, NULL, 0, false};
	if (!n)
		return rcn_sv_page(r, 200, "搜索 Search", search_body, &s);
	rcn_items_filter f = {.statuses = (1u << RCN_IS__COUNT) - 1, .older_than = -1, .number = number};
	rcn_err err;
	rcn_items_view *view = load(r, &f, &err);
	if (!view)
		return rcn_sv_fail(r, &err);
	s.v = rcn_items_view_items(view, &s.n);
	s.done = true;
	enum MHD_Result ok = rcn_sv_page(r, 200, "搜索 Search", search_body, &s);
	rcn_items_view_free(view);
	return ok;
}

/* ---- one item ---- */

typedef struct {
	const rcn_sv_req *r;
	const rcn_open_item *it;
	const PGresult *stmt, *ledger;
	rcn_buf history; /* its rows, rendered */
} item_page;

static void field(FILE *f, const char *label, const char *value)
{
	fputs("<tr><th>", f);
	rcn_html_text(f, label);
	fputs("</th><td>", f);
	rcn_html_text(f, value);
	fputs("</td></tr>\n", f);
}

/* The statement rows of the item's latest night: one row of the result per
 * row, the columns named by the result. */
static void result_table(FILE *f, const PGresult *res)
{
	int rows = PQntuples(res), cols = PQnfields(res);
	for (int i = 0; i < rows; i++) {
		fputs("<table>\n", f);
		for (int c = 0; c < cols; c++)
			if (!PQgetisnull(res, i, c) && PQgetvalue(res, i, c)[0])
				field(f, PQfname(res, c), PQgetvalue(res, i, c));
		fputs("</table>\n", f);
	}
}

static void item_body(FILE *f, const void *p)
{
	const item_page *ip = p;
	const rcn_open_item *it = ip->it;
	cells c;
	rcn_open_item_cells(it, &c.t, c.cell);
	fputs("<h1>事项 Item ", f);
	rcn_html_text(f, it->id);
	fputs(" <small>", f);
	rcn_html_text(f, c.cell[C_KIND_CN]);
	fputs(" ", f);
	rcn_html_text(f, c.cell[C_KIND]);
	fputs("</small></h1>\n<table>\n", f);
	static const struct {
		int cell;
		const char *label;
	} shown[] = {{C_STATUS_CN, "状态 Status"},
		     {C_STATUS, "status"},
		     {C_REASON_CN, "原因 Reason"},
		     {C_REASON, "reason"},
		     {C_CHANNEL, "渠道 Channel"},
		     {C_MERCHANT, "商户号 Merchant"},
		     {C_ORDER, "订单号 Merchant order no."},
		     {C_REFUND, "退款号 Refund no."},
		     {C_TXN, "渠道交易号 Channel transaction id"},
		     {C_DIFF, "差异 Difference (yuan)"},
		     {C_FIRST, "首次发现 First seen"},
		     {C_AGE, "账龄 Age (business days)"},
		     {C_DUE, "期限 Due by"},
		     {C_OVERDUE, "逾期 Overdue"},
		     {C_OWNER, "负责人 Owner"},
		     {C_NOTE, "说明 Note"},
		     {C_LAST_CHANGE, "最后变更 Last change"},
		     {C_CHANGED_BY, "变更人 Changed by"},
		     {C_AWAITING, "待审批 Awaiting approval"}};
	for (size_t i = 0; i < sizeof shown / sizeof *shown; i++)
		field(f, shown[i].label, c.cell[shown[i].cell]);
	char last[11];
	field(f, "最近发现 Last seen", rcn_date_format(last, it->last_seen));
	field(f, "渠道退款号 Channel refund id", it->channel_refund_id);
	field(f, "账本状态 Ledger status", it->ledger_status);
	field(f, "渠道状态 Channel status", it->channel_status);
	field(f, "对账单位置 Statement file:line", it->source);
	field(f, "详情 Detail", it->detail);
	field(f, "关闭依据 Evidence", it->evidence);
	fputs("</table>\n<h2>对账单行 The statement row</h2>\n", f);
	if (ip->stmt && PQntuples(ip->stmt))
		result_table(f, ip->stmt);
	else
		fputs("<p>对账单中没有这一行 No statement row (the ledger's side only).</p>\n", f);
	fputs("<h2>账本记录 The ledger row</h2>\n", f);
	if (ip->ledger && PQntuples(ip->ledger))
		result_table(f, ip->ledger);
	else
		fputs("<p>账本中没有这笔记录 No ledger row for it.</p>\n", f);
	fputs("<h2>历史 History</h2>\n<table><tr><th>时间 At</th><th>操作人 By</th><th>操作 Action</th>"
	      "<th>状态 Status</th><th>负责人 Owner</th><th>说明 Note</th><th>对账日 Night</th><th>依据 "
	      "Evidence</th></tr>\n",
	      f);
	fwrite(ip->history.data, 1, ip->history.len, f);
	fputs("</table>\n", f);
	const rcn_sv_req *r = ip->r;
	if (rcn_item_status_is_open(it->status) && can_act(r)) {
		fputs("<form method=\"post\" action=\"/items/act\"><input type=\"hidden\" name=\"id\" value=\"", f);
		rcn_html_text(f, it->id);
		fputs("\">", f);
		char back[40];
		snprintf(back, sizeof back, "/item/%s", it->id);
		action_form_fields(f, r, back);
		fputs("</form>\n", f);
	}
	if (it->approval_by[0] && r->who->role >= RCN_ROLE_SUPERVISOR) {
		fputs("<form method=\"post\" action=\"/item/", f);
		rcn_sv_url_text(f, it->id);
		fputs("/approve\"><input type=\"hidden\" name=\"csrf\" value=\"", f);
		rcn_html_text(f, r->csrf);
		fputs("\"><fieldset><legend>审批核销 Approve the write-off ", f);
		rcn_html_text(f, it->approval_by);
		fputs(" asked for</legend><label>说明 Note <textarea name=\"note\" rows=\"2\" cols=\"60\" "
		      "maxlength=\"2000\"></textarea></label><button>批准 Approve</button></fieldset></form>\n",
		      f);
	}
}

static void history_row(void *ctx, const rcn_item_event *e)
{
	rcn_buf *b = ctx;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	fputs("<tr>", f);
	const char *v[] = {e->at,
			   e->actor,
			   e->action,
			   e->to_status ? e->to_status : "",
			   e->owner ? e->owner : "",
			   e->note ? e->note : "",
			   e->business_date ? e->business_date : "",
			   e->evidence ? e->evidence : ""};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		td(f, v[i], false);
	fputs("</tr>\n", f);
	fclose(f);
	rcn_buf_append(b, text, len);
	free(text);
}

/* The statement's side as the item's latest night found it. */
static const char STMT_SQL[] =
	"SELECT source AS \"对账单位置 file:line\", trade_time AS \"交易时间 trade time\","
	" channel_status AS \"渠道状态 channel status\", channel_txn_id AS \"渠道交易号 channel txn id\","
	" channel_refund_id AS \"渠道退款号 channel refund id\","
	" to_char(channel_amount_fen / 100.0, 'FM999999999999990.00') AS \"渠道金额 channel amount (yuan)\","
	" to_char(channel_settle_fen / 100.0, 'FM999999999999990.00') AS \"结算金额 settlement amount (yuan)\","
	" to_char(channel_fee / 100000.0, 'FM999999999999990.00000') AS \"渠道手续费 channel fee (yuan)\","
	" to_char(expected_fee / 100000.0, 'FM999999999999990.00000') AS \"应收手续费 expected fee (yuan)\","
	" detail AS \"详情 detail\""
	" FROM recon_discrepancies WHERE business_date = $1::date AND kind = $2"
	" AND coalesce(order_no, '') = $3 AND coalesce(refund_no, '') = $4 AND side = 'S' LIMIT 5";

static rcn_rc ledger_row(const rcn_sv_req *r, const rcn_open_item *it, PGresult **res, rcn_err *err)
{
	const char *tz = r->o->timezone ? r->o->timezone : "Asia/Shanghai";
	char sql[8192];
	if (it->refund_no[0]) {
		snprintf(sql, sizeof sql,
			 "SELECT refund_no AS \"退款号 refund no.\", order_no AS \"订单号 order no.\","
			 " channel_refund_id AS \"渠道退款号 channel refund id\","
			 " to_char(amount_fen / 100.0, 'FM999999999999990.00') AS \"金额 amount (yuan)\","
			 " status AS \"状态 status\","
			 " to_char(requested_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS') AS \"申请时间 requested at\","
			 " to_char(refunded_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS') AS \"退款时间 refunded at\""
			 " FROM (%s) x WHERE refund_no = $1 LIMIT 5",
			 r->o->refunds_sql ? r->o->refunds_sql : "SELECT * FROM ledger_refunds");
	} else {
		snprintf(sql, sizeof sql,
			 "SELECT order_no AS \"订单号 order no.\", merchant_id AS \"商户号 merchant\","
			 " channel AS \"渠道 channel\", channel_txn_id AS \"渠道交易号 channel txn id\","
			 " to_char(amount_fen / 100.0, 'FM999999999999990.00') AS \"金额 amount (yuan)\","
			 " status AS \"状态 status\","
			 " to_char(created_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS') AS \"下单时间 created at\","
			 " to_char(paid_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS') AS \"支付时间 paid at\""
			 " FROM (%s) x WHERE order_no = $1 LIMIT 5",
			 r->o->orders_sql ? r->o->orders_sql : "SELECT * FROM ledger_orders");
	}
	const char *p[2] = {it->refund_no[0] ? it->refund_no : it->order_no, tz};
	if (!p[0][0]) {
		*res = NULL;
		return RCN_OK;
	}
	return rcn_pq_query(r->db, sql, 2, p, PGRES_TUPLES_OK, it->refund_no[0] ? 7 : 8, "reading the ledger row", res,
			    err);
}

enum MHD_Result rcn_sv_item(const rcn_sv_req *r, const char *typed)
{
	char id[RCN_ITEM_ID_MAX];
	if (strlen(typed) >= 40 || !rcn_item_id_parse(typed, id))
		return rcn_sv_text(r->c, 404, "404 no such item\n");
	const char *ids[1] = {id};
	rcn_items_filter f = {.statuses = (1u << RCN_IS__COUNT) - 1, .older_than = -1, .ids = ids, .n_ids = 1};
	rcn_err err;
	rcn_items_view *view = load(r, &f, &err);
	if (!view)
		return rcn_sv_fail(r, &err);
	size_t n;
	const rcn_open_item *const *found = rcn_items_view_items(view, &n);
	if (!n) {
		rcn_items_view_free(view);
		return rcn_sv_text(r->c, 404, "404 no such item\n");
	}
	item_page ip = {.r = r, .it = found[0]};
	rcn_buf_init(&ip.history, (size_t)64 << 20);
	PGresult *stmt = NULL, *ledger = NULL;
	char last[11];
	rcn_date_format(last, ip.it->last_seen);
	const char *sp[4] = {last, rcn_kind_name(ip.it->kind), ip.it->order_no, ip.it->refund_no};
	rcn_rc rc = rcn_items_set_zone(r->db, r->o->timezone ? r->o->timezone : "Asia/Shanghai", &err);
	if (rc == RCN_OK)
		rc = rcn_items_history(r->db, id, history_row, &ip.history, &err);
	if (rc == RCN_OK)
		rc = rcn_pq_query(r->db, STMT_SQL, 4, sp, PGRES_TUPLES_OK, 10, "reading the statement row", &stmt,
				  &err);
	if (rc == RCN_OK)
		rc = ledger_row(r, ip.it, &ledger, &err);
	enum MHD_Result ok;
	if (rc != RCN_OK) {
		ok = rcn_sv_fail(r, &err);
	} else {
		ip.stmt = stmt;
		ip.ledger = ledger;
		char title[64];
		snprintf(title, sizeof title, "事项 Item %s", id);
		ok = rcn_sv_page(r, 200, title, item_body, &ip);
	}
	PQclear(stmt);
	PQclear(ledger);
	rcn_buf_free(&ip.history);
	rcn_items_view_free(view);
	return ok;
}
