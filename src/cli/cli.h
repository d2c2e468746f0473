/* The recon command line: one cmd_<name>.c per subcommand, dispatched from main.c. */
#ifndef RECON_CLI_H
#define RECON_CLI_H

/* Exit codes: DESIGN.md §3. */
enum {
	RCN_EXIT_CLEAN = 0,
	RCN_EXIT_FINDINGS = 1,
	RCN_EXIT_USAGE = 2,
	RCN_EXIT_INPUT = 3,
	RCN_EXIT_DB = 4,
	RCN_EXIT_UNPUBLISHED = 5, /* committed; the reports wait to be swapped in (README) */
};

typedef struct {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*help)(void);
} rcn_command;

int rcn_cmd_run(int argc, char **argv);
void rcn_cmd_run_help(void);
int rcn_cmd_merge(int argc, char **argv);
void rcn_cmd_merge_help(void);
int rcn_cmd_check(int argc, char **argv);
int rcn_cmd_fetch(int argc, char **argv);
void rcn_cmd_fetch_help(void);
void rcn_cmd_check_help(void);
int rcn_cmd_calendar(int argc, char **argv);
void rcn_cmd_calendar_help(void);
int rcn_cmd_status(int argc, char **argv);
void rcn_cmd_status_help(void);
int rcn_cmd_items(int argc, char **argv);
void rcn_cmd_items_help(void);
int rcn_cmd_user(int argc, char **argv);
void rcn_cmd_user_help(void);
int rcn_cmd_serve(int argc, char **argv);
void rcn_cmd_serve_help(void);

/* Yesterday in the business time zone: the default --date. */
#include "recon/date.h"
rcn_date rcn_cli_yesterday(const char *tz);

/* Prints "recon: <msg>" to stderr and returns RCN_EXIT_USAGE. */
int rcn_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* libpq's own parse of [ledger] conninfo, before anything runs: RCN_EXIT_CLEAN,
 * or RCN_EXIT_USAGE after "recon: FILE:LINE: bad value for 'conninfo': why". */
#include "recon/config.h"
int rcn_cli_check_conninfo(const rcn_config *cfg);
/* The configuration (config, else $RECON_CONFIG, else ./recon.conf) loaded
 * and its conninfo checked: RCN_EXIT_CLEAN with *out to free, or
 * RCN_EXIT_USAGE after saying why (*out NULL). */
int rcn_cli_open_config(const char *config, rcn_config **out);

#endif
