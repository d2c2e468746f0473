/* CSV cells for Excel: RFC 4180 quoting, and formula injection neutralised
 * in text cells (a merchant-controlled field must never run as a formula). */
#include <stdio.h>
#include <string.h>

#include "recon/money.h"
#include "recon/report.h"

/* A cell is quoted when it holds a separator, a quote or a line end, or
 * starts like a formula (then also neutralised with an apostrophe). */
static bool needs_quote(const char *s, bool *formula)
{
	*formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
	return *formula || strpbrk(s, ",\"\r\n") != NULL;
}

void rcn_csv_text(FILE *f, const char *s)
{
	bool formula;
	if (!needs_quote(s, &formula)) {
		fputs(s, f);
		return;
	}
	rcn_buf b; /* a quoted cell: built as in a line, then written */
	rcn_buf_init(&b, SIZE_MAX);
	rcn_csv_text_buf(&b, s);
	fwrite(b.data ? b.data : "", 1, b.len, f);
	rcn_buf_free(&b);
}

void rcn_csv_text_buf(rcn_buf *b, const char *s)
{
	bool formula;
	if (!needs_quote(s, &formula)) {
		(void)rcn_buf_append(b, s, strlen(s));
		return;
	}
	(void)rcn_buf_append(b, formula ? "\"'" : "\"", formula ? 2 : 1);
	/* runs between quotes appended whole, each quote twice (the end of one
	 * run and the start of the next) */
	const char *run = s, *p = s;
	for (; *p; p++)
		if (*p == '"') {
			(void)rcn_buf_append(b, run, (size_t)(p - run) + 1);
			run = p;
		}
	(void)rcn_buf_append(b, run, (size_t)(p - run));
	(void)rcn_buf_append(b, "\"", 1);
}

void rcn_csv_money(FILE *f, int64_t v, int scale)
{
	char buf[32];
	fputs(rcn_money_format(buf, sizeof(buf), v, scale), f);
}

void rcn_csv_money_buf(rcn_buf *b, int64_t v, int scale)
{
	char buf[32];
	const char *s = rcn_money_format(buf, sizeof(buf), v, scale);
	(void)rcn_buf_append(b, s, strlen(s));
}

static bool counts_money(const rcn_finding *f, bool ledger)
{
	const char *st = ledger ? f->ledger_status : f->channel_status;
	if (ledger && f->rec_type == RCN_REC_PAYMENT)
		return strcmp(st, "PAID") == 0 || strcmp(st, "REFUNDED") == 0 || strcmp(st, "PARTIALLY_REFUNDED") == 0;
	return strcmp(st, "SUCCESS") == 0;
}

/* channel minus ledger, counting only money each side says moved; the extra
 * charge for a double charge; the debited amount for an auto-debit rule
 * broken (DESIGN.md §3); nothing for a duplicated listing. */
bool rcn_finding_difference(const rcn_finding *f, int64_t *out)
{
	if (f->kind == RCN_K_DUPLICATE_RECORD || (!f->has_channel_amount && !f->has_ledger_amount))
		return false;
	if (f->kind == RCN_K_DOUBLE_CHARGE || f->kind == RCN_K_DEBIT_AFTER_TERMINATION ||
	    f->kind == RCN_K_DEBIT_OVER_LIMIT || f->kind == RCN_K_DEBIT_TOO_FREQUENT) {
		*out = f->channel_amount;
		return true;
	}
	int64_t c = f->has_channel_amount && counts_money(f, false) ? f->channel_amount : 0;
	int64_t l = f->has_ledger_amount && counts_money(f, true) ? f->ledger_amount : 0;
	*out = c - l;
	return true;
}
