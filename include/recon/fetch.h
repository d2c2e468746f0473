/* fetch: downloads a source's statement for a business date — from a channel
 * API (signed request, verified answer) or a URL (https://, sftp://, file://)
 * — into the spool, with retries, timeouts and a manifest. libcurl lives only
 * here; OpenSSL signing in src/fetch/sign.c. */
#ifndef RECON_FETCH_H
#define RECON_FETCH_H

#include "recon/channel.h" /* rcn_api: the registry's download APIs */
#include "recon/common.h"
#include "recon/date.h"

/* Transport settings ([fetch] in the configuration). */
typedef struct {
	long connect_timeout_s; /* default 10 */
	long timeout_s;		/* whole transfer, default 600 */
	long stall_s;		/* a transfer below 1 byte/s for this long fails, default 30 */
	int attempts;		/* tries per request on connection errors, timeouts and 5xx, default 3 */
	long backoff_ms;	/* first retry delay, doubled each time, plus up to 100% jitter; default 1000 */
	int max_per_channel;	/* concurrent requests per channel, default 2 */
	uint64_t max_bytes;	/* largest body accepted, default 4 GiB */
	const char *ca_file;	/* extra CA bundle (a proxy or a test server), or NULL for the system's */
} rcn_fetch_settings;

void rcn_fetch_settings_default(rcn_fetch_settings *s);

/* What to fetch. Paths are to files holding the secrets; the secrets are
 * read at fetch time and never logged. Fields an API does not use are NULL. */
typedef struct {
	const char *source;		/* [source NAME], names the spool folder */
	const char *channel;		/* "wechat", "alipay", "unionpay", ... */
	const char *bill;		/* "trade", "fundflow", "account" */
	rcn_api api;			/* RCN_API_NONE: fetch `url` */
	const char *url;		/* the expanded location for RCN_API_NONE (https://, sftp://, file://) */
	const char *api_base;		/* e.g. "https://api.mch.weixin.qq.com"; NULL = the channel's production host */
	const char *merchant_id;	/* mchid / PID / merId */
	const char *sub_merchant_id;	/* wechat v3 sub_mchid (service providers), or NULL */
	const char *app_id;		/* wechat v2 appid, alipay app_id */
	const char *private_key_file;	/* merchant RSA private key, PEM (v3, alipay, unionpay) */
	const char *cert_serial;	/* merchant certificate serial (v3 serial_no, unionpay certId) */
	const char *platform_cert_file; /* channel certificate or public key, PEM: verifies its answers */
	const char *platform_key_id;	/* wechat v3 with a 微信支付公钥 (platform_cert a bare public key): its
					 * id, PUB_KEY_ID_…, which answers name in Wechatpay-Serial */
	long max_clock_skew_s;		/* wechat v3: an answer whose Wechatpay-Timestamp is further than this
					 * from our clock is refused; 0 = 300, the SDKs' value */
	const char *const *bill_hosts;	/* alipay: hosts whose http:// bill_download_url is fetched as https://
					 * (NULL: Alipay's own, dwbillcenter.alipay.com and its sandbox) */
	size_t n_bill_hosts;
	bool allow_http_download;     /* alipay: when https fails for such a host, plain http is accepted */
	const char *api_key_file;     /* wechat v2 API key (one line) */
	const char *sign_type;	      /* wechat v2: "MD5" or "HMAC-SHA256" (default) */
	const char *ssh_key_file;     /* sftp:// locations: the private key to log in with (chmod 600) */
	const char *known_hosts_file; /* sftp:// locations: the server host key must be listed here */
	rcn_date day;
	const char *spool_dir; /* spool root: files go to <spool>/<yyyy-mm-dd>/<source>/ */
	bool refetch;	       /* ignore a spooled file and download again */
} rcn_fetch_request;

typedef struct {
	char path[4096]; /* the spooled statement file, "" when the channel has no bill that day */
	bool no_bill;	 /* the channel answered that no statement exists (an empty day) */
	bool from_spool; /* reused from an earlier fetch */
	long http_status;
	uint64_t bytes;
	char sha256[65];	 /* of the spooled bytes */
	char channel_digest[65]; /* digest the channel stated ("" if none), lower-case hex */
	bool digest_ok;		 /* the stated digest matched (or none was stated) */
	int attempts;		 /* requests made, retries included */
	char url[1024];		 /* where the file came from, without query string */
	bool upgraded_https;	 /* the channel named an http:// URL; the file came over https:// */
	bool plain_http;	 /* the file came over plain http (allow_http_download): no TLS vouches for
				  * it, only its own control totals */
	char warning[512];	 /* what the operator must hear although the file was fetched, or "" */
} rcn_fetch_result;

/* Fetches one source. On failure err says what failed and why in one line
 * (no secret in it); nothing is left in the spool but the manifest entry. */
rcn_rc rcn_fetch(const rcn_fetch_request *req, const rcn_fetch_settings *settings, rcn_fetch_result *out, rcn_err *err);

/* Process-wide libcurl set-up; call once before any thread fetches. */
void rcn_fetch_global_init(void);

#endif
