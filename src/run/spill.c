/* The spill files of a night in parts (run/spill.h). A file is a sequence
 * of records, each its length (4 bytes) and its fields, packed: a night of
 * ten million rows writes about as many records, and every byte is written
 * to the page cache, perhaps to the disk, and read back.
 *
 *   [mask: 4 bytes] [integers: zigzag varints] [strings: varint length, bytes, NUL]
 *
 * The mask says, for each string field, that it is empty or the same as in
 * the file's record before (the channel, the merchant, the status, the
 * statement file: they repeat), and neither is written. A row's trade time
 * "YYYY-MM-DD HH:MM:SS" is its date (a string that repeats) and its second
 * of the day; its line, the difference from the line before. A string is
 * followed by a NUL, so that it is read in place. The files never leave the
 * process that writes them. Each file is written through a buffer of its own
 * with write(2) and read back in large blocks; every length is still checked
 * on reading, so a damaged file is an error, never a crash. */
#include "run/spill.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { WRITE_BUF = 1 << 16, READ_BUF = 1 << 20 };

typedef struct {
	int fd; /* -1 until the first record, and once closed */
	char *path;
	char *buf; /* what is not written yet */
	size_t len;
	int err; /* errno of the first failed write, 0 */
	uint64_t bytes;
	long last_line; /* rows: the line of the last record */
	char *prev[16]; /* each repeating string field's value in the last record */
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
	for (size_t i = 0; i < n_src * parts + 1; i++)
		s->rows[i].fd = -1;
	for (size_t i = 0; i < parts + 1; i++)
		s->ledger[i].fd = -1;
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
		f->buf = rcn_xmalloc(WRITE_BUF);
		f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (f->fd < 0)
			f->err = errno ? errno : EIO;
	}
	return f;
}

static void flush_file(spill_file *f)
{
	size_t at = 0;
	while (at < f->len && !f->err && f->fd >= 0) {
		ssize_t k = write(f->fd, f->buf + at, f->len - at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			f->err = k < 0 && errno ? errno : ENOSPC;
		else
			at += (size_t)k;
	}
	f->len = 0;
}

/* Room for n more bytes in f's buffer (a record is at most WRITE_BUF/2 apart
 * from a string longer than that: such a record goes through a buffer of its
 * own size). */
static char *room(spill_file *f, size_t n)
{
	if (f->len + n > WRITE_BUF) {
		flush_file(f);
		if (n > WRITE_BUF) {
			f->buf = rcn_xrealloc(f->buf, n);
		}
	}
	return f->buf + f->len;
}

enum { MAX_FIELDS = 16, MAX_INTS = 12 };

/* A record to write: its integers and strings, each string field marked
 * whether it repeats (compared with the file's last record). */
typedef struct {
	int64_t ints[MAX_INTS];
	size_t n_ints;
	const char *s[MAX_FIELDS];
	size_t len[MAX_FIELDS];
	bool repeats[MAX_FIELDS];
	size_t n_strs;
} rec_fields;

static void add_int(rec_fields *r, int64_t v)
{
	r->ints[r->n_ints++] = v;
}

static void add_str(rec_fields *r, const char *s, bool repeats)
{
	r->s[r->n_strs] = s ? s : "";
	r->repeats[r->n_strs++] = repeats;
}

static size_t put_varint(char *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (char)v;
	return n;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* Writes r into f: the mask, the integers, the strings not left out. */
static void put(spill_file *f, rec_fields *r)
{
	uint32_t mask = 0; /* bit 2i: field i empty; bit 2i+1: as in the last record */
	size_t size = 4 + 4 + 10 * r->n_ints;
	for (size_t i = 0; i < r->n_strs; i++) {
		const char *v = r->s[i];
		if (!v[0]) {
			mask |= 1u << (2 * i);
			continue;
		}
		if (r->repeats[i] && f->prev[i] && strcmp(f->prev[i], v) == 0) {
			mask |= 1u << (2 * i + 1);
			continue;
		}
		r->len[i] = strlen(v);
		size += 10 + r->len[i] + 1;
		if (r->repeats[i]) {
			free(f->prev[i]);
			f->prev[i] = rcn_xstrdup(v);
		}
	}
	char *p = room(f, size), *q = p + 4;
	memcpy(q, &mask, 4);
	q += 4;
	for (size_t i = 0; i < r->n_ints; i++)
		q += put_varint(q, zigzag(r->ints[i]));
	for (size_t i = 0; i < r->n_strs; i++) {
		if (mask >> (2 * i) & 3)
			continue;
		q += put_varint(q, r->len[i]);
		memcpy(q, r->s[i], r->len[i]);
		q[r->len[i]] = '\0';
		q += r->len[i] + 1;
	}
	uint32_t len = (uint32_t)(q - p - 4);
	memcpy(p, &len, 4);
	f->len += (size_t)(q - p);
	f->bytes += (uint64_t)(q - p);
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
	rec_fields o;
	o.n_ints = o.n_strs = 0;
	int64_t sod = second_of_day(r->trade_time);
	char day[11];
	if (sod >= 0) {
		memcpy(day, r->trade_time, 10);
		day[10] = '\0';
	}
	add_str(&o, r->channel, true);
	add_str(&o, r->merchant_id, true);
	add_str(&o, r->channel_txn_id, false);
	add_str(&o, r->order_no, false);
	add_str(&o, r->refund_no, false);
	add_str(&o, r->channel_refund_id, false);
	add_str(&o, r->currency, true);
	add_str(&o, r->status, true);
	add_str(&o, r->trade_type, true);
	add_str(&o, sod >= 0 ? day : r->trade_time, true);
	add_str(&o, r->file, true);
	const int64_t ints[] = {r->type,       r->amount_fen, r->settle_fen,	     r->fee, r->net_fen, r->rate_ppm,
				r->trade_date, sod,	      r->line - f->last_line};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		add_int(&o, ints[i]);
	f->last_line = r->line;
	put(f, &o);
}

static spill_file *ledger_file(rcn_spill *s, uint32_t part)
{
	return file_of(s, &s->ledger[part], "ledger", part, -1);
}

/* A ledger record: 'O' or 'R' and whether it has a currency, four integers, seven strings. */
void rcn_spill_order(rcn_spill *s, uint32_t part, const rcn_ledger_order *o)
{
	spill_file *f = ledger_file(s, part);
	rec_fields r;
	r.n_ints = r.n_strs = 0;
	const int64_t ints[] = {'O', o->currency ? 1 : 0, o->amount_fen, o->created_at, o->paid_at, o->business_date};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		add_int(&r, ints[i]);
	add_str(&r, o->order_no, false);
	add_str(&r, o->merchant_id, true);
	add_str(&r, o->channel, true);
	add_str(&r, o->channel_txn_id, false);
	add_str(&r, o->status, true);
	add_str(&r, o->contract_id, false);
	add_str(&r, o->currency, true);
	put(f, &r);
}

void rcn_spill_refund(rcn_spill *s, uint32_t part, const rcn_ledger_refund *r)
{
	spill_file *f = ledger_file(s, part);
	rec_fields o;
	o.n_ints = o.n_strs = 0;
	const int64_t ints[] = {
		'R', r->currency ? 1 : 0, r->amount_fen, r->requested_at, r->refunded_at, r->business_date};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		add_int(&o, ints[i]);
	add_str(&o, r->refund_no, false);
	add_str(&o, r->order_no, false);
	add_str(&o, r->channel_refund_id, false);
	add_str(&o, r->status, true);
	add_str(&o, r->channel, true);
	add_str(&o, r->merchant_id, true);
	add_str(&o, r->currency, true);
	put(f, &o);
}

static bool finish_file(spill_file *f, rcn_err *err, bool ok)
{
	if (f->fd >= 0 && f->path) {
		flush_file(f);
		if (close(f->fd) != 0 && !f->err)
			f->err = errno ? errno : EIO;
		f->fd = -1;
	}
	free(f->buf);
	f->buf = NULL;
	for (size_t i = 0; i < MAX_FIELDS; i++) {
		free(f->prev[i]);
		f->prev[i] = NULL;
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

/* One record read back: its fields in order, every length checked. The
 * strings left out (repeating) come from the reader's copies of the last
 * record's; a string read is in place, valid during the record's call. */
typedef struct {
	char *prev[MAX_FIELDS];
	size_t prev_cap[MAX_FIELDS];
	long last_line;
} rec_state;

typedef struct {
	const char *p;
	size_t n, at;
	bool bad;
	uint32_t mask;
	size_t field; /* the next string field */
	rec_state *st;
} rec_in;

static void in_open(rec_in *r, rec_state *st, const char *p, size_t n)
{
	*r = (rec_in){.p = p, .n = n, .st = st};
	if (n < 4)
		r->bad = true;
	else
		memcpy(&r->mask, p, 4);
	r->at = 4;
}

static uint64_t in_varint(rec_in *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->bad || r->at >= r->n)
			break;
		unsigned char c = (unsigned char)r->p[r->at++];
		v |= (uint64_t)(c & 0x7F) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static int64_t in_int(rec_in *r)
{
	uint64_t z = in_varint(r);
	return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

/* The next string field (repeats: whether the writer may have left it out). */
static const char *in_str(rec_in *r, bool repeats)
{
	size_t i = r->field++;
	uint32_t m = r->mask >> (2 * i) & 3;
	if (r->bad || i >= MAX_FIELDS)
		goto bad;
	if (m & 1)
		return "";
	if (m & 2)
		return r->st->prev[i] && repeats ? r->st->prev[i] : (r->bad = true, "");
	uint64_t n = in_varint(r);
	if (r->bad || r->n - r->at < n + 1 || r->p[r->at + n] != '\0')
		goto bad;
	const char *s = r->p + r->at;
	r->at += (size_t)n + 1;
	if (repeats) { /* kept for the records that leave it out */
		rcn_xreserve((void **)&r->st->prev[i], &r->st->prev_cap[i], (size_t)n + 1, 1);
		memcpy(r->st->prev[i], s, (size_t)n + 1);
	}
	return s;
bad:
	r->bad = true;
	return "";
}

static ssize_t read_full(int fd, char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Each record of a file: fn(ctx, its bytes); false when unreadable. The
 * file is read once: it is removed after (its disk and page cache are
 * given back while the next parts are read). */
static bool each_record(spill_file *f, bool (*fn)(void *ctx, rec_in *r), void *ctx, rcn_err *err)
{
	if (!f->path)
		return true; /* nothing of this part */
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rcn_err_set(err, RCN_EIO, f->path, 0, "cannot read the night's parts: %s", strerror(errno));
		return false;
	}
	size_t cap = READ_BUF, have = 0, at = 0;
	char *buf = rcn_xmalloc(cap);
	rec_state st = {0};
	bool ok = true, eof = false;
	while (ok) {
		if (have - at < 4 && !eof) { /* the next length: move the rest to the front, read on */
			memmove(buf, buf + at, have - at);
			have -= at;
			at = 0;
			ssize_t k = read_full(fd, buf + have, cap - have);
			ok = k >= 0;
			eof = k >= 0 && (size_t)k < cap - have;
			have += k > 0 ? (size_t)k : 0;
			continue;
		}
		if (have - at < 4) {
			ok = have == at; /* nothing left, or a torn length */
			break;
		}
		uint32_t n;
		memcpy(&n, buf + at, 4);
		if (have - at - 4 < n) {
			if (eof) {
				ok = false;
				break;
			}
			memmove(buf, buf + at, have - at);
			have -= at;
			at = 0;
			if ((size_t)n + 4 > cap) {
				cap = (size_t)n + 4;
				buf = rcn_xrealloc(buf, cap);
			}
			ssize_t k = read_full(fd, buf + have, cap - have);
			ok = k >= 0;
			eof = k >= 0 && (size_t)k < cap - have;
			have += k > 0 ? (size_t)k : 0;
			continue;
		}
		rec_in r;
		in_open(&r, &st, buf + at + 4, n);
		ok = fn(ctx, &r) && !r.bad && r.at == r.n;
		at += 4 + (size_t)n;
	}
	if (!ok)
		rcn_err_set(err, RCN_EIO, f->path, 0,
			    "the night's parts are unreadable (changed while the night ran?); nothing committed");
	close(fd);
	free(buf);
	for (size_t i = 0; i < MAX_FIELDS; i++)
		free(st.prev[i]);
	(void)unlink(f->path);
	return ok;
}

typedef struct {
	void (*fn)(void *ctx, const rcn_record *r);
	void *ctx;
} rows_reader;

static bool read_row(void *p, rec_in *in)
{
	rows_reader *rr = p;
	rcn_record r = {.provider_id = ""};
	int64_t ints[9];
	for (size_t i = 0; i < 9; i++)
		ints[i] = in_int(in);
	r.channel = in_str(in, true);
	r.merchant_id = in_str(in, true);
	r.channel_txn_id = in_str(in, false);
	r.order_no = in_str(in, false);
	r.refund_no = in_str(in, false);
	r.channel_refund_id = in_str(in, false);
	r.currency = in_str(in, true);
	r.status = in_str(in, true);
	r.trade_type = in_str(in, true);
	const char *t = in_str(in, true);
	r.file = in_str(in, true);
	int64_t sod = ints[7];
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
	r.settle_fen = ints[2];
	r.fee = ints[3];
	r.net_fen = ints[4];
	r.rate_ppm = ints[5];
	r.trade_date = (rcn_date)ints[6];
	in->st->last_line += (long)ints[8];
	r.line = in->st->last_line;
	if (in->bad)
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

static bool read_ledger_row(void *p, rec_in *in)
{
	const rcn_ledger_sink *sink = p;
	int64_t tag = in_int(in), has_currency = in_int(in);
	int64_t ints[4];
	for (size_t i = 0; i < 4; i++)
		ints[i] = in_int(in);
	if (tag == 'O') {
		rcn_ledger_order o;
		o.order_no = in_str(in, false);
		o.merchant_id = in_str(in, true);
		o.channel = in_str(in, true);
		o.channel_txn_id = in_str(in, false);
		o.status = in_str(in, true);
		o.contract_id = in_str(in, false);
		o.currency = in_str(in, true);
		if (!has_currency)
			o.currency = NULL;
		o.amount_fen = ints[0];
		o.created_at = ints[1];
		o.paid_at = ints[2];
		o.business_date = (rcn_date)ints[3];
		if (!in->bad && sink->order)
			sink->order(sink->ctx, &o);
	} else if (tag == 'R') {
		rcn_ledger_refund r;
		r.refund_no = in_str(in, false);
		r.order_no = in_str(in, false);
		r.channel_refund_id = in_str(in, false);
		r.status = in_str(in, true);
		r.channel = in_str(in, true);
		r.merchant_id = in_str(in, true);
		r.currency = in_str(in, true);
		if (!has_currency)
			r.currency = NULL;
		r.amount_fen = ints[0];
		r.requested_at = ints[1];
		r.refunded_at = ints[2];
		r.business_date = (rcn_date)ints[3];
		if (!in->bad && sink->refund)
			sink->refund(sink->ctx, &r);
	} else {
		return false;
	}
	return !in->bad;
}

bool rcn_spill_read_ledger(rcn_spill *s, uint32_t part, const rcn_ledger_sink *sink, rcn_err *err)
{
	return each_record(&s->ledger[part], read_ledger_row, (void *)sink, err);
}

void rcn_spill_test_damage(rcn_spill *s)
{
	const char *at = getenv("RECON_TEST_DAMAGE_PART");
	long k = at ? strtol(at, NULL, 10) : 0;
	for (; k > 0 && (uint64_t)k < s->parts; k++)
		if (s->ledger[k].path) {
			(void)truncate(s->ledger[k].path, 3);
			return;
		}
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
	if (f->fd >= 0 && f->path)
		close(f->fd);
	if (f->path)
		(void)unlink(f->path); /* (a part not read: the night failed) */
	free(f->path);
	free(f->buf);
	for (size_t i = 0; i < MAX_FIELDS; i++)
		free(f->prev[i]);
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
