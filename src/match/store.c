/* The row store: a date's statement rows, from the parsers' batches and the
 * channel-side suspense carried from the day before, interned and packed
 * (srow, match_int.h). */
#include "match/match_int.h"

struct rcn_batch {
	intern_cache ic;
	rcn_arena arena;
	srow *rows;
	size_t n_rows, cap_rows;
	size_t populated; /* rows' bytes whose pages are filled (rcn_populate_ahead) */
	rcn_movement *moves;
	size_t n_moves, cap_moves;
};

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

/* Copies rec into rows or moves (a movement is dropped when moves is NULL),
 * strings into arena. */
static void copy_record(rcn_arena *a, intern_cache *ic, const rcn_record *rec, srow **rows, size_t *n_rows,
			size_t *cap_rows, size_t *populated, rcn_movement **moves, size_t *n_moves, size_t *cap_moves)
{
	if (rec->type == RCN_REC_MOVEMENT) {
		if (!moves)
			return;
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
	const row_names *nm = intern_names(a, ic, rec->channel, true, rec->merchant_id, rec->status, rec->trade_type);
	rcn_xreserve((void **)rows, cap_rows, *n_rows + 1, sizeof(srow));
	rcn_populate_ahead(*rows, (*n_rows + 1) * sizeof(srow), *cap_rows * sizeof(srow), populated);
	(*rows)[(*n_rows)++] = (srow){.type = (uint8_t)rec->type,
				      .currency = currency_code(rec->currency),
				      .ok = interned_test(&ic->ok_for, &ic->ok, nm->status, success),
				      .nm = nm,
				      .txn = str[S_TXN],
				      .order_no = str[S_ORDER],
				      .refund_no = str[S_REFUND],
				      .refund_id = str[S_REFUND_ID],
				      .trade_at = record_time(rec),
				      .src = intern(a, ic, IC_FILE, rec->file, true),
				      .line = rec->line > (long)UINT32_MAX ? UINT32_MAX : (uint32_t)rec->line,
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

void rcn_batch_add_movement(rcn_batch *b, const rcn_movement *mv)
{
	rcn_arena *a = &b->arena;
	rcn_xreserve((void **)&b->moves, &b->cap_moves, b->n_moves + 1, sizeof(rcn_movement));
	b->moves[b->n_moves++] = (rcn_movement){.source_name = "",
						.channel = rcn_arena_strdup(a, mv->channel),
						.merchant_id = rcn_arena_strdup(a, mv->merchant_id),
						.trade_time = rcn_arena_strdup(a, mv->trade_time),
						.movement_type = rcn_arena_strdup(a, mv->movement_type),
						.reference = rcn_arena_strdup(a, mv->reference),
						.channel_txn_id = rcn_arena_strdup(a, mv->channel_txn_id),
						.order_no = rcn_arena_strdup(a, mv->order_no),
						.amount_fen = mv->amount_fen,
						.balance_fen = mv->balance_fen,
						.source = rcn_arena_strdup(a, mv->source)};
}

const rcn_movement *rcn_batch_movements(const rcn_batch *b, size_t *n)
{
	*n = b->n_moves;
	return b->moves;
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
	rcn_xfree(b->rows);
	rcn_xfree(b->moves);
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
		m->rows[i].source = (uint32_t)source;
		m->rows[i].first_seen = m->day;
		if (m->rows[i].type == RCN_REC_REFUND)
			note_refund_row(m, i);
	}
}

static bool row_kept(const rcn_match *m, const char *order_no, const char *refund_no, const char *txn, bool refund)
{
	return rcn_part_plan_keeps_row(m->part, order_no, refund_no, txn, refund);
}

/* Drops the rows [from, n_rows) of other parts (a shard's, or every one: the merge). */
static void keep_part(rcn_match *m, size_t from)
{
	if (!m->part || !m->part->parts)
		return;
	size_t k = from;
	for (size_t i = from; i < m->n_rows; i++) {
		const srow *r = &m->rows[i];
		if (row_kept(m, r->order_no, r->refund_no, r->txn, r->type == RCN_REC_REFUND))
			m->rows[k++] = m->rows[i];
	}
	m->n_rows = k;
}

void rcn_match_set_part(rcn_match *m, const rcn_part_plan *part)
{
	m->part = part;
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
	m->n_rows += b->n_rows; /* (of this part only: rcn_match_add_batch) */
	settle_new_rows(m, from, source);
	rcn_arena_adopt(&m->arena, &b->arena);
	rcn_batch_free(b);
}

void rcn_match_add_record(rcn_match *m, size_t source, const rcn_record *rec)
{
	size_t from = m->n_rows;
	copy_record(&m->arena, &m->ic, rec, &m->rows, &m->n_rows, &m->cap_rows, &m->rows_populated, NULL, NULL, NULL);
	keep_part(m, from);
	settle_new_rows(m, from, source);
}

void rcn_match_add_quarantine(rcn_match *m, size_t source, long rows, int64_t amount_fen)
{
	if (m->part && m->part->parts && m->part->part >= 0)
		return; /* a shard: a file's rows are counted once, by the merge */
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

/* A carried row's currency: CNY unless its pending detail ends with
 * "currency XXX" (pending_row in classify.c writes it for any other). */
static uint16_t carried_currency(const char *detail)
{
	const char *p = strrchr(detail, ' ');
	if (!p || p - detail < 8 || strncmp(p - 8, "currency", 8) != 0 || (p - 8 > detail && p[-9] != ' '))
		return CUR_CNY;
	return strcmp(p + 1, "unknown") == 0 ? CUR_UNKNOWN : currency_code(p + 1);
}

void rcn_match_add_suspense(rcn_match *m, const rcn_finding *f)
{
	if (f->side == RCN_SIDE_LEDGER
		    ? !rcn_part_plan_keeps(m->part, f->order_no, f->refund_no)
		    : !row_kept(m, f->order_no, f->refund_no, f->channel_txn_id, f->rec_type == RCN_REC_REFUND))
		return;
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
	*r = (srow){.source = (uint32_t)source_for(m, f->channel, f->merchant_id),
		    .type = (uint8_t)f->rec_type,
		    .currency = carried_currency(f->detail),
		    .nm = intern_names(&m->arena, &m->ic, f->channel, false, f->merchant_id, f->channel_status, ""),
		    .txn = dup(m, f->channel_txn_id),
		    .order_no = dup(m, f->order_no),
		    .refund_no = dup(m, f->refund_no),
		    .refund_id = dup(m, f->channel_refund_id),
		    .trade_at = text_time(f->trade_time),
		    .src = dup(m, f->source),
		    .amount = f->channel_amount,
		    .settle = f->channel_settle,
		    .fee = f->channel_fee,
		    .first_seen = f->first_seen,
		    .ledger = -1,
		    .carried = true};
	r->ok = success(r->nm->status);
	if (r->type == RCN_REC_REFUND)
		note_refund_row(m, m->n_rows);
	m->n_rows++;
	m->n_carried_rows++;
}
