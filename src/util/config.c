/* The INI configuration reader: strict (unknown keys are errors, so a typo
 * never silently falls back to a default) and precise (file:line: key). */
#include "recon/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "recon/channel.h"
#include "recon/money.h"
#include "util/err.h"

enum section { SEC_NONE, SEC_LEDGER, SEC_RUN, SEC_FETCH, SEC_ALERT, SEC_ITEMS, SEC_SERVE, SEC_SOURCE };

typedef struct {
	const char *path;
	rcn_err *err;
	long line;
} ctx;

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

__attribute__((format(printf, 2, 3))) static rcn_rc bad(ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_rc rc = rcn_err_vset(c->err, NULL, RCN_EUSAGE, c->path, c->line, 512, fmt, ap);
	va_end(ap);
	return rc;
}

static rcn_rc parse_int(ctx *c, const char *key, const char *v, int lo, int hi, int *out)
{
	char *end;
	long x = strtol(v, &end, 10);
	if (!*v || *end || x < lo || x > hi) {
		char range[64];
		snprintf(range, sizeof(range), "a whole number from %d to %d", lo, hi);
		return bad(c, "bad value for '%s': expected %s", key, range);
	}
	*out = (int)x;
	return RCN_OK;
}

static bool valid_timezone(const char *tz)
{
	if (!*tz || strstr(tz, ".."))
		return false;
	for (const char *p = tz; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return false;
	struct stat st;
	if (stat("/usr/share/zoneinfo", &st) != 0)
		return true; /* no zone database to check against: PostgreSQL will */
	char path[300];
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void set_str(char **slot, const char *val)
{
	free(*slot);
	*slot = rcn_xstrdup(val);
}

static rcn_rc parse_long(ctx *c, const char *key, const char *v, long lo, long hi, long *out)
{
	char *end;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end || x < lo || x > hi)
		return bad(c, "bad value for '%s': expected a whole number from %ld to %ld", key, lo, hi);
	*out = (long)x;
	return RCN_OK;
}

static rcn_rc set_fetch_key(ctx *c, rcn_config *cfg, const char *key, const char *val)
{
	rcn_fetch_conf *f = &cfg->fetch;
	long v = 0;
	rcn_rc rc;
	/* the [fetch] keys that take a whole number from lo to hi, into a long or an int */
	const struct {
		const char *key;
		long lo, hi;
		long *as_long;
		int *as_int;
	} numbers[] = {{"connect_timeout", 1, 600, &f->connect_timeout_s, NULL},
		       {"timeout", 1, 86400, &f->timeout_s, NULL},
		       {"stall_timeout", 1, 3600, &f->stall_s, NULL},
		       {"backoff_ms", 0, 600000, &f->backoff_ms, NULL},
		       {"attempts", 1, 20, NULL, &f->attempts},
		       {"max_per_channel", 1, 64, NULL, &f->max_per_channel}};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		if (strcmp(key, numbers[i].key) != 0)
			continue;
		if (numbers[i].as_int)
			return parse_int(c, key, val, (int)numbers[i].lo, (int)numbers[i].hi, numbers[i].as_int);
		return parse_long(c, key, val, numbers[i].lo, numbers[i].hi, numbers[i].as_long);
	}
	if (strcmp(key, "max_mb") == 0) {
		if ((rc = parse_long(c, key, val, 1, 1L << 20, &v)))
			return rc;
		f->max_bytes = (uint64_t)v << 20;
		return RCN_OK;
	}
	return bad(c, "unknown key '%.200s' in [fetch]", key);
}

bool rcn_config_source_remote(const rcn_source_conf *s)
{
	return s->api ||
	       (s->location && (strncmp(s->location, "https://", 8) == 0 || strncmp(s->location, "sftp://", 7) == 0));
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* A bill some built-in channel publishes. */
static bool known_bill(const char *bill)
{
	for (size_t i = 0; i < rcn_channel_count(); i++)
		if (rcn_channel_bill(rcn_channel_at(i), bill))
			return true;
	return false;
}

static void split_list(const char *v, char ***out, size_t *n)
{
	char *copy = rcn_xstrdup(v), *save = NULL;
	size_t cap = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if (!*tok)
			continue;
		rcn_xreserve((void **)out, &cap, *n + 1, sizeof(char *));
		(*out)[(*n)++] = rcn_xstrdup(tok);
	}
	free(copy);
}

/* [source] keys of the download checks: whom WeChat answers must be signed
 * by and how far their clock may be off; which http:// Alipay bill hosts are
 * fetched as https, and whether plain http is then accepted. */
static bool is_check_key(const char *key)
{
	return strcmp(key, "platform_key_id") == 0 || strcmp(key, "max_clock_skew") == 0 ||
	       strcmp(key, "bill_hosts") == 0 || strcmp(key, "allow_http_download") == 0;
}

static rcn_rc set_check_key(ctx *c, rcn_source_conf *src, const char *key, const char *val)
{
	if (strcmp(key, "max_clock_skew") == 0)
		return parse_int(c, key, val, 1, 3600, &src->max_clock_skew_s);
	if (strcmp(key, "allow_http_download") == 0) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return bad(c, "bad value for '%s': '%s' (use yes or no)", key, val);
		src->allow_http_download = val[0] == 'y';
		return RCN_OK;
	}
	if (strcmp(key, "platform_key_id") == 0) {
		if (!*val)
			return bad(c, "bad value for '%s': %s", key, "the id of the platform public key is required");
		set_str(&src->platform_key_id, val);
		return RCN_OK;
	}
	for (size_t i = 0; i < src->n_bill_hosts; i++)
		free(src->bill_hosts[i]);
	src->n_bill_hosts = 0;
	split_list(val, &src->bill_hosts, &src->n_bill_hosts);
	for (size_t i = 0; i < src->n_bill_hosts; i++)
		if (strspn(src->bill_hosts[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		    strlen(src->bill_hosts[i]))
			return bad(c, "bad value for '%s': '%s' is not a host name", key, src->bill_hosts[i]);
	return src->n_bill_hosts ? RCN_OK : bad(c, "bad value for '%s': %s", key, "a host name is required");
}

/* The placeholders a location template may hold (rcn_config_expand_location). */
static const char *const placeholders[] = {"{yyyymmdd}", "{yyyy-mm-dd}", "{yyyymm}"};

/* The first '{' of tmpl that starts no known placeholder, or NULL: a typo in
 * a template is a configuration error now, not a failed source at night. */
static const char *unknown_placeholder(const char *tmpl)
{
	for (const char *p = strchr(tmpl, '{'); p; p = strchr(p + 1, '{')) {
		bool known = false;
		for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
			known = known || strncmp(p, placeholders[i], strlen(placeholders[i])) == 0;
		if (!known)
			return p;
	}
	return NULL;
}

/* How much of an unknown placeholder a message quotes: up to its '}', at most 32 bytes. */
static int placeholder_len(const char *p)
{
	const char *end = strchr(p, '}');
	size_t n = end ? (size_t)(end - p) + 1 : strlen(p);
	return n > 32 ? 32 : (int)n;
}

static rcn_rc set_ledger_key(ctx *c, rcn_config *cfg, const char *key, const char *val)
{
	if (strcmp(key, "conninfo") == 0) {
		free(cfg->conninfo);
		cfg->conninfo = rcn_xstrdup(val);
		cfg->conninfo_line = c->line; /* checked by libpq's own parser before the run (rcn_db_check_conninfo) */
	} else if (strcmp(key, "orders_query") == 0) {
		cfg->orders_sql = rcn_xstrdup(val);
	} else if (strcmp(key, "refunds_query") == 0) {
		cfg->refunds_sql = rcn_xstrdup(val);
	} else {
		return bad(c, "unknown key '%.200s' in [ledger]", key);
	}
	return RCN_OK;
}

static rcn_rc set_run_key(ctx *c, rcn_config *cfg, const char *key, const char *val)
{
	if (strcmp(key, "timezone") == 0) {
		if (!valid_timezone(val))
			return bad(c, "bad value for '%s': unknown time zone '%s'", key, val);
		free(cfg->timezone);
		cfg->timezone = rcn_xstrdup(val);
		return RCN_OK;
	}
	if (strcmp(key, "fee_tolerance") == 0) {
		rcn_err e;
		if (rcn_money_parse(&cfg->fee_tolerance_fen, val, strlen(val), 2, &e) != RCN_OK ||
		    cfg->fee_tolerance_fen < 0)
			return bad(c, "bad value for '%s': expected an amount in yuan like 0.01", key);
		return RCN_OK;
	}
	if (strcmp(key, "jobs") == 0)
		return parse_int(c, key, val, 0, 64, &cfg->jobs);
	if (strcmp(key, "carry_over_days") == 0)
		return parse_int(c, key, val, 0, 60, &cfg->carry_over_days);
	if (strcmp(key, "lock_wait") == 0)
		return parse_int(c, key, val, 0, 86400, &cfg->lock_wait_seconds);
	if (strcmp(key, "memory") == 0)
		return rcn_config_parse_size(val, &cfg->memory)
			       ? RCN_OK
			       : bad(c, "bad value for '%s': '%s' (a size such as 1GB or 800MB)", key, val);
	/* the [run] keys that name a directory or a file */
	const struct {
		const char *key;
		char **slot;
		const char *needs;
	} paths[] = {{"rules", &cfg->rules_dir, "a directory is required"},
		     {"metrics", &cfg->metrics_path, "a file is required"},
		     {"reports", &cfg->reports_dir, "a directory is required"},
		     {"spool", &cfg->spool_dir, "a directory is required"},
		     {"scratch", &cfg->scratch_dir, "a directory is required"}};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (strcmp(key, paths[i].key) != 0)
			continue;
		if (!*val)
			return bad(c, "bad value for '%s': %s", key, paths[i].needs);
		free(*paths[i].slot);
		*paths[i].slot = rcn_xstrdup(val);
		return RCN_OK;
	}
	return bad(c, "unknown key '%.200s' in [run]", key);
}

static rcn_rc set_alert_key(ctx *c, rcn_config *cfg, const char *key, const char *val)
{
	if (strcmp(key, "webhook") == 0) {
		if (strncmp(val, "https://", 8) != 0)
			return bad(c, "bad value for '%s': '%s' is not an https:// URL", key, val);
		set_str(&cfg->alert_webhook, val);
	} else if (strcmp(key, "ca_file") == 0) {
		char path[4096];
		rcn_config_resolve(path, sizeof(path), val, cfg->dir);
		set_str(&cfg->alert_ca_file, path);
	} else if (strcmp(key, "kind") == 0) {
		if (strcmp(val, "wecom") && strcmp(val, "dingtalk") && strcmp(val, "json"))
			return bad(c, "bad value for '%s': '%s' (use wecom, dingtalk or json)", key, val);
		set_str(&cfg->alert_kind, val);
	} else {
		return bad(c, "unknown key '%.200s' in [alert]", key);
	}
	return RCN_OK;
}

/* A [source]'s location: a path or a file://, https:// or sftp:// URL template. */
static rcn_rc set_location(ctx *c, rcn_source_conf *src, const char *key, const char *val)
{
	if (!*val)
		return bad(c, "bad value for '%s': %s", key, "a path or URL template is required");
	if (strstr(val, "://") && strncmp(val, "file://", 7) != 0 && strncmp(val, "https://", 8) != 0 &&
	    strncmp(val, "sftp://", 7) != 0)
		return bad(c,
			   "bad value for '%s': use a path or a file://, https:// or sftp:// URL, not '%s'"
			   " (plain http is refused: TLS is always on)",
			   key, val);
	const char *unknown = unknown_placeholder(val);
	if (unknown)
		return bad(c,
			   "bad value for '%s': unknown placeholder '%.*s' (use {yyyymmdd}, "
			   "{yyyy-mm-dd} or "
			   "{yyyymm})",
			   key, placeholder_len(unknown), unknown);
	src->location = rcn_xstrdup(val);
	return RCN_OK;
}

/* A [source]'s download keys: the API, its endpoint, credentials and files. */
static rcn_rc set_source_api_key(ctx *c, rcn_config *cfg, rcn_source_conf *src, const char *key, const char *val)
{
	if (strcmp(key, "api") == 0) {
		if (!rcn_channel_api_find(val, NULL)) {
			char names[256];
			rcn_channel_list(names, sizeof(names), RCN_LIST_APIS, " or ");
			return bad(c, "bad value for '%s': '%s' (use %s)", key, val, names);
		}
		set_str(&src->api, val);
	} else if (strcmp(key, "api_base") == 0) {
		if (strncmp(val, "https://", 8) != 0)
			return bad(c, "bad value for '%s': '%s' is not an https:// URL", key, val);
		set_str(&src->api_base, val);
	} else if (strcmp(key, "sign_type") == 0) {
		if (strcmp(val, "MD5") && strcmp(val, "HMAC-SHA256"))
			return bad(c, "bad value for '%s': '%s' (use MD5 or HMAC-SHA256)", key, val);
		set_str(&src->sign_type, val);
	} else if (strcmp(key, "cert_serial") == 0 || strcmp(key, "app_id") == 0 || strcmp(key, "sub_mchid") == 0) {
		set_str(key[0] == 'c' ? &src->cert_serial : key[0] == 'a' ? &src->app_id : &src->sub_mchid, val);
	} else if (strcmp(key, "ssh_key") == 0 || strcmp(key, "known_hosts") == 0) {
		char path[4096];
		rcn_config_resolve(path, sizeof(path), val, cfg->dir);
		set_str(key[0] == 's' ? &src->ssh_key : &src->known_hosts, path);
	} else if (strcmp(key, "ca_file") == 0 || strcmp(key, "private_key") == 0 ||
		   strcmp(key, "platform_cert") == 0 || strcmp(key, "api_key_file") == 0) {
		char path[4096];
		rcn_config_resolve(path, sizeof(path), val, cfg->dir);
		char **slot = key[0] == 'c'   ? &src->ca_file
			      : key[1] == 'r' ? &src->private_key
			      : key[1] == 'l' ? &src->platform_cert
					      : &src->api_key_file;
		set_str(slot, path);
	} else if (is_check_key(key)) {
		return set_check_key(c, src, key, val);
	} else {
		return bad(c, "unknown key '%.200s' in [source %.200s]", key, src->name);
	}
	return RCN_OK;
}

static rcn_rc set_source_key(ctx *c, rcn_config *cfg, rcn_source_conf *src, const char *key, const char *val)
{
	if (strcmp(key, "channel") == 0) {
		if (!valid_name(val))
			return bad(c, "bad value for '%s': '%s' is not a channel name (letters, digits, - and _)", key,
				   val);
		src->channel = rcn_xstrdup(val);
	} else if (strcmp(key, "bill") == 0) {
		if (!known_bill(val)) {
			char names[256];
			rcn_channel_list(names, sizeof(names), RCN_LIST_BILLS, " or ");
			return bad(c, "bad value for '%s': '%s' (use %s)", key, val, names);
		}
		src->bill = rcn_xstrdup(val);
	} else if (strcmp(key, "merchant_id") == 0) {
		if (!*val)
			return bad(c, "bad value for '%s': %s", key, "a merchant id is required");
		src->merchant_id = rcn_xstrdup(val);
	} else if (strcmp(key, "location") == 0) {
		return set_location(c, src, key, val);
	} else if (strcmp(key, "fee_rate") == 0) {
		rcn_err e;
		if (rcn_rate_parse(&src->fee_rate_ppm, val, strlen(val), &e) != RCN_OK)
			return bad(c, "bad value for '%s': %.300s", key, e.msg);
		src->has_fee_rate = true;
	} else if (strcmp(key, "sub_merchants") == 0) {
		split_list(val, &src->sub_merchants, &src->n_sub_merchants);
	} else {
		return set_source_api_key(c, cfg, src, key, val);
	}
	return RCN_OK;
}

/* [items]: how people work the open items (recon items). */
static rcn_rc set_items_key(ctx *c, rcn_config *cfg, const char *key, const char *val)
{
	if (strcmp(key, "writeoff_approval") == 0) {
		rcn_err e;
		if (rcn_money_parse(&cfg->writeoff_approval_fen, val, strlen(val), 2, &e) != RCN_OK ||
		    cfg->writeoff_approval_fen < 0)
			return bad(c, "bad value for '%s': expected an amount in yuan like 1000.00", key);
		return RCN_OK;
	}
	return bad(c, "unknown key '%.200s' in [items]", key);
}

/* [serve]: the workbench (recon serve). */
static rcn_rc set_serve_key(ctx *c, rcn_config *cfg, const char *key, const char *val)
{
	char **path = strcmp(key, "cert") == 0 ? &cfg->serve_cert : strcmp(key, "key") == 0 ? &cfg->serve_key : NULL;
	if (path) {
		if (!*val)
			return bad(c, "[serve] %s: give the PEM file's path", key);
		free(*path);
		*path = rcn_xstrdup(val);
		return RCN_OK;
	}
	if (strcmp(key, "listen") == 0) {
		free(cfg->serve_listen);
		cfg->serve_listen = rcn_xstrdup(val);
		return RCN_OK;
	}
	if (strcmp(key, "idle_minutes") == 0)
		return parse_int(c, key, val, 1, 24 * 60, &cfg->serve_idle_minutes);
	if (strcmp(key, "session_hours") == 0)
		return parse_int(c, key, val, 1, 7 * 24, &cfg->serve_session_hours);
	if (strcmp(key, "threads") == 0)
		return parse_int(c, key, val, 1, 64, &cfg->serve_threads);
	return bad(c, "unknown key '%.200s' in [serve]", key);
}

/* One key of the section it appears in (src: the [source] being read). */
static rcn_rc set_key(ctx *c, rcn_config *cfg, enum section sec, rcn_source_conf *src, const char *key, const char *val)
{
	switch (sec) {
	case SEC_LEDGER:
		return set_ledger_key(c, cfg, key, val);
	case SEC_RUN:
		return set_run_key(c, cfg, key, val);
	case SEC_FETCH:
		return set_fetch_key(c, cfg, key, val);
	case SEC_ALERT:
		return set_alert_key(c, cfg, key, val);
	case SEC_ITEMS:
		return set_items_key(c, cfg, key, val);
	case SEC_SERVE:
		return set_serve_key(c, cfg, key, val);
	case SEC_SOURCE:
		return set_source_key(c, cfg, src, key, val);
	case SEC_NONE:
		break;
	}
	return bad(c, "key '%.200s' outside any section", key);
}

/* Whether the [source] gives a key that the channel registry lists for an
 * API (recon/channel.h): a credential file or an answer check. */
static bool source_key_given(const rcn_source_conf *s, const char *key)
{
	const struct {
		const char *key;
		bool given;
	} keys[] = {
		{"private_key", s->private_key != NULL},	 {"cert_serial", s->cert_serial != NULL},
		{"platform_cert", s->platform_cert != NULL},	 {"app_id", s->app_id != NULL},
		{"api_key_file", s->api_key_file != NULL},	 {"platform_key_id", s->platform_key_id != NULL},
		{"max_clock_skew", s->max_clock_skew_s != 0},	 {"bill_hosts", s->n_bill_hosts > 0},
		{"allow_http_download", s->allow_http_download},
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			return keys[i].given;
	return false;
}

/* The first key the source gives that means something to another API than
 * its own (api, NULL for none); *owner is the API it is for. */
static const char *stray_key(const rcn_source_conf *s, const rcn_api_info *api, const rcn_api_info **owner)
{
	for (size_t i = 0; i < rcn_channel_count(); i++) {
		const rcn_channel *ch = rcn_channel_at(i);
		for (size_t j = 0; j < RCN_CHANNEL_MAX_APIS && ch->apis[j].name; j++) {
			const rcn_api_info *a = &ch->apis[j];
			for (size_t k = 0; a != api && k < RCN_API_MAX_KEYS && a->only[k]; k++)
				if (source_key_given(s, a->only[k])) {
					*owner = a;
					return a->only[k];
				}
		}
	}
	return NULL;
}

static rcn_rc check_source(ctx *c, rcn_config *cfg, rcn_source_conf *s)
{
	const char *missing = !s->channel		? "channel"
			      : !s->merchant_id		? "merchant_id"
			      : !s->location && !s->api ? "location"
							: NULL;
	c->line = s->line;
	if (missing)
		return bad(c, "[source %s] lacks the required key '%s'", s->name, missing);
	if (!s->bill)
		s->bill = rcn_xstrdup("trade");
	/* the channel registry (recon/channel.h) says which bills and APIs a
	 * built-in channel has; a profile channel has the default bill alone */
	const rcn_channel *builtin = rcn_channel_find(s->channel);
	bool ok = builtin ? rcn_channel_bill(builtin, s->bill) != NULL : strcmp(s->bill, RCN_BILL_DEFAULT) == 0;
	if (!ok)
		return bad(c, "[source %s]: channel %s has no '%s' bill", s->name, s->channel, s->bill);
	const rcn_channel *owner = NULL;
	const rcn_api_info *api = rcn_channel_api_find(s->api, &owner);
	if (api) {
		if (owner != builtin)
			return bad(c, "[source %s]: api %s needs channel = %s", s->name, s->api, owner->name);
		for (size_t i = 0; i < RCN_API_MAX_KEYS && api->required[i]; i++)
			if (!source_key_given(s, api->required[i]))
				return bad(c, "[source %s] lacks the required key '%s' (for api %s)", s->name,
					   api->required[i], s->api);
	}
	const rcn_api_info *stray_for = NULL;
	const char *stray = stray_key(s, api, &stray_for);
	if (stray)
		return bad(c, "[source %s]: '%s' is for api = %s only", s->name, stray, stray_for->name);
	if (!builtin) {
		char rules[4096], path[4200], builtin_names[256];
		struct stat st;
		rcn_channel_list(builtin_names, sizeof(builtin_names), RCN_LIST_CHANNELS, ", ");
		rcn_config_resolve(rules, sizeof(rules), cfg->rules_dir, cfg->dir);
		snprintf(path, sizeof(path), "%s/channels/%s.conf", rules, s->channel);
		if (stat(path, &st) != 0)
			return bad(c, "[source %s]: unknown channel '%s' (built in: %s; no profile %s)", s->name,
				   s->channel, builtin_names, path);
		s->profile_path = rcn_xstrdup(path);
	}
	return RCN_OK;
}

/* The reader's place in the file: the section it is in, the sections seen,
 * and the last key (an indented line may continue its value). */
typedef struct {
	ctx c;
	rcn_config *cfg;
	enum section sec;
	char seen_ledger, seen_run, seen_fetch, seen_alert, seen_items, seen_serve;
	char last_key[128];
	size_t src_cap;
} reader;

static void set_defaults(rcn_config *cfg, const char *path)
{
	cfg->path = rcn_xstrdup(path);
	const char *slash = strrchr(path, '/');
	cfg->dir = slash ? rcn_xstrndup(path, (size_t)(slash - path) + (slash == path)) : rcn_xstrdup(".");
	cfg->conninfo = rcn_xstrdup("");
	cfg->timezone = rcn_xstrdup("Asia/Shanghai");
	cfg->carry_over_days = 3;
	cfg->reports_dir = rcn_xstrdup("reports");
	cfg->spool_dir = rcn_xstrdup("spool");
	cfg->lock_wait_seconds = 600;
	cfg->fee_tolerance_fen = 1;
	cfg->writeoff_approval_fen = 100000;
	cfg->serve_idle_minutes = 30;
	cfg->serve_session_hours = 12;
	cfg->serve_threads = 4;
	cfg->fetch = (rcn_fetch_conf){10, 600, 30, 1000, 3, 2, (uint64_t)4 << 30};
	cfg->rules_dir = rcn_xstrdup(getenv("RECON_RULES") ? getenv("RECON_RULES") : RECON_RULES_DIR);
}

/* An indented line continues a long value (an SQL query): only for the query keys. */
static rcn_rc continue_value(reader *r, const char *s)
{
	rcn_config *cfg = r->cfg;
	char **slot = strcmp(r->last_key, "orders_query") == 0	  ? &cfg->orders_sql
		      : strcmp(r->last_key, "refunds_query") == 0 ? &cfg->refunds_sql
								  : NULL;
	if (!slot)
		return bad(&r->c, "unexpected indented line after '%s'", r->last_key);
	size_t a = strlen(*slot), b = strlen(s);
	*slot = rcn_xrealloc(*slot, a + b + 2);
	(*slot)[a] = ' ';
	memcpy(*slot + a + 1, s, b + 1);
	return RCN_OK;
}

/* A [section] header (s starts with '['): each section but [source NAME] at most once. */
static rcn_rc open_section(reader *r, char *s)
{
	rcn_config *cfg = r->cfg;
	char *end = strchr(s, ']');
	if (!end || end[1])
		return bad(&r->c, "malformed section header '%.200s'", s);
	*end = '\0';
	char *name = trim(s + 1);
	r->last_key[0] = '\0';
	if (strncmp(name, "source", 6) == 0 && isspace((unsigned char)name[6])) {
		char *sname = trim(name + 6);
		for (size_t i = 0; i < cfg->n_sources; i++)
			if (strcmp(cfg->sources[i].name, sname) == 0)
				return bad(&r->c, "[source %.200s] appears twice", sname);
		rcn_xreserve((void **)&cfg->sources, &r->src_cap, cfg->n_sources + 1, sizeof(*cfg->sources));
		rcn_source_conf *src = &cfg->sources[cfg->n_sources++];
		memset(src, 0, sizeof(*src));
		src->name = rcn_xstrdup(sname);
		src->line = r->c.line;
		r->sec = SEC_SOURCE;
		return RCN_OK;
	}
	char *seen = strcmp(name, "alert") == 0	   ? &r->seen_alert
		     : strcmp(name, "fetch") == 0  ? &r->seen_fetch
		     : strcmp(name, "items") == 0  ? &r->seen_items
		     : strcmp(name, "ledger") == 0 ? &r->seen_ledger
		     : strcmp(name, "run") == 0	   ? &r->seen_run
		     : strcmp(name, "serve") == 0  ? &r->seen_serve
						   : NULL;
	if (!seen)
		return bad(&r->c, "unknown section [%.200s]", name);
	if (*seen)
		return bad(&r->c, "section [%s] appears twice", name);
	*seen = 1;
	r->sec = seen == &r->seen_alert	   ? SEC_ALERT
		 : seen == &r->seen_fetch  ? SEC_FETCH
		 : seen == &r->seen_items  ? SEC_ITEMS
		 : seen == &r->seen_ledger ? SEC_LEDGER
		 : seen == &r->seen_serve  ? SEC_SERVE
					   : SEC_RUN;
	return RCN_OK;
}

/* One line of the file: a comment, a continuation, a section header or a key. */
static rcn_rc read_line(reader *r, char *raw)
{
	if (r->c.line == 1 && strncmp(raw, "\xEF\xBB\xBF", 3) == 0)
		raw += 3;
	bool indented = raw[0] == ' ' || raw[0] == '\t';
	char *s = trim(raw);
	if (!*s || *s == '#' || *s == ';')
		return RCN_OK;
	if (indented && r->last_key[0] && r->sec != SEC_NONE && *s != '[')
		return continue_value(r, s);
	if (*s == '[')
		return open_section(r, s);
	char *eq = strchr(s, '=');
	if (!eq)
		return bad(&r->c, "expected 'key = value', found '%.200s'", s);
	*eq = '\0';
	char *key = trim(s), *val = trim(eq + 1);
	if (!*key)
		return bad(&r->c, "missing key before '='");
	snprintf(r->last_key, sizeof(r->last_key), "%s", key);
	rcn_config *cfg = r->cfg;
	return set_key(&r->c, cfg, r->sec, r->sec == SEC_SOURCE ? &cfg->sources[cfg->n_sources - 1] : NULL, key, val);
}

rcn_rc rcn_config_load(rcn_config **out, const char *path, rcn_err *err)
{
	rcn_rc rc = RCN_OK;
	reader r = {.c = {path, err, 0}, .sec = SEC_NONE};
	char *line = NULL;
	size_t cap = 0;
	rcn_config *cfg = r.cfg = rcn_xcalloc(1, sizeof(*cfg));
	FILE *f = fopen(path, "r");

	set_defaults(cfg, path);
	if (!f) {
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read configuration: %s", strerror(errno));
		goto cleanup;
	}
	while (getline(&line, &cap, f) != -1) {
		r.c.line++;
		if ((rc = read_line(&r, line)))
			goto cleanup;
	}
	/* sources are checked once every key is known ([run] rules may come last) */
	for (size_t i = 0; i < cfg->n_sources; i++)
		if ((rc = check_source(&r.c, cfg, &cfg->sources[i])))
			goto cleanup;
	if (!cfg->n_sources)
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "no [source NAME] section: nothing to reconcile");
cleanup:
	free(line);
	if (f)
		fclose(f);
	if (rc) {
		rcn_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return RCN_OK;
}

void rcn_config_free(rcn_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_sources; i++) {
		rcn_source_conf *s = &cfg->sources[i];
		free(s->name);
		free(s->channel);
		free(s->bill);
		free(s->profile_path);
		free(s->ssh_key);
		free(s->known_hosts);
		char *strs[] = {s->api,		  s->api_base,	   s->ca_file,	 s->private_key, s->cert_serial,
				s->platform_cert, s->api_key_file, s->sign_type, s->app_id,	 s->sub_mchid};
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			free(strs[k]);
		free(s->merchant_id);
		free(s->location);
		for (size_t j = 0; j < s->n_sub_merchants; j++)
			free(s->sub_merchants[j]);
		free(s->sub_merchants);
		free(s->platform_key_id);
		for (size_t j = 0; j < s->n_bill_hosts; j++)
			free(s->bill_hosts[j]);
		free(s->bill_hosts);
	}
	free(cfg->sources);
	free(cfg->path);
	free(cfg->dir);
	free(cfg->conninfo);
	free(cfg->orders_sql);
	free(cfg->refunds_sql);
	free(cfg->timezone);
	free(cfg->reports_dir);
	free(cfg->spool_dir);
	free(cfg->scratch_dir);
	free(cfg->metrics_path);
	free(cfg->rules_dir);
	free(cfg->alert_webhook);
	free(cfg->alert_kind);
	free(cfg->serve_listen);
	free(cfg->serve_cert);
	free(cfg->serve_key);
	free(cfg->alert_ca_file);
	free(cfg);
}

void rcn_config_resolve(char *out, size_t n, const char *path, const char *base_dir)
{
	if (path[0] == '/' || !base_dir || !*base_dir || strcmp(base_dir, ".") == 0)
		snprintf(out, n, "%s", path);
	else
		snprintf(out, n, "%s/%s", base_dir, path);
}

rcn_rc rcn_config_expand_location(char *out, size_t n, const char *tmpl, const char *base_dir, rcn_date day,
				  rcn_err *err)
{
	char buf[4096], ymd[11];
	size_t len = 0;
	int y, m, d;
	rcn_date_to_ymd(day, &y, &m, &d);
	rcn_date_format(ymd, day);
	if (strncmp(tmpl, "file://", 7) == 0)
		tmpl += 7;
	for (const char *p = tmpl; *p;) {
		char piece[16];
		const char *add = NULL;
		size_t skip = 1;
		if (strncmp(p, "{yyyymmdd}", 10) == 0) {
			snprintf(piece, sizeof(piece), "%04d%02d%02d", y, m, d);
			add = piece, skip = 10;
		} else if (strncmp(p, "{yyyy-mm-dd}", 12) == 0) {
			add = ymd, skip = 12;
		} else if (strncmp(p, "{yyyymm}", 8) == 0) {
			snprintf(piece, sizeof(piece), "%04d%02d", y, m);
			add = piece, skip = 8;
		} else if (*p == '{') {
			return rcn_err_set(
				err, RCN_EUSAGE, NULL, 0,
				"location '%s': unknown placeholder (use {yyyymmdd}, {yyyy-mm-dd} or {yyyymm})", tmpl);
		}
		size_t k = add ? strlen(add) : 1;
		if (len + k + 1 > sizeof(buf))
			return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "location '%s' is too long", tmpl);
		memcpy(buf + len, add ? add : p, k);
		len += k;
		p += skip;
	}
	buf[len] = '\0';
	rcn_config_resolve(out, n, buf, base_dir);
	return RCN_OK;
}

bool rcn_config_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !v)
		return false;
	int shift = 0;
	switch (*end | 0x20) {
	case 'k':
		shift = 10;
		end++;
		break;
	case 'm':
		shift = 20;
		end++;
		break;
	case 'g':
		shift = 30;
		end++;
		break;
	case 't':
		shift = 40;
		end++;
		break;
	default:
		break;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}
