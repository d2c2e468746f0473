/* The open book in the reports (issue 19): open_items.csv's columns and rows
 * — the file a clerk edits and `recon items import` reads back — and the
 * counts and amounts the summary, the page and the workbook show. */
#include <stdio.h>
#include <string.h>

#include "recon/money.h"
#include "report/report_int.h"

#define EOL "\r\n"

const char *const rcn_open_cols[RCN_OPEN_COLS][2] = {
	{"编号", "id"},
	{"类型", "kind"},
	{"类型名称", "kind_cn"},
	{"原因", "reason"},
	{"原因说明", "reason_cn"},
	{"渠道", "channel"},
	{"商户号", "merchant_id"},
	{"商户订单号", "order_no"},
	{"退款单号", "refund_no"},
	{"渠道交易号", "channel_txn_id"},
	{"差额", "difference"},
	{"首次发现", "first_seen"},
	{"账龄天数", "age_days"},
	{"处理期限", "due_by"},
	{"逾期", "overdue"},
	{"状态", "status"},
	{"状态名称", "status_cn"},
	{"负责人", "owner"},
	{"备注", "note"},
	{"最后修改", "last_change"},
	{"修改人", "changed_by"},
	{"待审批", "awaiting_approval"},
};

const rcn_open_book *rcn_report_book(const rcn_report_data *d, rcn_open_book *empty)
{
	if (d->book)
		return d->book;
	memset(empty, 0, sizeof(*empty));
	return empty;
}

bool rcn_open_item_difference(const rcn_open_item *it, int64_t *v, int *scale)
{
	*scale = it->kind == RCN_K_FEE_MISMATCH ? RCN_SCALE_FEE : RCN_SCALE_FEN;
	*v = it->difference;
	return it->has_difference;
}

const char *rcn_open_item_awaiting(char *out, size_t n, const rcn_open_item *it)
{
	if (it->approval_by && *it->approval_by)
		snprintf(out, n, "written_off (asked by %s)", it->approval_by);
	else if (n)
		out[0] = '\0';
	return out;
}

static void cell(rcn_buf *b, const char *s)
{
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_text_buf(b, s ? s : "");
}

void rcn_report_open_item_row(rcn_buf *b, const rcn_open_item *it)
{
	char d[11], awaiting[320];
	int64_t diff;
	int scale;
	const char *reason_cn = rcn_reason_cn(it->kind, it->reason);
	rcn_buf_reset(b);
	rcn_csv_text_buf(b, it->id);
	const char *text[] = {rcn_kind_name(it->kind),
			      rcn_kind_name_cn(it->kind),
			      it->reason,
			      reason_cn,
			      it->channel,
			      it->merchant_id,
			      it->order_no,
			      it->refund_no,
			      it->channel_txn_id};
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		cell(b, text[i]);
	(void)rcn_buf_append(b, ",", 1);
	if (rcn_open_item_difference(it, &diff, &scale)) /* a fee keeps its 5 decimals, as in discrepancies.csv */
		rcn_csv_money_buf(b, diff, scale);
	cell(b, it->first_seen ? rcn_date_format(d, it->first_seen) : "");
	(void)rcn_buf_append(b, ",", 1);
	rcn_csv_money_buf(b, it->age_days, 0);
	cell(b, it->due_by ? rcn_date_format(d, it->due_by) : "");
	cell(b, it->overdue ? "yes" : "");
	cell(b, rcn_item_status_name(it->status));
	cell(b, rcn_item_status_cn(it->status));
	const char *tail[] = {it->owner, it->note, it->last_change, it->changed_by,
			      rcn_open_item_awaiting(awaiting, sizeof(awaiting), it)};
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		cell(b, tail[i]);
	(void)rcn_buf_append(b, EOL, 2);
}

void rcn_open_sum_add(rcn_open_sum *s, const rcn_open_item *it)
{
	int64_t fen = it->difference_fen < 0 ? -it->difference_fen : it->difference_fen;
	s->open++;
	s->open_fen += fen;
	if (it->overdue) {
		s->overdue++;
		s->overdue_fen += fen;
	}
}
