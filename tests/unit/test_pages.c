/* Huge pages for big blocks (src/util/pages.c): asked for, by the kernel's
 * own account (/proc/self/smaps' VmFlags "hg"), for every kind of big
 * allocation when they pay (RECON_HUGE_PAGES=on), for none when they do not
 * (off), never for a small one; the memory the same either way (zeroed where
 * asked, kept across growth). Each case runs in a child of its own: the
 * choice is made once per process. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "recon/common.h"
#include "util/perf.h"

#define MIB ((size_t)1 << 20)

/* Whether the kernel marked the mapping holding p for huge pages: 1 yes,
 * 0 no, -1 when no mapping holds it. */
static int marked_huge(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	char line[512];
	int in = 0, got = -1;
	uintptr_t a = (uintptr_t)p;
	while (got < 0 && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			got = strstr(line, " hg") != NULL;
	}
	fclose(f);
	return got;
}

/* Every kind of big allocation, and a small one; returns 0 when each is
 * marked as `want` says (the small one never), else the case's number. */
static int allocations(int want)
{
	/* a plain block: an address well inside it */
	char *p = rcn_xmalloc(16 * MIB);
	memset(p, 7, 16 * MIB);
	if (marked_huge(p + 8 * MIB) != want)
		return 1;
	/* cleared, and grown: the part it grew by too, the bytes kept */
	char *z = rcn_xcalloc(4, 4 * MIB);
	for (size_t i = 0; i < 16 * MIB; i += 4093)
		if (z[i])
			return 2;
	if (marked_huge(z + 8 * MIB) != want)
		return 3;
	p = rcn_xrealloc(p, 64 * MIB);
	if (p[16 * MIB - 1] != 7 || p[0] != 7)
		return 4;
	if (marked_huge(p + 48 * MIB) != want)
		return 5;
	/* an arena's block: its first string already on a huge page */
	rcn_arena a;
	rcn_arena_init(&a);
	const char *s = rcn_arena_strdup(&a, "4200001202603020000000001462");
	if (strcmp(s, "4200001202603020000000001462") != 0 || marked_huge(s) != want)
		return 6;
	/* a small block: never */
	char *small = rcn_xmalloc(64 * 1024);
	memset(small, 1, 64 * 1024);
	if (marked_huge(small) == 1)
		return 7;
	free(small);
	rcn_arena_free(&a);
	free(z);
	free(p);
	return 0;
}

/* allocations(want) in a child whose RECON_HUGE_PAGES is `setting`. */
static int in_child(const char *setting, int want)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("RECON_HUGE_PAGES", setting, 1);
		if (rcn_huge_pages_pay() != (want == 1))
			_exit(100);
		_exit(allocations(want));
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static bool thp_kernel(void)
{
	return access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0;
}

static void test_on(void **state)
{
	(void)state;
	if (!thp_kernel())
		skip();
	assert_int_equal(in_child("on", 1), 0);
}

static void test_off(void **state)
{
	(void)state;
	assert_int_equal(in_child("off", 0), 0);
}

/* Unset: the machine is measured, once; the memory is the same whichever
 * way it comes out, and the choice stays. */
static void test_measured(void **state)
{
	(void)state;
	unsetenv("RECON_HUGE_PAGES");
	bool pays = rcn_huge_pages_pay();
	assert_true(rcn_huge_pages_pay() == pays);
	if (pays && !thp_kernel())
		fail_msg("huge pages chosen on a kernel without them");
	assert_int_equal(allocations(pays && thp_kernel() ? 1 : 0), 0);
}

RCN_TEST_MAIN(cmocka_unit_test(test_on), cmocka_unit_test(test_off), cmocka_unit_test(test_measured))
