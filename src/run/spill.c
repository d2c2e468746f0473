/* The spill files of a night in parts (run/spill.h), in the packed records
 * of recon/pack.h. Every string is written against the file's record
 * before: the channel, merchant, status, currency, trade type and statement
 * file repeat and are written once per change, the ids share their front
 * with the last one's (a transaction id costs a few bytes). A row's trade
 * time "YYYY-MM-DD HH:MM:SS" is its date and its second of the day; the
 * integers that follow from the record before (dates, times, the second
 * of the day, the rate, the line) are written as the difference from it,
 * the settlement amount as its difference from the amount and the net from
 * the settlement less the fee. About 40 bytes a row and an order at 10 M
 * (95 before the ids and integers were written so). */
#include "run/spill.h"

#include "recon/pack.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { N_LAST = 6 };

typedef struct {
	rcn_pack_out out;     /* path NULL until the first record */
	long last_line;	      /* rows: the line of the last record */
	size_t n;	      /* records written */
	int64_t last[N_LAST]; /* the integers written as differences, in the last record */
	/* rows read back: each channel and statement file met, one copy each */
	char **labels;
	size_t n_labels, cap_labels;
} spill_file;

/* A copy of s that stays put while the spill lives: a record's channel and
 * file are pointers the row store takes for their text while they stay the
 * same (rcn_record), which the reader's own buffer for the last value is
 * not, when a source's file changes (UnionPay's ZM, then its ZME). */
static const char *label_of(spill_file *f, const char *s)
{
	for (size_t i = 0; i < f->n_labels; i++)
		if (strcmp(f->labels[i], s) == 0)
			return f->labels[i];
	rcn_xreserve((void **)&f->labels, &f->cap_labels, f->n_labels + 1, sizeof(char *));
	return f->labels[f->n_labels++] = rcn_xstrdup(s);
}

/* Differences that wrap as the file's integers may (INT64_MIN, INT64_MAX). */
static int64_t minus(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

static int64_t plus(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* v written as its difference from the last record's, at slot i. */
static int64_t step(spill_file *f, size_t i, int64_t v)
{
	int64_t d = minus(v, f->last[i]);
	f->last[i] = v;
	return d;
}

/* The value read back from its difference d, at slot i. */
static int64_t unstep(spill_file *f, size_t i, int64_t d)
{
	f->last[i] = plus(f->last[i], d);
	return f->last[i];
}

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

/* f, named on its first record dir/<kind>-<a>[-<b>] (opened by its first write). */
static spill_file *file_of(rcn_spill *s, spill_file *f, const char *kind, size_t a, long b)
{
	if (!f->out.path) {
		char path[4096];
		if (b >= 0)
			snprintf(path, sizeof path, "%s/%s-%zu-%ld", s->dir, kind, a, b);
		else
			snprintf(path, sizeof path, "%s/%s-%zu", s->dir, kind, a);
		rcn_pack_out_init(&f->out, path);
	}
	return f;
}

/* "YYYY-MM-DD HH:MM:SS": its second of the day, -1 for any other text. */
static int64_t second_of_day(const char *t)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	for (int i = 0; i < 19; i++) {
		bool ok = shape[i] == 'd' ? t[i] >= '0' && t[i] <= '9' : t[i] == shape[i];
		if (!ok)
			return -1;
	}
	if (t[19])
		return -1;
	int h = (t[11] - '0') * 10 + t[12] - '0', m = (t[14] - '0') * 10 + t[15] - '0',
	    sec = (t[17] - '0') * 10 + t[18] - '0';
	return h * 3600 + m * 60 + sec;
}

void rcn_spill_record(rcn_spill *s, size_t src, uint32_t part, const rcn_record *r)
{
	spill_file *f = file_of(s, &s->rows[src * s->parts + part], "rows", src, (long)part);
	rcn_pack_rec o;
	rcn_pack_rec_init(&o);
	int64_t sod = second_of_day(r->trade_time);
	char day[11];
	if (sod >= 0) {
		memcpy(day, r->trade_time, 10);
		day[10] = '\0';
	}
	rcn_pack_str(&o, r->channel, true);
	rcn_pack_str(&o, r->merchant_id, true);
	rcn_pack_str(&o, r->channel_txn_id, true);
	rcn_pack_str(&o, r->order_no, true);
	rcn_pack_str(&o, r->refund_no, true);
	rcn_pack_str(&o, r->channel_refund_id, true);
	rcn_pack_str(&o, r->currency, true);
	rcn_pack_str(&o, r->status, true);
	rcn_pack_str(&o, r->trade_type, true);
	rcn_pack_str(&o, sod >= 0 ? day : r->trade_time, true);
	rcn_pack_str(&o, r->file, true);
	const int64_t ints[] = {r->type,
				r->amount_fen,
				minus(r->settle_fen, r->amount_fen),
				r->fee,
				minus(r->net_fen, minus(r->settle_fen, r->fee)),
				step(f, 0, r->rate_ppm),
				step(f, 1, r->trade_date),
				step(f, 2, sod),
				r->line - f->last_line};
	rcn_pack_ints(&o, ints, sizeof ints / sizeof ints[0]);
	f->last_line = r->line;
	f->n++;
	rcn_pack_put(&f->out, &o);
}

static spill_file *ledger_file(rcn_spill *s, uint32_t part)
{
	return file_of(s, &s->ledger[part], "ledger", part, -1);
}

/* A ledger record: 'O' or 'R' and whether it has a currency, four integers
 * (the times and the business date as differences), seven strings. */
void rcn_spill_order(rcn_spill *s, uint32_t part, const rcn_ledger_order *o)
{
	spill_file *f = ledger_file(s, part);
	rcn_pack_rec r;
	rcn_pack_rec_init(&r);
	const int64_t ints[] = {'O',
				o->currency ? 1 : 0,
				o->amount_fen,
				step(f, 0, o->created_at),
				step(f, 1, o->paid_at),
				step(f, 2, o->business_date)};
	rcn_pack_ints(&r, ints, sizeof ints / sizeof ints[0]);
	rcn_pack_str(&r, o->order_no, true);
	rcn_pack_str(&r, o->merchant_id, true);
	rcn_pack_str(&r, o->channel, true);
	rcn_pack_str(&r, o->channel_txn_id, true);
	rcn_pack_str(&r, o->status, true);
	rcn_pack_str(&r, o->contract_id, true);
	rcn_pack_str(&r, o->currency, true);
	f->n++;
	rcn_pack_put(&f->out, &r);
}

void rcn_spill_refund(rcn_spill *s, uint32_t part, const rcn_ledger_refund *r)
{
	spill_file *f = ledger_file(s, part);
	rcn_pack_rec o;
	rcn_pack_rec_init(&o);
	const int64_t ints[] = {'R',
				r->currency ? 1 : 0,
				r->amount_fen,
				step(f, 3, r->requested_at),
				step(f, 4, r->refunded_at),
				step(f, 2, r->business_date)};
	rcn_pack_ints(&o, ints, sizeof ints / sizeof ints[0]);
	rcn_pack_str(&o, r->refund_no, true);
	rcn_pack_str(&o, r->order_no, true);
	rcn_pack_str(&o, r->channel_refund_id, true);
	rcn_pack_str(&o, r->status, true);
	rcn_pack_str(&o, r->channel, true);
	rcn_pack_str(&o, r->merchant_id, true);
	rcn_pack_str(&o, r->currency, true);
	f->n++;
	rcn_pack_put(&f->out, &o);
}

static bool finish_file(spill_file *f, rcn_err *err, bool ok)
{
	if (!f->out.path)
		return ok;
	if (!rcn_pack_close(&f->out) && ok) {
		rcn_err_set(err, RCN_EIO, f->out.path, 0, "cannot write the night's parts: %s; nothing committed",
			    strerror(f->out.err));
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

/* Each record of a file: fn(ctx, the reader at it); false when unreadable.
 * The file is read once: it is removed after (its disk and page cache are
 * given back while the next parts are read). */
static bool each_record(spill_file *f, bool (*fn)(void *ctx, rcn_pack_in *in), void *ctx, rcn_err *err)
{
	if (!f->out.path)
		return true; /* nothing of this part */
	rcn_pack_in in;
	if (!rcn_pack_in_open(&in, f->out.path)) {
		rcn_err_set(err, RCN_EIO, f->out.path, 0, "cannot read the night's parts: %s", strerror(errno));
		return false;
	}
	f->last_line = 0;
	memset(f->last, 0, sizeof f->last);
	bool ok = true;
	size_t n = 0;
	while (ok && rcn_pack_next(&in)) {
		ok = fn(ctx, &in) && rcn_pack_done(&in);
		n++;
	}
	ok = ok && !in.bad && n == f->n; /* (a file cut between two records too) */
	if (!ok)
		rcn_err_set(err, RCN_EIO, f->out.path, 0,
			    "the night's parts are unreadable (changed while the night ran?); nothing committed");
	rcn_pack_in_close(&in);
	(void)unlink(f->out.path);
	return ok;
}

typedef struct {
	void (*fn)(void *ctx, const rcn_record *r);
	void *ctx;
	spill_file *f;
	const char *channel, *file; /* the last record's, from f's labels */
} rows_reader;

static bool read_row(void *p, rcn_pack_in *in)
{
	rows_reader *rr = p;
	rcn_record r = {.provider_id = ""};
	int64_t ints[9];
	for (size_t i = 0; i < 9; i++)
		ints[i] = rcn_pack_get_int(in);
	r.channel = rcn_pack_get_str(in, true);
	if (!rcn_pack_str_same(in) || !rr->channel)
		rr->channel = label_of(rr->f, r.channel);
	r.channel = rr->channel;
	r.merchant_id = rcn_pack_get_str(in, true);
	r.channel_txn_id = rcn_pack_get_str(in, true);
	r.order_no = rcn_pack_get_str(in, true);
	r.refund_no = rcn_pack_get_str(in, true);
	r.channel_refund_id = rcn_pack_get_str(in, true);
	r.currency = rcn_pack_get_str(in, true);
	r.status = rcn_pack_get_str(in, true);
	r.trade_type = rcn_pack_get_str(in, true);
	const char *t = rcn_pack_get_str(in, true);
	r.file = rcn_pack_get_str(in, true);
	if (!rcn_pack_str_same(in) || !rr->file)
		rr->file = label_of(rr->f, r.file);
	r.file = rr->file;
	spill_file *f = rr->f;
	int64_t sod = unstep(f, 2, ints[7]);
	if (sod >= 0 && strlen(t) == 10 && sod < 86400) { /* its date and its second of the day */
		int h = (int)(sod / 3600), m = (int)(sod / 60 % 60), sec = (int)(sod % 60);
		memcpy(r.trade_time, t, 10);
		char *q = r.trade_time + 10;
		*q++ = ' ';
		*q++ = (char)('0' + h / 10);
		*q++ = (char)('0' + h % 10);
		*q++ = ':';
		*q++ = (char)('0' + m / 10);
		*q++ = (char)('0' + m % 10);
		*q++ = ':';
		*q++ = (char)('0' + sec / 10);
		*q++ = (char)('0' + sec % 10);
		*q = '\0';
	} else if (sod >= 0) {
		in->bad = true;
	} else {
		size_t tn = strlen(t);
		if (tn >= sizeof r.trade_time)
			tn = sizeof r.trade_time - 1;
		memcpy(r.trade_time, t, tn);
		r.trade_time[tn] = '\0';
	}
	r.type = (rcn_rec_type)ints[0];
	r.amount_fen = ints[1];
	r.settle_fen = plus(ints[2], r.amount_fen);
	r.fee = ints[3];
	r.net_fen = plus(ints[4], minus(r.settle_fen, r.fee));
	r.rate_ppm = unstep(f, 0, ints[5]);
	r.trade_date = (rcn_date)unstep(f, 1, ints[6]);
	rr->f->last_line += (long)ints[8];
	r.line = rr->f->last_line;
	if (in->bad)
		return false;
	rr->fn(rr->ctx, &r);
	return true;
}

bool rcn_spill_read_records(rcn_spill *s, size_t src, uint32_t part, void (*fn)(void *ctx, const rcn_record *r),
			    void *ctx, rcn_err *err)
{
	spill_file *f = &s->rows[src * s->parts + part];
	rows_reader rr = {fn, ctx, f, NULL, NULL};
	return each_record(f, read_row, &rr, err);
}

typedef struct {
	const rcn_ledger_sink *sink;
	spill_file *f;
} ledger_reader;

static bool read_ledger_row(void *p, rcn_pack_in *in)
{
	ledger_reader *lr = p;
	const rcn_ledger_sink *sink = lr->sink;
	spill_file *f = lr->f;
	int64_t tag = rcn_pack_get_int(in), has_currency = rcn_pack_get_int(in);
	int64_t ints[4];
	for (size_t i = 0; i < 4; i++)
		ints[i] = rcn_pack_get_int(in);
	if (tag == 'O') {
		rcn_ledger_order o;
		o.order_no = rcn_pack_get_str(in, true);
		o.merchant_id = rcn_pack_get_str(in, true);
		o.channel = rcn_pack_get_str(in, true);
		o.channel_txn_id = rcn_pack_get_str(in, true);
		o.status = rcn_pack_get_str(in, true);
		o.contract_id = rcn_pack_get_str(in, true);
		o.currency = rcn_pack_get_str(in, true);
		if (!has_currency)
			o.currency = NULL;
		o.amount_fen = ints[0];
		o.created_at = unstep(f, 0, ints[1]);
		o.paid_at = unstep(f, 1, ints[2]);
		o.business_date = (rcn_date)unstep(f, 2, ints[3]);
		if (!in->bad && sink->order)
			sink->order(sink->ctx, &o);
	} else if (tag == 'R') {
		rcn_ledger_refund r;
		r.refund_no = rcn_pack_get_str(in, true);
		r.order_no = rcn_pack_get_str(in, true);
		r.channel_refund_id = rcn_pack_get_str(in, true);
		r.status = rcn_pack_get_str(in, true);
		r.channel = rcn_pack_get_str(in, true);
		r.merchant_id = rcn_pack_get_str(in, true);
		r.currency = rcn_pack_get_str(in, true);
		if (!has_currency)
			r.currency = NULL;
		r.amount_fen = ints[0];
		r.requested_at = unstep(f, 3, ints[1]);
		r.refunded_at = unstep(f, 4, ints[2]);
		r.business_date = (rcn_date)unstep(f, 2, ints[3]);
		if (!in->bad && sink->refund)
			sink->refund(sink->ctx, &r);
	} else {
		return false;
	}
	return !in->bad;
}

bool rcn_spill_read_ledger(rcn_spill *s, uint32_t part, const rcn_ledger_sink *sink, rcn_err *err)
{
	ledger_reader lr = {sink, &s->ledger[part]};
	return each_record(lr.f, read_ledger_row, &lr, err);
}

void rcn_spill_test_damage(rcn_spill *s)
{
	const char *at = getenv("RECON_TEST_DAMAGE_PART");
	long k = at ? strtol(at, NULL, 10) : 0;
	for (; k > 0 && (uint64_t)k < s->parts; k++)
		if (s->ledger[k].out.path) {
			(void)truncate(s->ledger[k].out.path, 3);
			return;
		}
}

const char *rcn_spill_dir(const rcn_spill *s)
{
	return s->dir;
}

size_t rcn_spill_count_records(const rcn_spill *s, size_t src, uint32_t part)
{
	return s->rows[src * s->parts + part].n;
}

size_t rcn_spill_count_ledger(const rcn_spill *s, uint32_t part)
{
	return s->ledger[part].n;
}

uint64_t rcn_spill_bytes(const rcn_spill *s)
{
	uint64_t n = 0;
	for (size_t i = 0; i < s->n_src * s->parts; i++)
		n += s->rows[i].out.bytes;
	for (uint32_t i = 0; i < s->parts; i++)
		n += s->ledger[i].out.bytes;
	return n;
}

static void free_file(spill_file *f)
{
	if (f->out.path)
		(void)unlink(f->out.path); /* (a part not read: the night failed) */
	rcn_pack_out_free(&f->out);
	for (size_t i = 0; i < f->n_labels; i++)
		free(f->labels[i]);
	free(f->labels);
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
