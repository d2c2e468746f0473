/* recon's entry point: the command table, --help and --version. */
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "recon/common.h"
#include "recon/db.h"

static const rcn_command commands[] = {
	{"run", "reconcile one business date (or a range) and write the reports", rcn_cmd_run, rcn_cmd_run_help},
	{"merge", "combine the N shards of a business date (recon run --shard) into its night", rcn_cmd_merge,
	 rcn_cmd_merge_help},
	{"fetch", "download and verify a date's statements into the spool", rcn_cmd_fetch, rcn_cmd_fetch_help},
	{"check", "parse statement files without a database and print their totals", rcn_cmd_check, rcn_cmd_check_help},
	{"status", "the last runs, their outcome, and the dates that need a re-run", rcn_cmd_status,
	 rcn_cmd_status_help},
	{"calendar", "the Nth working day (T+N) or natural day (D+N) after a date", rcn_cmd_calendar,
	 rcn_cmd_calendar_help},
	{"items", "the open items: list, resolve, approve a write-off, history, import from Excel", rcn_cmd_items,
	 rcn_cmd_items_help},
	{"user", "the workbench's people: add with a role, disable, change a password", rcn_cmd_user,
	 rcn_cmd_user_help},
	{"serve", "the workbench in the browser (log in; the pages of nights and items: to come)", rcn_cmd_serve,
	 rcn_cmd_serve_help},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: recon COMMAND [OPTIONS]\n\n"
		     "Nightly payment reconciliation: channel statements against the merchant ledger.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n"
		     "recon COMMAND --help shows a command's options; recon --version the version.\n\n"
		     "Exit codes: 0 reconciled, no discrepancies; 1 reconciled, discrepancies found;\n"
		     "2 usage or configuration error; 3 a statement could not be fetched, verified or\n"
		     "parsed (the rest was reconciled); 4 database error, nothing committed.\n\n"
		     "Re-run a date: recon run --date YYYY-MM-DD (it replaces that date's results; recon status\n"
		     "lists later dates to re-run). Add a bank or aggregator: describe its file in\n"
		     "rules/channels/NAME.conf (see rules/channels/README.md) and use channel = NAME.\n");
}

int rcn_cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("recon: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return RCN_EXIT_USAGE;
}

int rcn_cli_open_config(const char *config, rcn_config **out)
{
	const char *path = config ? config : getenv("RECON_CONFIG") ? getenv("RECON_CONFIG") : "recon.conf";
	rcn_err err;
	char why[1200];
	*out = NULL;
	if (rcn_config_load(out, path, &err)) {
		fprintf(stderr, "recon: %s\n", rcn_err_format(&err, why, sizeof why));
		return RCN_EXIT_USAGE;
	}
	if (rcn_cli_check_conninfo(*out) != RCN_EXIT_CLEAN) {
		rcn_config_free(*out);
		*out = NULL;
		return RCN_EXIT_USAGE;
	}
	return RCN_EXIT_CLEAN;
}

int rcn_cli_check_conninfo(const rcn_config *cfg)
{
	rcn_err err;
	if (rcn_db_check_conninfo(cfg->conninfo, &err) == RCN_OK)
		return RCN_EXIT_CLEAN;
	fprintf(stderr, "recon: %s:%ld: bad value for 'conninfo': %s\n", cfg->path, cfg->conninfo_line, err.msg);
	return RCN_EXIT_USAGE;
}

/* A night holds millions of rows in memory on several threads. glibc would
 * map every block past 128 KiB on its own and hand freed memory straight
 * back, and each unmap stops every other core for a TLB flush; above 64 MiB
 * (the growing row arrays) mapping stays, so those still grow in place. */
static void tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_TOP_PAD, 64 << 20);
}

int main(int argc, char **argv)
{
	tune_malloc();
	if (argc < 2) {
		usage(stderr);
		return RCN_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		if (argc > 2)
			for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
				if (strcmp(argv[2], commands[i].name) == 0) {
					commands[i].help();
					return RCN_EXIT_CLEAN;
				}
		usage(stdout);
		return RCN_EXIT_CLEAN;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("recon %s\n", RECON_VERSION);
		return RCN_EXIT_CLEAN;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		for (int a = 2; a < argc; a++)
			if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
				commands[i].help();
				return RCN_EXIT_CLEAN;
			}
		return commands[i].run(argc - 1, argv + 1);
	}
	return rcn_cli_usage_error("unknown command '%s' (see recon --help)", argv[1]);
}
