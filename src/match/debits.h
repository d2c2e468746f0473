/* The auto-debit (委托代扣) contracts of a night and the rules a collected
 * debit must keep (FORMATS.md §6): a book the matcher fills from the ledger
 * and asks once per debit. Internal to the matcher. */
#ifndef RECON_MATCH_DEBITS_H
#define RECON_MATCH_DEBITS_H

#include "recon/finding.h"
#include "recon/ledger_rows.h"

/* Rules that need every debit of a contract on the day (rcn_debit_day_flags). */
enum { RCN_DEBIT_TOO_MANY = 1, RCN_DEBIT_PAST_PERIOD = 2 };

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

/* A collected debit on the statement, matched to its ledger order. */
typedef struct {
	const char *order_no; /* the ledger order's */
	rcn_time at;	      /* the statement's trade time */
	int64_t amount;	      /* fen */
	uint8_t day_flags;    /* rcn_debit_day_flags */
} rcn_debit;

/* Room for the longest detail (a 60-byte id and two durations). */
#define RCN_DEBIT_DETAIL 320

typedef struct {
	rcn_kind kind;	    /* the gravest rule broken; RCN_K__COUNT when it keeps them all */
	const char *reason; /* static, "" when kept */
	char detail[RCN_DEBIT_DETAIL];
	bool above_average; /* above 200% of the contract's average, whatever kind was found */
} rcn_debit_verdict;

/* Checks debit d of contract c on business date day (the day names the period). */
void rcn_debit_check(const rcn_debit_book *b, rcn_date day, int32_t c, const rcn_debit *d, rcn_debit_verdict *out);

#endif
