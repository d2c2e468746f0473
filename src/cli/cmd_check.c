/* recon check FILE...: parse statement files without a database and print,
 * per file, the format, counts, totals and the control-total verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "recon/channel.h"
#include "recon/money.h"
#include "recon/parse.h"

/* The built-in channels and their bills, as the registry lists them:
 * "wechat (default), alipay, unionpay" and "trade (default), fundflow (wechat) or account (alipay)". */
static void print_channel_options(void)
{
	const char *sep = "";
	printf("  --channel NAME   ");
	for (size_t i = 0; i < rcn_channel_count(); i++, sep = ", ")
		printf("%s%s%s", sep, rcn_channel_at(i)->name, i == 0 ? " (default)" : "");
	printf(", or a profile name\n  --bill BILL      %s (default)", RCN_BILL_DEFAULT);
	const rcn_channel *last_ch = NULL;
	const rcn_bill *last = NULL;
	for (size_t i = 0; i < rcn_channel_count(); i++)
		for (size_t j = 0; j < RCN_CHANNEL_MAX_BILLS && rcn_channel_at(i)->bills[j].name; j++) {
			const rcn_bill *b = &rcn_channel_at(i)->bills[j];
			if (strcmp(b->name, RCN_BILL_DEFAULT) != 0) {
				if (last)
					printf(", %s (%s)", last->name, last_ch->name);
				last = b;
				last_ch = rcn_channel_at(i);
			}
		}
	if (last)
		printf(" or %s (%s)", last->name, last_ch->name);
	printf("\n");
}

void rcn_cmd_check_help(void)
{
	printf("usage: recon check [--channel NAME] [--bill BILL] [--profile FILE] [--date YYYY-MM-DD] FILE...\n\n"
	       "Parses each statement file (plain, gzip or zip) without touching a database and prints\n"
	       "one line per file: format, rows, payments, refunds, total amount, total fee (or, for a\n"
	       "fund-flow bill, its movements), and totals=ok or the reason the file would be rejected.\n"
	       "Unparseable rows are listed on stderr as FILE:LINE: reason.\n\n");
	print_channel_options();
	printf("  --profile FILE   the profile of a bank or aggregator format (rules/channels/NAME.conf);\n"
	       "                   --channel NAME alone looks for rules/channels/NAME.conf\n"
	       "  --date D         the statement's business date (UnionPay times have no year; default:\n"
	       "                   the date in the file name, e.g. 802310048993424_20150905.zip)\n\n"
	       "Exit status: 0 every file is usable, 3 some file would be rejected, 2 usage error.\n");
}

/* The first bad rows of a file, then how many more: a file of millions of
 * bad rows does not flood the terminal (the run lists as many). */
#define LISTED 1000

static void print_bad_row(void *ctx, const char *file, long line, const char *reason)
{
	long *n = ctx;
	if (++*n <= LISTED)
		fprintf(stderr, "%s:%ld: %s\n", file, line, reason);
}

/* The first _YYYYMMDD in a file name, as UnionPay and Alipay name their archives. */
static rcn_date date_from_name(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	for (const char *p = strchr(base, '_'); p; p = strchr(p + 1, '_')) {
		char iso[11];
		rcn_date d;
		if (strlen(p) < 9)
			break;
		snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", p + 1, p + 5, p + 7);
		if (rcn_date_parse(&d, iso, 10, NULL) == RCN_OK)
			return d;
	}
	return 0;
}

static void print_result(const char *file, const rcn_stmt_result *res)
{
	char a[32], b[32], c[32], why[1200];
	printf("%s: format=%s rows=%ld ", file, res->format[0] ? res->format : "unknown", res->rows);
	if (res->movements && !res->payments && !res->refunds)
		printf("movements=%ld in=%s out=%s ", res->movements,
		       rcn_money_format(a, sizeof(a), res->movement_in_fen, 2),
		       rcn_money_format(b, sizeof(b), res->movement_out_fen, 2));
	else
		printf("payments=%ld refunds=%ld amount=%s refund_amount=%s fee=%s ", res->payments, res->refunds,
		       rcn_money_format(a, sizeof(a), res->amount_fen, 2),
		       rcn_money_format(b, sizeof(b), res->refund_fen, 2), rcn_money_format(c, sizeof(c), res->fee, 5));
	if (res->rejected)
		printf("totals=REJECTED: %s\n", rcn_err_format(&res->reason, why, sizeof(why)));
	else
		printf("totals=ok\n");
}

int rcn_cmd_check(int argc, char **argv)
{
	const char *channel = rcn_channel_at(0)->name, *bill = RCN_BILL_DEFAULT, *profile_path = NULL, *date = NULL;
	int first = 1, status = RCN_EXIT_CLEAN;
	rcn_profile *profile = NULL;
	rcn_date day = 0;
	rcn_err err;
	char why[1200], path[4096];

	while (first < argc && strncmp(argv[first], "--", 2) == 0) {
		const char *opt = argv[first];
		if (strcmp(opt, "--") == 0) {
			first++;
			break;
		}
		if (first + 1 >= argc || (strcmp(opt, "--channel") && strcmp(opt, "--bill") &&
					  strcmp(opt, "--profile") && strcmp(opt, "--date")))
			return rcn_cli_usage_error("check: unknown option '%s' (see recon check --help)", opt);
		const char *v = argv[first + 1];
		if (strcmp(opt, "--channel") == 0)
			channel = v;
		else if (strcmp(opt, "--bill") == 0)
			bill = v;
		else if (strcmp(opt, "--profile") == 0)
			profile_path = v;
		else
			date = v;
		first += 2;
	}
	if (first >= argc)
		return rcn_cli_usage_error("check: no statement file given (see recon check --help)");
	if (date && rcn_date_parse(&day, date, strlen(date), &err))
		return rcn_cli_usage_error("check: --date: %s", err.msg);
	if (!rcn_channel_find(channel) && !profile_path) { /* not built in: a profile */
		const char *rules = getenv("RECON_RULES") ? getenv("RECON_RULES") : RECON_RULES_DIR;
		snprintf(path, sizeof(path), "%s/channels/%s.conf", rules, channel);
		profile_path = path;
	}
	if (profile_path && rcn_profile_load(&profile, profile_path, &err)) {
		fprintf(stderr, "recon: %s\n", rcn_err_format(&err, why, sizeof(why)));
		return RCN_EXIT_USAGE;
	}
	if (profile)
		channel = rcn_profile_name(profile);

	for (int i = first; i < argc; i++) {
		rcn_stmt_result res;
		rcn_stmt_kind kind = {channel, bill, profile, day ? day : date_from_name(argv[i]), true};
		long bad = 0;
		rcn_stmt_parse(argv[i], argv[i], &kind, NULL, print_bad_row, &bad, &res, NULL);
		if (bad > LISTED)
			fprintf(stderr, "%s: %ld more rows could not be parsed (the first %d are listed)\n", argv[i],
				bad - LISTED, LISTED);
		print_result(argv[i], &res);
		if (res.rejected)
			status = RCN_EXIT_INPUT;
	}
	rcn_profile_free(profile);
	return status;
}
