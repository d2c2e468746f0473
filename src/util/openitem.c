/* The open-items register's plain data (recon/openitem.h): status words, the
 * items' short ids, the age bands. */
#include "recon/openitem.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "recon/money.h"

static const char *const STATUS[RCN_IS__COUNT] = {"open",	 "acknowledged", "resolved",
						  "written_off", "auto_closed",	 "withdrawn"};
static const char *const STATUS_CN[RCN_IS__COUNT] = {"未处理", "处理中", "已解决", "已核销", "自动关闭", "已撤销"};

const char *rcn_item_status_name(rcn_item_status s)
{
	return s < RCN_IS__COUNT ? STATUS[s] : "?";
}

const char *rcn_item_status_cn(rcn_item_status s)
{
	return s < RCN_IS__COUNT ? STATUS_CN[s] : "?";
}

bool rcn_item_status_parse(const char *s, rcn_item_status *out)
{
	for (int i = 0; i < RCN_IS__COUNT; i++)
		if (s && strcmp(s, STATUS[i]) == 0) {
			*out = (rcn_item_status)i;
			return true;
		}
	return false;
}

bool rcn_item_status_is_open(rcn_item_status s)
{
	return s == RCN_IS_OPEN || s == RCN_IS_ACKNOWLEDGED;
}

/* Crockford base32: no I, L, O, U, so what is said is what is typed. */
static const char B32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
enum { ID_MIN = 4, CHECK_MOD = 31 };

/* The check symbol: a weighted sum of the symbols' values mod 31 (a prime,
 * so any one wrong symbol and any swap of two neighbours changes it, bar a
 * 0 typed for a Z or back). */
static char check_symbol(const char *body, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (unsigned)(strchr(B32, body[i]) - B32) * (unsigned)(i + 1);
	return B32[sum % CHECK_MOD];
}

void rcn_item_id_format(char out[RCN_ITEM_ID_MAX], int64_t seq)
{
	char rev[16];
	size_t n = 0;
	uint64_t v = seq > 0 ? (uint64_t)seq : 0;
	do {
		rev[n++] = B32[v % 32];
		v /= 32;
	} while (v && n < 13);
	while (n < ID_MIN)
		rev[n++] = '0';
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = check_symbol(out, n);
	out[n + 1] = '\0';
}

bool rcn_item_id_parse(const char *typed, char out[RCN_ITEM_ID_MAX])
{
	size_t n = 0;
	for (const char *p = typed; p && *p; p++) {
		int c = toupper((unsigned char)*p);
		if (c == '-' || c == ' ')
			continue;
		if (c == 'I' || c == 'L')
			c = '1';
		else if (c == 'O')
			c = '0';
		if (!c || !strchr(B32, c) || n + 1 >= RCN_ITEM_ID_MAX - 1)
			return false;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n > ID_MIN && check_symbol(out, n - 1) == out[n - 1];
}

int rcn_age_band(int age_days)
{
	return age_days <= 3 ? 0 : age_days <= 7 ? 1 : age_days <= 30 ? 2 : 3;
}

const char *rcn_age_band_label(int band)
{
	static const char *const LABEL[RCN_AGE_BANDS] = {"0–3", "4–7", "8–30", ">30"};
	return band >= 0 && band < RCN_AGE_BANDS ? LABEL[band] : "?";
}

void rcn_open_item_cells(const rcn_open_item *it, rcn_open_item_text *t, const char *cells[RCN_OPEN_ITEM_CELLS])
{
	t->diff[0] = t->due[0] = t->awaiting[0] = '\0';
	if (it->has_difference) /* a fee keeps its 5 decimals, as in discrepancies.csv */
		rcn_money_format(t->diff, sizeof t->diff, it->difference,
				 it->kind == RCN_K_FEE_MISMATCH ? RCN_SCALE_FEE : RCN_SCALE_FEN);
	rcn_date_format(t->first, it->first_seen);
	rcn_money_format(t->age, sizeof t->age, it->age_days, 0); /* scale 0: the integer, without printf */
	if (it->due_by)
		rcn_date_format(t->due, it->due_by);
	if (it->approval_by && *it->approval_by)
		snprintf(t->awaiting, sizeof t->awaiting, "written_off (asked by %s)", it->approval_by);
	const char *reason_cn = rcn_reason_cn(it->kind, it->reason);
	const char *v[RCN_OPEN_ITEM_CELLS] = {it->id,
					      rcn_kind_name(it->kind),
					      rcn_kind_name_cn(it->kind),
					      it->reason,
					      reason_cn,
					      it->channel,
					      it->merchant_id,
					      it->order_no,
					      it->refund_no,
					      it->channel_txn_id,
					      t->diff,
					      it->first_seen ? t->first : "",
					      t->age,
					      t->due,
					      it->overdue ? "yes" : "",
					      rcn_item_status_name(it->status),
					      rcn_item_status_cn(it->status),
					      it->owner,
					      it->note,
					      it->last_change,
					      it->changed_by,
					      t->awaiting};
	for (int c = 0; c < RCN_OPEN_ITEM_CELLS; c++)
		cells[c] = v[c] ? v[c] : "";
}

bool rcn_open_item_cell_is_number(int c)
{
	return c == 10 || c == 12;
}

void rcn_book_cursor_open(rcn_book_cursor *c, const rcn_open_book *b)
{
	*c = (rcn_book_cursor){.b = b, .w = b && b->walk_open ? b->walk_open(b->walk_ctx) : NULL};
}

const rcn_open_item *rcn_book_cursor_next(rcn_book_cursor *c)
{
	if (c->w)
		return c->b->walk_next(c->w);
	return c->b && c->b->items && c->i < c->b->n ? &c->b->items[c->i++] : NULL;
}

void rcn_book_cursor_close(rcn_book_cursor *c)
{
	if (c->w)
		c->b->walk_close(c->w);
	c->w = NULL;
}
