/* Configuration: one INI file (recon.conf, $RECON_CONFIG or --config) with
 * [ledger], [run] and one [source NAME] section per statement source. */
#ifndef RECON_CONFIG_H
#define RECON_CONFIG_H

#include "recon/common.h"
#include "recon/date.h"

typedef struct {
	char *name;	    /* NAME of [source NAME] */
	char *channel;	    /* "wechat", "alipay", "unionpay", or a profile name (rules/channels/<name>.conf) */
	char *bill;	    /* wechat: "trade" (default) or "fundflow"; alipay: "trade" (default) or "account" */
	char *profile_path; /* for a profile channel: the resolved rules/channels/<name>.conf, else NULL */
	char *merchant_id;  /* 商户号 the statement must be for */
	char *location;	    /* path or file:// URL template with {yyyymmdd}, {yyyy-mm-dd}, {yyyymm} */
	bool has_fee_rate;
	int64_t fee_rate_ppm; /* fee_rate = 0.60% -> 6000 */
	char **sub_merchants; /* service provider: sub-merchant ids whose orders this bill covers */
	size_t n_sub_merchants;
	long line; /* line of the section header, for messages */
	/* downloads (issue 4): api = wechat-v3 | wechat-v2 | alipay | unionpay, with
	 * the credential files it needs; paths are resolved against the config's dir */
	char *api;
	char *api_base, *ca_file, *private_key, *cert_serial, *platform_cert, *api_key_file, *sign_type, *app_id,
		*sub_mchid, *ssh_key, *known_hosts;
	/* answer checks: wechat-v3 platform_key_id (微信支付公钥 mode) and max_clock_skew
	 * (seconds, 0 = the default 300); alipay bill_hosts (NULL = Alipay's own) and
	 * allow_http_download */
	char *platform_key_id;
	int max_clock_skew_s;
	char **bill_hosts;
	size_t n_bill_hosts;
	bool allow_http_download;
} rcn_source_conf;

/* [fetch]: the transport settings of every download. */
typedef struct {
	long connect_timeout_s, timeout_s, stall_s, backoff_ms;
	int attempts, max_per_channel;
	uint64_t max_bytes;
} rcn_fetch_conf;

typedef struct {
	char *path;		   /* the file read */
	char *dir;		   /* its directory: relative paths in the file are relative to it */
	char *conninfo;		   /* [ledger] conninfo; "" means the PG* environment */
	long conninfo_line;	   /* its line in the file, 0 when not given */
	char *orders_sql;	   /* [ledger] orders_query, or NULL for ledger_orders */
	char *refunds_sql;	   /* [ledger] refunds_query, or NULL for ledger_refunds */
	char *timezone;		   /* [run] timezone, default Asia/Shanghai */
	int carry_over_days;	   /* [run] carry_over_days, default 3 */
	char *reports_dir;	   /* [run] reports, default "reports" (resolved against dir) */
	char *spool_dir;	   /* [run] spool, default "spool" */
	char *scratch_dir;	   /* [run] scratch: a night in parts spills here; NULL = the spool */
	int lock_wait_seconds;	   /* [run] lock_wait, default 600 */
	uint64_t memory;	   /* [run] memory in bytes: the night's budget; 0 = half the machine */
	char *rules_dir;	   /* [run] rules, default $RECON_RULES or the rules/ the binary was built with */
	char *metrics_path;	   /* [run] metrics: Prometheus textfile written after every run, or NULL */
	int jobs;		   /* [run] jobs: parallel statement parsing, default 0 = number of cores */
	int64_t fee_tolerance_fen; /* [run] fee_tolerance (yuan): per-file fee totals may differ by this, default 0.01
				    */
	rcn_fetch_conf fetch;
	/* [items]: a write-off of more than this (|difference|, fen) waits for a
	 * second person's approval; default 1000.00 yuan */
	int64_t writeoff_approval_fen;
	/* [alert]: after a run, post its summary (issue "Run it every night") */
	char *alert_webhook; /* URL, or NULL */
	char *alert_kind;    /* "wecom", "dingtalk" or "json" */
	char *alert_ca_file; /* extra CA for the webhook (a test receiver), or NULL */
	/* [serve]: the workbench (recon serve) */
	char *serve_listen;	      /* "ADDR:PORT", NULL: 127.0.0.1:8470 (--listen wins) */
	char *serve_cert, *serve_key; /* PEM files (as written: resolve against dir): TLS by recon itself */
	int serve_idle_minutes;	      /* a session ends after this long idle, default 30 */
	int serve_session_hours;      /* and after this long in all, default 12 */
	int serve_threads;	      /* requests served at once, default 4 */
	rcn_source_conf *sources;
	size_t n_sources;
} rcn_config;

/* On success *out is owned by the caller (rcn_config_free). Any unknown
 * section or key, missing required key or bad value is RCN_EUSAGE with the
 * file, line and key in err. */
rcn_rc rcn_config_load(rcn_config **out, const char *path, rcn_err *err);
/* A size as "1GB", "512MiB", "800M", "65536" (bytes): K, M, G, T are powers
 * of 1024, the B and i optional; false for anything else or 0. */
bool rcn_config_parse_size(const char *s, uint64_t *out);
void rcn_config_free(rcn_config *cfg);

/* Expands a location template for `day` into out: placeholders replaced, a
 * file:// prefix removed, a relative path resolved against base_dir. */
rcn_rc rcn_config_expand_location(char *out, size_t n, const char *tmpl, const char *base_dir, rcn_date day,
				  rcn_err *err);
/* True when the source's statement is downloaded (an api, or an https:// or
 * sftp:// location) rather than read from a local path. */
bool rcn_config_source_remote(const rcn_source_conf *s);

/* Resolves a relative path against base_dir into out. */
void rcn_config_resolve(char *out, size_t n, const char *path, const char *base_dir);

#endif
