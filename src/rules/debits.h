/* The auto-debit (委托代扣) contracts of a night and the rules a collected
 * debit must keep (FORMATS.md §6): a book the pipeline fills from the ledger
 * (rcn_rules_add_contract) and the matcher asks once per debit through
 * rcn_match_rules. Internal to the rules. */
#ifndef RECON_RULES_DEBITS_H
#define RECON_RULES_DEBITS_H

#include "recon/finding.h"
#include "recon/ledger_rows.h"
#include "recon/match.h"

typedef struct rcn_debit_book rcn_debit_book;

/* A new empty book, freed with rcn_debit_book_free(). */
rcn_debit_book *rcn_debit_book_new(void);
void rcn_debit_book_free(rcn_debit_book *b);
/* Copies c, its strings and what its attempts say about retries; a contract
 * id already in the book (or empty) is ignored. */
void rcn_debit_book_add(rcn_debit_book *b, const rcn_ledger_contract *c);
size_t rcn_debit_book_count(const rcn_debit_book *b);
/* The index of the contract with this id, or -1. */
int32_t rcn_debit_book_find(const rcn_debit_book *b, const char *id);
/* RCN_DEBIT_* of the nth (1-based, in time order) collected debit of
 * contract c on the day: beyond its debits a day, beyond its billing period's. */
uint8_t rcn_debit_day_flags(const rcn_debit_book *b, int32_t c, long nth);

/* rcn_debit and rcn_debit_verdict: recon/match.h (the matcher asks). */

/* Checks debit d of contract c on business date day (the day names the period). */
void rcn_debit_check(const rcn_debit_book *b, rcn_date day, int32_t c, const rcn_debit *d, rcn_debit_verdict *out);

#endif
