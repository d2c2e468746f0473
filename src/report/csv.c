/* CSV cells for Excel: RFC 4180 quoting, and formula injection neutralised
 * in text cells (a merchant-controlled field must never run as a formula). */
#include <stdio.h>
#include <string.h>

#include "recon/money.h"
#include "recon/report.h"

/* A cell is quoted when it holds a separator, a quote or a line end, or
 * starts like a formula (then also neutralised with an apostrophe). */
static bool starts_formula(const char *s)
{
	return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
}

static bool needs_quote(const char *s, bool *formula)
{
	*formula = starts_formula(s);
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
	if (!*s)
		return;
	/* one pass: the run before the first character that needs quoting is
	 * the whole cell when there is none */
	bool formula = starts_formula(s);
	size_t plain = strcspn(s, ",\"\r\n");
	if (!formula && !s[plain]) {
		(void)rcn_buf_append(b, s, plain);
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
