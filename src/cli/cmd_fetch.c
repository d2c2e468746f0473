/* recon fetch: download and verify a date's statements into the spool, without
 * reconciling them (the next `recon run` of the date reuses them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "recon/config.h"
#include "recon/fetch.h"
#include "run/sources.h"

void rcn_cmd_fetch_help(void)
{
	printf("usage: recon fetch [--date YYYY-MM-DD] [--config FILE] [--channel NAME]... [--refetch]\n\n"
	       "Downloads each source's statement for the date from the channel's API (or its https:// or\n"
	       "sftp:// location), verifies signatures and digests, and keeps it under\n"
	       "spool/<date>/<source>/ with a manifest.json. Nothing is reconciled.\n\n"
	       "  --date D        business date (default: yesterday in the configured time zone)\n"
	       "  --config FILE   configuration (default: $RECON_CONFIG, else ./recon.conf)\n"
	       "  --channel NAME  only the sources with this name or channel (repeatable)\n"
	       "  --refetch       download again even when the spool already has the statement\n\n"
	       "Exit status: 0 every statement fetched and verified, 3 some could not be, 2 usage error.\n");
}

int rcn_cmd_fetch(int argc, char **argv)
{
	const char *config = getenv("RECON_CONFIG"), *date = NULL, *only[64];
	size_t n_only = 0;
	bool refetch = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--refetch") == 0) {
			refetch = true;
			continue;
		}
		if (i + 1 >= argc ||
		    (strcmp(argv[i], "--date") && strcmp(argv[i], "--config") && strcmp(argv[i], "--channel")))
			return rcn_cli_usage_error("fetch: unknown option '%s' (see recon fetch --help)", argv[i]);
		const char *v = argv[++i];
		if (strcmp(argv[i - 1], "--date") == 0)
			date = v;
		else if (strcmp(argv[i - 1], "--config") == 0)
			config = v;
		else if (n_only < sizeof(only) / sizeof(only[0]))
			only[n_only++] = v;
		else
			return rcn_cli_usage_error("fetch: too many --channel options");
	}
	rcn_config *cfg = NULL;
	rcn_err err;
	char why[1200], d[11];
	if (rcn_config_load(&cfg, config ? config : "recon.conf", &err)) {
		fprintf(stderr, "recon: %s\n", rcn_err_format(&err, why, sizeof(why)));
		return RCN_EXIT_USAGE;
	}
	rcn_date day;
	int status = RCN_EXIT_CLEAN;
	if (date ? rcn_date_parse(&day, date, strlen(date), &err) != RCN_OK : false) {
		rcn_config_free(cfg);
		return rcn_cli_usage_error("fetch: --date: %s", err.msg);
	}
	if (!date)
		day = rcn_cli_yesterday(cfg->timezone);
	rcn_date_format(d, day);
	rcn_fetch_global_init();
	size_t fetched = 0;
	for (size_t i = 0; i < cfg->n_sources; i++) {
		const rcn_source_conf *s = &cfg->sources[i];
		bool wanted = !n_only;
		for (size_t k = 0; k < n_only; k++)
			wanted |= strcmp(only[k], s->name) == 0 || strcmp(only[k], s->channel) == 0;
		if (!wanted || !rcn_config_source_remote(s))
			continue;
		rcn_source_job job;
		rcn_fetch_result fr;
		rcn_source_job_init(&job, cfg, s, day, NULL);
		job.refetch = refetch;
		fetched++;
		if (rcn_source_fetch(&job, &fr)) {
			if (fr.warning[0])
				fprintf(stderr, "recon: %s: [source %s] warning: %s\n", d, s->name, fr.warning);
			printf("%s: [source %s] %s %s (%llu bytes, sha256 %s%s%s)\n", d, s->name,
			       fr.from_spool ? "already in the spool:" : "fetched", job.path,
			       (unsigned long long)fr.bytes, fr.sha256, fr.channel_digest[0] ? ", channel digest " : "",
			       fr.channel_digest[0] ? (fr.digest_ok ? "ok" : "MISMATCH") : "");
		} else if (job.no_bill) {
			printf("%s: [source %s] the channel has no statement for this date\n", d, s->name);
		} else {
			fprintf(stderr, "recon: %s: [source %s] %s\n", d, s->name,
				rcn_err_format(&job.res.reason, why, sizeof(why)));
			status = RCN_EXIT_INPUT;
		}
		rcn_source_job_free(&job);
	}
	if (!fetched)
		fprintf(stderr, "recon: %s: no source downloads anything (no api, https:// or sftp:// location)\n", d);
	rcn_config_free(cfg);
	return status;
}
