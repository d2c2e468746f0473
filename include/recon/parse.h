/* parse: channel statement parsers. Each is a streaming handle with the
 * lifecycle new -> feed ... -> finish -> free; memory does not grow with the file. */
#ifndef RECON_PARSE_H
#define RECON_PARSE_H

#include "recon/common.h"
#include "recon/record.h"

#define RCN_MAX_ROW_BYTES (1u << 20) /* one statement row, quoted newlines included */
#define RCN_MAX_FIELDS	  256

typedef struct rcn_wechat_parser rcn_wechat_parser;

/* `file` is the label used in records and errors (borrowed, must outlive the parser).
 * `channel` is the channel name stored in records ("wechat"). Sinks may be NULL. */
rcn_wechat_parser *rcn_wechat_parser_new(const char *file, const char *channel, rcn_record_sink rec,
					 rcn_quarantine_sink quar, void *ctx);
/* Feeds the next chunk of decoded bytes. A fatal problem (row over
 * RCN_MAX_ROW_BYTES, not a trade bill, HTML page) returns an error; the caller
 * then calls finish, which reports the file as rejected. */
rcn_rc rcn_wechat_parser_feed(rcn_wechat_parser *p, const char *buf, size_t n, rcn_err *err);
/* Completes the parse and fills *out (always). Returns RCN_OK when the file
 * can be reconciled, or the rejection code (out->reason says why). */
rcn_rc rcn_wechat_parser_finish(rcn_wechat_parser *p, rcn_stmt_result *out);
void rcn_wechat_parser_free(rcn_wechat_parser *p);

/* Opens `path` (plain or gzip), streams it through the parser for `channel`
 * and fills *out; out->reason also carries I/O and gzip errors. sha256_hex
 * (may be NULL) receives the digest of the raw file. Returns RCN_OK or the
 * code of the rejection. */
rcn_rc rcn_stmt_parse_file(const char *path, const char *label, const char *channel, rcn_record_sink rec,
			   rcn_quarantine_sink quar, void *ctx, rcn_stmt_result *out, char sha256_hex[65]);

#endif
