/* The matcher: holds a date's statement rows (compact copies) and the
 * ledger index, joins them by merchant order number, channel transaction id
 * and refund number, and turns every item into exactly one outcome. */
#include "recon/match.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/debits.h"
#include "match/perf.h"
#include "recon/money.h"
#include "util/perf.h"

/* One statement row; ten million of them are a night, so the fields are
 * packed (144 bytes): a row's input order is its index in rows[], and ledger
 * indexes fit 32 bits (the order index's values are uint32 already). */
typedef struct {
	size_t source; /* index into sources, or SIZE_MAX for a carried row of an unknown source */
	const char *channel, *merchant_id, *txn, *order_no, *refund_no, *refund_id, *status;
	rcn_time trade_at; /* text only when a finding shows it */
	const char *src;   /* "file:line" of a carried row; NULL: formatted from file and line when needed */
	const char *file;  /* tonight's rows: the statement, shared by all its rows */
	long line;
	const char *product; /* trade type, for the fee schedule ("" for carried rows) */
	int64_t amount, settle, fee;
	int32_t ledger; /* order or refund index, -1 if none */
	rcn_date first_seen;
	rcn_rec_type type;
	bool ok; /* status is SUCCESS: asked for every row several times, answered once */
	bool done;
	bool carried;	     /* pending from the previous date: its fee was counted then */
	uint8_t debit_flags; /* auto-debit checks that need the whole day: RCN_DEBIT_* (debits.h) */
} srow;
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(srow) == 144, "a statement row grew: every byte is ten megabytes on a big night");
#endif

/* Values that repeat row after row (channel, merchant, status, trade type,
 * file): each keeps one copy while it stays the same, instead of one per row. */
enum { IC_CHANNEL, IC_MERCHANT, IC_STATUS, IC_PRODUCT, IC_FILE, IC__COUNT };
typedef struct {
	const char *last[IC__COUNT];
	/* the caller's pointer last[slot] was copied from, when the caller
	 * says the string behind it stays the same (a record's channel and
	 * file, rcn_record); NULL otherwise */
	const char *from[IC__COUNT];
	/* what success() / collected() said of the last interned status they
	 * were asked about: an interned string never changes */
	const char *ok_for, *paid_for;
	bool ok, paid;
} intern_cache;

/* s's one copy while it repeats. stable: s is a string that does not change
 * while the cache is used, so the same pointer is the same string (no
 * strcmp: two a row of ten million). */
static const char *intern(rcn_arena *a, intern_cache *c, int slot, const char *s, bool stable)
{
	if (!s || !*s)
		return "";
	if (stable && s == c->from[slot])
		return c->last[slot];
	if (!c->last[slot] || strcmp(c->last[slot], s) != 0)
		c->last[slot] = rcn_arena_strdup(a, s);
	c->from[slot] = stable ? s : NULL;
	return c->last[slot];
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
	const char *order_no, *merchant_id, *channel, *txn, *status, *contract_id;
	rcn_time paid_at; /* text only when a finding shows it */
	int64_t amount;
	size_t source;	  /* covering source or SIZE_MAX */
	int32_t contract; /* index into the debit book, -1 */
	rcn_date bdate, first_seen;
	bool expected : 1, carried : 1, consumed : 1, from_lookup : 1;
	bool paid : 1; /* status PAID, REFUNDED or PARTIALLY_REFUNDED (collected): asked once */
} lorder;
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(lorder) == 88, "a ledger order grew: every byte is ten megabytes on a big night");
#endif

typedef struct {
	const char *refund_no, *order_no, *refund_id, *status, *channel, *merchant_id;
	rcn_time refunded_at;
	int64_t amount;
	rcn_date bdate, first_seen;
	bool expected, carried, consumed, from_lookup;
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
	} * source_fee;
	rcn_fee_rule *rate_rules; /* per source: its fee_rate as a rule, when it has one */
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
	rcn_debit_book *debits;	     /* auto-debit contracts (debits.c) */
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

	rcn_finding **findings;
	size_t n_findings, cap_findings;
	size_t n_published; /* findings[0..n_published) went to on_findings */
	void (*on_findings)(void *ctx, const rcn_finding *const *f, size_t n);
	void *on_findings_ctx;
	rcn_finding **notes;
	size_t n_notes, cap_notes;
	rcn_movement *moves;
	size_t n_moves, cap_moves;
	rcn_tally *tallies;
	size_t n_tallies, cap_tallies;
	long discrepancies;

	const char **keybuf;
	size_t n_keybuf, cap_keybuf;
};

static const char *dup(rcn_match *m, const char *s)
{
	return rcn_arena_strdup(&m->arena, s ? s : "");
}

/* A time as a finding shows it ("" when NULL), in the arena. */
static const char *time_text(rcn_match *m, rcn_time t)
{
	char text[20];
	return t == RCN_NO_TIME ? "" : dup(m, rcn_time_format(text, t));
}

rcn_match *rcn_match_new(rcn_date day, int carry_days, const rcn_match_source *sources, size_t n_sources)
{
	rcn_match *m = rcn_xcalloc(1, sizeof(*m));
	m->day = day;
	m->carry = carry_days;
	m->sources = sources;
	m->n_sources = n_sources;
	m->rejected = rcn_xcalloc(n_sources + 1, sizeof(bool));
	m->source_fee = rcn_xcalloc(n_sources + 1, sizeof(*m->source_fee));
	m->rate_rules = rcn_xcalloc(n_sources + 1, sizeof(*m->rate_rules));
	for (size_t i = 0; i < n_sources; i++)
		if (sources[i].has_fee_rate)
			rcn_fee_rule_from_rate(&m->rate_rules[i], sources[i].channel, sources[i].fee_rate_ppm);
	rcn_arena_init(&m->arena);
	rcn_strmap_init(&m->order_idx, 1024);
	rcn_strmap_init(&m->txn_idx, 1024);
	rcn_strmap_init(&m->refund_idx, 256);
	rcn_strmap_init(&m->refund_id_idx, 256);
	m->debits = rcn_debit_book_new();
	return m;
}

/* The night's two biggest arrays, handed back on a thread of their own. */
typedef struct {
	void *rows, *orders;
} big_arrays;

static void *free_big(void *p)
{
	big_arrays *b = p;
	free(b->rows);
	free(b->orders);
	return NULL;
}

void rcn_match_free(rcn_match *m)
{
	if (!m)
		return;
	/* Giving a 10 M night's 4 GiB back to the kernel took half a second
	 * on one core at the end of the run, the other idle: the row and order
	 * arrays (half of it) go on a second thread meanwhile. */
	big_arrays big = {m->rows, m->orders};
	rcn_task helper = {0};
	if (m->threads > 1 && m->n_rows + m->n_orders >= ((size_t)1 << 20))
		rcn_task_start(&helper, free_big, &big); /* or here and now */
	else
		free_big(&big);
	rcn_arena_free(&m->arena);
	rcn_strmap_free(&m->order_idx);
	rcn_strmap_free(&m->txn_idx);
	rcn_strmap_free(&m->refund_idx);
	rcn_strmap_free(&m->refund_id_idx);
	rcn_debit_book_free(m->debits);
	free(m->rejected);
	free(m->source_fee);
	free(m->rate_rules);
	free(m->refunds);
	free(m->carried_ledger);
	free(m->findings);
	free(m->notes);
	free(m->moves);
	free(m->tallies);
	free(m->keybuf);
	free(m->refund_rows);
	free(m->listed_before[0]);
	free(m->listed_before[1]);
	free(m);
	rcn_task_join(&helper);
}

/* ---- input ---- */

static size_t source_for(const rcn_match *m, const char *channel, const char *merchant)
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
static size_t source_interned(rcn_match *m, const char *channel, const char *merchant)
{
	if (!m->src_channel || channel != m->src_channel || merchant != m->src_merchant) {
		m->src_channel = channel;
		m->src_merchant = merchant;
		m->src_answer = source_for(m, channel, merchant);
	}
	return m->src_answer;
}

struct rcn_batch {
	intern_cache ic;
	rcn_arena arena;
	srow *rows;
	size_t n_rows, cap_rows;
	size_t populated; /* rows' bytes whose pages are filled (rcn_populate_ahead) */
	rcn_movement *moves;
	size_t n_moves, cap_moves;
};

static bool collected(const char *ledger_status)
{
	return strcmp(ledger_status, "PAID") == 0 || strcmp(ledger_status, "REFUNDED") == 0 ||
	       strcmp(ledger_status, "PARTIALLY_REFUNDED") == 0;
}

static bool success(const char *status)
{
	return strcmp(status, "SUCCESS") == 0;
}

/* test(status) of an interned status, asked once while it repeats: *asked
 * and *answer keep the last status and what test said of it. */
static bool interned_test(const char **asked, bool *answer, const char *status, bool (*test)(const char *))
{
	if (status != *asked) {
		*asked = status;
		*answer = test(status);
	}
	return *answer;
}

/* A record's trade time as a number, from its text alone: the parsers give
 * it normalized ("YYYY-MM-DD HH:MM:SS", rcn_datetime_parse's output); text
 * in any other shape is read the checked way. */
static rcn_time record_time(const rcn_record *rec)
{
	const char *t = rec->trade_time;
	if (!t[0])
		return RCN_NO_TIME;
	if (t[4] == '-' && t[7] == '-' && t[10] == ' ' && t[13] == ':' && t[16] == ':' && t[19] == '\0')
		return rcn_time_of_normal(t);
	rcn_time v;
	return rcn_time_parse(&v, t, strlen(t), NULL) == RCN_OK ? v : RCN_NO_TIME;
}

/* Text of a stored time, RCN_NO_TIME for "" or anything else. */
static rcn_time text_time(const char *t)
{
	rcn_time v;
	return t && *t && rcn_time_parse(&v, t, strlen(t), NULL) == RCN_OK ? v : RCN_NO_TIME;
}

/* Copies rec into rows or moves, strings into arena. */
static void copy_record(rcn_arena *a, intern_cache *ic, const rcn_record *rec, srow **rows, size_t *n_rows,
			size_t *cap_rows, size_t *populated, rcn_movement **moves, size_t *n_moves, size_t *cap_moves)
{
	if (rec->type == RCN_REC_MOVEMENT) {
		char src[600];
		snprintf(src, sizeof(src), "%s:%ld", rec->file, rec->line);
		rcn_xreserve((void **)moves, cap_moves, *n_moves + 1, sizeof(rcn_movement));
		(*moves)[(*n_moves)++] = (rcn_movement){
			.source_name = "",
			.channel = rcn_arena_strdup(a, rec->channel),
			.merchant_id = rcn_arena_strdup(a, rec->merchant_id),
			.trade_time = rcn_arena_strdup(a, rec->trade_time),
			.movement_type = rcn_arena_strdup(a, rec->movement_type ? rec->movement_type : ""),
			.reference = rcn_arena_strdup(a, rec->reference ? rec->reference : ""),
			.channel_txn_id = rcn_arena_strdup(a, rec->channel_txn_id),
			.order_no = rcn_arena_strdup(a, rec->order_no),
			.amount_fen = rec->amount_fen,
			.balance_fen = rec->balance_fen,
			.source = rcn_arena_strdup(a, src)};
		return;
	}
	enum { S_TXN, S_ORDER, S_REFUND, S_REFUND_ID, S__COUNT };
	const char *in[S__COUNT] = {rec->channel_txn_id, rec->order_no, rec->refund_no, rec->channel_refund_id},
		   *str[S__COUNT];
	rcn_arena_strdups(a, S__COUNT, in, str);
	const char *status = intern(a, ic, IC_STATUS, rec->status, false);
	rcn_xreserve((void **)rows, cap_rows, *n_rows + 1, sizeof(srow));
	rcn_populate_ahead(*rows, (*n_rows + 1) * sizeof(srow), *cap_rows * sizeof(srow), populated);
	(*rows)[(*n_rows)++] = (srow){.type = rec->type,
				      .ok = interned_test(&ic->ok_for, &ic->ok, status, success),
				      .channel = intern(a, ic, IC_CHANNEL, rec->channel, true),
				      .merchant_id = intern(a, ic, IC_MERCHANT, rec->merchant_id, false),
				      .txn = str[S_TXN],
				      .order_no = str[S_ORDER],
				      .refund_no = str[S_REFUND],
				      .refund_id = str[S_REFUND_ID],
				      .status = status,
				      .trade_at = record_time(rec),
				      .file = intern(a, ic, IC_FILE, rec->file, true),
				      .line = rec->line,
				      .product = intern(a, ic, IC_PRODUCT, rec->trade_type, false),
				      .amount = rec->amount_fen,
				      .settle = rec->settle_fen,
				      .fee = rec->fee,
				      .ledger = -1};
}

rcn_batch *rcn_batch_new(void)
{
	rcn_batch *b = rcn_xcalloc(1, sizeof(*b));
	rcn_arena_init(&b->arena);
	return b;
}

void rcn_batch_add(rcn_batch *b, const rcn_record *rec)
{
	copy_record(&b->arena, &b->ic, rec, &b->rows, &b->n_rows, &b->cap_rows, &b->populated, &b->moves, &b->n_moves,
		    &b->cap_moves);
}

/* As rcn_match_expect_orders: a hint, capped, that changes only when the
 * memory is taken (the pages are still filled as rows come). */
#define EXPECT_ROWS_MAX ((size_t)1 << 26)

void rcn_batch_expect(rcn_batch *b, size_t n)
{
	size_t fit = rcn_phys_memory() / 4 / sizeof(srow);
	if (n > EXPECT_ROWS_MAX)
		n = EXPECT_ROWS_MAX;
	if (n > fit)
		n = fit;
	rcn_xreserve((void **)&b->rows, &b->cap_rows, b->n_rows + n, sizeof(srow));
}

size_t rcn_batch_count(const rcn_batch *b)
{
	return b->n_rows + b->n_moves;
}

void rcn_batch_clear(rcn_batch *b)
{
	b->n_rows = b->n_moves = 0;
	rcn_arena_free(&b->arena); /* the strings of the withdrawn rows */
}

void rcn_batch_free(rcn_batch *b)
{
	if (!b)
		return;
	rcn_arena_free(&b->arena);
	free(b->rows);
	free(b->moves);
	free(b);
}

static void note_refund_row(rcn_match *m, size_t i)
{
	rcn_xreserve((void **)&m->refund_rows, &m->cap_refund_rows, m->n_refund_rows + 1, sizeof(uint32_t));
	m->refund_rows[m->n_refund_rows++] = (uint32_t)i;
}

/* Gives appended rows their source, first-seen date and input order. */
static void settle_new_rows(rcn_match *m, size_t from, size_t source)
{
	for (size_t i = from; i < m->n_rows; i++) {
		m->rows[i].source = source;
		m->rows[i].first_seen = m->day;
		if (m->rows[i].type == RCN_REC_REFUND)
			note_refund_row(m, i);
	}
}

void rcn_match_add_batch(rcn_match *m, size_t source, rcn_batch *b)
{
	size_t from = m->n_rows;
	if (m->n_rows == 0 && m->cap_rows < b->cap_rows) {
		/* the first rows (usually all of them): the batch's array is taken over, not copied */
		srow *t = m->rows;
		m->rows = b->rows;
		b->rows = t;
		size_t c = m->cap_rows;
		m->cap_rows = b->cap_rows;
		b->cap_rows = c;
		m->rows_populated = b->populated;
		b->populated = 0;
	} else {
		rcn_xreserve((void **)&m->rows, &m->cap_rows, m->n_rows + b->n_rows, sizeof(srow));
		rcn_populate(m->rows + m->n_rows, b->n_rows * sizeof(srow));
		if (b->n_rows)
			memcpy(m->rows + m->n_rows, b->rows, b->n_rows * sizeof(srow));
	}
	m->n_rows += b->n_rows;
	settle_new_rows(m, from, source);
	rcn_xreserve((void **)&m->moves, &m->cap_moves, m->n_moves + b->n_moves, sizeof(rcn_movement));
	for (size_t i = 0; i < b->n_moves; i++) {
		m->moves[m->n_moves] = b->moves[i];
		m->moves[m->n_moves++].source_name = m->sources[source].name;
	}
	rcn_arena_adopt(&m->arena, &b->arena);
	rcn_batch_free(b);
}

void rcn_match_add_record(rcn_match *m, size_t source, const rcn_record *rec)
{
	size_t from = m->n_rows, moves = m->n_moves;
	copy_record(&m->arena, &m->ic, rec, &m->rows, &m->n_rows, &m->cap_rows, &m->rows_populated, &m->moves,
		    &m->n_moves, &m->cap_moves);
	settle_new_rows(m, from, source);
	if (m->n_moves > moves)
		m->moves[moves].source_name = m->sources[source].name;
}

static rcn_tally *tally(rcn_match *m, const char *channel, const char *merchant, rcn_side side)
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

void rcn_match_add_quarantine(rcn_match *m, size_t source, long rows, int64_t amount_fen)
{
	const rcn_match_source *s = &m->sources[source];
	rcn_tally *t = tally(m, s->channel, s->merchant_id, RCN_SIDE_CHANNEL);
	t->rows_in += rows;
	t->amount_in += amount_fen;
	t->quarantined += rows;
	t->amount_quarantined += amount_fen;
}

void rcn_match_source_rejected(rcn_match *m, size_t source)
{
	m->rejected[source] = true;
}

void rcn_match_set_threads(rcn_match *m, int threads)
{
	m->threads = threads;
}

void rcn_tally_add(rcn_tally *sum, const rcn_tally *t)
{
	sum->rows_in += t->rows_in;
	sum->matched += t->matched;
	sum->discrepancies += t->discrepancies;
	sum->pending += t->pending;
	sum->quarantined += t->quarantined;
	sum->amount_in += t->amount_in;
	sum->amount_matched += t->amount_matched;
	sum->amount_discrepancies += t->amount_discrepancies;
	sum->amount_pending += t->amount_pending;
	sum->amount_quarantined += t->amount_quarantined;
	for (int k = 0; k < RCN_K__COUNT; k++)
		sum->kinds[k] += t->kinds[k];
	sum->payments_fen += t->payments_fen;
	sum->refunds_fen += t->refunds_fen;
	sum->channel_fee += t->channel_fee;
	sum->expected_fee += t->expected_fee;
	sum->has_expected_fee |= t->has_expected_fee;
	sum->suspicious_debits += t->suspicious_debits;
}

void rcn_match_set_prior_run(rcn_match *m, bool had_prior_run)
{
	m->prior_run = had_prior_run;
}

/* Indexes the orders added since the last call by order number, keeping
 * the first of any number given twice (the rest are dropped, the array closed
 * up). The window's millions of orders arrive one by one while statements
 * are parsed; indexing them afterwards in one loop lets each lookup's memory
 * be fetched ahead, instead of one cache miss per order as it arrives. */
/* Window orders indexed together while they load (rcn_match_add_order). */
#define INDEX_BATCH 65536

static void index_orders(rcn_match *m)
{
	size_t dst = m->order_indexed, n = m->n_orders;
	rcn_strmap_reserve(&m->order_idx, m->order_idx.count + (n - m->order_indexed));
	key_ring ring;
	for (size_t i = m->order_indexed; i < n && i < m->order_indexed + PREFETCH; i++)
		ring_load(&ring, &m->order_idx, i, m->orders[i].order_no);
	for (size_t i = m->order_indexed; i < n; i++) {
		uint32_t h = ring.hash[i % PREFETCH], len = ring.len[i % PREFETCH];
		if (i + PREFETCH < n)
			ring_load(&ring, &m->order_idx, i + PREFETCH, m->orders[i + PREFETCH].order_no);
		const lorder *l = &m->orders[i];
		if (!rcn_strmap_put_hashed(&m->order_idx, l->order_no, len, h, (uint32_t)dst, NULL))
			continue;
		if (dst != i)
			m->orders[dst] = *l;
		dst++;
	}
	m->n_orders = m->order_indexed = dst;
}

void rcn_match_begin_lookup(rcn_match *m)
{
	index_orders(m);
	m->lookup_phase = true;
}

/* Beyond this an estimate is not trusted with memory up front (64 M orders
 * would be 5.6 GiB of array and 2 GiB of index), nor beyond a quarter of
 * the machine's memory (a stale estimate on a small machine must not ask
 * for more than it has): the rest grows as needed. */
#define EXPECT_ORDERS_MAX ((size_t)1 << 26)

void rcn_match_expect_orders(rcn_match *m, size_t n)
{
	size_t fit = rcn_phys_memory() / 4 / (sizeof(lorder) + 2 * sizeof(rcn_strmap_slot));
	if (n > EXPECT_ORDERS_MAX)
		n = EXPECT_ORDERS_MAX;
	if (n > fit)
		n = fit;
	rcn_xreserve((void **)&m->orders, &m->cap_orders, m->n_orders + n, sizeof(lorder));
	rcn_strmap_reserve(&m->order_idx, m->order_idx.count + n);
}

void rcn_match_add_order(rcn_match *m, const rcn_ledger_order *o)
{
	uint32_t existing;
	if (!o->order_no || !*o->order_no)
		return;
	enum { S_ORDER, S_TXN, S_CONTRACT, S__COUNT };
	const char *in[S__COUNT] = {o->order_no, o->channel_txn_id, o->contract_id}, *str[S__COUNT];
	rcn_arena_strdups(&m->arena, S__COUNT, in, str);
	const char *key = str[S_ORDER];
	if (m->lookup_phase) {
		index_orders(m);
		if (!rcn_strmap_put(&m->order_idx, key, strlen(key), (uint32_t)m->n_orders, &existing))
			return; /* seen already (window and lookup overlap) */
		m->order_indexed = m->n_orders + 1;
	}
	rcn_xreserve((void **)&m->orders, &m->cap_orders, m->n_orders + 1, sizeof(lorder));
	rcn_populate_ahead(m->orders, (m->n_orders + 1) * sizeof(lorder), m->cap_orders * sizeof(lorder),
			   &m->orders_populated);
	lorder *l = &m->orders[m->n_orders];
	const char *merchant = intern(&m->arena, &m->ic, IC_MERCHANT, o->merchant_id, false),
		   *channel = intern(&m->arena, &m->ic, IC_CHANNEL, o->channel, false),
		   *status = intern(&m->arena, &m->ic, IC_STATUS, o->status, false);
	*l = (lorder){.order_no = key,
		      .merchant_id = merchant,
		      .channel = channel,
		      .txn = str[S_TXN],
		      .status = status,
		      .paid = interned_test(&m->ic.paid_for, &m->ic.paid, status, collected),
		      .paid_at = o->paid_at,
		      .contract_id = str[S_CONTRACT],
		      .contract = -1,
		      .amount = o->amount_fen,
		      .bdate = o->business_date,
		      .first_seen = o->business_date,
		      .from_lookup = m->lookup_phase,
		      .source = source_interned(m, channel, merchant)};
	/* expected tonight: a collected payment of this business date in the
	 * window, on a configured source (carried ones are marked later) */
	l->expected = !l->from_lookup && l->source != SIZE_MAX && l->bdate == m->day && l->paid;
	m->contract_orders += *l->contract_id != '\0';
	m->n_orders++;
	/* the window's orders are indexed a batch at a time as they come, by the
	 * thread loading them, which mostly waits for the database meanwhile */
	if (!m->lookup_phase && m->n_orders - m->order_indexed >= INDEX_BATCH)
		index_orders(m);
}

void rcn_match_add_refund(rcn_match *m, const rcn_ledger_refund *r)
{
	uint32_t existing;
	const char *key = dup(m, r->refund_no);
	if (!*key || !rcn_strmap_put(&m->refund_idx, key, strlen(key), (uint32_t)m->n_refunds, &existing))
		return;
	rcn_xreserve((void **)&m->refunds, &m->cap_refunds, m->n_refunds + 1, sizeof(lrefund));
	lrefund *l = &m->refunds[m->n_refunds];
	*l = (lrefund){.refund_no = key,
		       .order_no = dup(m, r->order_no),
		       .refund_id = dup(m, r->channel_refund_id),
		       .status = dup(m, r->status),
		       .channel = dup(m, r->channel),
		       .merchant_id = dup(m, r->merchant_id),
		       .refunded_at = r->refunded_at,
		       .amount = r->amount_fen,
		       .bdate = r->business_date,
		       .first_seen = r->business_date,
		       .from_lookup = m->lookup_phase,
		       .source = source_for(m, r->channel, r->merchant_id)};
	if (*l->refund_id)
		rcn_strmap_put(&m->refund_id_idx, l->refund_id, strlen(l->refund_id), (uint32_t)m->n_refunds, NULL);
	m->n_refunds++;
}

void rcn_match_add_suspense(rcn_match *m, const rcn_finding *f)
{
	if (f->side == RCN_SIDE_LEDGER) {
		rcn_xreserve((void **)&m->carried_ledger, &m->cap_carried, m->n_carried + 1, sizeof(rcn_finding));
		rcn_finding *c = &m->carried_ledger[m->n_carried++];
		*c = *f;
		c->channel = dup(m, f->channel);
		c->merchant_id = dup(m, f->merchant_id);
		c->order_no = dup(m, f->order_no);
		c->refund_no = dup(m, f->refund_no);
		c->channel_txn_id = dup(m, f->channel_txn_id);
		c->channel_refund_id = dup(m, f->channel_refund_id);
		c->ledger_status = dup(m, f->ledger_status);
		c->reason = c->channel_status = c->trade_time = c->source = c->detail = "";
		return;
	}
	/* A channel row still waiting for its ledger item: it joins tonight's rows. */
	rcn_xreserve((void **)&m->rows, &m->cap_rows, m->n_rows + 1, sizeof(srow));
	srow *r = &m->rows[m->n_rows];
	*r = (srow){.source = source_for(m, f->channel, f->merchant_id),
		    .type = f->rec_type,
		    .channel = dup(m, f->channel),
		    .merchant_id = dup(m, f->merchant_id),
		    .txn = dup(m, f->channel_txn_id),
		    .order_no = dup(m, f->order_no),
		    .refund_no = dup(m, f->refund_no),
		    .refund_id = dup(m, f->channel_refund_id),
		    .status = dup(m, f->channel_status),
		    .trade_at = text_time(f->trade_time),
		    .src = dup(m, f->source),
		    .product = "",
		    .amount = f->channel_amount,
		    .settle = f->channel_settle,
		    .fee = f->channel_fee,
		    .first_seen = f->first_seen,
		    .ledger = -1,
		    .carried = true};
	r->ok = success(r->status);
	if (r->type == RCN_REC_REFUND)
		note_refund_row(m, m->n_rows);
	m->n_rows++;
	m->n_carried_rows++;
}

static void push_key(rcn_match *m, const char *k)
{
	rcn_xreserve((void **)&m->keybuf, &m->cap_keybuf, m->n_keybuf + 1, sizeof(char *));
	m->keybuf[m->n_keybuf++] = k;
}

void rcn_match_add_contract(rcn_match *m, const rcn_ledger_contract *c)
{
	rcn_debit_book_add(m->debits, c);
}

void rcn_match_contract_ids(rcn_match *m, const char *const **ids, size_t *n)
{
	index_orders(m);
	rcn_strmap seen;
	rcn_strmap_init(&seen, 64);
	m->n_keybuf = 0;
	for (size_t i = 0; m->contract_orders && i < m->n_orders; i++) {
		const char *id = m->orders[i].contract_id;
		if (*id && rcn_strmap_put(&seen, id, strlen(id), 0, NULL))
			push_key(m, id);
	}
	rcn_strmap_free(&seen);
	*ids = m->keybuf;
	*n = m->n_keybuf;
}

/* ---- lookups ---- */

/* The ledger's channel transaction ids, indexed on first use (only statement
 * rows without a merchant order number need them), in order, so the first
 * order with a txn id wins as if it had been indexed on arrival. */
static bool txn_get(rcn_match *m, const char *txn, uint32_t *v)
{
	index_orders(m);
	for (; m->txn_indexed < m->n_orders; m->txn_indexed++) {
		const lorder *l = &m->orders[m->txn_indexed];
		if (*l->txn)
			rcn_strmap_put(&m->txn_idx, l->txn, strlen(l->txn), (uint32_t)m->txn_indexed, NULL);
	}
	return rcn_strmap_get(&m->txn_idx, txn, strlen(txn), v);
}

/* One kind of missing key: its distinct keys in row order. */
typedef struct {
	rcn_strmap seen;
	const char **keys;
	size_t n, cap;
} key_list;

static void add_key(key_list *l, const char *k)
{
	if (!rcn_strmap_put(&l->seen, k, strlen(k), 0, NULL))
		return;
	rcn_xreserve((void **)&l->keys, &l->cap, l->n + 1, sizeof(char *));
	l->keys[l->n++] = k;
}

void rcn_match_missing_keys(rcn_match *m, rcn_match_keys *out)
{
	index_orders(m);
	uint32_t v;
	/* 0: order numbers, 1: txn ids (rows without an order number), 2: refund
	 * numbers, 3: the orders of refunds; all four in one pass over the rows */
	key_list lists[4];
	for (int i = 0; i < 4; i++) {
		memset(&lists[i], 0, sizeof(lists[i]));
		rcn_strmap_init(&lists[i].seen, 16);
	}
	key_ring ring;
	for (size_t i = 0; i < m->n_rows && i < PREFETCH; i++)
		ring_load(&ring, &m->order_idx, i, m->rows[i].order_no);
	for (size_t i = 0; i < m->n_rows; i++) {
		srow *r = &m->rows[i];
		uint32_t h = ring.hash[i % PREFETCH], len = ring.len[i % PREFETCH];
		if (i + PREFETCH < m->n_rows)
			ring_load(&ring, &m->order_idx, i + PREFETCH, m->rows[i + PREFETCH].order_no);
		if (len) {
			if (!rcn_strmap_get_hashed(&m->order_idx, r->order_no, len, h, &v))
				add_key(&lists[0], r->order_no);
			else if (r->type == RCN_REC_PAYMENT)
				r->ledger = (int32_t)v; /* found now: match_payments need not look again */
		}
		if (r->type == RCN_REC_PAYMENT && !*r->order_no && *r->txn && !txn_get(m, r->txn, &v))
			add_key(&lists[1], r->txn);
		if (r->type == RCN_REC_REFUND && *r->refund_no &&
		    !rcn_strmap_get(&m->refund_idx, r->refund_no, strlen(r->refund_no), &v))
			add_key(&lists[2], r->refund_no);
		if (r->type == RCN_REC_REFUND && *r->order_no)
			add_key(&lists[3], r->order_no);
	}
	size_t start[4];
	m->n_keybuf = 0;
	for (int i = 0; i < 4; i++) {
		start[i] = m->n_keybuf;
		for (size_t k = 0; k < lists[i].n; k++)
			push_key(m, lists[i].keys[k]);
		rcn_strmap_free(&lists[i].seen);
		free(lists[i].keys);
	}
	out->order_nos = m->keybuf + start[0];
	out->n_order_nos = start[1] - start[0];
	out->txn_ids = m->keybuf + start[1];
	out->n_txn_ids = start[2] - start[1];
	out->refund_nos = m->keybuf + start[2];
	out->n_refund_nos = start[3] - start[2];
	out->refund_orders = m->keybuf + start[3];
	out->n_refund_orders = m->n_keybuf - start[3];
}

/* ---- classification ---- */

static rcn_finding *new_finding(rcn_match *m, rcn_kind kind, const char *reason, rcn_side side)
{
	rcn_finding *f = rcn_arena_alloc(&m->arena, sizeof(*f));
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->reason = reason;
	f->side = side;
	f->channel = f->merchant_id = f->order_no = f->refund_no = f->channel_txn_id = f->channel_refund_id = "";
	f->ledger_status = f->channel_status = f->trade_time = f->source = f->detail = "";
	f->first_seen = m->day;
	rcn_xreserve((void **)&m->findings, &m->cap_findings, m->n_findings + 1, sizeof(*m->findings));
	m->findings[m->n_findings++] = f;
	if (kind != RCN_K_PENDING)
		m->discrepancies++;
	return f;
}

/* Findings streamed in batches of this many while rows are matched. */
#define PUBLISH_BATCH 8192

/* Hands the findings made since the last call to on_findings once there are
 * at least `batch`. Only called where every earlier finding is complete:
 * between phases and at the top of a row loop. */
static void publish(rcn_match *m, size_t batch)
{
	size_t n = m->n_findings - m->n_published;
	if (!m->on_findings || n == 0 || n < batch)
		return;
	m->on_findings(m->on_findings_ctx, (const rcn_finding *const *)m->findings + m->n_published, n);
	m->n_published = m->n_findings;
}

void rcn_match_on_findings(rcn_match *m, void (*fn)(void *ctx, const rcn_finding *const *f, size_t n), void *ctx)
{
	m->on_findings = fn;
	m->on_findings_ctx = ctx;
}

/* Where a row came from, "file:line", as reports name it. */
static const char *row_src(rcn_match *m, const srow *r)
{
	if (r->src)
		return r->src;
	char buf[700];
	snprintf(buf, sizeof(buf), "%s:%ld", r->file, r->line);
	return dup(m, buf);
}

static void fill_channel(rcn_match *m, rcn_finding *f, const srow *r)
{
	f->rec_type = r->type;
	f->channel = r->channel;
	f->merchant_id = r->merchant_id;
	f->order_no = r->order_no;
	f->refund_no = r->refund_no;
	f->channel_txn_id = r->txn;
	f->channel_refund_id = r->refund_id;
	f->channel_status = r->status;
	f->has_channel_amount = true;
	f->channel_amount = r->amount;
	f->channel_settle = r->settle;
	f->has_channel_fee = true;
	f->channel_fee = r->fee;
	f->trade_time = time_text(m, r->trade_at);
	f->first_seen = r->first_seen;
	f->source = row_src(m, r);
}

static void fill_order(rcn_finding *f, const lorder *o)
{
	if (!*f->channel)
		f->channel = o->channel, f->merchant_id = o->merchant_id;
	if (!*f->order_no)
		f->order_no = o->order_no;
	if (!*f->channel_txn_id)
		f->channel_txn_id = o->txn;
	f->ledger_status = o->status;
	f->has_ledger_amount = true;
	f->ledger_amount = o->amount;
}

static void fill_refund(rcn_finding *f, const lrefund *l)
{
	if (!*f->channel)
		f->channel = l->channel, f->merchant_id = l->merchant_id;
	if (!*f->order_no)
		f->order_no = l->order_no;
	if (!*f->refund_no)
		f->refund_no = l->refund_no;
	if (!*f->channel_refund_id)
		f->channel_refund_id = l->refund_id;
	f->ledger_status = l->status;
	f->has_ledger_amount = true;
	f->ledger_amount = l->amount;
}

static void count(rcn_match *m, const char *channel, const char *merchant, rcn_side side, rcn_kind kind, bool matched,
		  int64_t amount)
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

static void count_row(rcn_match *m, const srow *r, rcn_kind kind, bool matched)
{
	count(m, r->channel, r->merchant_id, RCN_SIDE_CHANNEL, kind, matched, r->amount);
}

/* Expected fee of a row under its source's rate, 1e-5 yuan; false if no rule. */
/* The fee rule for a row: the [source] fee_rate shortcut, else the most
 * specific rule of the schedule in effect on the trade date; NULL if none.
 * `shortcut` is storage for the shortcut rule. */
static const rcn_fee_rule *fee_rule(const rcn_match *m, const srow *r)
{
	if (r->source >= m->n_sources)
		return NULL;
	const rcn_match_source *s = &m->sources[r->source];
	if (s->has_fee_rate)
		return &m->rate_rules[r->source];
	if (!s->fee_rules || r->trade_at == RCN_NO_TIME)
		return NULL;
	return rcn_fee_rules_find(s->fee_rules, r->channel, r->merchant_id, r->product, rcn_time_date(r->trade_at));
}

/* The order a refund row refunds, for the proportional fee; -1 if unknown. */
static int64_t refunded_order_amount(const rcn_match *m, const srow *r)
{
	uint32_t v;
	if (*r->order_no && rcn_strmap_get(&m->order_idx, r->order_no, strlen(r->order_no), &v))
		return m->orders[v].amount;
	return -1;
}

/* Expected fee of a row under its rule, 1e-5 yuan; false if no rule applies. */
static bool expected_fee(const rcn_match *m, const srow *r, int64_t *out, const rcn_fee_rule **used)
{
	const rcn_fee_rule *rule = fee_rule(m, r);
	if (!rule)
		return false;
	int64_t fen = 0;
	if (r->ok)
		fen = r->type == RCN_REC_REFUND ? rcn_fee_refund(rule, r->settle, refunded_order_amount(m, r))
						: rcn_fee_payment(rule, r->settle);
	*out = fen * RCN_FEE_UNITS_PER_FEN;
	if (used)
		*used = m->sources[r->source].has_fee_rate ? NULL : rule;
	return true;
}

static void add_fees(rcn_match *m, const srow *r)
{
	rcn_tally *t = tally(m, r->channel, r->merchant_id, RCN_SIDE_CHANNEL);
	int64_t e;
	if (r->carried)
		return;
	t->channel_fee += r->fee;
	if (expected_fee(m, r, &e, NULL)) {
		t->expected_fee += e;
		t->has_expected_fee = true;
		if (r->source < m->n_sources) {
			m->source_fee[r->source].channel += r->fee;
			m->source_fee[r->source].expected += e;
			m->source_fee[r->source].rows++;
		}
	}
	if (r->ok) {
		if (r->type == RCN_REC_PAYMENT)
			t->payments_fen += r->settle;
		else
			t->refunds_fen += r->settle;
	}
}

/* A matched row still owes the right fee. Returns true if it was reported. */
static bool check_fee(rcn_match *m, const srow *r, rcn_finding **out)
{
	int64_t e;
	const rcn_fee_rule *rule = NULL;
	if (!expected_fee(m, r, &e, &rule) || e == r->fee)
		return false;
	rcn_finding *f = new_finding(m, RCN_K_FEE_MISMATCH, "rate", RCN_SIDE_CHANNEL);
	fill_channel(m, f, r);
	f->has_expected_fee = true;
	f->expected_fee = e;
	char rate[32], buf[160];
	if (rule) {
		rcn_money_format(rate, sizeof(rate), rule->rate_ppm, 4);
		snprintf(buf, sizeof(buf), "rules/fees.csv line %ld: %s%%", rule->line, rate);
	} else {
		rcn_money_format(rate, sizeof(rate), m->sources[r->source].fee_rate_ppm, 4);
		snprintf(buf, sizeof(buf), "fee_rate %s%%", rate);
	}
	f->detail = dup(m, buf);
	*out = f;
	return true;
}

/* Per source, the channel's fee total against the schedule's: a difference
 * above the tolerance is a finding of its own (rows may each round right and
 * still add up wrong, or a channel may charge on the total). */
static void check_fee_totals(rcn_match *m)
{
	for (size_t i = 0; i < m->n_sources; i++) {
		const rcn_match_source *s = &m->sources[i];
		int64_t diff = m->source_fee[i].channel - m->source_fee[i].expected;
		if (!m->source_fee[i].rows || m->rejected[i] ||
		    (diff < 0 ? -diff : diff) <= s->fee_tolerance_fen * RCN_FEE_UNITS_PER_FEN)
			continue;
		rcn_finding *f = new_finding(m, RCN_K_FEE_MISMATCH, "file_total", RCN_SIDE_CHANNEL);
		f->channel = s->channel;
		f->merchant_id = s->merchant_id;
		f->has_expected_fee = f->has_channel_fee = true;
		f->expected_fee = m->source_fee[i].expected;
		f->channel_fee = m->source_fee[i].channel;
		f->source = s->label ? s->label : s->name;
		char a[32], buf[160];
		snprintf(buf, sizeof(buf), "fee total of %ld rows differs by %s (tolerance %s)", m->source_fee[i].rows,
			 rcn_money_format(a, sizeof(a), diff, 5),
			 rcn_money_format((char[32]){0}, 32, s->fee_tolerance_fen, 2));
		f->detail = dup(m, buf);
	}
}

static const char *status_reason(rcn_match *m, const char *prefix, const char *status)
{
	char buf[96];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s%s", prefix, *status ? status : "missing");
	for (size_t i = 0; i < n && i < sizeof(buf); i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] = (char)(buf[i] - 'A' + 'a');
	return dup(m, buf);
}

static int cmp_rows_by_ledger(const void *a, const void *b, void *ctx)
{
	const srow *rows = ctx;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const srow *x = &rows[i], *y = &rows[j];
	if (x->ledger != y->ledger)
		return x->ledger < y->ledger ? -1 : 1;
	if (x->trade_at != y->trade_at)
		return x->trade_at < y->trade_at ? -1 : 1;
	return (i > j) - (i < j); /* input order */
}

static int cmp_rows_by_time(const void *a, const void *b, void *ctx)
{
	const srow *rows = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (rows[i].trade_at != rows[j].trade_at)
		return rows[i].trade_at < rows[j].trade_at ? -1 : 1;
	return (i > j) - (i < j); /* input order */
}

#define NO_ROW UINT32_MAX

/* The key a row of `type` is listed under (payment: txn id, refund: refund
 * id), NULL for another type or no key ("" or "0"). */
static const char *listing_key(const srow *r, rcn_rec_type type)
{
	const char *key = type == RCN_REC_PAYMENT ? r->txn : r->refund_id;
	return r->type != type || !*key || strcmp(key, "0") == 0 ? NULL : key;
}

/* For each row of the type, the first earlier row with the same channel
 * transaction id (NO_ROW if none); NULL when no row has one. The keyed rows'
 * (hash, index) pairs (in input order, freed here) are radix-sorted by
 * hash, which keeps indexes in order within a hash, and runs of one hash
 * are checked string by string: two sequential passes instead of a hash
 * map's cache miss per row. */
static uint32_t *earlier_listings(const rcn_match *m, rcn_rec_type type, uint64_t *pairs, size_t n)
{
	if (!pairs)
		return NULL;
	uint32_t *before = rcn_xmalloc((m->n_rows + 1) * sizeof(uint32_t));
	for (size_t k = 0; k < m->n_rows; k++)
		before[k] = NO_ROW;
	/* LSD radix sort on the hash, 16 bits a pass: stable */
	uint64_t *tmp = rcn_xmalloc((n + 1) * sizeof(*tmp));
	size_t *count = rcn_xmalloc(65536 * sizeof(size_t));
	for (int shift = 32; shift < 64; shift += 16) {
		memset(count, 0, 65536 * sizeof(size_t));
		for (size_t k = 0; k < n; k++)
			count[(pairs[k] >> shift) & 0xFFFF]++;
		for (size_t b = 0, at = 0; b < 65536; b++) {
			size_t c = count[b];
			count[b] = at;
			at += c;
		}
		for (size_t k = 0; k < n; k++)
			tmp[count[(pairs[k] >> shift) & 0xFFFF]++] = pairs[k];
		uint64_t *swap = pairs;
		pairs = tmp;
		tmp = swap;
	}
	free(count);
	free(tmp);
	for (size_t a = 0; a < n;) {
		size_t b = a + 1;
		while (b < n && pairs[b] >> 32 == pairs[a] >> 32)
			b++;
		/* one hash, rows in input order: each row's first equal key is its first listing */
		for (size_t k = a + 1; k < b; k++) {
			uint32_t row = (uint32_t)pairs[k];
			const char *key = listing_key(&m->rows[row], type);
			for (size_t j = a; j < k; j++) {
				uint32_t earlier = (uint32_t)pairs[j];
				if (strcmp(listing_key(&m->rows[earlier], type), key) == 0) {
					before[row] = earlier;
					break;
				}
			}
		}
		a = b;
	}
	free(pairs);
	return before;
}

/* Both types' listings from one pass over the rows (ten million of them
 * are 1.4 GB to read). */
static void prepare_listings(rcn_match *m)
{
	free(m->listed_before[0]);
	free(m->listed_before[1]);
	uint64_t *pairs[2] = {NULL, NULL};
	size_t n[2] = {0, 0};
	for (size_t i = 0; i < m->n_rows; i++) {
		const srow *r = &m->rows[i];
		if (r->type != RCN_REC_PAYMENT && r->type != RCN_REC_REFUND)
			continue;
		const char *key = listing_key(r, r->type);
		if (!key)
			continue;
		int t = r->type == RCN_REC_PAYMENT ? 0 : 1;
		if (!pairs[t])
			pairs[t] = rcn_xmalloc((m->n_rows - i) * sizeof(*pairs[t]));
		pairs[t][n[t]++] = (uint64_t)rcn_hash(key, strlen(key)) << 32 | (uint32_t)i;
	}
	m->listed_before[0] = earlier_listings(m, RCN_REC_PAYMENT, pairs[0], n[0]);
	m->listed_before[1] = earlier_listings(m, RCN_REC_REFUND, pairs[1], n[1]);
	m->n_listed = m->n_rows;
}

void rcn_match_prepare(rcn_match *m)
{
	prepare_listings(m);
	/* payments' fees need no ledger row (a refund's may: it waits for rcn_match_run) */
	for (size_t i = m->fees_added; i < m->n_rows; i++)
		if (m->rows[i].type == RCN_REC_PAYMENT)
			add_fees(m, &m->rows[i]);
	m->fees_added = m->n_rows;
}

/* Same channel transaction listed twice: keep the first, report the rest. */
static void find_duplicates(rcn_match *m, rcn_rec_type type)
{
	if (m->n_listed != m->n_rows)
		prepare_listings(m);
	const uint32_t *before = m->listed_before[type == RCN_REC_PAYMENT ? 0 : 1];
	for (size_t i = 0; before && i < m->n_rows; i++) {
		srow *r = &m->rows[i];
		if (before[i] == NO_ROW)
			continue;
		rcn_finding *f =
			new_finding(m, RCN_K_DUPLICATE_RECORD, "same_transaction_listed_twice", RCN_SIDE_CHANNEL);
		fill_channel(m, f, r);
		char buf[700];
		snprintf(buf, sizeof(buf), "first listed at %s", row_src(m, &m->rows[before[i]]));
		f->detail = dup(m, buf);
		count_row(m, r, RCN_K_DUPLICATE_RECORD, false);
		r->done = true;
	}
}

/* A row that found no ledger item: pending until the carry-over runs out. */
/* For a pending item: what it becomes, and when, if nothing claims it. */
static const char *pending_detail(rcn_match *m, rcn_kind becomes, rcn_date first_seen)
{
	char buf[128], d[11];
	snprintf(buf, sizeof(buf), "reported as %s if still unmatched on %s", rcn_kind_name(becomes),
		 rcn_date_format(d, first_seen + m->carry));
	return dup(m, buf);
}

static void pending_row(rcn_match *m, srow *r, rcn_kind expired_kind, const char *expired_reason,
			const char *pending_reason, const char *detail)
{
	int age = (int)(m->day - r->first_seen);
	rcn_finding *f;
	if (age >= m->carry) {
		f = new_finding(m, expired_kind, expired_reason, RCN_SIDE_CHANNEL);
		count_row(m, r, expired_kind, false);
	} else {
		f = new_finding(m, RCN_K_PENDING, pending_reason, RCN_SIDE_CHANNEL);
		count_row(m, r, RCN_K_PENDING, false);
	}
	fill_channel(m, f, r);
	f->age_days = age;
	if (f->kind == RCN_K_PENDING)
		f->detail = detail ? detail : pending_detail(m, expired_kind, r->first_seen);
	r->done = true;
}

static void unmatched_row(rcn_match *m, srow *r, rcn_kind expired_kind, const char *expired_reason)
{
	pending_row(m, r, expired_kind, expired_reason,
		    r->type == RCN_REC_PAYMENT ? "not_in_ledger" : "refund_not_in_ledger", NULL);
}

/* The channel lists it tonight but the ledger counts it on a later business
 * date (a callback after midnight): it waits for that date, like the 23:59:59
 * payment the channel lists a day late, and is matched then, never reported. */
static void ledger_later(rcn_match *m, srow *r, rcn_date ledger_date, rcn_kind expired_kind)
{
	char buf[96], d[11];
	snprintf(buf, sizeof(buf), "the ledger counts it on %s", rcn_date_format(d, ledger_date));
	pending_row(m, r, expired_kind, "missing", "ledger_later_date", dup(m, buf));
}

/* The auto-debit (委托代扣) rules a collected debit must keep (debits.c);
 * RCN_K__COUNT when it keeps them all. Every debit above twice its contract's
 * average is counted in the summary, also when a graver rule reports it. */
static rcn_kind check_debit(rcn_match *m, const srow *r, const lorder *o, const char **reason, char *detail, size_t n)
{
	rcn_debit_verdict v;
	const rcn_debit d = {
		.order_no = o->order_no, .at = r->trade_at, .amount = r->amount, .day_flags = r->debit_flags};
	rcn_debit_check(m->debits, m->day, o->contract, &d, &v);
	if (v.above_average)
		tally(m, r->channel, r->merchant_id, RCN_SIDE_CHANNEL)->suspicious_debits++;
	if (v.kind != RCN_K__COUNT) {
		*reason = v.reason;
		snprintf(detail, n, "%s", v.detail);
	}
	return v.kind;
}

static int cmp_debits(const void *a, const void *b, void *ctx)
{
	const rcn_match *m = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const srow *x = &m->rows[i], *y = &m->rows[j];
	int32_t cx = m->orders[x->ledger].contract, cy = m->orders[y->ledger].contract;
	if (cx != cy)
		return cx < cy ? -1 : 1;
	if (x->trade_at != y->trade_at)
		return x->trade_at < y->trade_at ? -1 : 1;
	return (i > j) - (i < j);
}

/* Rules that need every debit of a contract on the day, in time order: its
 * debits a day and a billing period (rcn_debit_day_flags). */
static void mark_debits(rcn_match *m, const uint32_t *idx, size_t n)
{
	if (!rcn_debit_book_count(m->debits))
		return; /* no order has a contract: nothing to look at in ten million rows */
	size_t *d = rcn_xmalloc((n + 1) * sizeof(size_t));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const srow *r = &m->rows[idx[i]];
		/* a debit whose order the ledger pays before the day (a row carried
		 * from an earlier night) is in the contract's history already */
		if (r->ok && m->orders[r->ledger].contract >= 0 && m->orders[r->ledger].bdate >= m->day)
			d[k++] = idx[i];
	}
	if (k)
		qsort_r(d, k, sizeof(size_t), cmp_debits, m);
	for (size_t i = 0, seq = 0; i < k; i++) {
		srow *r = &m->rows[d[i]];
		int32_t c = m->orders[r->ledger].contract;
		seq = i > 0 && m->orders[m->rows[d[i - 1]].ledger].contract == c ? seq + 1 : 1;
		r->debit_flags = rcn_debit_day_flags(m->debits, c, (long)seq);
	}
	free(d);
}

static void classify_payment(rcn_match *m, srow *r, lorder *o)
{
	rcn_finding *f = NULL;
	bool ch_ok = r->ok, l_ok = o->paid;
	rcn_kind kind = RCN_K__COUNT;
	const char *reason = "";

	if (ch_ok && l_ok) {
		if (r->amount < o->amount)
			kind = RCN_K_SHORT_PAYMENT, reason = "amount";
		else if (r->amount > o->amount)
			kind = RCN_K_OVERPAYMENT, reason = "amount";
	} else if (ch_ok) {
		kind = RCN_K_STATUS_MISMATCH;
		reason = strcmp(o->status, "CREATED") == 0 ? "lost_callback" : status_reason(m, "ledger_", o->status);
	} else if (l_ok) {
		kind = RCN_K_STATUS_MISMATCH;
		reason = status_reason(m, "channel_", r->status);
	}
	char detail[RCN_DEBIT_DETAIL] = "";
	if (kind == RCN_K__COUNT && ch_ok && o->contract >= 0)
		kind = check_debit(m, r, o, &reason, detail, sizeof(detail));
	if (kind != RCN_K__COUNT) {
		f = new_finding(m, kind, reason, RCN_SIDE_CHANNEL);
		fill_channel(m, f, r);
		if (detail[0])
			f->detail = dup(m, detail);
	} else if (check_fee(m, r, &f)) {
		kind = RCN_K_FEE_MISMATCH;
	}
	if (f)
		fill_order(f, o);
	bool matched = kind == RCN_K__COUNT;
	if (matched && *o->channel && strcmp(r->channel, o->channel) != 0) {
		/* matched all the same: the money arrived, just not where the ledger says */
		char buf[200];
		rcn_finding *n = rcn_arena_alloc(&m->arena, sizeof(*n));
		*n = (rcn_finding){.kind = RCN_K_MATCHED, .reason = "other_channel", .side = RCN_SIDE_CHANNEL};
		n->refund_no = n->channel_refund_id = "";
		fill_channel(m, n, r);
		fill_order(n, o);
		snprintf(buf, sizeof(buf), "the ledger names channel %s; paid on %s", o->channel, r->channel);
		n->detail = dup(m, buf);
		rcn_xreserve((void **)&m->notes, &m->cap_notes, m->n_notes + 1, sizeof(*m->notes));
		m->notes[m->n_notes++] = n;
	}
	count_row(m, r, kind, matched);
	if (o->expected && !o->consumed)
		count(m, o->channel, o->merchant_id, RCN_SIDE_LEDGER, kind, matched, o->amount);
	o->consumed = true;
	r->done = true;
}

/* idx (rows in input order) grouped by ledger order, each group in time
 * order: a counting sort on the dense order index, then the few groups of
 * more than one row sorted on their own. The same order as sorting the whole
 * by cmp_rows_by_ledger, without a million-element comparison sort. */
static void sort_by_ledger(rcn_match *m, uint32_t *idx, const int32_t *led, size_t n)
{
	if (n < 2)
		return;
	/* the ledger indexes were gathered with the rows (led[k] is
	 * rows[idx[k]].ledger): the counting passes read 4 bytes a row, not a
	 * 144-byte row each time, and never the rows array */
	uint32_t *start = rcn_xcalloc(m->n_orders + 1, sizeof(uint32_t));
	uint32_t *sorted = rcn_xmalloc(n * sizeof(uint32_t));
	/* rows in input order, their orders' counters anywhere: fetched ahead */
	const size_t ahead = 16;
	for (size_t k = 0; k < n; k++) {
		if (k + ahead < n)
			__builtin_prefetch(&start[led[k + ahead] + 1], 1);
		start[led[k] + 1]++;
	}
	for (size_t o = 0; o < m->n_orders; o++)
		start[o + 1] += start[o];
	for (size_t k = 0; k < n; k++) { /* stable: input order within an order */
		if (k + ahead < n)
			__builtin_prefetch(&start[led[k + ahead]], 1);
		sorted[start[led[k]]++] = idx[k];
	}
	memcpy(idx, sorted, n * sizeof(uint32_t));
	free(sorted);
	/* start[o] is now where order o's group ends: the groups without reading a row */
	for (size_t o = 0, g = 0; o < m->n_orders; o++) {
		if (start[o] - g > 1)
			qsort_r(idx + g, start[o] - g, sizeof(uint32_t), cmp_rows_by_ledger, m->rows);
		g = start[o];
	}
	free(start);
}

/* The groups of idx[from, to) (idx in ledger order, a group being every row
 * of one order): the primary charge classified, the others reported. */
static void match_groups(rcn_match *m, const uint32_t *idx, size_t from, size_t to)
{
	for (size_t g = from; g < to;) {
		publish(m, PUBLISH_BATCH);
		/* the rows come in ledger order, from anywhere in the statement: fetched ahead */
		if (g + 12 < to) {
			const char *ahead = (const char *)&m->rows[idx[g + 12]];
			__builtin_prefetch(ahead);
			__builtin_prefetch(ahead + sizeof(srow) - 1);
		}
		size_t end = g;
		lorder *o = &m->orders[m->rows[idx[g]].ledger];
		while (end < to && m->rows[idx[end]].ledger == m->rows[idx[g]].ledger)
			end++;
		/* primary: the successful charge the ledger recorded, else one on the
		 * ledger's channel, else the first successful one (rows are in time
		 * order); an order's only row is its primary */
		srow *primary = NULL;
		int best = -1;
		for (size_t k = g; k < end && end - g > 1; k++) {
			srow *r = &m->rows[idx[k]];
			int score =
				(*o->txn && strcmp(r->txn, o->txn) == 0) * 2 + (strcmp(r->channel, o->channel) == 0);
			if (r->ok && score > best)
				primary = r, best = score;
		}
		if (!primary)
			primary = &m->rows[idx[g]];
		bool reconciled_before = m->prior_run && !o->from_lookup && !o->carried && o->bdate < m->day;
		for (size_t k = g; k < end; k++) {
			srow *r = &m->rows[idx[k]];
			if (r == primary && !reconciled_before)
				continue;
			if (!r->ok) {
				count_row(m, r, RCN_K__COUNT, true); /* an attempt that moved no money */
				r->done = true;
				continue;
			}
			bool same_txn = *o->txn && strcmp(r->txn, o->txn) == 0;
			rcn_kind kind = reconciled_before && same_txn ? RCN_K_DUPLICATE_RECORD : RCN_K_DOUBLE_CHARGE;
			bool cross = !reconciled_before && strcmp(r->channel, primary->channel) != 0;
			rcn_finding *f = new_finding(m, kind,
						     reconciled_before ? "already_reconciled"
						     : cross	       ? "cross_channel"
								       : "same_channel",
						     RCN_SIDE_CHANNEL);
			fill_channel(m, f, r);
			fill_order(f, o);
			char buf[1400];
			if (reconciled_before) {
				char d[11];
				snprintf(buf, sizeof(buf), "order paid on %s was reconciled on an earlier date",
					 rcn_date_format(d, o->bdate));
			} else if (cross) {
				/* one finding for the order, naming both channels (DESIGN.md §3) */
				f->channel = "*";
				snprintf(buf, sizeof(buf), "paid on %s (%s, %s) and on %s (%s, %s)", primary->channel,
					 primary->txn, row_src(m, primary), r->channel, r->txn, row_src(m, r));
			} else {
				snprintf(buf, sizeof(buf), "order also paid by %s (%s)", primary->txn,
					 row_src(m, primary));
			}
			f->detail = dup(m, buf);
			count_row(m, r, kind, false);
			r->done = true;
		}
		if (!reconciled_before)
			classify_payment(m, primary, o);
		g = end;
	}
}

/* A second matcher over the same rows and ledger with findings, notes,
 * tallies and strings of its own: a share of the groups is matched there on
 * another thread (groups touch only their own rows and order), then merged
 * behind this matcher's own, in the order one thread would have made them. */
static void shadow_init(rcn_match *s, const rcn_match *m)
{
	*s = *m;
	rcn_arena_init(&s->arena);
	s->findings = NULL;
	s->n_findings = s->cap_findings = s->n_published = 0;
	s->on_findings = NULL;
	s->notes = NULL;
	s->n_notes = s->cap_notes = 0;
	s->tallies = NULL;
	s->n_tallies = s->cap_tallies = 0;
	s->discrepancies = 0;
}

static void shadow_merge(rcn_match *m, rcn_match *s)
{
	rcn_xreserve((void **)&m->findings, &m->cap_findings, m->n_findings + s->n_findings, sizeof(*m->findings));
	if (s->n_findings)
		memcpy(m->findings + m->n_findings, s->findings, s->n_findings * sizeof(*m->findings));
	m->n_findings += s->n_findings;
	rcn_xreserve((void **)&m->notes, &m->cap_notes, m->n_notes + s->n_notes, sizeof(*m->notes));
	if (s->n_notes)
		memcpy(m->notes + m->n_notes, s->notes, s->n_notes * sizeof(*m->notes));
	m->n_notes += s->n_notes;
	for (size_t i = 0; i < s->n_tallies; i++) {
		const rcn_tally *t = &s->tallies[i];
		rcn_tally_add(tally(m, t->channel, t->merchant_id, t->side), t);
	}
	m->discrepancies += s->discrepancies;
	rcn_arena_adopt(&m->arena, &s->arena);
	free(s->findings);
	free(s->notes);
	free(s->tallies);
}

typedef struct {
	rcn_match *m;
	const uint32_t *idx;
	size_t from, to;
} groups_job;

static void *groups_thread(void *p)
{
	groups_job *j = p;
	match_groups(j->m, j->idx, j->from, j->to);
	return NULL;
}

/* Rows in ledger order below which one thread matches every group. */
#define SHARED_GROUPS_MIN 65536

static void match_payments(rcn_match *m)
{
	/* row indexes in 32 bits: half the memory of the sort's three arrays (a
	 * night of four billion rows would not fit in memory anyway) */
	assert(m->n_rows < UINT32_MAX);
	uint32_t *idx = rcn_xmalloc((m->n_rows + 1) * sizeof(uint32_t));
	int32_t *led = rcn_xmalloc((m->n_rows + 1) * sizeof(int32_t));
	size_t n = 0;
	uint32_t v;

	for (size_t i = 0; i < m->n_rows; i++) {
		srow *r = &m->rows[i];
		publish(m, PUBLISH_BATCH);
		if (r->type != RCN_REC_PAYMENT || r->done)
			continue;
		if (r->ledger >= 0)
			; /* found by rcn_match_missing_keys */
		else if (*r->order_no && rcn_strmap_get(&m->order_idx, r->order_no, strlen(r->order_no), &v))
			r->ledger = (int32_t)v;
		else if (!*r->order_no && *r->txn && txn_get(m, r->txn, &v))
			r->ledger = (int32_t)v;
		if (r->ledger >= 0 && m->orders[r->ledger].bdate > m->day && m->orders[r->ledger].paid && r->ok) {
			ledger_later(m, r, m->orders[r->ledger].bdate, RCN_K_OVERPAYMENT);
			continue;
		}
		if (r->ledger < 0) {
			if (r->ok)
				unmatched_row(m, r, RCN_K_OVERPAYMENT, "missing");
			else {
				count_row(m, r, RCN_K__COUNT, true); /* no order, no money: nothing owed */
				r->done = true;
			}
			continue;
		}
		led[n] = r->ledger;
		idx[n++] = (uint32_t)i;
	}
	sort_by_ledger(m, idx, led, n);
	free(led);
	mark_debits(m, idx, n);

	/* the second half of the groups on a shadow matcher: on another thread
	 * when there is a core for it, else here afterwards; the same findings
	 * in the same order either way */
	size_t mid = n / 2;
	while (mid > 0 && mid < n && m->rows[idx[mid]].ledger == m->rows[idx[mid - 1]].ledger)
		mid++;
	rcn_match shadow;
	shadow_init(&shadow, m);
	groups_job job = {&shadow, idx, mid, n};
	rcn_task task = {0}; /* joining a task never started does nothing */
	bool threaded = m->threads > 1 && n >= SHARED_GROUPS_MIN;
	if (threaded)
		rcn_task_start(&task, groups_thread, &job);
	match_groups(m, idx, 0, mid);
	rcn_task_join(&task);
	if (!threaded)
		groups_thread(&job);
	shadow_merge(m, &shadow);
	publish(m, PUBLISH_BATCH);
	free(idx);
}

static void match_refunds(rcn_match *m)
{
	uint32_t v;
	/* Refunds already made on an order (ledger SUCCESS refunds that tonight's
	 * statement does not list) count towards "refunded more than was paid". */
	int64_t *refunded = rcn_xcalloc(m->n_orders + 1, sizeof(int64_t));
	bool *listed = rcn_xcalloc(m->n_refunds + 1, sizeof(bool));
	size_t *idx = rcn_xmalloc((m->n_rows + 1) * sizeof(size_t));
	size_t n = 0;

	for (size_t j = 0; j < m->n_refund_rows; j++) {
		size_t i = m->refund_rows[j];
		srow *r = &m->rows[i];
		if (r->done)
			continue;
		if (*r->refund_no && rcn_strmap_get(&m->refund_idx, r->refund_no, strlen(r->refund_no), &v))
			r->ledger = (int32_t)v;
		else if (*r->refund_id && rcn_strmap_get(&m->refund_id_idx, r->refund_id, strlen(r->refund_id), &v))
			r->ledger = (int32_t)v;
		if (r->ledger >= 0)
			listed[r->ledger] = true;
		idx[n++] = i;
	}
	for (size_t i = 0; i < m->n_refunds; i++) {
		const lrefund *l = &m->refunds[i];
		if (!listed[i] && success(l->status) &&
		    rcn_strmap_get(&m->order_idx, l->order_no, strlen(l->order_no), &v))
			refunded[v] += l->amount;
	}
	/* walk tonight's refunds in time order so the one that crosses the paid amount is reported */
	if (n)
		qsort_r(idx, n, sizeof(size_t), cmp_rows_by_time, m->rows);

	for (size_t k = 0; k < n; k++) {
		srow *r = &m->rows[idx[k]];
		lrefund *l = r->ledger >= 0 ? &m->refunds[r->ledger] : NULL;
		bool ch_ok = r->ok;
		rcn_kind kind = RCN_K__COUNT;
		const char *reason = "";
		rcn_finding *f = NULL;
		char detail[200] = "";

		if (l && ch_ok && success(l->status) && l->bdate > m->day) {
			ledger_later(m, r, l->bdate, RCN_K_REFUND_MISMATCH);
			continue;
		}
		if (ch_ok && *r->order_no && rcn_strmap_get(&m->order_idx, r->order_no, strlen(r->order_no), &v)) {
			const lorder *o = &m->orders[v];
			refunded[v] += r->amount;
			if (refunded[v] > o->amount) {
				char a[32], b[32];
				kind = RCN_K_REFUND_MISMATCH, reason = "exceeds_paid";
				snprintf(detail, sizeof(detail), "refunds total %s of an order of %s",
					 rcn_money_format(a, sizeof(a), refunded[v], 2),
					 rcn_money_format(b, sizeof(b), o->amount, 2));
			}
		}
		if (kind == RCN_K__COUNT && !l) {
			if (ch_ok) {
				unmatched_row(m, r, RCN_K_REFUND_MISMATCH, "missing_in_ledger");
			} else {
				count_row(m, r, RCN_K__COUNT, true);
				r->done = true;
			}
			continue;
		}
		if (kind == RCN_K__COUNT) {
			bool l_ok = success(l->status);
			if (ch_ok && l_ok && r->amount != l->amount)
				kind = RCN_K_REFUND_MISMATCH, reason = "amount";
			else if (ch_ok && !l_ok)
				kind = RCN_K_REFUND_MISMATCH, reason = status_reason(m, "ledger_", l->status);
			else if (!ch_ok && l_ok)
				kind = RCN_K_REFUND_MISMATCH, reason = status_reason(m, "channel_", r->status);
		}
		if (kind != RCN_K__COUNT) {
			f = new_finding(m, kind, reason, RCN_SIDE_CHANNEL);
			fill_channel(m, f, r);
			f->detail = dup(m, detail);
		} else if (check_fee(m, r, &f)) {
			kind = RCN_K_FEE_MISMATCH;
		}
		if (f && l)
			fill_refund(f, l);
		bool matched = kind == RCN_K__COUNT;
		count_row(m, r, kind, matched);
		if (l && l->expected && !l->consumed)
			count(m, l->channel, l->merchant_id, RCN_SIDE_LEDGER, kind, matched, l->amount);
		if (l)
			l->consumed = true;
		r->done = true;
	}
	free(idx);
	free(listed);
	free(refunded);
}

/* Ledger items expected tonight that no statement row claimed. */
static void unclaimed_ledger(rcn_match *m)
{
	for (size_t i = 0; i < m->n_orders; i++) {
		lorder *o = &m->orders[i];
		if (!o->expected || o->consumed)
			continue;
		if (!o->paid) { /* carried, and the ledger has since withdrawn the payment */
			count(m, o->channel, o->merchant_id, RCN_SIDE_LEDGER, RCN_K__COUNT, true, o->amount);
			continue;
		}
		int age = (int)(m->day - o->first_seen);
		bool rejected = o->source < m->n_sources && m->rejected[o->source];
		rcn_kind kind = age >= m->carry && !rejected ? RCN_K_SHORT_PAYMENT : RCN_K_PENDING;
		rcn_finding *f = new_finding(m, kind,
					     kind == RCN_K_SHORT_PAYMENT ? "missing"
					     : rejected			 ? "statement_rejected"
									 : "not_in_statement",
					     RCN_SIDE_LEDGER);
		f->rec_type = RCN_REC_PAYMENT;
		fill_order(f, o);
		f->first_seen = o->first_seen;
		f->age_days = age;
		f->source = "ledger_orders";
		f->trade_time = time_text(m, o->paid_at);
		if (kind == RCN_K_PENDING)
			f->detail = rejected ? "the statement of this date was rejected: fix it and re-run"
					     : pending_detail(m, RCN_K_SHORT_PAYMENT, o->first_seen);
		count(m, o->channel, o->merchant_id, RCN_SIDE_LEDGER, kind, false, o->amount);
	}
	for (size_t i = 0; i < m->n_refunds; i++) {
		lrefund *l = &m->refunds[i];
		if (!l->expected || l->consumed)
			continue;
		if (!success(l->status)) {
			count(m, l->channel, l->merchant_id, RCN_SIDE_LEDGER, RCN_K__COUNT, true, l->amount);
			continue;
		}
		int age = (int)(m->day - l->first_seen);
		bool rejected = l->source < m->n_sources && m->rejected[l->source];
		rcn_kind kind = age >= m->carry && !rejected ? RCN_K_REFUND_MISMATCH : RCN_K_PENDING;
		rcn_finding *f = new_finding(m, kind,
					     kind == RCN_K_REFUND_MISMATCH ? "missing_in_channel"
					     : rejected			   ? "statement_rejected"
									   : "refund_not_in_statement",
					     RCN_SIDE_LEDGER);
		f->rec_type = RCN_REC_REFUND;
		fill_refund(f, l);
		f->trade_time = time_text(m, l->refunded_at);
		f->first_seen = l->first_seen;
		f->age_days = age;
		f->source = "ledger_refunds";
		if (kind == RCN_K_PENDING)
			f->detail = rejected ? "the statement of this date was rejected: fix it and re-run"
					     : pending_detail(m, RCN_K_REFUND_MISMATCH, l->first_seen);
		count(m, l->channel, l->merchant_id, RCN_SIDE_LEDGER, kind, false, l->amount);
	}
}

/* Which ledger items tonight must account for: collected payments and
 * successful refunds of this business date on a configured source, plus
 * whatever was still pending after the previous date. */
static void mark_expected(rcn_match *m)
{
	uint32_t v;
	/* an order's own expectation was set as it was added (rcn_match_add_order) */
	for (size_t i = 0; i < m->n_refunds; i++) {
		lrefund *l = &m->refunds[i];
		l->expected = !l->from_lookup && l->source != SIZE_MAX && l->bdate == m->day && success(l->status);
	}
	for (size_t i = 0; i < m->n_carried; i++) {
		const rcn_finding *c = &m->carried_ledger[i];
		if (c->rec_type == RCN_REC_PAYMENT &&
		    rcn_strmap_get(&m->order_idx, c->order_no, strlen(c->order_no), &v)) {
			m->orders[v].expected = m->orders[v].carried = true;
			m->orders[v].first_seen = c->first_seen;
		} else if (c->rec_type == RCN_REC_REFUND &&
			   rcn_strmap_get(&m->refund_idx, c->refund_no, strlen(c->refund_no), &v)) {
			m->refunds[v].expected = m->refunds[v].carried = true;
			m->refunds[v].first_seen = c->first_seen;
		} else {
			/* gone from the ledger since: nothing is owed any more */
			count(m, c->channel, c->merchant_id, RCN_SIDE_LEDGER, RCN_K__COUNT, true, c->ledger_amount);
		}
	}
}

/* Channels, reasons and empty refund numbers are mostly one shared string. */
static int cmp_str(const char *a, const char *b)
{
	return a == b ? 0 : strcmp(a, b);
}

static int cmp_findings(const void *a, const void *b)
{
	const rcn_finding *x = *(const rcn_finding *const *)a, *y = *(const rcn_finding *const *)b;
	int c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = cmp_str(x->channel, y->channel)) || (c = strcmp(x->order_no, y->order_no)) ||
	    (c = cmp_str(x->refund_no, y->refund_no)) || (c = strcmp(x->channel_txn_id, y->channel_txn_id)) ||
	    (c = strcmp(x->source, y->source)) || (c = cmp_str(x->reason, y->reason)))
		return c;
	return (x->side > y->side) - (x->side < y->side);
}

static int cmp_tallies(const void *a, const void *b)
{
	const rcn_tally *x = a, *y = b;
	int c;
	if ((c = strcmp(x->channel, y->channel)) || (c = strcmp(x->merchant_id, y->merchant_id)))
		return c;
	return (x->side > y->side) - (x->side < y->side); /* L before S */
}

void rcn_match_run(rcn_match *m)
{
	index_orders(m);
	for (size_t i = 0; rcn_debit_book_count(m->debits) && i < m->n_orders; i++)
		if (*m->orders[i].contract_id)
			m->orders[i].contract = rcn_debit_book_find(m->debits, m->orders[i].contract_id);
	mark_expected(m);
	/* the refunds' fees (they may need a ledger order), and the payments'
	 * that rcn_match_prepare did not count (it may not have run) */
	for (size_t i = m->fees_added; i < m->n_rows; i++)
		if (m->rows[i].type == RCN_REC_PAYMENT)
			add_fees(m, &m->rows[i]);
	for (size_t j = 0; j < m->n_refund_rows; j++)
		add_fees(m, &m->rows[m->refund_rows[j]]);
	find_duplicates(m, RCN_REC_PAYMENT);
	find_duplicates(m, RCN_REC_REFUND);
	publish(m, 1);
	match_payments(m);
	publish(m, 1);
	match_refunds(m);
	publish(m, 1);
	unclaimed_ledger(m);
	check_fee_totals(m);
	publish(m, 1);
	if (m->n_findings) /* qsort's pointer must not be NULL, even for zero items */
		qsort(m->findings, m->n_findings, sizeof(*m->findings), cmp_findings);
	if (m->n_tallies)
		qsort(m->tallies, m->n_tallies, sizeof(*m->tallies), cmp_tallies);
	if (m->n_notes)
		qsort(m->notes, m->n_notes, sizeof(*m->notes), cmp_findings);
}

const rcn_finding *const *rcn_match_findings(const rcn_match *m, size_t *n)
{
	*n = m->n_findings;
	return (const rcn_finding *const *)m->findings;
}

const rcn_tally *rcn_match_tallies(const rcn_match *m, size_t *n)
{
	*n = m->n_tallies;
	return m->tallies;
}

long rcn_match_discrepancy_count(const rcn_match *m)
{
	return m->discrepancies;
}

void rcn_match_add_finding(rcn_match *m, const rcn_finding *f)
{
	rcn_finding *c = new_finding(m, f->kind, dup(m, f->reason), f->side);
	const char *keep_reason = c->reason;
	*c = *f;
	c->reason = keep_reason;
	c->channel = dup(m, f->channel);
	c->merchant_id = dup(m, f->merchant_id);
	c->order_no = dup(m, f->order_no);
	c->refund_no = dup(m, f->refund_no);
	c->channel_txn_id = dup(m, f->channel_txn_id);
	c->channel_refund_id = dup(m, f->channel_refund_id);
	c->ledger_status = dup(m, f->ledger_status);
	c->channel_status = dup(m, f->channel_status);
	c->trade_time = dup(m, f->trade_time);
	c->source = dup(m, f->source);
	c->detail = dup(m, f->detail);
	publish(m, 1);
	qsort(m->findings, m->n_findings, sizeof(*m->findings), cmp_findings);
}

const rcn_movement *rcn_match_movements(const rcn_match *m, size_t *n)
{
	*n = m->n_moves;
	return m->moves;
}

const rcn_finding *const *rcn_match_notes(const rcn_match *m, size_t *n)
{
	*n = m->n_notes;
	return (const rcn_finding *const *)m->notes;
}

long rcn_match_carried_rows(const rcn_match *m)
{
	return m->n_carried_rows;
}
