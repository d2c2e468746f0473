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

/* Per kind, the quantity and its sides (the table in README.md):
 *   money collected   channel money that moved - ledger money it counts
 *                     (a status the side does not count moved nothing)
 *   currency          the channel's collected amount: the ledger counts
 *                     nothing in that currency (never compared as amounts)
 *   extra charge      DOUBLE_CHARGE: the charge beyond the first
 *   debited amount    the auto-debit kinds: the debit that broke the contract
 *   fee               FEE_MISMATCH: channel fee - expected fee, 1e-5 yuan
 *   money credited    SETTLEMENT_MISMATCH: arrived - expected; none when late
 *                     (it all arrived: the date is the discrepancy)
 * A maker that knows better sets has_difference (a refund's excess). */
bool rcn_finding_delta(const rcn_finding *f, int64_t *out, int *scale)
{
	*scale = f->kind == RCN_K_FEE_MISMATCH ? RCN_SCALE_FEE : RCN_SCALE_FEN;
	if (f->has_difference) {
		*out = f->difference;
		return true;
	}
	int64_t c = f->has_channel_amount && counts_money(f, false) ? f->channel_amount : 0;
	int64_t l = f->has_ledger_amount && counts_money(f, true) ? f->ledger_amount : 0;
	switch (f->kind) {
	case RCN_K_DUPLICATE_RECORD:
		return false;
	case RCN_K_FEE_MISMATCH:
		*out = f->channel_fee - f->expected_fee;
		return f->has_channel_fee && f->has_expected_fee;
	case RCN_K_SETTLEMENT_MISMATCH:
		*out = (f->has_channel_amount ? f->channel_amount : 0) - f->ledger_amount;
		return f->has_ledger_amount && strcmp(f->reason, "late") != 0;
	case RCN_K_CURRENCY_MISMATCH:
		*out = c ? c : -l;
		return f->has_channel_amount || f->has_ledger_amount;
	case RCN_K_DOUBLE_CHARGE:
	case RCN_K_DEBIT_AFTER_TERMINATION:
	case RCN_K_DEBIT_OVER_LIMIT:
	case RCN_K_DEBIT_TOO_FREQUENT:
		*out = f->channel_amount;
		return f->has_channel_amount;
	default:
		*out = c - l;
		return f->has_channel_amount || f->has_ledger_amount;
	}
}

bool rcn_finding_difference(const rcn_finding *f, int64_t *out)
{
	int scale;
	if (!rcn_finding_delta(f, out, &scale))
		return false;
	if (scale == RCN_SCALE_FEE) {
		int64_t units = RCN_FEE_UNITS_PER_FEN, mag = *out < 0 ? -*out : *out;
		mag = (mag + units - 1) / units;
		*out = *out < 0 ? -mag : mag;
	}
	return true;
}
