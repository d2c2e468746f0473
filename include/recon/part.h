/* A night's partition key (issue 20, docs/internals/shards.md): every row is
 * given a part by its merchant order number, with the hash PostgreSQL's
 * hashtextextended(text, 0) computes for a text of a deterministic collation
 * — so the ledger window can be filtered by part in the server, and the
 * statement rows on this side, and both agree. */
#ifndef RECON_PART_H
#define RECON_PART_H

#include <stddef.h>
#include <stdint.h>

/* hashtextextended(s, seed) of PostgreSQL for the n bytes of s (its
 * hash_bytes_extended: Bob Jenkins' lookup3, little-endian words), as the
 * server's bigint. */
int64_t rcn_part_hash(const void *s, size_t n, uint64_t seed);

/* The part (0 .. parts-1) of a key: its hash with the sign bit cleared,
 * modulo parts — in SQL, (hashtextextended(key, 0) & x'7fffffffffffffff'::bigint) % parts. */
uint32_t rcn_part_of(const void *key, size_t n, uint32_t parts);

#endif
