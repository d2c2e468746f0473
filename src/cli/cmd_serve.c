/* recon serve: the workbench (recon/serve.h) on the configuration's
 * database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "recon/config.h"
#include "recon/serve.h"

void rcn_cmd_serve_help(void)
{
	printf("usage: recon serve [--listen ADDRESS:PORT] [--config FILE]\n\n"
	       "The workbench for finance staff, in the browser: log in with a name and password\n"
	       "(recon user add). Serves until SIGTERM or SIGINT, then lets the requests in flight\n"
	       "finish. Logs one line per request on standard error. /healthz answers \"ok\" while the\n"
	       "database does. Put TLS in front of it (README: the nginx snippet).\n\n"
	       "  --listen A:P    the address to listen on (default 127.0.0.1:8470)\n"
	       "  --config FILE   configuration (default: $RECON_CONFIG, else ./recon.conf)\n\n"
	       "Exit status: 0 stopped; 2 usage error or the address cannot be used; 4 database error.\n");
}

int rcn_cmd_serve(int argc, char **argv)
{
	const char *listen = "127.0.0.1:8470", *config = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			rcn_cmd_serve_help();
			return RCN_EXIT_CLEAN;
		}
		const char **opt = strcmp(argv[i], "--listen") == 0   ? &listen
				   : strcmp(argv[i], "--config") == 0 ? &config
								      : NULL;
		if (!opt)
			return rcn_cli_usage_error("serve: unknown argument '%s'", argv[i]);
		if (i + 1 >= argc)
			return rcn_cli_usage_error("serve: %s needs a value", argv[i]);
		*opt = argv[++i];
	}
	rcn_config *cfg = NULL;
	if (rcn_cli_open_config(config, &cfg) != RCN_EXIT_CLEAN)
		return RCN_EXIT_USAGE;
	rcn_serve_opts o = {.listen = listen,
			    .conninfo = cfg->conninfo,
			    .idle_minutes = 30,
			    .session_hours = 12,
			    .threads = 4,
			    .log = stderr};
	int rc = rcn_serve(&o);
	rcn_config_free(cfg);
	return rc;
}
