/* A hand-built open book as of 2026-03-02 for the report tests (issue 19):
 *   00014 SHORT_PAYMENT -10.00, overdue, acknowledged by 张三, a note with a comma
 *   00028 FEE_MISMATCH 0.00600 (1 fen in sums), open, a note that looks like a formula
 *   0003C DOUBLE_CHARGE 2500.00, 35 days old, an account without a line tonight,
 *         a write-off awaiting approval (asked by alice)
 *   0004G DUPLICATE_RECORD, no difference, 5 days old
 * Sums: 4 open, 2510.01; 1 overdue, 10.00. wechat 1900000109: 3 open, 10.01. */
#ifndef RECON_TEST_OPEN_BOOK_FIXTURE_H
#define RECON_TEST_OPEN_BOOK_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "recon/openitem.h"

static rcn_open_item fixture_item(const char *id, rcn_kind kind, const char *reason, const char *order_no)
{
	rcn_open_item it;
	memset(&it, 0, sizeof(it));
	snprintf(it.id, sizeof(it.id), "%s", id);
	it.kind = kind;
	it.reason = reason;
	it.channel = "wechat";
	it.merchant_id = "1900000109";
	it.order_no = order_no;
	it.refund_no = it.channel_txn_id = it.channel_refund_id = it.ledger_status = it.channel_status = "";
	it.source = it.detail = it.owner = it.note = it.changed_by = it.last_change = it.evidence = "";
	it.approval_by = "";
	it.first_seen = it.last_seen = rcn_date_from_ymd(2026, 3, 2);
	it.status = RCN_IS_OPEN;
	return it;
}

/* Fills items[4] and b (as of 2026-03-02, in the book's order). */
static void fixture_book(rcn_open_book *b, rcn_open_item items[4])
{
	items[0] = fixture_item("00014", RCN_K_SHORT_PAYMENT, "amount", "DEMO-P002");
	items[0].channel_txn_id = "4200001";
	items[0].has_difference = true, items[0].difference = items[0].difference_fen = -1000;
	items[0].first_seen = rcn_date_from_ymd(2026, 2, 20), items[0].age_days = 7;
	items[0].due_by = rcn_date_from_ymd(2026, 2, 27), items[0].overdue = true;
	items[0].status = RCN_IS_ACKNOWLEDGED, items[0].owner = "张三", items[0].note = "已联系渠道, 等回复";
	items[0].last_change = "2026-03-01 10:00:00", items[0].changed_by = "zhangsan";

	items[1] = fixture_item("00028", RCN_K_FEE_MISMATCH, "rate", "DEMO-P009");
	items[1].has_difference = true, items[1].difference = 600, items[1].difference_fen = 1;
	items[1].due_by = rcn_date_from_ymd(2026, 3, 9), items[1].note = "=1+1";
	items[1].last_change = "2026-03-02 02:00:00", items[1].changed_by = "recon run 2026-03-02";

	items[2] = fixture_item("0003C", RCN_K_DOUBLE_CHARGE, "same_channel", "DEMO-P020");
	items[2].channel = "alipay", items[2].merchant_id = "2088000000000001";
	items[2].has_difference = true, items[2].difference = items[2].difference_fen = 250000;
	items[2].first_seen = rcn_date_from_ymd(2026, 1, 15), items[2].age_days = 35;
	items[2].status = RCN_IS_ACKNOWLEDGED, items[2].owner = "李四", items[2].note = "核销 write off";
	items[2].approval_by = "alice", items[2].changed_by = "lisi", items[2].last_change = "2026-03-02 09:30:00";

	items[3] = fixture_item("0004G", RCN_K_DUPLICATE_RECORD, "same_transaction_listed_twice", "DEMO-P030");
	items[3].first_seen = rcn_date_from_ymd(2026, 2, 23), items[3].age_days = 5;

	memset(b, 0, sizeof(*b));
	b->day = rcn_date_from_ymd(2026, 3, 2);
	b->items = items;
	b->n = 4;
	b->open = 4, b->overdue = 1, b->open_fen = 251001, b->overdue_fen = 1000;
}

#endif
