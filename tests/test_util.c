/* The helpers of test_util.h: temporary files, text checks and load errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

void tu_write_tmp(char *path, size_t n, const char *text)
{
	snprintf(path, n, "/tmp/recon-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

int tu_setup_loaded(rcn_rc rc, const rcn_err *err)
{
	if (rc == RCN_OK)
		return 0;
	char buf[1200];
	fprintf(stderr, "%s\n", rcn_err_format(err, buf, sizeof(buf)));
	return -1;
}

const char *tu_written(void (*write)(FILE *f, const char *s), const char *s)
{
	static char buf[512];
	memset(buf, 0, sizeof(buf));
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_non_null(f);
	write(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

void tu_assert_has_all(const char *text, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("\"%s\" is missing from:\n%s", want[i], text);
}

void tu_assert_has_none(const char *text, const char *const *unwanted, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(text, unwanted[i]) != NULL)
			fail_msg("\"%s\" must not appear in:\n%s", unwanted[i], text);
}

void *tu_load_text(tu_loader load, const char *text)
{
	void *obj = NULL;
	rcn_err err;
	char path[64], buf[1200];
	tu_write_tmp(path, sizeof(path), text);
	rcn_rc rc = load(&obj, path, &err);
	unlink(path);
	if (rc != RCN_OK)
		fail_msg("%s", rcn_err_format(&err, buf, sizeof(buf)));
	return obj;
}

const char *tu_load_error_at(tu_loader load, const char *path, long *line)
{
	static char msg[1200];
	void *obj = msg; /* must stay untouched */
	rcn_err err;
	rcn_err_clear(&err);
	assert_int_equal(load(&obj, path, &err), RCN_EUSAGE);
	assert_ptr_equal(obj, msg);
	assert_int_equal(err.code, RCN_EUSAGE);
	assert_string_equal(err.file, path);
	if (line != NULL)
		*line = err.line;
	return rcn_err_format(&err, msg, sizeof(msg));
}

const char *tu_load_error(tu_loader load, const char *text, long *line)
{
	static char msg[1200];
	char path[64];
	tu_write_tmp(path, sizeof(path), text);
	const char *full = tu_load_error_at(load, path, line);
	unlink(path);
	assert_memory_equal(full, path, strlen(path));
	snprintf(msg, sizeof(msg), "%s", full + strlen(path));
	return msg;
}

void tu_expect_load_errors(tu_loader load, const tu_load_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long line = -1;
		const char *msg = tu_load_error(load, cases[i].text, &line);
		if (strcmp(msg, cases[i].msg) != 0 || (cases[i].line >= 0 && line != cases[i].line))
			fail_msg("case %zu: got line %ld \"%s\", expected line %ld \"%s\"", i, line, msg, cases[i].line,
				 cases[i].msg);
	}
}

void tu_expect_long_line(tu_loader load, const char *head, size_t fill, const char *tail)
{
	size_t nh = strlen(head), nt = strlen(tail);
	char *text = malloc(nh + fill + nt + 1);
	assert_non_null(text);
	memcpy(text, head, nh);
	memset(text + nh, '0', fill);
	memcpy(text + nh + fill, tail, nt + 1);
	long line = -1;
	assert_string_equal(tu_load_error(load, text, &line), ":2: line is longer than 4096 bytes or holds a NUL byte");
	assert_int_equal(line, 2);
	free(text);
}

rcn_ledger_contract tu_contract(const char *id)
{
	return (rcn_ledger_contract){.contract_id = id,
				     .merchant_id = "m",
				     .channel = "wechat",
				     .status = "ACTIVE",
				     .signed_at = "",
				     .terminated_at = "",
				     .expires_at = "",
				     .billing_period = "",
				     .debits_per_period = 1,
				     .max_consecutive_failures = 3,
				     .last_attempt_at = RCN_NO_TIME};
}
