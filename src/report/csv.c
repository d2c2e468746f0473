/* CSV cells for Excel: RFC 4180 quoting, and formula injection neutralised
 * in text cells (a merchant-controlled field must never run as a formula). */
#include <stdio.h>
#include <string.h>

#include "recon/money.h"
#include "recon/report.h"

void rcn_csv_text(FILE *f, const char *s)
{
	bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
	bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

void rcn_csv_money(FILE *f, int64_t v, int scale)
{
	char buf[32];
	fputs(rcn_money_format(buf, sizeof(buf), v, scale), f);
}
