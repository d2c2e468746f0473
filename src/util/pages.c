/* Huge pages for the big allocations, where the machine makes them pay.
 *
 * A big night writes gigabytes of fresh memory (the row and order arrays,
 * the string arenas; a night in parts, every part's again), and what the
 * first write of a fresh page costs differs by an order of magnitude from
 * one VM to the next: on the machines of sessions 3-7 a 4 KiB page cost
 * ~1.6 us and a 2 MiB huge page 2.4 ms (three times more per byte, the
 * kernel compacting for it); on session 19's, ~11 us and 0.3 ms (35 times
 * less per byte), and the 10 M night spent a third of its CPU on first
 * writes. So it is measured, once per process, the first time a big block
 * is asked for: 4 MiB written page by page in each kind, about 12 ms on the
 * slow side; huge pages are asked for (MADV_HUGEPAGE: THP's "madvise" mode,
 * Debian's default) only when they came out cheaper. RECON_HUGE_PAGES=on or
 * off decides instead (the bench's A/B runs). Only ever a hint: any error is
 * ignored, and a kernel without THP answers EINVAL. */
#include "util/perf.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define HUGE  ((uintptr_t)2 << 20)
#define PROBE ((size_t)4 << 20)

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool huge_pays;

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Seconds to write PROBE bytes of fresh memory a page at a time, with huge
 * pages asked for or refused; a negative figure when it cannot be told. */
static double first_writes(bool huge)
{
	size_t n = PROBE + HUGE;
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	volatile char *a = (char *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	if (madvise((void *)a, PROBE, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0) {
		munmap(p, n);
		return -1;
	}
	double t0 = seconds();
	for (size_t i = 0; i < PROBE; i += 4096)
		a[i] = 1;
	double t = seconds() - t0;
	munmap(p, n);
	return t;
}

static void probe(void)
{
	const char *say = getenv("RECON_HUGE_PAGES");
	if (say && (strcmp(say, "on") == 0 || strcmp(say, "off") == 0)) {
		huge_pays = strcmp(say, "on") == 0;
		return;
	}
	double small = first_writes(false), huge = small >= 0 ? first_writes(true) : -1;
	huge_pays = small >= 0 && huge >= 0 && huge < small;
}

bool rcn_huge_pages_pay(void)
{
	pthread_once(&probe_once, probe);
	return huge_pays;
}

void rcn_big_pages(void *p, size_t n)
{
	if (n < RCN_BIG_BLOCK || !rcn_huge_pages_pay())
		return;
	/* the whole pages it touches: a block malloc mapped on its own is then
	 * one mapping still, which realloc can grow or move without copying
	 * (mremap takes one mapping only); the kernel gives huge pages to the
	 * whole 2 MiB inside it */
	long size = sysconf(_SC_PAGESIZE);
	const uintptr_t page = size > 0 ? (uintptr_t)size : 4096;
	uintptr_t start = (uintptr_t)p & ~(page - 1), end = ((uintptr_t)p + n + page - 1) & ~(page - 1);
	(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}
