/* report: the CSV reports finance staff open in Excel — UTF-8 with BOM,
 * CRLF, formula cells escaped — written to a temporary directory and swapped
 * into place so a reader never sees half a night. */
#ifndef RECON_REPORT_H
#define RECON_REPORT_H

#include <stdio.h>

#include "recon/common.h"
#include "recon/date.h"
#include "recon/finding.h"
#include "recon/findings.h"
#include "recon/openitem.h"
#include "recon/settlement.h"

/* A row or a whole file that could not be reconciled. */
typedef struct {
	const char *source; /* [source NAME] */
	const char *file;
	long line; /* 0 for a whole file */
	const char *reason;
	long rows;	    /* rows the entry stands for */
	int64_t amount_fen; /* their amount, when known */
} rcn_quarantine_entry;

typedef struct {
	char final_dir[4096]; /* reports/<date> */
	char tmp_dir[4096];   /* reports/.<date>.tmp-<pid> */
} rcn_report_dir;

/* One earlier (or this) business date for the trend chart of index.html. */
typedef struct {
	rcn_date date;
	long discrepancies;
	long statement_rows;
} rcn_trend_point;

/* Everything a date's reports show (borrowed). */
typedef struct {
	const rcn_finding *const *findings; /* discrepancies and pending items, in report order */
	size_t n_findings;
	/* Or, when set, the night's sink: the findings are read in passes over
	 * it (recon/findings.h), findings unused; n_findings is its count. */
	rcn_findings *all;
	const rcn_finding *const *notes; /* matched items with a remark */
	size_t n_notes;
	const rcn_tally *tallies;
	size_t n_tallies;
	const rcn_quarantine_entry *quarantine;
	size_t n_quarantine;
	const rcn_settlement *settlements; /* today's expected ones, then earlier ones checked today */
	size_t n_settlements;
	const rcn_trend_point *trend; /* oldest first, at most 30 shown; NULL/0: no trend section */
	size_t n_trend;
	const char *const *problems; /* what the night could not check (rcn_run_result.problems) */
	size_t n_problems;
	/* The open book as of the date (open_items.csv, the page's and the
	 * workbook's open items, summary.csv's open/overdue columns); NULL: no
	 * register, an empty book is written. */
	const rcn_open_book *book;
} rcn_report_data;

/* Writes discrepancies.csv, pending.csv, notes.csv, summary.csv, open_items.csv, settlement.csv,
 * quarantine.csv, index.html and recon-<date>.xlsx into a fresh temporary directory next to reports/<date>. */
rcn_rc rcn_report_prepare(rcn_report_dir *out, const char *reports_dir, rcn_date day, const rcn_report_data *data,
			  rcn_err *err);
/* Swaps the prepared directory into place (atomic exchange when the date
 * already has reports) and removes the old one. */
rcn_rc rcn_report_commit(rcn_report_dir *dir, rcn_err *err);
/* Removes a prepared directory that will not be used. */
void rcn_report_abort(rcn_report_dir *dir);
/* A directory's identity, "device:inode", in out; false when it is not a directory. */
bool rcn_report_dir_id(const char *dir, char *out, size_t n);

typedef enum {
	RCN_PUBLISH_DONE_NOW,	 /* the staged reports were swapped in now */
	RCN_PUBLISH_DONE_BEFORE, /* final_dir already is the staged directory (the swap had happened) */
	RCN_PUBLISH_LOST,	 /* the staged directory is gone: the date must be re-run */
} rcn_publish_outcome;
/* Finishes the publish of a committed run whose staged directory (identified
 * by staged_id, rcn_report_dir_id) may or may not have been swapped into
 * final_dir yet. RCN_EIO when the swap fails again. */
rcn_rc rcn_report_publish_staged(const char *final_dir, const char *staged_dir, const char *staged_id,
				 rcn_publish_outcome *out, rcn_err *err);

/* CSV cell writers, exposed for tests: text cells are quoted when needed and
 * a leading = + - @ (or tab, CR) is neutralised with an apostrophe. */
void rcn_csv_text(FILE *f, const char *s);
void rcn_csv_money(FILE *f, int64_t v, int scale);
/* The same cells appended to a line being built (one write per row). */
void rcn_csv_text_buf(rcn_buf *b, const char *s);
void rcn_csv_money_buf(rcn_buf *b, int64_t v, int scale);

/* index.html: one self-contained page (inline CSS and SVG, no scripts, no
 * external assets) with the totals, a table per discrepancy kind and charts;
 * written into dir. Deterministic: the same data gives the same bytes. */
rcn_rc rcn_report_html(const char *dir, const char *date, const rcn_report_data *data, rcn_err *err);
/* recon-<date>.xlsx (written by report/xlsx.c, xlsx_sheets.c): a 汇总 Summary sheet (summary.csv's
 * columns, totals, balance proof, per-kind counts and amounts), a sheet per discrepancy kind present
 * ("短款 SHORT_PAYMENT"), 待核对 PENDING, the notes, settlement and quarantine; frozen bilingual header, autofilter,
 * amounts as exact yuan decimals, text never as formulas; written into dir with a
 * fixed creation time, so the same data gives the same bytes. */
rcn_rc rcn_report_xlsx(const char *dir, const char *date, const rcn_report_data *data, rcn_err *err);
/* Rows per sheet, header included (Excel's 1048576 unless a test lowers it):
 * a kind with more findings fills its sheet and says in the last row how many
 * more rows the CSV has. */
void rcn_report_xlsx_max_rows(long rows);
/* Writes s with & < > " ' escaped as HTML entities (exposed for tests). */
void rcn_html_text(FILE *f, const char *s);

#endif
