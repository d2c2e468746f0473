/* parse: channel statement parsers. Each is a streaming handle with the
 * lifecycle new -> feed ... -> finish -> free; memory does not grow with the file. */
#ifndef RECON_PARSE_H
#define RECON_PARSE_H

#include "recon/channel.h"
#include "recon/common.h"
#include "recon/date.h"
#include "recon/record.h"

typedef struct rcn_profile rcn_profile;

typedef struct {
	rcn_format_kind kind;
	const char *file;	    /* label used in records and errors; must outlive the parser */
	const char *channel;	    /* channel name stored in records */
	rcn_date business_date;	    /* the statement's date (UnionPay infers years from it); 0 if unknown */
	const rcn_profile *profile; /* RCN_FMT_PROFILE only */
	rcn_record_sink rec;	    /* may be NULL */
	rcn_quarantine_sink quar;   /* may be NULL */
	void *ctx;
} rcn_parser_spec;

typedef struct rcn_parser rcn_parser;

/* Any format behind one lifecycle: new -> feed ... -> finish -> free. The
 * spec is copied; its strings are borrowed. feed() gets the bytes as stored
 * (after gzip/zip), in any chunking: each parser converts its own charset. */
rcn_parser *rcn_parser_new(const rcn_parser_spec *spec);
rcn_rc rcn_parser_feed(rcn_parser *p, const char *buf, size_t n, rcn_err *err);
/* Fills *out (always); RCN_OK when the file can be reconciled. */
rcn_rc rcn_parser_finish(rcn_parser *p, rcn_stmt_result *out);
void rcn_parser_free(rcn_parser *p);

/* Profiles (FORMATS.md §4): a bank or aggregator format described in
 * rules/channels/<name>.conf. Loading checks every pattern and mapping and
 * fails with the profile's file and line. */
rcn_rc rcn_profile_load(rcn_profile **out, const char *path, rcn_err *err);
void rcn_profile_free(rcn_profile *p);
const char *rcn_profile_name(const rcn_profile *p);

#define RCN_MAX_ROW_BYTES (1u << 20) /* one statement row, quoted newlines included */
#define RCN_MAX_FIELDS	  256

/* What a statement source holds: the channel, which bill, its profile. */
typedef struct {
	const char *channel;	    /* a built-in channel (recon/channel.h) or a profile's name */
	const char *bill;	    /* one of the channel's bills; NULL: "trade" */
	const rcn_profile *profile; /* for a profile channel */
	rcn_date business_date;	    /* the statement's date (UnionPay times carry no year) */
	bool readahead;		    /* inflate a plain or gzip file on a thread of its own while parsing */
} rcn_stmt_kind;

/* Parses one statement source: a plain or gzip file, or a zip archive whose
 * entries are picked by name as the bill's registry row lays them out
 * (Alipay 业务明细 + 业务明细(汇总); UnionPay INN...ZM_, ...ZME_ and RD...). A summary entry's totals are checked
 * against the detail entry's sums; a mismatch rejects the whole source. Records of an archive entry are labelled
 * "<label>:<entry name>". Labels live as long as the process (they are interned). */
rcn_rc rcn_stmt_parse(const char *path, const char *label, const rcn_stmt_kind *kind, rcn_record_sink rec,
		      rcn_quarantine_sink quar, void *ctx, rcn_stmt_result *out, char sha256_hex[65]);

#endif
