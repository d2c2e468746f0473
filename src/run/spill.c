/* The spill files of a night in parts (run/spill.h). A file is a sequence
 * of records, each its length (4 bytes, little-endian) and its fields
 * (recon/wire.h); a ledger record starts with 'O' (an order) or 'R'. */
#include "run/spill.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recon/wire.h"

typedef struct {
	FILE *f;
	char *path;
	rcn_buf rec; /* the record being written */
	int err;     /* errno of the first failed write, 0 */
	uint64_t bytes;
} spill_file;

struct rcn_spill {
	char *dir;
	uint32_t parts;
	size_t n_src;
	spill_file *rows;   /* [src * parts + part] */
	spill_file *ledger; /* [part] */
};

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char path[4096];
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			(void)unlink(path);
		}
		closedir(d);
	}
	(void)rmdir(dir);
}

rcn_spill *rcn_spill_new(const char *dir, uint32_t parts, size_t n_src, rcn_err *err)
{
	remove_dir(dir); /* a killed run's */
	char parent[4096];
	snprintf(parent, sizeof parent, "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		(void)mkdir(parent, 0700);
	}
	if (mkdir(dir, 0700) != 0) {
		rcn_err_set(err, RCN_EIO, dir, 0, "cannot create the directory for the night's parts: %s",
			    strerror(errno));
		return NULL;
	}
	rcn_spill *s = rcn_xcalloc(1, sizeof *s);
	s->dir = rcn_xstrdup(dir);
	s->parts = parts;
	s->n_src = n_src;
	s->rows = rcn_xcalloc(n_src * parts + 1, sizeof *s->rows);
	s->ledger = rcn_xcalloc(parts + 1, sizeof *s->ledger);
	return s;
}

/* f, opened on its first record as dir/<kind>-<a>[-<b>]. */
static spill_file *file_of(rcn_spill *s, spill_file *f, const char *kind, size_t a, long b)
{
	if (!f->path) {
		char path[4096];
		if (b >= 0)
			snprintf(path, sizeof path, "%s/%s-%zu-%ld", s->dir, kind, a, b);
		else
			snprintf(path, sizeof path, "%s/%s-%zu", s->dir, kind, a);
		f->path = rcn_xstrdup(path);
		rcn_buf_init(&f->rec, (size_t)1 << 30);
		f->f = fopen(path, "wb");
		if (!f->f)
			f->err = errno ? errno : EIO;
		else
			setvbuf(f->f, NULL, _IOFBF, 1 << 18);
	}
	return f;
}

/* Writes f's record (its length, then it) and empties it. */
static void put(spill_file *f)
{
	unsigned char len[4];
	uint32_t n = (uint32_t)f->rec.len;
	for (int i = 0; i < 4; i++)
		len[i] = (unsigned char)(n >> (8 * i));
	if (!f->err && f->f && (fwrite(len, 1, 4, f->f) != 4 || fwrite(f->rec.data, 1, f->rec.len, f->f) != f->rec.len))
		f->err = errno ? errno : EIO;
	f->bytes += 4 + f->rec.len;
	rcn_buf_reset(&f->rec);
}

void rcn_spill_record(rcn_spill *s, size_t src, uint32_t part, const rcn_record *r)
{
	spill_file *f = file_of(s, &s->rows[src * s->parts + part], "rows", src, (long)part);
	rcn_buf *b = &f->rec;
	const char *strs[] = {
		r->channel,  r->merchant_id, r->channel_txn_id, r->order_no,   r->refund_no, r->channel_refund_id,
		r->currency, r->status,	     r->trade_type,	r->trade_time, r->file};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		rcn_wire_str(b, strs[i]);
	const int64_t ints[] = {r->type,    r->amount_fen, r->settle_fen, r->fee,
				r->net_fen, r->rate_ppm,   r->trade_date, r->line};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		rcn_wire_i64(b, ints[i]);
	put(f);
}

static spill_file *ledger_file(rcn_spill *s, uint32_t part)
{
	return file_of(s, &s->ledger[part], "ledger", part, -1);
}

void rcn_spill_order(rcn_spill *s, uint32_t part, const rcn_ledger_order *o)
{
	spill_file *f = ledger_file(s, part);
	rcn_buf *b = &f->rec;
	rcn_wire_str(b, "O");
	const char *strs[] = {o->order_no, o->merchant_id, o->channel, o->channel_txn_id,
			      o->status,   o->contract_id, o->currency};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		rcn_wire_str(b, strs[i]);
	rcn_wire_i64(b, o->currency ? 1 : 0);
	rcn_wire_i64(b, o->amount_fen);
	rcn_wire_i64(b, o->created_at);
	rcn_wire_i64(b, o->paid_at);
	rcn_wire_i64(b, o->business_date);
	put(f);
}

void rcn_spill_refund(rcn_spill *s, uint32_t part, const rcn_ledger_refund *r)
{
	spill_file *f = ledger_file(s, part);
	rcn_buf *b = &f->rec;
	rcn_wire_str(b, "R");
	const char *strs[] = {r->refund_no, r->order_no,    r->channel_refund_id, r->status,
			      r->channel,   r->merchant_id, r->currency};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		rcn_wire_str(b, strs[i]);
	rcn_wire_i64(b, r->currency ? 1 : 0);
	rcn_wire_i64(b, r->amount_fen);
	rcn_wire_i64(b, r->requested_at);
	rcn_wire_i64(b, r->refunded_at);
	rcn_wire_i64(b, r->business_date);
	put(f);
}

static bool finish_file(spill_file *f, rcn_err *err, bool ok)
{
	if (f->f) {
		if (fclose(f->f) != 0 && !f->err)
			f->err = errno ? errno : EIO;
		f->f = NULL;
	}
	if (ok && f->err) {
		rcn_err_set(err, RCN_EIO, f->path ? f->path : "", 0,
			    "cannot write the night's parts: %s; nothing committed", strerror(f->err));
		return false;
	}
	return ok;
}

bool rcn_spill_finish(rcn_spill *s, rcn_err *err)
{
	bool ok = true;
	for (size_t i = 0; i < s->n_src * s->parts; i++)
		ok = finish_file(&s->rows[i], err, ok);
	for (uint32_t i = 0; i < s->parts; i++)
		ok = finish_file(&s->ledger[i], err, ok);
	return ok;
}

/* Each record of a file: fn(ctx, wire over its bytes); false when unreadable. */
static bool each_record(const spill_file *f, bool (*fn)(void *ctx, rcn_wire *w), void *ctx, rcn_err *err)
{
	if (!f->path)
		return true; /* nothing of this part */
	FILE *in = fopen(f->path, "rb");
	if (!in) {
		rcn_err_set(err, RCN_EIO, f->path, 0, "cannot read the night's parts: %s", strerror(errno));
		return false;
	}
	setvbuf(in, NULL, _IOFBF, 1 << 18);
	char *buf = NULL;
	size_t cap = 0;
	unsigned char len[4];
	bool ok = true;
	while (ok && fread(len, 1, 4, in) == 4) {
		size_t n = (size_t)len[0] | (size_t)len[1] << 8 | (size_t)len[2] << 16 | (size_t)len[3] << 24;
		rcn_xreserve((void **)&buf, &cap, n + 1, 1);
		rcn_wire w;
		ok = fread(buf, 1, n, in) == n;
		rcn_wire_open(&w, buf, n);
		ok = ok && fn(ctx, &w) && !w.bad;
	}
	if (ok && ferror(in))
		ok = false;
	if (!ok)
		rcn_err_set(err, RCN_EIO, f->path, 0,
			    "the night's parts are unreadable (changed while the night ran?)");
	fclose(in);
	free(buf);
	return ok;
}

typedef struct {
	void (*fn)(void *ctx, const rcn_record *r);
	void *ctx;
} rows_reader;

static bool read_row(void *p, rcn_wire *w)
{
	rows_reader *rr = p;
	rcn_record r;
	memset(&r, 0, sizeof r);
	const char **strs[] = {&r.channel,	     &r.merchant_id, &r.channel_txn_id, &r.order_no,  &r.refund_no,
			       &r.channel_refund_id, &r.currency,    &r.status,		&r.trade_type};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		*strs[i] = rcn_wire_get_str(w);
	snprintf(r.trade_time, sizeof r.trade_time, "%s", rcn_wire_get_str(w));
	r.file = rcn_wire_get_str(w);
	r.provider_id = "";
	r.type = (rcn_rec_type)rcn_wire_get_i64(w);
	r.amount_fen = rcn_wire_get_i64(w);
	r.settle_fen = rcn_wire_get_i64(w);
	r.fee = rcn_wire_get_i64(w);
	r.net_fen = rcn_wire_get_i64(w);
	r.rate_ppm = rcn_wire_get_i64(w);
	r.trade_date = (rcn_date)rcn_wire_get_i64(w);
	r.line = (long)rcn_wire_get_i64(w);
	if (w->bad)
		return false;
	rr->fn(rr->ctx, &r);
	return true;
}

bool rcn_spill_read_records(rcn_spill *s, size_t src, uint32_t part, void (*fn)(void *ctx, const rcn_record *r),
			    void *ctx, rcn_err *err)
{
	rows_reader rr = {fn, ctx};
	return each_record(&s->rows[src * s->parts + part], read_row, &rr, err);
}

static bool read_ledger_row(void *p, rcn_wire *w)
{
	const rcn_ledger_sink *sink = p;
	const char *tag = rcn_wire_get_str(w);
	if (strcmp(tag, "O") == 0) {
		rcn_ledger_order o;
		const char **strs[] = {&o.order_no, &o.merchant_id, &o.channel, &o.channel_txn_id,
				       &o.status,   &o.contract_id, &o.currency};
		for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
			*strs[i] = rcn_wire_get_str(w);
		if (rcn_wire_get_i64(w) == 0)
			o.currency = NULL;
		o.amount_fen = rcn_wire_get_i64(w);
		o.created_at = rcn_wire_get_i64(w);
		o.paid_at = rcn_wire_get_i64(w);
		o.business_date = (rcn_date)rcn_wire_get_i64(w);
		if (!w->bad && sink->order)
			sink->order(sink->ctx, &o);
	} else if (strcmp(tag, "R") == 0) {
		rcn_ledger_refund r;
		const char **strs[] = {&r.refund_no, &r.order_no,    &r.channel_refund_id, &r.status,
				       &r.channel,   &r.merchant_id, &r.currency};
		for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
			*strs[i] = rcn_wire_get_str(w);
		if (rcn_wire_get_i64(w) == 0)
			r.currency = NULL;
		r.amount_fen = rcn_wire_get_i64(w);
		r.requested_at = rcn_wire_get_i64(w);
		r.refunded_at = rcn_wire_get_i64(w);
		r.business_date = (rcn_date)rcn_wire_get_i64(w);
		if (!w->bad && sink->refund)
			sink->refund(sink->ctx, &r);
	} else {
		return false;
	}
	return !w->bad;
}

bool rcn_spill_read_ledger(rcn_spill *s, uint32_t part, const rcn_ledger_sink *sink, rcn_err *err)
{
	return each_record(&s->ledger[part], read_ledger_row, (void *)sink, err);
}

uint64_t rcn_spill_bytes(const rcn_spill *s)
{
	uint64_t n = 0;
	for (size_t i = 0; i < s->n_src * s->parts; i++)
		n += s->rows[i].bytes;
	for (uint32_t i = 0; i < s->parts; i++)
		n += s->ledger[i].bytes;
	return n;
}

static void free_file(spill_file *f)
{
	if (f->f)
		fclose(f->f);
	if (f->path)
		(void)unlink(f->path);
	free(f->path);
	rcn_buf_free(&f->rec);
}

void rcn_spill_free(rcn_spill *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_src * s->parts; i++)
		free_file(&s->rows[i]);
	for (uint32_t i = 0; i < s->parts; i++)
		free_file(&s->ledger[i]);
	remove_dir(s->dir);
	free(s->rows);
	free(s->ledger);
	free(s->dir);
	free(s);
}
