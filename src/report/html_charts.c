/* index.html's charts, inline SVG: findings per kind; each kind's negative
 * and positive differences apart and signed (a +30 and a -20 are never 50);
 * fees expected against charged per merchant account; the trend of the last
 * business dates. Integer arithmetic only; data-* attributes carry the raw
 * values (fen, 1e-5 yuan for fees). */
#include <stdio.h>
#include <string.h>

#include "recon/money.h"
#include "recon/report.h"
#include "report/html_int.h"
#include "report/report_int.h"

#define TREND_MAX 30

void rcn_html_sums_of(rcn_html_sums *out, const rcn_report_data *d)
{
	memset(out, 0, sizeof(*out));
	rcn_report_walk w;
	rcn_report_walk_any(&w, d); /* sums: in any order */
	for (const rcn_finding *x; (x = rcn_report_walk_next(&w)) != NULL;) {
		int64_t diff;
		if ((unsigned)x->kind >= RCN_K__COUNT)
			continue;
		out->count[x->kind]++;
		if (!rcn_finding_difference(x, &diff))
			continue;
		if (diff < 0)
			out->negative[x->kind] += diff;
		else
			out->positive[x->kind] += diff;
	}
	rcn_report_walk_close(&w);
}

/* Horizontal bars, one per label; values >= 0. */
static void count_chart(FILE *f, const char *title, const char *const *labels, const long *values, size_t n)
{
	const int label_w = 260, bar_w = 560, row_h = 22, top = 8;
	long max = 0;
	for (size_t i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", label_w + bar_w + 120,
		top * 2 + (int)n * row_h);
	rcn_html_text(f, title);
	fputs("\">\n", f);
	for (size_t i = 0; i < n; i++) {
		int y = top + (int)i * row_h;
		int w = max > 0 ? (int)(values[i] * bar_w / max) : 0;
		if (values[i] > 0 && w < 1)
			w = 1;
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + 15);
		rcn_html_text(f, labels[i]);
		fprintf(f,
			"</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#2b6cb0\"/>"
			"<text x=\"%d\" y=\"%d\">%ld</text>\n",
			label_w, y + 3, w, row_h - 6, label_w + w + 6, y + 15, values[i]);
	}
	fputs("</svg>\n", f);
}

/* A chart of two series per label, each bar drawn from a zero axis: to the
 * left for a negative value, to the right for a positive one, its signed
 * amount beside it. */
typedef struct {
	const char *title;
	const char *series[2]; /* data-series names */
	const char *color[2];
	int scale; /* RCN_SCALE_FEN or RCN_SCALE_FEE */
	bool plus; /* a positive value is written +1.00 (a signed difference) */
	const char *attr;
	size_t n;
	const char *const *labels; /* shown */
	const char *const *keys;   /* the data-<attr> of each label */
	const int64_t (*values)[2];
} pair_chart;

static int64_t magnitude(int64_t v)
{
	return v < 0 ? -v : v;
}

static void pair_bar(FILE *f, const pair_chart *c, size_t i, int s, int x0, int half, int64_t max, int y)
{
	int64_t v = c->values[i][s];
	int w = max > 0 ? (int)(magnitude(v) * half / max) : 0;
	if (v != 0 && w < 1)
		w = 1;
	int x = v < 0 ? x0 - w : x0;
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"12\" fill=\"%s\" data-%s=\"", x, y, w, c->color[s],
		c->attr);
	rcn_html_text(f, c->keys[i]);
	fprintf(f, "\" data-series=\"%s\" data-value=\"%lld\"/>", c->series[s], (long long)v);
	if (v == 0) { /* nothing to draw: the bar stays for its data, without a label */
		fputc('\n', f);
		return;
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\"%s>%s", v < 0 ? x - 4 : x + w + 4, y + 11,
		v < 0 ? " text-anchor=\"end\"" : "", v > 0 && c->plus ? "+" : "");
	rcn_html_money(f, v, c->scale);
	fputs("</text>\n", f);
}

static void pair_chart_write(FILE *f, const pair_chart *c)
{
	const int label_w = 260, half = 300, row_h = 34, top = 8;
	int64_t max = 0;
	bool signed_values = false;
	for (size_t i = 0; i < c->n; i++)
		for (int s = 0; s < 2; s++) {
			if (magnitude(c->values[i][s]) > max)
				max = magnitude(c->values[i][s]);
			signed_values |= c->values[i][s] < 0;
		}
	int x0 = label_w + (signed_values ? half + 90 : 10);
	int height = top * 2 + (int)c->n * row_h;
	fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", x0 + half + 110, height);
	rcn_html_text(f, c->title);
	fprintf(f, "\">\n<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", x0, x0, height);
	for (size_t i = 0; i < c->n; i++) {
		int y = top + (int)i * row_h;
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + 20);
		rcn_html_text(f, c->labels[i]);
		fputs("</text>", f);
		pair_bar(f, c, i, 0, x0, half, max, y + 3);
		pair_bar(f, c, i, 1, x0, half, max, y + 17);
	}
	fputs("</svg>\n", f);
}

/* A pair chart under its heading (the HTML of the title and legend), or
 * "none" when it has no bars. */
static void pair_chart_section(FILE *f, const char *heading, const pair_chart *c)
{
	fputs(heading, f);
	if (c->n == 0) {
		fputs("<p class=\"muted\">无 none</p>\n", f);
		return;
	}
	pair_chart_write(f, c);
}

/* Money differences per kind, negative and positive apart. A fee finding's
 * difference is a fee, not money collected: it has the fee chart. */
static void difference_chart(FILE *f, const rcn_html_sums *s)
{
	char labels[RCN_K_PENDING][96];
	const char *lp[RCN_K_PENDING], *keys[RCN_K_PENDING];
	int64_t values[RCN_K_PENDING][2];
	size_t n = 0;
	for (int k = 0; k < RCN_K_PENDING; k++) {
		if (k == RCN_K_FEE_MISMATCH || (s->negative[k] == 0 && s->positive[k] == 0))
			continue;
		snprintf(labels[n], sizeof(labels[n]), "%s %s", rcn_kind_name_cn((rcn_kind)k),
			 rcn_kind_name((rcn_kind)k));
		lp[n] = labels[n];
		keys[n] = rcn_kind_name((rcn_kind)k);
		values[n][0] = s->negative[k];
		values[n][1] = s->positive[k];
		n++;
	}
	pair_chart c = {"差额 Difference per kind, negative and positive apart",
			{"negative", "positive"},
			{"#c53030", "#dd6b20"},
			RCN_SCALE_FEN,
			true,
			"kind",
			n,
			lp,
			keys,
			(const int64_t(*)[2])values};
	pair_chart_section(f,
			   "<h3>差额（元），负与正分开 Difference (yuan), negative and positive apart</h3>\n"
			   "<p class=\"muted\">红：差额为负（渠道少于账本） red: negative (channel below ledger)；"
			   "橙：差额为正（渠道多于账本） orange: positive (channel above ledger)</p>\n",
			   &c);
}

/* Fees per merchant account (channel side): what the fee rules expect
 * against what the channel charged. */
static void fee_chart(FILE *f, const rcn_report_data *d)
{
	enum { MAX_ACCOUNTS = 40 };
	char labels[MAX_ACCOUNTS][160];
	const char *lp[MAX_ACCOUNTS];
	int64_t values[MAX_ACCOUNTS][2];
	size_t n = 0;
	for (size_t i = 0; i < d->n_tallies && n < MAX_ACCOUNTS; i++) {
		const rcn_tally *t = &d->tallies[i];
		if (t->side != RCN_SIDE_CHANNEL || (!t->has_expected_fee && t->channel_fee == 0))
			continue;
		snprintf(labels[n], sizeof(labels[n]), "%.60s %.90s", t->channel, t->merchant_id);
		lp[n] = labels[n];
		values[n][0] = t->has_expected_fee ? t->expected_fee : 0;
		values[n][1] = t->channel_fee;
		n++;
	}
	pair_chart c = {"手续费 Fees, expected and charged",
			{"expected", "charged"},
			{"#2b6cb0", "#dd6b20"},
			RCN_SCALE_FEE,
			false,
			"account",
			n,
			lp,
			lp,
			(const int64_t(*)[2])values};
	pair_chart_section(f,
			   "<h3>手续费（元）：预期与实收 Fees (yuan): expected and charged</h3>\n"
			   "<p class=\"muted\">蓝：规则手续费 blue: expected fee；橙：渠道实收手续费 orange: fee the "
			   "channel charged</p>\n",
			   &c);
}

void rcn_html_charts(FILE *f, const rcn_report_data *d, const rcn_html_sums *s)
{
	char labels[RCN_K_PENDING][96];
	const char *lp[RCN_K_PENDING];
	for (int k = 0; k < RCN_K_PENDING; k++) {
		snprintf(labels[k], sizeof(labels[k]), "%s %s", rcn_kind_name_cn((rcn_kind)k),
			 rcn_kind_name((rcn_kind)k));
		lp[k] = labels[k];
	}
	fputs("<h2>差异分布 Discrepancies per kind</h2>\n<h3>笔数 Count</h3>\n", f);
	count_chart(f, "差异笔数 Discrepancy count per kind", lp, s->count, RCN_K_PENDING);
	difference_chart(f, s);
	fee_chart(f, d);
}

/* Columns over the last TREND_MAX dates, one chart per series. */
static void trend_chart(FILE *f, const char *title, const rcn_trend_point *p, size_t n, bool rows, const char *color)
{
	const int left = 50, col_w = 34, plot_h = 160, top = 20, bottom = 70;
	long max = 0;
	for (size_t i = 0; i < n; i++) {
		long v = rows ? p[i].statement_rows : p[i].discrepancies;
		if (v > max)
			max = v;
	}
	int width = left + (int)n * col_w + 20;
	fprintf(f, "<h3>%s</h3>\n", title);
	fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", width < 300 ? 300 : width,
		top + plot_h + bottom);
	rcn_html_text(f, title);
	fputs("\">\n", f);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", left, top + plot_h,
		left + (int)n * col_w, top + plot_h);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%ld</text>\n", left - 4, top + 4, max);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", left - 4, top + plot_h + 4);
	for (size_t i = 0; i < n; i++) {
		char d[11];
		long v = rows ? p[i].statement_rows : p[i].discrepancies;
		int h = max > 0 ? (int)(v * plot_h / max) : 0;
		if (v > 0 && h < 1)
			h = 1;
		int x = left + (int)i * col_w + 4;
		rcn_date_format(d, p[i].date);
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" data-date=\"%s\" "
			"data-value=\"%ld\"><title>%s: %ld</title></rect>",
			x, top + plot_h - h, col_w - 8, h, color, d, v, d, v);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%ld</text>", x + (col_w - 8) / 2,
			top + plot_h - h - 3, v);
		fprintf(f, "<text transform=\"translate(%d,%d) rotate(-60)\" text-anchor=\"end\">%s</text>\n",
			x + (col_w - 8) / 2 + 4, top + plot_h + 12, d + 5);
	}
	fputs("</svg>\n", f);
}

void rcn_html_trend(FILE *f, const rcn_report_data *d)
{
	if (!d->trend || d->n_trend == 0)
		return;
	size_t n = d->n_trend > TREND_MAX ? TREND_MAX : d->n_trend;
	const rcn_trend_point *p = d->trend + (d->n_trend - n); /* the most recent ones */
	fprintf(f,
		"<h2>近 %zu 日趋势 Trend over the last %zu business dates</h2>\n<div class=\"trend\" "
		"data-points=\"%zu\">\n",
		n, n, n);
	trend_chart(f, "差异笔数 Discrepancies", p, n, false, "#c53030");
	trend_chart(f, "对账单笔数 Statement rows", p, n, true, "#2b6cb0");
	fputs("</div>\n", f);
}
