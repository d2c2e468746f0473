/* The matcher's parts (internal to src/match): the types every part shares
 * and the small helpers they all call on the hot path (inline here, so that
 * splitting the matcher into files costs no call per row).
 *
 *   match.c     the driver: the matcher's life (new, prepare, run, free) and
 *               the parallel payment groups (shadow matchers on a second thread)
 *   store.c     the row store: statement rows in (batches, carried suspense),
 *               interned, compact (srow)
 *   index.c     the ledger index: orders, refunds and contracts in, the keys
 *               the window lacks (lookups), the order and txn indexes
 *   classify.c  classification: every row and ledger item to one outcome (the
 *               kinds of DESIGN.md §3), the findings' fields, pending, the
 *               ledger items no row claimed; matched items are put to the
 *               rules' questions (rcn_match_rules: fees, auto-debit contracts)
 *   refunds.c   duplicate listings and the refund rows
 *   outcome.c   the outcome: tallies, notes, what the pipeline reads
 *
 * Data moves one way: store and index fill the struct; rcn_match_run (match.c)
 * hands it to classify's passes, which write tallies and notes (outcome) and
 * put findings into the night's findings sink (recon/findings.h). */
#ifndef RECON_MATCH_INT_H
#define RECON_MATCH_INT_H

#include "recon/match.h"
#include "recon/part.h"

#include "recon/findings.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/perf.h"
#include "recon/money.h"
#include "util/perf.h"
#include "util/pool.h"

/* One statement row; ten million of them are a night, so the fields are
 * packed (128 bytes, two cache lines): a row's input order is its index in
 * rows[], and ledger indexes, sources and line numbers fit 32 bits (the
 * order index's values are uint32 already; a line past 4,294,967,295 is
 * shown as that). */
/* The values a row shares with the rows around it (its channel, merchant,
 * status and trade type), kept once while they repeat (intern_names): one
 * pointer a row instead of four. Ledger orders use it too (product ""). */
typedef struct {
	const char *channel, *merchant_id, *status;
	const char *product; /* trade type, for the fee schedule ("" for carried rows and orders) */
} row_names;

typedef struct {
	uint32_t source; /* index into sources, or UINT32_MAX for a carried row of an unknown source */
	uint32_t line;
	const row_names *nm;
	const char *txn, *order_no, *refund_no, *refund_id;
	rcn_time trade_at; /* text only when a finding shows it */
	const char *src;   /* "file:line" of a carried row; tonight's rows: the statement, shared by all its rows */
	int64_t amount, settle, fee;
	int32_t ledger; /* order or refund index, -1 if none */
	rcn_date first_seen;
	uint8_t type;	   /* rcn_rec_type */
	uint16_t currency; /* currency_code(): compared as a number, never as text */
	bool ok;	   /* status is SUCCESS: asked for every row several times, answered once */
	bool done;
	bool carried;	     /* pending from the previous date: its fee was counted then */
	uint8_t debit_flags; /* auto-debit checks that need the whole day: RCN_DEBIT_* (match.h) */
} srow;

#if UINTPTR_MAX == UINT64_MAX

_Static_assert(sizeof(srow) == 104, "a statement row grew: every byte is ten megabytes on a big night");

#endif

/* A currency as one number, so a matched row's check is one compare of two
 * fields the row and its order carry anyway (no table shared by the parse
 * threads' batches): an ISO 4217 code's three letters, case folded, five bits
 * each (1..26); "" or NULL is CNY (a format or a ledger that states no
 * currency); anything else is CUR_UNKNOWN, which equals nothing, not even
 * itself (currency_differs). */
#define CUR_UNKNOWN   0xFFFFu
#define CUR_LETTER(c) ((uint16_t)((c) - 'A' + 1))
#define CUR_CNY	      ((uint16_t)(CUR_LETTER('C') << 10 | CUR_LETTER('N') << 5 | CUR_LETTER('Y')))

static inline uint16_t currency_code(const char *s)
{
	if (!s || !*s || (s[0] == 'C' && s[1] == 'N' && s[2] == 'Y' && !s[3]))
		return CUR_CNY;
	uint16_t v = 0;
	for (int i = 0; i < 3; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return CUR_UNKNOWN;
		v = (uint16_t)(v << 5 | CUR_LETTER(c));
	}
	return s[3] ? CUR_UNKNOWN : v;
}

/* The code's text ("USD"; "unknown" for CUR_UNKNOWN) in buf. */
static inline const char *currency_text(char buf[8], uint16_t v)
{
	if (v == CUR_UNKNOWN)
		return "unknown";
	for (int i = 0; i < 3; i++)
		buf[i] = (char)('A' - 1 + ((v >> (10 - 5 * i)) & 31));
	buf[3] = '\0';
	return buf;
}

static inline bool currency_differs(uint16_t a, uint16_t b)
{
	return a != b || a == CUR_UNKNOWN;
}

/* Values that repeat row after row (channel, merchant, status, trade type,
 * file): each keeps one copy while it stays the same, instead of one per row. */
enum { IC_CHANNEL, IC_MERCHANT, IC_STATUS, IC_PRODUCT, IC_FILE, IC__COUNT };

/* Values kept a slot, and name tuples kept: a file's rows take turns among a
 * few trade types and statuses, each of which keeps its one copy. */
#define INTERN_KEPT 8

typedef struct {
	const char *last[IC__COUNT];
	/* the caller's pointer last[slot] was copied from, when the caller
	 * says the string behind it stays the same (a record's channel and
	 * file, rcn_record); NULL otherwise */
	const char *from[IC__COUNT];
	/* the values before last[slot], newest first */
	const char *kept[IC__COUNT][INTERN_KEPT];
	/* name tuples (intern_names), the newest at names_next - 1 */
	const row_names *names[INTERN_KEPT];
	unsigned names_next;
	/* what success() / collected() said of the last interned status they
	 * were asked about: an interned string never changes */
	const char *ok_for, *paid_for;
	bool ok, paid;
} intern_cache;

/* s's one copy while it repeats (or comes back among the slot's last few).
 * stable: s is a string that does not change while the cache is used, so
 * the same pointer is the same string (no strcmp: two a row of ten
 * million). */
static inline const char *intern(rcn_arena *a, intern_cache *c, int slot, const char *s, bool stable)
{
	if (!s || !*s)
		return "";
	if (stable && s == c->from[slot])
		return c->last[slot];
	c->from[slot] = stable ? s : NULL;
	if (c->last[slot] && strcmp(c->last[slot], s) == 0)
		return c->last[slot];
	const char **kept = c->kept[slot], *found = NULL;
	int k = 0;
	while (k < INTERN_KEPT && kept[k] && strcmp(kept[k], s) != 0)
		k++;
	if (k < INTERN_KEPT && kept[k])
		found = kept[k];
	else if (k == INTERN_KEPT)
		k--;	   /* the oldest makes room */
	for (; k > 0; k--) /* the last one moves to the front of the kept ones */
		kept[k] = kept[k - 1];
	kept[0] = c->last[slot];
	c->last[slot] = found ? found : rcn_arena_strdup(a, s);
	return c->last[slot];
}

/* The row_names of these values (each interned), one copy while the same
 * ones repeat or come back among the last few. */
static inline const row_names *intern_names(rcn_arena *a, intern_cache *c, const char *channel, bool channel_stable,
					    const char *merchant, const char *status, const char *product)
{
	const char *ch = intern(a, c, IC_CHANNEL, channel, channel_stable),
		   *me = intern(a, c, IC_MERCHANT, merchant, false), *st = intern(a, c, IC_STATUS, status, false),
		   *pr = intern(a, c, IC_PRODUCT, product, false);
	for (unsigned i = 1; i <= INTERN_KEPT; i++) {
		const row_names *t = c->names[(c->names_next - i) % INTERN_KEPT];
		if (!t)
			break;
		if (t->channel == ch && t->merchant_id == me && t->status == st && t->product == pr)
			return t;
	}
	row_names *t = rcn_arena_alloc(a, sizeof(*t));
	*t = (row_names){ch, me, st, pr};
	c->names[c->names_next++ % INTERN_KEPT] = t;
	return t;
}

/* How many rows ahead a loop over rows prefetches its hash slot (a power of two). */
#define PREFETCH 16

/* The keys a loop has hashed ahead of itself, to prefetch their slots: each
 * key is measured and hashed once, PREFETCH rows before it is looked up. */
typedef struct {
	uint32_t hash[PREFETCH];
	uint32_t len[PREFETCH];
} key_ring;

static inline void ring_load(key_ring *r, const rcn_strmap *map, size_t at, const char *key)
{
	size_t n = strlen(key);
	uint32_t h = rcn_hash(key, n);
	r->len[at % PREFETCH] = (uint32_t)n;
	r->hash[at % PREFETCH] = h;
	if (n)
		rcn_strmap_prefetch_hashed(map, h);
}

typedef struct {
	const char *order_no, *txn, *contract_id;
	const row_names *nm; /* its channel, merchant and status */
	rcn_time paid_at;    /* text only when a finding shows it */
	int64_t amount;
	size_t source;	  /* covering source or SIZE_MAX */
	int32_t contract; /* the rules' index of its contract, -1 */
	rcn_date bdate, first_seen;
	bool expected : 1, carried : 1, consumed : 1, from_lookup : 1;
	bool paid : 1;	   /* status PAID, REFUNDED or PARTIALLY_REFUNDED (collected): asked once */
	uint16_t currency; /* currency_code() */
} lorder;

#if UINTPTR_MAX == UINT64_MAX

_Static_assert(sizeof(lorder) == 72, "a ledger order grew: every byte is ten megabytes on a big night");

#endif

typedef struct {
	const char *refund_no, *order_no, *refund_id, *status, *channel, *merchant_id;
	rcn_time refunded_at;
	int64_t amount;
	rcn_date bdate, first_seen;
	bool expected, carried, consumed, from_lookup;
	uint16_t currency; /* its order's, currency_code() */
	size_t source;
} lrefund;

struct rcn_match {
	rcn_date day;
	int carry;
	const rcn_match_source *sources;
	size_t n_sources;
	bool *rejected;
	struct {
		int64_t channel, expected; /* fee totals of the rows a rule applies to, 1e-5 yuan */
		long rows;
		/* of those, the rows whose fee was reported singly (rcn_m_check_fee):
		 * the file's total reports only the rest. A shadow matcher counts its
		 * own (its array is its own), added in when it is merged. */
		int64_t reported_channel, reported_expected;
		long reported_rows;
	} * source_fee;
	const rcn_match_rules *rules; /* the fee schedule's and the contracts' answers, or NULL */
	const rcn_part_plan *part;    /* a shard's part of the night (rcn_match_set_part), or NULL */
	bool prior_run, lookup_phase;
	int threads; /* rcn_match_set_threads */
	rcn_arena arena;
	intern_cache ic;
	const char *src_channel, *src_merchant; /* source_interned: its last question (interned strings) */
	size_t src_answer;

	srow *rows;
	size_t n_rows, cap_rows;
	/* the refund rows' indexes, ascending: the passes that are about
	 * refunds only read these, not ten million payments */
	uint32_t *refund_rows;
	size_t n_refund_rows, cap_refund_rows;
	lorder *orders;
	size_t n_orders, cap_orders;
	size_t orders_populated, rows_populated; /* bytes whose pages are filled (rcn_populate_ahead) */
	size_t contract_orders; /* orders added with a contract id (dropped duplicates too): 0 skips their pass */
	lrefund *refunds;
	size_t n_refunds, cap_refunds;
	size_t n_contracted;	     /* orders whose contract the rules know: 0 skips the debit passes */
	rcn_finding *carried_ledger; /* ledger-side suspense of day-1 */
	size_t n_carried, cap_carried;
	long n_carried_rows; /* channel-side suspense of day-1, among rows */
	rcn_strmap order_idx, txn_idx, refund_idx, refund_id_idx;
	size_t txn_indexed;   /* orders[0..txn_indexed) are in txn_idx (built on first use) */
	size_t order_indexed; /* orders[0..order_indexed) are in order_idx; the window's are added in one go */
	uint32_t
		*listed_before[2]; /* rcn_match_prepare: per row, the earlier row with its payment txn id / refund id */
	size_t n_listed;	   /* rows covered by listed_before; 0: not prepared */
	size_t fees_added;	   /* rows[0..fees_added): payments' fees counted by rcn_match_prepare */

	rcn_findings *sink; /* where findings go: the night's (rcn_match_set_sink) or the matcher's own */
	bool own_sink;
	rcn_finding **notes;
	size_t n_notes, cap_notes;
	rcn_tally *tallies;
	size_t n_tallies, cap_tallies;

	const char **keybuf;
	size_t n_keybuf, cap_keybuf;

	/* rcn_match_release: the row and order arrays being handed back (the
	 * task frees them; rcn_match_free joins it) */
	void *released;
	rcn_task release;
};

typedef struct {
	rcn_match *m;
	const uint32_t *idx;
	size_t from, to;
} groups_job;

/* Rows in ledger order below which one thread matches every group. */
#define SHARED_GROUPS_MIN 65536

/* Between the parts (called once a night, a pass, or a finding: not per row). */
const char *rcn_m_row_src(rcn_match *m, const srow *r);
void rcn_m_fill_channel(rcn_match *m, rcn_finding *f, const srow *r);
void rcn_m_fill_order(rcn_finding *f, const lorder *o);
void rcn_m_fill_refund(rcn_finding *f, const lrefund *l);
bool rcn_m_check_fee(rcn_match *m, const srow *r, rcn_finding **out);
const char *rcn_m_currency_detail(rcn_match *m, uint16_t ledger, int64_t ledger_amount, const srow *r);
const char *rcn_m_status_reason(rcn_match *m, const char *prefix, const char *status);
int rcn_m_cmp_rows_by_time(const void *a, const void *b, void *ctx);
const char *rcn_m_pending_detail(rcn_match *m, rcn_kind becomes, rcn_date first_seen);
void rcn_m_unmatched_row(rcn_match *m, srow *r, rcn_kind expired_kind, const char *expired_reason);
void rcn_m_ledger_later(rcn_match *m, srow *r, rcn_date ledger_date, rcn_kind expired_kind);
void rcn_m_match_payments(rcn_match *m);
void rcn_m_find_duplicates(rcn_match *m, rcn_rec_type type);
void rcn_m_add_fees(rcn_match *m, const srow *r);
void rcn_m_prepare_listings(rcn_match *m);
void rcn_m_mark_expected(rcn_match *m);
void rcn_m_unclaimed_ledger(rcn_match *m);
void rcn_m_match_groups(rcn_match *m, const uint32_t *idx, size_t from, size_t to);
void rcn_m_match_refunds(rcn_match *m);
void rcn_m_publish(rcn_match *m, size_t batch);
rcn_finding *rcn_m_new_finding(rcn_match *m, rcn_kind kind, const char *reason, rcn_side side);
void rcn_m_index_orders(rcn_match *m);
void *rcn_m_groups_thread(void *p);
void rcn_m_shadow_init(rcn_match *s, const rcn_match *m);
void rcn_m_shadow_merge(rcn_match *m, rcn_match *s);
int rcn_m_cmp_tallies(const void *a, const void *b);

static inline const char *dup(rcn_match *m, const char *s)
{
	return rcn_arena_strdup(&m->arena, s ? s : "");
}

/* A time as a finding shows it ("" when NULL), in the arena. */
static inline const char *time_text(rcn_match *m, rcn_time t)
{
	char text[20];
	return t == RCN_NO_TIME ? "" : dup(m, rcn_time_format(text, t));
}

/* ---- input ---- */

static inline size_t source_for(const rcn_match *m, const char *channel, const char *merchant)
{
	for (size_t i = 0; i < m->n_sources; i++) {
		const rcn_match_source *s = &m->sources[i];
		if (strcmp(s->channel, channel) != 0)
			continue;
		if (strcmp(s->merchant_id, merchant) == 0)
			return i;
		for (size_t j = 0; j < s->n_sub_merchants; j++)
			if (strcmp(s->sub_merchants[j], merchant) == 0)
				return i;
	}
	return SIZE_MAX;
}

/* source_for for strings interned in m's arena: orders come one merchant
 * after another, so the same pair of pointers asks the same question. */
static inline size_t source_interned(rcn_match *m, const char *channel, const char *merchant)
{
	if (!m->src_channel || channel != m->src_channel || merchant != m->src_merchant) {
		m->src_channel = channel;
		m->src_merchant = merchant;
		m->src_answer = source_for(m, channel, merchant);
	}
	return m->src_answer;
}

static inline bool collected(const char *ledger_status)
{
	return strcmp(ledger_status, "PAID") == 0 || strcmp(ledger_status, "REFUNDED") == 0 ||
	       strcmp(ledger_status, "PARTIALLY_REFUNDED") == 0;
}

static inline bool success(const char *status)
{
	return strcmp(status, "SUCCESS") == 0;
}

/* test(status) of an interned status, asked once while it repeats: *asked
 * and *answer keep the last status and what test said of it. */
static inline bool interned_test(const char **asked, bool *answer, const char *status, bool (*test)(const char *))
{
	if (status != *asked) {
		*asked = status;
		*answer = test(status);
	}
	return *answer;
}

static inline rcn_tally *tally(rcn_match *m, const char *channel, const char *merchant, rcn_side side)
{
	/* the same interned string is the same pointer: strcmp only when not */
	for (size_t i = 0; i < m->n_tallies; i++) {
		rcn_tally *t = &m->tallies[i];
		if (t->side == side && (t->channel == channel || strcmp(t->channel, channel) == 0) &&
		    (t->merchant_id == merchant || strcmp(t->merchant_id, merchant) == 0))
			return t;
	}
	rcn_xreserve((void **)&m->tallies, &m->cap_tallies, m->n_tallies + 1, sizeof(rcn_tally));
	rcn_tally *t = &m->tallies[m->n_tallies++];
	memset(t, 0, sizeof(*t));
	/* not copied: every caller passes a row's, an order's or a source's
	 * string, which the matcher outlives; so rcn_match_prepare's thread never
	 * allocates from the arena the ledger thread is using */
	t->channel = channel;
	t->merchant_id = merchant;
	t->side = side;
	return t;
}

/* ---- lookups ---- */

/* The ledger's channel transaction ids, indexed on first use (only statement
 * rows without a merchant order number need them), in order, so the first
 * order with a txn id wins as if it had been indexed on arrival. */
static inline bool txn_get(rcn_match *m, const char *txn, uint32_t *v)
{
	rcn_m_index_orders(m);
	for (; m->txn_indexed < m->n_orders; m->txn_indexed++) {
		const lorder *l = &m->orders[m->txn_indexed];
		if (*l->txn)
			rcn_strmap_put(&m->txn_idx, l->txn, strlen(l->txn), (uint32_t)m->txn_indexed, NULL);
	}
	return rcn_strmap_get(&m->txn_idx, txn, strlen(txn), v);
}

static inline void count(rcn_match *m, const char *channel, const char *merchant, rcn_side side, rcn_kind kind,
			 bool matched, int64_t amount)
{
	rcn_tally *t = tally(m, channel, merchant, side);
	t->rows_in++;
	t->amount_in += amount;
	if (matched) {
		t->matched++;
		t->amount_matched += amount;
	} else if (kind == RCN_K_PENDING) {
		t->pending++;
		t->amount_pending += amount;
		t->kinds[kind]++;
	} else {
		t->discrepancies++;
		t->amount_discrepancies += amount;
		t->kinds[kind]++;
	}
}

static inline void count_row(rcn_match *m, const srow *r, rcn_kind kind, bool matched)
{
	count(m, r->nm->channel, r->nm->merchant_id, RCN_SIDE_CHANNEL, kind, matched, r->amount);
}

#endif
