/* recon-<date>.xlsx: the date's findings as an Excel workbook (libxlsxwriter):
 * a 汇总 Summary sheet, one sheet per discrepancy kind that occurs and a 待处理
 * Pending sheet; bilingual headings, frozen header row, autofilter, amounts as
 * numbers in yuan. Text is always written as a string, never a formula. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <xlsxwriter.h>

#include "recon/money.h"
#include "recon/report.h"

/* Money is exact integer fen (or 1e-5 yuan for fees) everywhere in recon; it
 * becomes a double only here, at the last step, because an xlsx number cell
 * is an IEEE double. fen / 100.0 is the double nearest the exact decimal
 * amount (for any |fen| < 2^53), which Excel displays exactly with the
 * "#,##0.00" / "0.00000" formats below. Nothing reads these doubles back. */
static double yuan(int64_t v, int scale)
{
	return (double)v / (scale == RCN_SCALE_FEE ? 100000.0 : 100.0);
}

typedef struct {
	lxw_format *head, *money, *fee;
} formats;

static const char *const finding_heads[] = {
	"渠道 channel",
	"商户号 merchant_id",
	"商户订单号 order_no",
	"退款单号 refund_no",
	"渠道流水号 channel_txn_id",
	"原因 reason",
	"账本状态 ledger_status",
	"渠道状态 channel_status",
	"账本金额 ledger_amount",
	"渠道金额 channel_amount",
	"差额 difference",
	"应收手续费 expected_fee",
	"渠道手续费 channel_fee",
	"交易时间 trade_time",
	"首次发现 first_seen",
	"账龄天数 age_days",
	"来源 source",
	"说明 detail",
};
#define N_FINDING_COLS (sizeof(finding_heads) / sizeof(finding_heads[0]))

static void text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s)
{
	/* worksheet_write_string: "=HYPERLINK(...)" from a merchant field stays text */
	if (s && *s)
		worksheet_write_string(ws, r, c, s, NULL);
}

static void heads(lxw_worksheet *ws, const formats *fm, const char *const *h, size_t n, size_t rows)
{
	for (size_t i = 0; i < n; i++) {
		worksheet_write_string(ws, 0, (lxw_col_t)i, h[i], fm->head);
		worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, 16, NULL);
	}
	worksheet_freeze_panes(ws, 1, 0);
	worksheet_autofilter(ws, 0, 0, (lxw_row_t)rows, (lxw_col_t)(n - 1));
}

static void finding_row(lxw_worksheet *ws, const formats *fm, lxw_row_t r, const rcn_finding *f)
{
	char d[11];
	int64_t diff;
	const char *t[] = {f->channel,	      f->merchant_id, f->order_no,	f->refund_no,
			   f->channel_txn_id, f->reason,      f->ledger_status, f->channel_status};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		text(ws, r, (lxw_col_t)i, t[i]);
	if (f->has_ledger_amount)
		worksheet_write_number(ws, r, 8, yuan(f->ledger_amount, RCN_SCALE_FEN), fm->money);
	if (f->has_channel_amount)
		worksheet_write_number(ws, r, 9, yuan(f->channel_amount, RCN_SCALE_FEN), fm->money);
	if (rcn_finding_difference(f, &diff))
		worksheet_write_number(ws, r, 10, yuan(diff, RCN_SCALE_FEN), fm->money);
	if (f->has_expected_fee)
		worksheet_write_number(ws, r, 11, yuan(f->expected_fee, RCN_SCALE_FEE), fm->fee);
	if (f->has_channel_fee)
		worksheet_write_number(ws, r, 12, yuan(f->channel_fee, RCN_SCALE_FEE), fm->fee);
	text(ws, r, 13, f->trade_time);
	text(ws, r, 14, rcn_date_format(d, f->first_seen));
	worksheet_write_number(ws, r, 15, f->age_days, NULL);
	text(ws, r, 16, f->source);
	text(ws, r, 17, f->detail);
}

/* One sheet of the findings of kind k (in report order). */
static void findings_sheet(lxw_workbook *wb, const formats *fm, const char *name, rcn_kind k,
			   const rcn_report_data *data)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, name);
	lxw_row_t r = 0, n = 0;
	for (size_t i = 0; i < data->n_findings; i++)
		n += data->findings[i]->kind == k;
	heads(ws, fm, finding_heads, N_FINDING_COLS, n);
	for (size_t i = 0; i < data->n_findings; i++)
		if (data->findings[i]->kind == k)
			finding_row(ws, fm, ++r, data->findings[i]);
}

static const char *const summary_heads[] = {
	"渠道 channel",
	"商户号 merchant_id",
	"来源方 side",
	"笔数 rows_in",
	"金额 amount_in",
	"已匹配笔数 matched_rows",
	"已匹配金额 matched_amount",
	"差错笔数 discrepancy_rows",
	"差错金额 discrepancy_amount",
	"待处理笔数 pending_rows",
	"待处理金额 pending_amount",
	"隔离笔数 quarantined_rows",
	"隔离金额 quarantined_amount",
	"收款 payments",
	"退款 refunds",
	"渠道手续费 channel_fee",
	"应收手续费 expected_fee",
};
#define N_SUMMARY_COLS (sizeof(summary_heads) / sizeof(summary_heads[0]))

static void summary_sheet(lxw_workbook *wb, const formats *fm, const rcn_report_data *data)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, "汇总 Summary");
	heads(ws, fm, summary_heads, N_SUMMARY_COLS, data->n_tallies);
	for (size_t i = 0; i < data->n_tallies; i++) {
		const rcn_tally *t = &data->tallies[i];
		lxw_row_t r = (lxw_row_t)(i + 1);
		bool ch = t->side == RCN_SIDE_CHANNEL;
		text(ws, r, 0, t->channel);
		text(ws, r, 1, t->merchant_id);
		text(ws, r, 2, ch ? "渠道对账单 channel" : "商户账本 ledger");
		const long rows[] = {t->rows_in, t->matched, t->discrepancies, t->pending, t->quarantined};
		const int64_t amounts[] = {t->amount_in, t->amount_matched, t->amount_discrepancies, t->amount_pending,
					   t->amount_quarantined};
		for (int j = 0; j < 5; j++) {
			worksheet_write_number(ws, r, (lxw_col_t)(3 + 2 * j), (double)rows[j], NULL);
			worksheet_write_number(ws, r, (lxw_col_t)(4 + 2 * j), yuan(amounts[j], RCN_SCALE_FEN),
					       fm->money);
		}
		if (ch) {
			worksheet_write_number(ws, r, 13, yuan(t->payments_fen, RCN_SCALE_FEN), fm->money);
			worksheet_write_number(ws, r, 14, yuan(t->refunds_fen, RCN_SCALE_FEN), fm->money);
			worksheet_write_number(ws, r, 15, yuan(t->channel_fee, RCN_SCALE_FEE), fm->fee);
			if (t->has_expected_fee)
				worksheet_write_number(ws, r, 16, yuan(t->expected_fee, RCN_SCALE_FEE), fm->fee);
		}
	}
}

rcn_rc rcn_report_xlsx(const char *dir, const char *date, const rcn_report_data *data, rcn_err *err)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/recon-%s.xlsx", dir, date);
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	if (!wb)
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot write report: %s", strerror(errno ? errno : EIO));

	/* A fixed creation time (the business date, 00:00 UTC) instead of now, so a
	 * re-run of the date gives the same bytes; the zip entries carry a fixed time too. */
	int y = 1970, m = 1, d = 1;
	sscanf(date, "%d-%d-%d", &y, &m, &d);
	lxw_doc_properties props;
	memset(&props, 0, sizeof(props));
	props.title = "recon";
	props.created = (time_t)rcn_date_from_ymd(y, m, d) * 86400;
	workbook_set_properties(wb, &props);

	formats fm;
	fm.head = workbook_add_format(wb);
	format_set_bold(fm.head);
	fm.money = workbook_add_format(wb);
	format_set_num_format(fm.money, "#,##0.00");
	fm.fee = workbook_add_format(wb);
	format_set_num_format(fm.fee, "0.00000");

	summary_sheet(wb, &fm, data);
	bool present[RCN_K__COUNT] = {false};
	for (size_t i = 0; i < data->n_findings; i++)
		present[data->findings[i]->kind] = true;
	for (int k = 0; k < RCN_K_PENDING; k++) {
		if (!present[k])
			continue;
		char name[32]; /* Excel limits sheet names to 31 characters */
		snprintf(name, sizeof(name), "%.31s", rcn_kind_name((rcn_kind)k));
		findings_sheet(wb, &fm, name, (rcn_kind)k, data);
	}
	findings_sheet(wb, &fm, "待处理 Pending", RCN_K_PENDING, data);

	lxw_error e = workbook_close(wb);
	if (e != LXW_NO_ERROR)
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot write report: %s", lxw_strerror(e));
	return RCN_OK;
}
