/* fetch: one function per channel API. Each signs its requests, verifies the
 * channel's answers and returns the statement bytes as the channel delivers
 * them (gzip, zip, or plain), for the orchestrator (fetch.c) to spool. */
#ifndef RECON_FETCH_API_H
#define RECON_FETCH_API_H

#include "recon/fetch.h"

typedef struct {
	rcn_buf data;		 /* the statement bytes to spool (caller frees) */
	char filename[256];	 /* spool file name, e.g. "tradebill_ALL_20210128.csv.gz" */
	bool no_bill;		 /* the channel said no statement exists: an empty day, not a failure */
	long http_status;	 /* of the last request */
	char channel_digest[65]; /* digest the channel stated, lower-case hex, "" if none */
	bool digest_ok;		 /* it matched (over the decompressed bytes for WeChat v3) */
	char safe_url[1024];	 /* the download URL without query string: safe for the manifest */
	int attempts;		 /* HTTP requests made, retries included */
	bool upgraded_https;	 /* an http:// download URL fetched as https:// */
	bool plain_http;	 /* fetched over plain http (allow_http_download) */
	char warning[512];	 /* what the operator must hear although the fetch succeeded, or "" */
} rcn_api_result;

/* Each returns RCN_OK with out filled, or an error with a one-line message
 * naming the source and what failed (never a secret, signature or header). */
typedef rcn_rc rcn_api_fn(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err);

/* The download function of a registry API id (recon/channel.h), or NULL. */
rcn_api_fn *rcn_api_function(rcn_api api);

rcn_rc rcn_api_wechat_v3(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err);
rcn_rc rcn_api_wechat_v2(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err);
rcn_rc rcn_api_alipay(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err);
rcn_rc rcn_api_unionpay(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err);

#endif
