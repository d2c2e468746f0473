/* Parses one statement file end to end: rcn_input decodes (gzip, cap, SHA-256),
 * the channel's streaming parser reads it. Owns the read buffer for one call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/input.h"
#include "recon/parse.h"

#define READ_CHUNK ((size_t)64 * 1024)

rcn_rc rcn_stmt_parse_file(const char *path, const char *label, const char *channel, rcn_record_sink rec,
			   rcn_quarantine_sink quar, void *ctx, rcn_stmt_result *out, char sha256_hex[65])
{
	rcn_input *in = NULL;
	rcn_wechat_parser *parser = NULL;
	char *buf = NULL;
	rcn_err err;
	rcn_rc rc;

	memset(out, 0, sizeof(*out));
	rcn_err_clear(&err);
	if (sha256_hex)
		sha256_hex[0] = '\0';
	if (!label)
		label = path;
	if (strcmp(channel, "wechat") != 0) {
		rc = rcn_err_set(&err, RCN_EUSAGE, label, 0, "unsupported channel: %s", channel);
		goto cleanup;
	}
	rc = rcn_input_open(&in, path, 0, &err);
	if (rc != RCN_OK)
		goto cleanup;
	parser = rcn_wechat_parser_new(label, channel, rec, quar, ctx);
	buf = rcn_xmalloc(READ_CHUNK);
	bool parsing = true;
	for (;;) {
		size_t got;
		rc = rcn_input_read(in, buf, READ_CHUNK, &got, &err);
		if (rc != RCN_OK || got == 0)
			break;
		/* After a fatal parse error keep reading, so the digest covers the whole file. */
		if (parsing && rcn_wechat_parser_feed(parser, buf, got, NULL) != RCN_OK)
			parsing = false;
	}
	rcn_rc prc = rcn_wechat_parser_finish(parser, out);
	if (rc == RCN_OK)
		rc = prc;
	if (sha256_hex)
		rcn_input_sha256_hex(in, sha256_hex);
cleanup:
	/* Input errors name the file as the caller labels it, like every other message. */
	if (err.code != RCN_OK && err.file[0])
		snprintf(err.file, sizeof(err.file), "%s", label);
	if (rc != RCN_OK && !out->rejected) {
		/* An input or usage error: the parser's verdict on a partial file does not stand. */
		out->rejected = true;
		out->totals_ok = false;
		out->reason = err;
	} else if (err.code != RCN_OK) {
		/* The input failed after the parser had already rejected: the I/O error is the cause. */
		out->totals_ok = false;
		out->reason = err;
		rc = err.code;
	}
	free(buf);
	rcn_wechat_parser_free(parser);
	rcn_input_close(in);
	return rc;
}
