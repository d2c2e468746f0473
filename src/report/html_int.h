/* index.html's parts (report/html*.c): html.c writes the page — the banner,
 * the cards and the totals — and calls the sections of html_tables.c (a
 * table per kind, settlement, quarantine), html_items.c (the open items) and html_charts.c (per kind,
 * signed differences, fees, trend). Every value goes through rcn_html_text
 * or an integer formatter: the page stays deterministic and inert. */
#ifndef RECON_HTML_INT_H
#define RECON_HTML_INT_H

#include <stdio.h>

#include "recon/report.h"

/* A page is for reading: past this many rows of one table (a kind's
 * findings, the open items) it says how many more there are and where they
 * all are (the CSVs and the workbook). */
#define RCN_HTML_MAX_ROWS 1000

/* Cells: a header row (Chinese above English), text, a count, an amount
 * (empty when !has) at a scale (RCN_SCALE_FEN, RCN_SCALE_FEE). */
void rcn_html_header(FILE *f, const char *const cols[][2], size_t n);
void rcn_html_td_text(FILE *f, const char *s);
void rcn_html_td_count(FILE *f, long v);
void rcn_html_td_money(FILE *f, bool has, int64_t v, int scale);
void rcn_html_money(FILE *f, int64_t v, int scale);

/* The per-kind tables of d's findings (count per kind as counted by the page). */
void rcn_html_kind_tables(FILE *f, const rcn_report_data *d, const long count[RCN_K__COUNT]);
void rcn_html_settlements(FILE *f, const rcn_report_data *d);
void rcn_html_quarantine(FILE *f, const rcn_report_data *d);
/* 未结差异 Open items (html_items.c): the book's counts and amounts, by kind
 * and age band, then its items, overdue first. */
void rcn_html_open_items(FILE *f, const rcn_report_data *d);

/* The sum of the negative and of the positive differences of each kind
 * (rcn_finding_difference, fen): never one sum of absolute values. */
typedef struct {
	long count[RCN_K__COUNT];
	int64_t negative[RCN_K__COUNT], positive[RCN_K__COUNT];
} rcn_html_sums;
void rcn_html_sums_of(rcn_html_sums *out, const rcn_report_data *d);
void rcn_html_charts(FILE *f, const rcn_report_data *d, const rcn_html_sums *s);
void rcn_html_trend(FILE *f, const rcn_report_data *d);

#endif
