/* recon run: reconcile one business date, or a range oldest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "recon/config.h"
#include "recon/fetch.h"
#include "recon/run.h"

void rcn_cmd_run_help(void)
{
	printf("usage: recon run [--date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD]\n"
	       "                 [--config FILE] [--channel NAME]... [--out DIR] [--jobs N] [--dry-run] [--refetch]\n"
	       "                 [--log-format text|json] [--metrics FILE] [--timings] [--memory SIZE]\n"
	       "                 [--shard I/N]\n\n"
	       "Reconciles every configured statement source of a business date against the ledger,\n"
	       "writes reports/<date>/{discrepancies,pending,summary,quarantine}.csv and stores the\n"
	       "results in PostgreSQL. Running a date again replaces its results.\n\n"
	       "  --date D        business date (default: yesterday in the configured time zone)\n"
	       "  --from D --to E run every date from D to E, oldest first\n"
	       "  --config FILE   configuration (default: $RECON_CONFIG, else ./recon.conf)\n"
	       "  --channel NAME  only the sources with this name or channel (repeatable)\n"
	       "  --out DIR       write reports under DIR instead of [run] reports\n"
	       "  --jobs N        parallel statement parsing (1..64; default: cores)\n"
	       "  --dry-run       reconcile and write reports, but commit nothing to the database\n"
	       "  --refetch       download statements again even when the spool already has them\n"
	       "  --log-format F  text (default) or json: one {\"level\",\"date\",\"source\",\"msg\"} object a line\n"
	       "  --timings       log one more line per date: the wall time of each stage and the\n"
	       "                  CPU time of each statement's parse (for the benchmark and tuning)\n"
	       "  --metrics FILE  after every date, write Prometheus metrics for node_exporter's textfile\n"
	       "                  collector to FILE (atomically; default: [run] metrics, else none)\n"
	       "  --memory SIZE   the night's memory budget (1GB, 800MB; default [run] memory, else half the\n"
	       "                  machine): a night that would need more is reconciled in parts, one after\n"
	       "                  another, their rows spilled under the spool; the same reports and rows\n"
	       "  --shard I/N     reconcile only part I (0..N-1) of the date's orders (a Slurm array task,\n"
	       "                  a Kubernetes completion index) and store it for recon merge --shards N;\n"
	       "                  publishes nothing. Every shard reads every statement file and 1/N of the\n"
	       "                  ledger window. Exit 0 once stored.\n\n"
	       "Exit status: 0 reconciled, no discrepancies; 1 discrepancies found; 2 usage or\n"
	       "configuration error; 3 a statement could not be read or parsed (the rest was\n"
	       "reconciled); 4 database error, nothing committed; 5 reconciled and committed, but the\n"
	       "reports could not be swapped into place (the next run or recon status publishes them).\n");
}

static int severity(int code)
{
	static const int rank[] = {0, 1, 5, 2, 4, 3}; /* 0 < 1 < 3 < 5 < 4 < 2 */
	return code >= 0 && code <= 5 ? rank[code] : 6;
}

rcn_date rcn_cli_yesterday(const char *tz)
{
	/* Business dates are in the configured zone, not the machine's. */
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	setenv("TZ", tz, 1);
	tzset();
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	if (old) {
		setenv("TZ", old, 1);
		free(old);
	} else {
		unsetenv("TZ");
	}
	tzset();
	return rcn_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) - 1;
}

void rcn_cmd_merge_help(void)
{
	printf("usage: recon merge --date YYYY-MM-DD --shards N [--config FILE] [--out DIR] [--jobs N]\n"
	       "                   [--log-format text|json] [--metrics FILE] [--timings]\n\n"
	       "Combines the N shards of a business date (recon run --date D --shard I/N, I = 0..N-1)\n"
	       "into the date's night: checks that every shard finished and read the same statement\n"
	       "files with the same configuration and rules as this merge, then writes the reports\n"
	       "and commits the results exactly as one recon run --date D would. A missing, failed,\n"
	       "unfinished or mismatched shard makes it refuse, naming the shard: exit 4, nothing\n"
	       "published. Exit status otherwise as recon run's.\n");
}

static int run_main(int argc, char **argv, bool merge);

int rcn_cmd_run(int argc, char **argv)
{
	return run_main(argc, argv, false);
}

int rcn_cmd_merge(int argc, char **argv)
{
	return run_main(argc, argv, true);
}

/* "I/N" with 0 <= I < N <= 4096; false otherwise. */
static bool parse_shard(const char *v, int *i, int *n)
{
	char *end;
	long a = strtol(v, &end, 10);
	if (end == v || *end != '/' || a < 0)
		return false;
	const char *p = end + 1;
	long b = strtol(p, &end, 10);
	if (end == p || *end || b < 1 || b > 4096 || a >= b)
		return false;
	*i = (int)a;
	*n = (int)b;
	return true;
}

static int run_main(int argc, char **argv, bool merge)
{
	const char *cmd = merge ? "merge" : "run";
	const char *config = getenv("RECON_CONFIG"), *date = NULL, *from = NULL, *to = NULL;
	const char *only[64];
	size_t n_only = 0;
	rcn_run_opts opts;
	memset(&opts, 0, sizeof(opts));

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if (strcmp(a, "--dry-run") == 0) {
			opts.dry_run = true;
			continue;
		}
		if (strcmp(a, "--refetch") == 0) {
			opts.refetch = true;
			continue;
		}
		if (strcmp(a, "--timings") == 0) {
			opts.timings = true;
			continue;
		}
		bool run_only = strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0 || strcmp(a, "--channel") == 0 ||
				strcmp(a, "--shard") == 0;
		if ((strcmp(a, "--date") && strcmp(a, "--from") && strcmp(a, "--to") && strcmp(a, "--config") &&
		     strcmp(a, "--channel") && strcmp(a, "--out") && strcmp(a, "--jobs") && strcmp(a, "--log-format") &&
		     strcmp(a, "--metrics") && strcmp(a, "--shard") && strcmp(a, "--shards") &&
		     strcmp(a, "--memory")) ||
		    (merge && run_only) || (!merge && strcmp(a, "--shards") == 0))
			return rcn_cli_usage_error("%s: unknown option '%s' (see recon %s --help)", cmd, a, cmd);
		if (!has_value)
			return rcn_cli_usage_error("%s: option %s needs a value", cmd, a);
		const char *v = argv[++i];
		if (strcmp(a, "--memory") == 0) {
			if (!rcn_config_parse_size(v, &opts.memory))
				return rcn_cli_usage_error("%s: --memory must be a size such as 1GB or 800MB, not '%s'",
							   cmd, v);
		} else if (strcmp(a, "--shard") == 0) {
			if (!parse_shard(v, &opts.shard, &opts.shards))
				return rcn_cli_usage_error("run: --shard must be I/N with 0 <= I < N <= 4096, not '%s'",
							   v);
		} else if (strcmp(a, "--shards") == 0) {
			char *end;
			long n = strtol(v, &end, 10);
			if (end == v || *end || n < 1 || n > 4096)
				return rcn_cli_usage_error(
					"merge: --shards must be a whole number from 1 to 4096, not '%s'", v);
			opts.shards = (int)n;
			opts.shard = -1;
		} else if (strcmp(a, "--date") == 0)
			date = v;
		else if (strcmp(a, "--from") == 0)
			from = v;
		else if (strcmp(a, "--to") == 0)
			to = v;
		else if (strcmp(a, "--config") == 0)
			config = v;
		else if (strcmp(a, "--out") == 0)
			opts.out_dir = v;
		else if (strcmp(a, "--metrics") == 0)
			opts.metrics_path = v;
		else if (strcmp(a, "--log-format") == 0) {
			if (strcmp(v, "text") && strcmp(v, "json"))
				return rcn_cli_usage_error("run: --log-format must be text or json, not '%s'", v);
			opts.log_json = strcmp(v, "json") == 0;
		} else if (strcmp(a, "--channel") == 0) {
			if (n_only == sizeof(only) / sizeof(only[0]))
				return rcn_cli_usage_error("run: too many --channel options");
			only[n_only++] = v;
		} else {
			char *end;
			long jobs = strtol(v, &end, 10);
			if (*end || jobs < 1 || jobs > 64)
				return rcn_cli_usage_error("run: --jobs must be a whole number from 1 to 64, not '%s'",
							   v);
			opts.jobs = (int)jobs;
		}
	}
	if (merge && (!date || !opts.shards))
		return rcn_cli_usage_error("merge: --date and --shards are required");
	if (opts.shards && !merge && (!date || opts.dry_run))
		return rcn_cli_usage_error("run: --shard needs --date, and cannot be a --dry-run");
	if (merge && opts.dry_run)
		return rcn_cli_usage_error("merge: --dry-run is not supported");
	if (date && (from || to))
		return rcn_cli_usage_error("run: --date cannot be combined with --from/--to");
	if ((from != NULL) != (to != NULL))
		return rcn_cli_usage_error("run: --from and --to go together");

	rcn_config *cfg = NULL;
	rcn_err err;
	char why[1200];
	if (rcn_config_load(&cfg, config ? config : "recon.conf", &err)) {
		fprintf(stderr, "recon: %s\n", rcn_err_format(&err, why, sizeof(why)));
		return RCN_EXIT_USAGE;
	}
	rcn_date first, last;
	int status = RCN_EXIT_USAGE;
	if (rcn_cli_check_conninfo(cfg) != RCN_EXIT_CLEAN)
		goto cleanup;
	if (date || !from) {
		if (date && rcn_date_parse(&first, date, strlen(date), &err)) {
			rcn_cli_usage_error("run: --date: %s", err.msg);
			goto cleanup;
		}
		if (!date)
			first = rcn_cli_yesterday(cfg->timezone);
		last = first;
	} else {
		if (rcn_date_parse(&first, from, strlen(from), &err) || rcn_date_parse(&last, to, strlen(to), &err)) {
			rcn_cli_usage_error("run: %s", err.msg);
			goto cleanup;
		}
		if (last < first) {
			rcn_cli_usage_error("run: --to %s is before --from %s", to, from);
			goto cleanup;
		}
		if (last - first > 366) {
			rcn_cli_usage_error("run: a range is at most 367 days");
			goto cleanup;
		}
	}

	rcn_fetch_global_init(); /* before any parsing thread downloads */
	opts.cfg = cfg;
	opts.only = only;
	opts.n_only = n_only;
	opts.log = stderr;
	status = RCN_EXIT_CLEAN;
	for (rcn_date d = first; d <= last; d++) {
		rcn_run_result res;
		opts.day = d;
		rcn_run_date(&opts, &res);
		if (res.reports_path[0])
			printf("reports: %s\n", res.reports_path);
		if (severity(res.exit_code) > severity(status))
			status = res.exit_code;
		if (res.exit_code == RCN_EXIT_DB || res.exit_code == RCN_EXIT_USAGE)
			break; /* later dates depend on this one's suspense */
	}
cleanup:
	rcn_config_free(cfg);
	return status;
}
