/* A night's partition key (issue 20, docs/internals/shards.md): every row is
 * given a part by its merchant order number, with the hash PostgreSQL's
 * hashtextextended(text, 0) computes for a text of a deterministic collation
 * — so the ledger window can be filtered by part in the server, and the
 * statement rows on this side, and both agree. */
#ifndef RECON_PART_H
#define RECON_PART_H

#include <stddef.h>
#include <stdint.h>

#include "recon/common.h"

/* hashtextextended(s, seed) of PostgreSQL for the n bytes of s (its
 * hash_bytes_extended: Bob Jenkins' lookup3, little-endian words), as the
 * server's bigint. */
int64_t rcn_part_hash(const void *s, size_t n, uint64_t seed);

/* The part (0 .. parts-1) of a key: its hash with the sign bit cleared,
 * modulo parts — in SQL, (hashtextextended(key, 0) & x'7fffffffffffffff'::bigint) % parts. */
uint32_t rcn_part_of(const void *key, size_t n, uint32_t parts);

/* Which part of a night a process reconciles (recon run --shard I/N, and
 * the merge, which reconciles none itself). The key of an order is its
 * contract's id when it has an auto-debit contract (a contract's debits of
 * the day are judged together: they must be in one part), else its number;
 * `contracts` maps the window's contracted orders' numbers to their
 * contract's part, identically in every shard. */
typedef struct {
	uint32_t parts; /* 0: the whole night (no filter) */
	int32_t part;	/* 0 .. parts-1, or RCN_PART_NONE: keep no row (the merge) */
	rcn_strmap contracts;
	rcn_arena arena;
} rcn_part_plan;

#define RCN_PART_NONE (-1)

void rcn_part_plan_init(rcn_part_plan *p, uint32_t parts, int32_t part);
void rcn_part_plan_free(rcn_part_plan *p);
/* A window order with an auto-debit contract (every shard adds the same). */
void rcn_part_plan_contract(rcn_part_plan *p, const char *order_no, const char *contract_id);
/* Whether this process keeps the item of these numbers: the order number
 * (the contract's part when it has one), else the fallback (a channel
 * transaction id or refund number). Always true without a filter. */
bool rcn_part_plan_keeps(const rcn_part_plan *p, const char *order_no, const char *fallback);
/* The part (0 .. parts-1) of an order's key: its contract's when it has one
 * in the plan, else its number's, else the fallback's. */
uint32_t rcn_part_plan_part(const rcn_part_plan *p, const char *order_no, const char *fallback);
/* A statement row's part: its order's, else its refund number's (a refund)
 * or transaction id's. */
uint32_t rcn_part_plan_row_part(const rcn_part_plan *p, const char *order_no, const char *refund_no, const char *txn,
				bool refund);
bool rcn_part_plan_keeps_row(const rcn_part_plan *p, const char *order_no, const char *refund_no, const char *txn,
			     bool refund);

#endif
