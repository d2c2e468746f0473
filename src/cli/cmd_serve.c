/* recon serve: the workbench (recon/serve.h) on the configuration's
 * database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "recon/config.h"
#include "recon/serve.h"

void rcn_cmd_serve_help(void)
{
	printf("usage: recon serve [--listen ADDRESS:PORT] [--config FILE] [--log-format text|json]\n\n"
	       "The workbench for finance staff, in the browser: the nights, the open items, search by\n"
	       "order, transaction or refund number, and acting on items (as `recon items` does). Log in\n"
	       "with a name and password (recon user add). Serves until SIGTERM or SIGINT, then lets the\n"
	       "requests in flight finish. Logs one line per request on standard error. /healthz answers\n"
	       "\"ok\" while the database does. TLS: [serve] cert and key, or a proxy in front (README:\n"
	       "the nginx snippet).\n\n"
	       "  --listen A:P       the address to listen on (default [serve] listen, else 127.0.0.1:8470)\n"
	       "  --config FILE      configuration (default: $RECON_CONFIG, else ./recon.conf)\n"
	       "  --log-format F     text (default) or json: one JSON object a line\n\n"
	       "Exit status: 0 stopped; 2 usage error or the address cannot be used; 4 database error.\n");
}

int rcn_cmd_serve(int argc, char **argv)
{
	const char *listen = NULL, *config = NULL, *log_format = "text";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			rcn_cmd_serve_help();
			return RCN_EXIT_CLEAN;
		}
		const char **opt = strcmp(argv[i], "--listen") == 0	  ? &listen
				   : strcmp(argv[i], "--config") == 0	  ? &config
				   : strcmp(argv[i], "--log-format") == 0 ? &log_format
									  : NULL;
		if (!opt)
			return rcn_cli_usage_error("serve: unknown argument '%s'", argv[i]);
		if (i + 1 >= argc)
			return rcn_cli_usage_error("serve: %s needs a value", argv[i]);
		*opt = argv[++i];
	}
	if (strcmp(log_format, "text") != 0 && strcmp(log_format, "json") != 0)
		return rcn_cli_usage_error("serve: --log-format must be text or json, not '%s'", log_format);
	rcn_config *cfg = NULL;
	if (rcn_cli_open_config(config, &cfg) != RCN_EXIT_CLEAN)
		return RCN_EXIT_USAGE;
	char rules[4096], calendar[4200], cert[4096], key[4096];
	struct stat st;
	rcn_config_resolve(rules, sizeof rules, cfg->rules_dir, cfg->dir);
	snprintf(calendar, sizeof calendar, "%s/calendar/cn.csv", rules);
	if (cfg->serve_cert)
		rcn_config_resolve(cert, sizeof cert, cfg->serve_cert, cfg->dir);
	if (cfg->serve_key)
		rcn_config_resolve(key, sizeof key, cfg->serve_key, cfg->dir);
	rcn_serve_opts o = {.listen = listen		  ? listen
				      : cfg->serve_listen ? cfg->serve_listen
							  : "127.0.0.1:8470",
			    .conninfo = cfg->conninfo,
			    .idle_minutes = cfg->serve_idle_minutes,
			    .session_hours = cfg->serve_session_hours,
			    .threads = cfg->serve_threads,
			    .log = stderr,
			    .log_json = strcmp(log_format, "json") == 0,
			    .timezone = cfg->timezone,
			    .calendar = stat(calendar, &st) == 0 ? calendar : NULL,
			    .writeoff_approval_fen = cfg->writeoff_approval_fen,
			    .orders_sql = cfg->orders_sql,
			    .refunds_sql = cfg->refunds_sql,
			    .cert = cfg->serve_cert ? cert : NULL,
			    .key = cfg->serve_key ? key : NULL};
	int rc = rcn_serve(&o);
	rcn_config_free(cfg);
	return rc;
}
