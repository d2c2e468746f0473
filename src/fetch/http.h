/* fetch: the HTTP(S) transport (libcurl) every channel API uses. */
#ifndef RECON_FETCH_HTTP_H
#define RECON_FETCH_HTTP_H

#include "recon/common.h"
#include "recon/fetch.h"

typedef struct {
	const char *method; /* "GET" or "POST" */
	const char *url;
	const char *const *headers; /* "Name: value" strings, NULL-terminated, or NULL */
	const char *body;	    /* POST body, or NULL */
	size_t body_len;
	const char *channel; /* for the per-channel concurrency cap */
	const char *what;    /* for messages: "WeChat tradebill request" */
	/* sftp:// only, both required: the private key to log in with (refused
	 * if group/other-readable) and the known_hosts file that must list the
	 * server's host key. NULL for other schemes. */
	const char *ssh_key_file, *known_hosts_file;
} rcn_http_request;

typedef struct {
	long status;
	rcn_buf body;	/* the whole body (capped by settings->max_bytes); caller frees */
	char **headers; /* response header lines, lower-cased names "name: value" */
	size_t n_headers;
	int attempts;
} rcn_http_response;

/* Sends the request, retrying with exponential backoff and jitter on
 * connection errors, timeouts and 5xx (never on 4xx). TLS peer and host
 * verification are always on. A truncated body, or one over max_bytes, is an
 * error. 4xx is returned as a response (RCN_OK) for the caller to read.
 * sftp:// logs in with the public key only and accepts only a host key that
 * known_hosts lists (never trust on first use). Errors name `what` and the
 * URL without its user name or query string. */
rcn_rc rcn_http_send(const rcn_http_request *req, const rcn_fetch_settings *settings, rcn_http_response *out,
		     rcn_err *err);
/* The value of a response header (case-insensitive name), or NULL. */
const char *rcn_http_header(const rcn_http_response *r, const char *name);
void rcn_http_response_free(rcn_http_response *r);
/* scheme://host/path of url, without query or fragment: safe to log. */
void rcn_http_safe_url(char *out, size_t n, const char *url);

#endif
