/* Small helpers every kind of test shares (unit, db, fetch): a temporary file
 * with given text, "the text holds each of these / none of these", and the
 * exact one-line load error of a rules or configuration file, one case or a
 * table of cases, compared without the random temporary path.
 * Include after cmocka.h. */
#ifndef RECON_TESTS_TEST_UTIL_H
#define RECON_TESTS_TEST_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include "recon/common.h"
#include "recon/ledger_rows.h"

/* Writes text to a new "/tmp/recon-test-XXXXXX" whose name goes to path
 * (at least 32 bytes); the caller unlinks it. A failure fails the test. */
void tu_write_tmp(char *path, size_t n, const char *text);

/* A cmocka group set-up's verdict on loading its shared rules: 0 when rc is
 * RCN_OK, else -1 with err's one-line message on stderr. */
int tu_setup_loaded(rcn_rc rc, const rcn_err *err);

/* What write puts on a stream for s, as a string (at most 511 bytes; valid
 * until the next call). */
const char *tu_written(void (*write)(FILE *f, const char *s), const char *s);

/* Each of the n strings in want stands in text; each in unwanted does not. */
void tu_assert_has_all(const char *text, const char *const *want, size_t n);
void tu_assert_has_none(const char *text, const char *const *unwanted, size_t n);
#define TU_HAS_ALL(text, ...)                                                                                          \
	tu_assert_has_all((text), (const char *const[]){__VA_ARGS__},                                                  \
			  sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define TU_HAS_NONE(text, ...)                                                                                         \
	tu_assert_has_none((text), (const char *const[]){__VA_ARGS__},                                                 \
			   sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* The loader under test: loads the file at path into *out (a pointer to
 * the caller's object pointer, e.g. an rcn_config **), as rcn_config_load and
 * the rules loaders do. */
typedef rcn_rc (*tu_loader)(void *out, const char *path, rcn_err *err);

/* The object loaded from a temporary file holding text; a failed load fails
 * the test with its message. */
void *tu_load_text(tu_loader load, const char *text);

/* The load of path fails with RCN_EUSAGE naming path and leaves *out as it
 * was; the formatted message (valid until the next call), and *line the line
 * it names when line is not NULL. */
const char *tu_load_error_at(tu_loader load, const char *path, long *line);
/* The same for a temporary file holding text; the message without its path. */
const char *tu_load_error(tu_loader load, const char *text, long *line);

/* A file's text, the line its error names (-1: not checked) and the message
 * that follows the path. */
typedef struct {
	const char *text;
	long line;
	const char *msg;
} tu_load_case;

/* Every case fails as it says; a mismatch names the case's index. */
void tu_expect_load_errors(tu_loader load, const tu_load_case *cases, size_t n);

/* A rules CSV (read by util/rulescsv) whose line 2 is head, `fill` digits and
 * tail fails on line 2 as longer than 4096 bytes. */
void tu_expect_long_line(tu_loader load, const char *head, size_t fill, const char *tail);

/* An ACTIVE wechat contract id of merchant "m", one debit a period, stopping
 * after 3 failures, no attempt known: no debit rule fires unless the fields
 * set afterwards add one. */
rcn_ledger_contract tu_contract(const char *id);

#endif
