/* recon user: the workbench's people (issue 21) — add with a role, disable,
 * change a password. The password is read from the terminal without echo
 * (twice), or as one line of standard input when that is not a terminal
 * (a script, a secret manager's pipe); it never appears on the command
 * line, in the log or in the database (only its slow salted hash:
 * recon/auth.h). Every change has its row in recon_audit. */
#include <errno.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "recon/auth.h"
#include "recon/config.h"
#include "recon/db.h"

void rcn_cmd_user_help(void)
{
	printf("usage: recon user add NAME --role viewer|clerk|supervisor|admin [--by NAME] [--config FILE]\n"
	       "       recon user disable NAME [--by NAME] [--config FILE]\n"
	       "       recon user passwd NAME [--by NAME] [--config FILE]\n\n"
	       "The people of the workbench (recon serve). A viewer reads; a clerk also acts on open items;\n"
	       "a supervisor also approves write-offs; an admin also manages users.\n\n"
	       "add and passwd read the password from the terminal (asked twice, not shown), or as one\n"
	       "line of standard input when it is not a terminal. At least 12 characters. Only a salted\n"
	       "PBKDF2-SHA256 hash of it is kept. passwd also ends a lockout after failed logins.\n"
	       "disable keeps the user and their history; they can no longer log in.\n\n"
	       "  --role R        the user's role (add)\n"
	       "  --by NAME       who is doing this, for the audit trail (default: your login name)\n"
	       "  --config FILE   configuration (default: $RECON_CONFIG, else ./recon.conf)\n\n"
	       "Exit status: 0 done; 2 usage error, a user that exists (add) or does not, or a password\n"
	       "refused (nothing changed); 4 database error.\n");
}

/* One line of at most cap - 1 bytes from f into buf, its end of line
 * removed: false at the end of the input or when the line is longer. */
static bool read_line(FILE *f, char *buf, size_t cap)
{
	if (!fgets(buf, (int)cap, f))
		return false;
	size_t n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(f))
		return false; /* longer than cap */
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return true;
}

/* Asks on the terminal with echo off. */
static bool ask(const char *prompt, char *buf, size_t cap)
{
	struct termios was, quiet;
	fputs(prompt, stderr);
	fflush(stderr);
	bool echo_off = tcgetattr(STDIN_FILENO, &was) == 0;
	if (echo_off) {
		quiet = was;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	bool ok = read_line(stdin, buf, cap);
	if (echo_off)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &was);
	fputc('\n', stderr);
	return ok;
}

/* The new password's stored form into hash: RCN_EXIT_CLEAN, or
 * RCN_EXIT_USAGE after saying why. */
static int new_password(const char *name, char hash[RCN_PASSWORD_HASH_MAX])
{
	char pw[RCN_PASSWORD_MAX + 2], again[RCN_PASSWORD_MAX + 2];
	int rc = RCN_EXIT_CLEAN;
	if (isatty(STDIN_FILENO)) {
		char prompt[160];
		snprintf(prompt, sizeof prompt, "New password for %s: ", name);
		if (!ask(prompt, pw, sizeof pw) || !ask("The same again: ", again, sizeof again))
			rc = rcn_cli_usage_error("user: no password given");
		else if (strcmp(pw, again) != 0)
			rc = rcn_cli_usage_error("user: the two passwords differ; nothing changed");
	} else if (!read_line(stdin, pw, sizeof pw)) {
		rc = rcn_cli_usage_error("user: no password on standard input (one line, at most %d characters)",
					 RCN_PASSWORD_MAX);
	}
	rcn_err err;
	if (rc == RCN_EXIT_CLEAN && rcn_password_hash(pw, hash, &err) != RCN_OK) {
		if (err.code == RCN_EUSAGE)
			rc = rcn_cli_usage_error("user: %s; nothing changed", err.msg);
		else {
			fprintf(stderr, "recon: user: %s; nothing changed\n", err.msg);
			rc = RCN_EXIT_DB;
		}
	}
	OPENSSL_cleanse(pw, sizeof pw);
	OPENSSL_cleanse(again, sizeof again);
	return rc;
}

int rcn_cmd_user(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		rcn_cmd_user_help();
		return argc < 2 ? RCN_EXIT_USAGE : RCN_EXIT_CLEAN;
	}
	const char *sub = argv[1], *name = NULL, *role_s = NULL, *by = NULL, *config = NULL;
	if (strcmp(sub, "add") != 0 && strcmp(sub, "disable") != 0 && strcmp(sub, "passwd") != 0)
		return rcn_cli_usage_error("user: unknown subcommand '%s' (add, disable or passwd)", sub);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char **opt = strcmp(a, "--role") == 0	? &role_s
				   : strcmp(a, "--by") == 0	? &by
				   : strcmp(a, "--config") == 0 ? &config
								: NULL;
		if (opt) {
			if (i + 1 >= argc)
				return rcn_cli_usage_error("user: %s needs a value", a);
			*opt = argv[++i];
		} else if (a[0] == '-') {
			return rcn_cli_usage_error("user: unknown option '%s'", a);
		} else if (!name) {
			name = a;
		} else {
			return rcn_cli_usage_error("user %s: one NAME only ('%s' too)", sub, a);
		}
	}
	if (!name)
		return rcn_cli_usage_error("user %s: which user? recon user %s NAME", sub, sub);
	if (!rcn_user_name_ok(name))
		return rcn_cli_usage_error("user: '%s': a user's name is 1 to 64 of A-Z a-z 0-9 . _ @ -, a letter or "
					   "digit first",
					   name);
	rcn_role role = RCN_ROLE_VIEWER;
	if (strcmp(sub, "add") == 0 && !role_s)
		return rcn_cli_usage_error("user add: --role viewer, clerk, supervisor or admin is needed");
	if (role_s && strcmp(sub, "add") != 0)
		return rcn_cli_usage_error("user %s: --role is for add only", sub);
	if (role_s && !rcn_role_parse(role_s, &role))
		return rcn_cli_usage_error("user add: --role '%s': viewer, clerk, supervisor or admin", role_s);
	if (!by) {
		const struct passwd *pw = getpwuid(geteuid());
		by = pw && pw->pw_name && pw->pw_name[0] ? pw->pw_name : getenv("USER");
	}
	if (!by || !by[0])
		return rcn_cli_usage_error("user: who is this? say so with --by NAME");

	rcn_config *cfg = NULL;
	if (rcn_cli_open_config(config, &cfg) != RCN_EXIT_CLEAN)
		return RCN_EXIT_USAGE;
	rcn_err err;
	char why[1200];
	char hash[RCN_PASSWORD_HASH_MAX] = "";
	int rc = strcmp(sub, "disable") != 0 ? new_password(name, hash) : RCN_EXIT_CLEAN;
	rcn_db *db = NULL;
	if (rc == RCN_EXIT_CLEAN) {
		rcn_rc r = rcn_db_connect(&db, cfg->conninfo, &err);
		if (r == RCN_OK)
			r = rcn_db_migrate(db, &err);
		if (r == RCN_OK)
			r = strcmp(sub, "add") == 0	 ? rcn_user_add(db, name, role, hash, by, &err)
			    : strcmp(sub, "passwd") == 0 ? rcn_user_set_password(db, name, hash, by, &err)
							 : rcn_user_disable(db, name, by, &err);
		if (r != RCN_OK) {
			fprintf(stderr, "recon: user %s: %s\n", sub, rcn_err_format(&err, why, sizeof why));
			rc = r == RCN_EUSAGE ? RCN_EXIT_USAGE : RCN_EXIT_DB;
		} else if (strcmp(sub, "add") == 0) {
			printf("user %s added as %s\n", name, rcn_role_name(role));
		} else {
			printf("user %s %s\n", name, strcmp(sub, "passwd") == 0 ? "has a new password" : "disabled");
		}
	}
	OPENSSL_cleanse(hash, sizeof hash);
	rcn_db_close(db);
	rcn_config_free(cfg);
	return rc;
}
