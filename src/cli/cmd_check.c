/* recon check FILE...: parse statement files without a database and print,
 * per file, the format, counts, totals and the control-total verdict. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "recon/money.h"
#include "recon/parse.h"

void rcn_cmd_check_help(void)
{
	printf("usage: recon check [--channel NAME] FILE...\n\n"
	       "Parses each statement file (plain or gzip) without touching a database and prints one\n"
	       "line per file: format, rows, payments, refunds, total amount, total fee, and\n"
	       "totals=ok or the reason the file would be rejected. Unparseable rows are listed\n"
	       "on stderr as FILE:LINE: reason.\n\n"
	       "  --channel NAME   statement format to expect (default: wechat)\n\n"
	       "Exit status: 0 every file is usable, 3 some file would be rejected, 2 usage error.\n");
}

static void print_bad_row(void *ctx, const char *file, long line, const char *reason)
{
	(void)ctx;
	fprintf(stderr, "%s:%ld: %s\n", file, line, reason);
}

int rcn_cmd_check(int argc, char **argv)
{
	const char *channel = "wechat";
	int first = 1, status = RCN_EXIT_CLEAN;

	while (first < argc && strncmp(argv[first], "--", 2) == 0) {
		if (strcmp(argv[first], "--channel") == 0 && first + 1 < argc) {
			channel = argv[first + 1];
			first += 2;
		} else if (strcmp(argv[first], "--") == 0) {
			first++;
			break;
		} else {
			return rcn_cli_usage_error("check: unknown option '%s' (see recon check --help)", argv[first]);
		}
	}
	if (strcmp(channel, "wechat") != 0)
		return rcn_cli_usage_error("check: unsupported channel '%s' (supported: wechat)", channel);
	if (first >= argc)
		return rcn_cli_usage_error("check: no statement file given (see recon check --help)");

	for (int i = first; i < argc; i++) {
		rcn_stmt_result res;
		char amount[32], refunds[32], fee[32], why[1200];
		rcn_stmt_parse_file(argv[i], argv[i], channel, NULL, print_bad_row, NULL, &res, NULL);
		printf("%s: format=%s rows=%ld payments=%ld refunds=%ld amount=%s refund_amount=%s fee=%s ", argv[i],
		       res.format[0] ? res.format : "unknown", res.rows, res.payments, res.refunds,
		       rcn_money_format(amount, sizeof(amount), res.amount_fen, 2),
		       rcn_money_format(refunds, sizeof(refunds), res.refund_fen, 2),
		       rcn_money_format(fee, sizeof(fee), res.fee, 5));
		if (res.rejected) {
			printf("totals=REJECTED: %s\n", rcn_err_format(&res.reason, why, sizeof(why)));
			status = RCN_EXIT_INPUT;
		} else {
			printf("totals=ok\n");
		}
	}
	return status;
}
