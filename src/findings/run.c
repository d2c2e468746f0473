/* Sorted runs of findings on disk and their merge (recon/findings_run.h).
 * A finding is one packed record: ten integers (the kind, side, record type
 * and flags in the first) and fourteen strings, each written against the
 * record before's (recon/pack.h): the repeating ones (reason, channel,
 * merchant, statuses, the action) once per change, the others by what they
 * do not share with it — a run is sorted by kind and order number, so the
 * order numbers, the times, the file:line of the rows and the details'
 * words in front mostly are. */
#include "recon/findings_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recon/findings.h"
#include "recon/pack.h"

enum { RUN_READ_BUF = 1 << 16 }; /* a night's passes read every run at once, several passes at a time */
enum { RUN_END = 0xFF };	 /* the kind of the record that ends a run */

enum {
	F_LEDGER_AMOUNT = 1,
	F_CHANNEL_AMOUNT = 2,
	F_EXPECTED_FEE = 4,
	F_CHANNEL_FEE = 8,
	F_DIFFERENCE = 16,
	F_URGENT = 32,
	F_NO_ACTION = 64, /* action_cn NULL */
	F_NO_ITEM = 128,  /* item_id NULL */
	F_ACTION_FILLED = 256
};

static void put_finding(rcn_pack_out *out, const rcn_finding *f)
{
	int64_t flags = (f->has_ledger_amount ? F_LEDGER_AMOUNT : 0) | (f->has_channel_amount ? F_CHANNEL_AMOUNT : 0) |
			(f->has_expected_fee ? F_EXPECTED_FEE : 0) | (f->has_channel_fee ? F_CHANNEL_FEE : 0) |
			(f->has_difference ? F_DIFFERENCE : 0) | (f->urgent ? F_URGENT : 0) |
			(f->action_cn ? 0 : F_NO_ACTION) | (f->item_id ? 0 : F_NO_ITEM) |
			(f->action_filled ? F_ACTION_FILLED : 0);
	rcn_pack_rec r;
	rcn_pack_rec_init(&r);
	rcn_pack_int(&r, (int64_t)f->kind | (int64_t)f->side << 8 | (int64_t)f->rec_type << 16 | flags << 24);
	const int64_t ints[] = {f->due_by,	f->ledger_amount, f->channel_amount, f->channel_settle, f->expected_fee,
				f->channel_fee, f->first_seen,	  f->age_days,	     f->difference};
	rcn_pack_ints(&r, ints, sizeof ints / sizeof ints[0]);
	rcn_pack_str(&r, f->reason, true);
	rcn_pack_str(&r, f->channel, true);
	rcn_pack_str(&r, f->merchant_id, true);
	rcn_pack_str(&r, f->order_no, true);
	rcn_pack_str(&r, f->refund_no, true);
	rcn_pack_str(&r, f->channel_txn_id, true);
	rcn_pack_str(&r, f->channel_refund_id, true);
	rcn_pack_str(&r, f->ledger_status, true);
	rcn_pack_str(&r, f->channel_status, true);
	rcn_pack_str(&r, f->trade_time, true);
	rcn_pack_str(&r, f->source, true);
	rcn_pack_str(&r, f->detail, true);
	rcn_pack_str(&r, f->action_cn, true);
	rcn_pack_str(&r, f->item_id, true);
	rcn_pack_put(out, &r);
}

bool rcn_findings_run_write(const char *path, const rcn_finding *const *f, size_t n, rcn_findings_run_index *index,
			    rcn_err *err)
{
	rcn_pack_out out;
	rcn_pack_out_init(&out, path);
	int k = 0;
	for (size_t i = 0; i < n; i++) {
		for (; k <= (int)f[i]->kind; k++) { /* kind k starts here */
			if (index)
				index->at[k] = out.bytes;
			rcn_pack_mark(&out);
		}
		put_finding(&out, f[i]);
	}
	for (; index && k <= RCN_K__COUNT; k++)
		index->at[k] = out.bytes;
	/* the run's end, and how many came before it: a run cut short, even
	 * between two records, is found so (an empty run is a file too) */
	rcn_pack_mark(&out);
	rcn_pack_rec end;
	rcn_pack_rec_init(&end);
	rcn_pack_int(&end, RUN_END);
	rcn_pack_int(&end, (int64_t)n);
	rcn_pack_put(&out, &end);
	bool ok = rcn_pack_close(&out);
	if (!ok)
		rcn_err_set(err, RCN_EIO, path, 0, "cannot write the night's findings: %s", strerror(out.err));
	rcn_pack_out_free(&out);
	return ok;
}

/* One run in the merge: its reader and its current finding (the strings in
 * the reader's buffer: valid until it moves on); or, the last, the findings
 * still in memory (mem, a copy of the next one in f). */
typedef struct {
	rcn_pack_in in;
	char *path;
	const rcn_finding *const *mem;
	size_t mem_at, mem_n;
	rcn_kind last; /* the last kind wanted: a finding of a later one ends the run */
	rcn_finding f;
	bool has;      /* f is the run's next finding */
	bool whole;    /* read from its start: the findings read are counted */
	uint64_t read; /* (whole) findings read so far */
} run;

struct rcn_findings_merge {
	run *runs;
	size_t n;
	size_t *heap; /* runs that have a finding, smallest first */
	size_t n_heap;
	size_t taken;	/* the run whose finding was handed out last, or SIZE_MAX */
	bool any_order; /* the runs one after another */
	size_t cur;	/* any_order: the run read now */
	bool bad;
	size_t bad_run;
};

static bool read_finding(run *r)
{
	r->has = false;
	if (r->mem) {
		if (r->mem_at < r->mem_n && r->mem[r->mem_at]->kind <= r->last) {
			r->f = *r->mem[r->mem_at++];
			r->has = true;
		}
		return true;
	}
	if (!rcn_pack_next(&r->in))
		return false; /* the end before the run's last record: cut short, or damaged */
	rcn_pack_in *in = &r->in;
	rcn_finding *f = &r->f;
	int64_t head = rcn_pack_get_int(in), flags = head >> 24;
	if ((head & 0xFF) == RUN_END) { /* the last record, and nothing after it */
		int64_t n = rcn_pack_get_int(in);
		return rcn_pack_done(in) && (!r->whole || (uint64_t)n == r->read) && !rcn_pack_next(in) && !in->bad;
	}
	r->read++;
	*f = (rcn_finding){.kind = (rcn_kind)(head & 0xFF),
			   .side = (rcn_side)(head >> 8 & 0xFF),
			   .rec_type = (rcn_rec_type)(head >> 16 & 0xFF),
			   .has_ledger_amount = flags & F_LEDGER_AMOUNT,
			   .has_channel_amount = flags & F_CHANNEL_AMOUNT,
			   .has_expected_fee = flags & F_EXPECTED_FEE,
			   .has_channel_fee = flags & F_CHANNEL_FEE,
			   .has_difference = flags & F_DIFFERENCE,
			   .urgent = flags & F_URGENT,
			   .action_filled = flags & F_ACTION_FILLED};
	f->due_by = (rcn_date)rcn_pack_get_int(in);
	f->ledger_amount = rcn_pack_get_int(in);
	f->channel_amount = rcn_pack_get_int(in);
	f->channel_settle = rcn_pack_get_int(in);
	f->expected_fee = rcn_pack_get_int(in);
	f->channel_fee = rcn_pack_get_int(in);
	f->first_seen = (rcn_date)rcn_pack_get_int(in);
	f->age_days = (int)rcn_pack_get_int(in);
	f->difference = rcn_pack_get_int(in);
	f->reason = rcn_pack_get_str(in, true);
	f->channel = rcn_pack_get_str(in, true);
	f->merchant_id = rcn_pack_get_str(in, true);
	f->order_no = rcn_pack_get_str(in, true);
	f->refund_no = rcn_pack_get_str(in, true);
	f->channel_txn_id = rcn_pack_get_str(in, true);
	f->channel_refund_id = rcn_pack_get_str(in, true);
	f->ledger_status = rcn_pack_get_str(in, true);
	f->channel_status = rcn_pack_get_str(in, true);
	f->trade_time = rcn_pack_get_str(in, true);
	f->source = rcn_pack_get_str(in, true);
	f->detail = rcn_pack_get_str(in, true);
	f->action_cn = rcn_pack_get_str(in, true);
	f->item_id = rcn_pack_get_str(in, true);
	if (flags & F_NO_ACTION)
		f->action_cn = NULL;
	if (flags & F_NO_ITEM)
		f->item_id = NULL;
	if (!rcn_pack_done(in) || f->kind >= RCN_K__COUNT ||
	    (f->side != RCN_SIDE_CHANNEL && f->side != RCN_SIDE_LEDGER))
		return false;
	r->has = f->kind <= r->last;
	return true;
}

/* Whether run a's finding comes before run b's (ties: the earlier run). */
static bool before(const rcn_findings_merge *m, size_t a, size_t b)
{
	const rcn_finding *x = &m->runs[a].f, *y = &m->runs[b].f;
	int c = rcn_findings_cmp(&x, &y);
	return c < 0 || (c == 0 && a < b);
}

static void sift_down(rcn_findings_merge *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, s = i;
		if (l < m->n_heap && before(m, m->heap[l], m->heap[s]))
			s = l;
		if (r < m->n_heap && before(m, m->heap[r], m->heap[s]))
			s = r;
		if (s == i)
			return;
		size_t t = m->heap[i];
		m->heap[i] = m->heap[s];
		m->heap[s] = t;
		i = s;
	}
}

static void sift_up(rcn_findings_merge *m, size_t i)
{
	while (i && before(m, m->heap[i], m->heap[(i - 1) / 2])) {
		size_t p = (i - 1) / 2, t = m->heap[i];
		m->heap[i] = m->heap[p];
		m->heap[p] = t;
		i = p;
	}
}

static void fail(rcn_findings_merge *m, size_t k)
{
	if (!m->bad) {
		m->bad = true;
		m->bad_run = k;
	}
}

rcn_findings_merge *rcn_findings_merge_open(const char *const *paths, size_t n, const rcn_finding *const *mem,
					    size_t n_mem, rcn_err *err)
{
	rcn_findings_merge_spec spec = {
		.paths = paths, .n = n, .mem = mem, .n_mem = n_mem, .first = 0, .last = RCN_K__COUNT - 1};
	return rcn_findings_merge_open_spec(&spec, err);
}

rcn_findings_merge *rcn_findings_merge_open_spec(const rcn_findings_merge_spec *sp, rcn_err *err)
{
	size_t n = sp->n;
	rcn_findings_merge *m = rcn_xcalloc(1, sizeof *m);
	m->runs = rcn_xcalloc(n + 2, sizeof *m->runs);
	m->heap = rcn_xcalloc(n + 2, sizeof *m->heap);
	m->taken = SIZE_MAX;
	m->any_order = sp->any_order;
	for (size_t k = 0; k < n + (sp->n_mem > 0); k++, m->n++) {
		run *r = &m->runs[k];
		r->last = sp->last;
		if (k == n) { /* the findings in memory: after every run */
			r->mem = sp->mem;
			r->mem_n = sp->n_mem;
			while (r->mem_at < r->mem_n && r->mem[r->mem_at]->kind < sp->first)
				r->mem_at++;
			r->path = rcn_xstrdup("(memory)");
		} else {
			r->path = rcn_xstrdup(sp->paths[k]);
		}
		if (!r->mem && !rcn_pack_in_open_buf(&r->in, sp->paths[k], RUN_READ_BUF)) {
			rcn_err_set(err, RCN_EIO, sp->paths[k], 0, "cannot read the night's findings: %s",
				    strerror(errno));
			m->n++;
			rcn_findings_merge_close(m);
			return NULL;
		}
		r->whole = !(sp->index && sp->first > 0);
		if (!r->mem && !r->whole && !rcn_pack_in_seek(&r->in, sp->index[k].at[sp->first]))
			fail(m, k);
		else if (!read_finding(r))
			fail(m, k);
		else if (r->has && !m->any_order) {
			m->heap[m->n_heap++] = k;
			sift_up(m, m->n_heap - 1);
		}
	}
	return m;
}

/* The next finding of the runs one after another. */
static const rcn_finding *next_any(rcn_findings_merge *m)
{
	if (m->taken != SIZE_MAX) {
		if (!read_finding(&m->runs[m->taken]))
			fail(m, m->taken);
		m->taken = SIZE_MAX;
	}
	while (!m->bad && m->cur < m->n && !m->runs[m->cur].has)
		m->cur++;
	if (m->bad || m->cur == m->n)
		return NULL;
	m->taken = m->cur;
	return &m->runs[m->cur].f;
}

const rcn_finding *rcn_findings_merge_next(rcn_findings_merge *m)
{
	if (m->any_order)
		return next_any(m);
	if (m->taken != SIZE_MAX) { /* the run handed out last moves on now */
		size_t k = m->taken;
		m->taken = SIZE_MAX;
		if (!read_finding(&m->runs[k]))
			fail(m, k);
		if (m->runs[k].has) {
			m->heap[0] = k;
		} else {
			m->heap[0] = m->heap[--m->n_heap];
		}
		if (m->n_heap)
			sift_down(m, 0);
	}
	if (m->bad || !m->n_heap)
		return NULL;
	m->taken = m->heap[0];
	return &m->runs[m->taken].f;
}

bool rcn_findings_merge_ok(const rcn_findings_merge *m, rcn_err *err)
{
	if (!m->bad)
		return true;
	rcn_err_set(err, RCN_EIO, m->runs[m->bad_run].path, 0,
		    "the night's findings are unreadable (changed while the night ran?)");
	return false;
}

void rcn_findings_merge_close(rcn_findings_merge *m)
{
	if (!m)
		return;
	for (size_t k = 0; k < m->n; k++) {
		if (!m->runs[k].mem)
			rcn_pack_in_close(&m->runs[k].in);
		free(m->runs[k].path);
	}
	free(m->runs);
	free(m->heap);
	free(m);
}
