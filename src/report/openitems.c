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

void rcn_report_open_item_row(rcn_buf *b, const rcn_open_item *it)
{
	rcn_open_item_text t;
	const char *cells[RCN_OPEN_ITEM_CELLS];
	rcn_open_item_cells(it, &t, cells);
	rcn_buf_reset(b);
	for (int c = 0; c < RCN_OPEN_ITEM_CELLS; c++) {
		if (c)
			(void)rcn_buf_append(b, ",", 1);
		if (rcn_open_item_cell_is_number(c))
			(void)rcn_buf_append(b, cells[c], strlen(cells[c]));
		else
			rcn_csv_text_buf(b, cells[c]);
	}
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
