/* Parses one statement source end to end: rcn_input decodes plain and gzip
 * files (cap, SHA-256), rcn_zip opens archives, and each file or entry goes
 * through its format's parser. Archive summaries are checked against their
 * detail entries here, because only this layer sees both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/channel.h"
#include "recon/input.h"
#include "recon/money.h"
#include "recon/parse.h"
#include "recon/text.h"
#include "recon/zip.h"

#define READ_CHUNK ((size_t)256 * 1024)

/* Marks *out rejected with err unless the parser already rejected it for a
 * reason of its own; an I/O error replaces a verdict on a partial file. */
static void reject_with(rcn_stmt_result *out, const rcn_err *err)
{
	out->rejected = true;
	out->totals_ok = false;
	out->reason = *err;
}

/* Streams a plain or gzip file through one parser. */
static rcn_rc parse_stream(const char *path, const rcn_parser_spec *spec, bool readahead, rcn_stmt_result *out,
			   char sha256_hex[65])
{
	rcn_input *in = NULL;
	rcn_parser *parser = NULL;
	rcn_readahead *ra = NULL;
	char *buf = NULL;
	rcn_err err;
	rcn_rc rc;

	rcn_err_clear(&err);
	rc = rcn_input_open(&in, path, 0, &err);
	if (rc != RCN_OK)
		goto cleanup;
	parser = rcn_parser_new(spec);
	if (readahead)
		ra = rcn_readahead_start(in, READ_CHUNK);
	if (!ra)
		buf = rcn_xmalloc(READ_CHUNK);
	bool parsing = true;
	for (;;) {
		size_t got;
		const char *data = buf;
		rc = ra ? rcn_readahead_next(ra, &data, &got, &err) : rcn_input_read(in, buf, READ_CHUNK, &got, &err);
		if (rc != RCN_OK || got == 0)
			break;
		/* After a fatal parse error keep reading, so the digest covers the whole file. */
		if (parsing && rcn_parser_feed(parser, data, got, NULL) != RCN_OK)
			parsing = false;
	}
	rcn_readahead_stop(ra);
	rcn_rc prc = rcn_parser_finish(parser, out);
	if (rc == RCN_OK)
		rc = prc;
	if (sha256_hex)
		rcn_input_sha256_hex(in, sha256_hex);
cleanup:
	/* Input errors name the file as the caller labels it, like every other message. */
	if (err.code != RCN_OK) {
		if (err.file[0])
			snprintf(err.file, sizeof(err.file), "%s", spec->file);
		reject_with(out, &err);
		rc = err.code;
	}
	free(buf);
	rcn_parser_free(parser);
	rcn_input_close(in);
	return rc;
}

/* The digest of an archive as stored. */
static rcn_rc digest_file(const char *path, const char *label, char sha256_hex[65], rcn_err *err)
{
	rcn_input *in = NULL;
	char *buf = rcn_xmalloc(READ_CHUNK);
	rcn_rc rc = rcn_input_open(&in, path, 0, err);
	size_t got = 1;
	while (rc == RCN_OK && got > 0)
		rc = rcn_input_read(in, buf, READ_CHUNK, &got, err);
	if (rc == RCN_OK)
		rcn_input_sha256_hex(in, sha256_hex);
	else if (err->file[0])
		snprintf(err->file, sizeof(err->file), "%s", label);
	rcn_input_close(in);
	free(buf);
	return rc;
}

/* 1 zip, 0 not a zip, -1 cannot be opened (the stream reader says why). */
static int is_zip_file(const char *path)
{
	unsigned char head[4];
	FILE *f = rcn_input_fopen(path, path, NULL);
	if (!f)
		return -1;
	size_t n = fread(head, 1, sizeof(head), f);
	fclose(f);
	return rcn_zip_magic(head, n);
}

/* An HTML or XML body where a statement was expected: a gateway's error page,
 * a login page, an API error document. Named as such for every channel. */
static bool looks_like_markup(const char *path)
{
	unsigned char head[512];
	FILE *f = rcn_input_fopen(path, path, NULL);
	if (!f)
		return false;
	size_t n = fread(head, 1, sizeof(head), f), i = 0;
	fclose(f);
	if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
		i = 3;
	while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
		i++;
	return i < n && head[i] == '<';
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const char *const role_names[RCN_ENTRY__COUNT] = {[RCN_ENTRY_DETAIL] = "detail",
							 [RCN_ENTRY_SUMMARY] = "summary",
							 [RCN_ENTRY_EXTRA] = "exception",
							 [RCN_ENTRY_KNOWN] = "summary"};

/* Which role an archive entry plays for the source, by its name: the first
 * rule of the bill's layout (recon/channel.h) that the name matches. */
static rcn_entry_role entry_role(const rcn_archive_layout *layout, const char *name, rcn_format_kind *fmt)
{
	for (size_t i = 0; i < RCN_LAYOUT_MAX_RULES && layout->rules[i].role != RCN_ENTRY_NONE; i++) {
		const rcn_entry_rule *r = &layout->rules[i];
		if ((r->contains && !strstr(name, r->contains)) || (r->also && !strstr(name, r->also)) ||
		    (r->prefix && strncmp(name, r->prefix, strlen(r->prefix)) != 0) ||
		    (r->suffix && !ends_with(name, r->suffix)))
			continue;
		*fmt = r->format;
		return r->role;
	}
	return RCN_ENTRY_NONE;
}

/* An archive holds exactly the entries the channel puts there, each role at
 * most once, none in a folder: with two candidates for the detail (a forged
 * a_..._业务明细.csv before the real one, an x/... copy) there is no telling
 * which one is the statement. Fills at[role] with the entry's index. */
static rcn_rc check_layout(rcn_zip *z, const char *label, const char *channel, const rcn_archive_layout *layout,
			   size_t at[RCN_ENTRY__COUNT], rcn_format_kind fmt[RCN_ENTRY__COUNT], rcn_err *err)
{
	for (int r = 0; r < RCN_ENTRY__COUNT; r++) {
		at[r] = SIZE_MAX;
		fmt[r] = RCN_FMT__COUNT;
	}
	if (!layout)
		return rcn_err_set(err, RCN_EFORMAT, label, 0,
				   "a %s statement is a plain or gzip file, not a zip archive", channel);
	for (size_t i = 0; i < rcn_zip_count(z); i++) {
		const rcn_zip_entry *e = rcn_zip_entry_at(z, i);
		rcn_format_kind f = RCN_FMT__COUNT;
		if (strchr(e->name, '/') || strchr(e->name, '\\'))
			return rcn_err_set(err, RCN_EFORMAT, label, 0,
					   "entry \"%s\" is in a folder: a %s statement archive holds %s", e->shown,
					   channel, layout->shown);
		rcn_entry_role r = entry_role(layout, e->name, &f);
		if (r == RCN_ENTRY_NONE)
			return rcn_err_set(err, RCN_EFORMAT, label, 0,
					   "unexpected entry \"%s\": a %s statement archive holds %s", e->shown,
					   channel, layout->shown);
		if (at[r] != SIZE_MAX)
			return rcn_err_set(err, RCN_EFORMAT, label, 0,
					   "two %s entries, \"%s\" and \"%s\": which one is the statement is ambiguous",
					   role_names[r], rcn_zip_entry_at(z, at[r])->shown, e->shown);
		at[r] = i;
		fmt[r] = f;
	}
	return RCN_OK;
}

typedef struct {
	rcn_parser *parser;
	bool failed;
} feed_ctx;

static rcn_rc feed_entry(void *p, const char *buf, size_t n, rcn_err *err)
{
	feed_ctx *c = p;
	if (!c->failed && rcn_parser_feed(c->parser, buf, n, err) != RCN_OK)
		c->failed = true; /* the parser's finish() reports why */
	return RCN_OK;
}

static rcn_rc parse_entry(rcn_zip *z, size_t i, const rcn_parser_spec *spec, rcn_stmt_result *out)
{
	rcn_err err;
	feed_ctx c = {rcn_parser_new(spec), false};
	rcn_err_clear(&err);
	rcn_rc rc = rcn_zip_read(z, i, feed_entry, &c, &err);
	rcn_rc prc = rcn_parser_finish(c.parser, out);
	rcn_parser_free(c.parser);
	if (rc != RCN_OK) {
		reject_with(out, &err);
		return rc;
	}
	return prc;
}

/* A summary's stated totals against the detail rows' sums: the first difference. */
static bool totals_differ(const rcn_totals *t, const rcn_stmt_result *d, char *why, size_t n)
{
	long count = d->payments + (t->has_refund_count ? 0 : d->refunds);
	const struct {
		bool stated;
		int64_t says, rows;
		const char *what;
		int scale; /* -1: a count */
	} checks[] = {
		{t->has_count, t->count, count, "count", -1},
		{t->has_refund_count, t->refund_count, d->refunds, "refund count", -1},
		{t->has_amount, t->amount_fen, d->amount_fen, "amount", 2},
		{t->has_refund_amount, t->refund_fen, d->refund_fen, "refund amount", 2},
		{t->has_fee, t->fee, d->fee, "fee", 5},
		{t->has_net, t->net_fen, d->net_fen, "net", 2},
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (!checks[i].stated || checks[i].says == checks[i].rows)
			continue;
		char a[32], b[32];
		if (checks[i].scale < 0)
			snprintf(why, n, "%s says %lld, rows have %lld", checks[i].what, (long long)checks[i].says,
				 (long long)checks[i].rows);
		else
			snprintf(why, n, "%s says %s, rows have %s", checks[i].what,
				 rcn_money_format(a, sizeof(a), checks[i].says, checks[i].scale),
				 rcn_money_format(b, sizeof(b), checks[i].rows, checks[i].scale));
		return true;
	}
	return false;
}

static void add_result(rcn_stmt_result *into, const rcn_stmt_result *r)
{
	into->rows += r->rows;
	into->payments += r->payments;
	into->refunds += r->refunds;
	into->bad_rows += r->bad_rows;
	into->amount_fen += r->amount_fen;
	into->refund_fen += r->refund_fen;
	into->fee += r->fee;
	into->net_fen += r->net_fen;
	into->movements += r->movements;
	into->movement_in_fen += r->movement_in_fen;
	into->movement_out_fen += r->movement_out_fen;
}

/* "<archive label>:<entry name>", the name quoted (rcn_quote): an entry's
 * name is the archive's to choose, and it labels every message of the entry. */
static void entry_label_of(char *out, size_t cap, const char *label, const char *name)
{
	char q[4 * 256 + 16];
	snprintf(out, cap, "%s:%s", label, rcn_quote(q, sizeof(q), name, strlen(name), 256));
}

/* layout: the bill's archive layout, NULL when its statements never come as a zip. */
static rcn_rc parse_archive(const char *path, const char *label, const rcn_archive_layout *layout,
			    const rcn_parser_spec *base, rcn_stmt_result *out, char sha256_hex[65])
{
	rcn_zip *z = NULL;
	rcn_err err;
	rcn_rc rc;
	size_t at[RCN_ENTRY__COUNT];
	rcn_format_kind fmt[RCN_ENTRY__COUNT];
	/* each entry's records name it by a label of its own: the row store
	 * takes a record's file pointer for its text while it stays the same */
	char entry_label[1024], extra_label[1024];

	rcn_err_clear(&err);
	if ((rc = digest_file(path, label, sha256_hex ? sha256_hex : (char[65]){0}, &err)) ||
	    (rc = rcn_zip_open_file(&z, path, label, NULL, &err))) {
		reject_with(out, &err);
		goto cleanup;
	}
	if ((rc = check_layout(z, label, base->channel, layout, at, fmt, &err)) != RCN_OK) {
		reject_with(out, &err);
		goto cleanup;
	}
	size_t detail = at[RCN_ENTRY_DETAIL], summary = at[RCN_ENTRY_SUMMARY];
	if (detail == SIZE_MAX) {
		rc = rcn_err_set(&err, RCN_EFORMAT, label, 0, "archive has no %s statement entry", base->channel);
		reject_with(out, &err);
		goto cleanup;
	}

	rcn_parser_spec spec = *base;
	entry_label_of(entry_label, sizeof(entry_label), label, rcn_zip_entry_at(z, detail)->name);
	spec.file = entry_label;
	spec.kind = fmt[RCN_ENTRY_DETAIL];
	rc = parse_entry(z, detail, &spec, out);
	if (out->rejected)
		goto cleanup;

	/* The summary entry states what the detail must add up to. */
	if (summary != SIZE_MAX) {
		rcn_stmt_result sum;
		char sum_label[1024], why[300];
		memset(&sum, 0, sizeof(sum));
		entry_label_of(sum_label, sizeof(sum_label), label, rcn_zip_entry_at(z, summary)->name);
		spec = *base;
		spec.file = sum_label;
		spec.kind = fmt[RCN_ENTRY_SUMMARY];
		spec.rec = NULL;
		if (parse_entry(z, summary, &spec, &sum) != RCN_OK || sum.rejected) {
			reject_with(out, &sum.reason);
			rc = sum.reason.code ? sum.reason.code : RCN_EFORMAT;
			goto cleanup;
		}
		if (totals_differ(&sum.stated, out, why, sizeof(why))) {
			rc = rcn_err_set(&err, RCN_ETOTALS, sum_label, 0, "control totals do not match the detail: %s",
					 why);
			reject_with(out, &err);
			goto cleanup;
		}
		out->has_summary = true;
		out->totals_ok = true;
	} else if (layout->no_summary) {
		rc = rcn_err_set(&err, RCN_ETOTALS, label, 0, "%s", layout->no_summary);
		reject_with(out, &err);
		goto cleanup;
	}

	/* Exception records (UnionPay ZME) are reconciled with the rest. */
	if (at[RCN_ENTRY_EXTRA] != SIZE_MAX) {
		size_t i = at[RCN_ENTRY_EXTRA];
		rcn_stmt_result extra;
		memset(&extra, 0, sizeof(extra));
		entry_label_of(extra_label, sizeof(extra_label), label, rcn_zip_entry_at(z, i)->name);
		spec = *base;
		spec.file = extra_label;
		spec.kind = fmt[RCN_ENTRY_EXTRA];
		if (parse_entry(z, i, &spec, &extra) != RCN_OK || extra.rejected) {
			reject_with(out, &extra.reason);
			rc = extra.reason.code ? extra.reason.code : RCN_EFORMAT;
			goto cleanup;
		}
		add_result(out, &extra);
	}
	rc = RCN_OK;
cleanup:
	rcn_zip_close(z);
	return rc;
}

rcn_rc rcn_stmt_parse(const char *path, const char *label, const rcn_stmt_kind *kind, rcn_record_sink rec,
		      rcn_quarantine_sink quar, void *ctx, rcn_stmt_result *out, char sha256_hex[65])
{
	rcn_err err;
	rcn_parser_spec spec = {RCN_FMT__COUNT, label, kind->channel, kind->business_date,
				kind->profile,	rec,   quar,	      ctx};
	/* A built-in channel's bill, by the registry; a bill it lacks (config
	 * refuses one) reads as its first. Any other channel is a profile. */
	const rcn_channel *channel = rcn_channel_find(kind->channel);
	const rcn_bill *bill = channel ? rcn_channel_bill(channel, kind->bill) : NULL;
	if (channel && !bill)
		bill = &channel->bills[0];

	memset(out, 0, sizeof(*out));
	if (sha256_hex)
		sha256_hex[0] = '\0';
	if (!label)
		spec.file = label = path;
	if (bill)
		spec.kind = bill->format;
	else if (kind->profile)
		spec.kind = RCN_FMT_PROFILE;
	if (spec.kind == RCN_FMT__COUNT) {
		rcn_err_set(&err, RCN_EUSAGE, label, 0, "unsupported channel: %s", kind->channel);
		reject_with(out, &err);
		return RCN_EUSAGE;
	}
	int zip = is_zip_file(path);
	if (zip == 1)
		return parse_archive(path, label, bill ? bill->archive : NULL, &spec, out, sha256_hex);
	if (zip == 0 && looks_like_markup(path)) {
		rcn_err_set(&err, RCN_EFORMAT, label, 1, "an HTML or XML page, not a bill");
		reject_with(out, &err);
		if (sha256_hex)
			digest_file(path, label, sha256_hex, &(rcn_err){0});
		return RCN_EFORMAT;
	}
	if (zip == 0 && bill && bill->bare_refused) {
		rcn_err_set(&err, RCN_EFORMAT, label, 0, "%s", bill->bare_refused);
		reject_with(out, &err);
		return RCN_EFORMAT;
	}
	return parse_stream(path, &spec, kind->readahead, out, sha256_hex);
}
