/* The metrics file's open items (issue 19): per discrepancy kind the open
 * and the overdue items and their amounts in yuan; the gauges without
 * samples when the run has no book. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "open_book_fixture.h"
#include "run/metrics.h"

/* The metrics file of m (a static buffer). */
static const char *metrics_of(const rcn_metrics *m)
{
	static char text[1 << 16];
	char dir[] = "/tmp/test_metrics.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/recon.prom", dir);
	rcn_err err;
	assert_int_equal(rcn_metrics_write(path, m, &err), RCN_OK);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(path);
	rmdir(dir);
	return text;
}

static void test_open_items(void **state)
{
	(void)state;
	rcn_open_item items[4];
	rcn_open_book book;
	fixture_book(&book, items);
	rcn_metrics m = {.day = rcn_date_from_ymd(2026, 3, 2), .exit_code = 1, .book = &book};
	const char *text = metrics_of(&m);
	TU_HAS_ALL(text, "# TYPE recon_open_items gauge\n", "\nrecon_open_items{kind=\"SHORT_PAYMENT\"} 1\n",
		   "\nrecon_open_items{kind=\"OVERPAYMENT\"} 0\n",
		   "\nrecon_open_items_amount_yuan{kind=\"SHORT_PAYMENT\"} 10.00\n",
		   "\nrecon_open_items_amount_yuan{kind=\"FEE_MISMATCH\"} 0.01\n",
		   "\nrecon_open_items_amount_yuan{kind=\"DOUBLE_CHARGE\"} 2500.00\n",
		   "\nrecon_overdue_items{kind=\"SHORT_PAYMENT\"} 1\n",
		   "\nrecon_overdue_items{kind=\"DOUBLE_CHARGE\"} 0\n",
		   "\nrecon_overdue_items_amount_yuan{kind=\"SHORT_PAYMENT\"} 10.00\n",
		   "\nrecon_overdue_items_amount_yuan{kind=\"DOUBLE_CHARGE\"} 0.00\n");
	size_t samples = 0;
	for (const char *p = text; (p = strstr(p, "\nrecon_o")); p++)
		samples++;
	assert_int_equal(samples, 4 * RCN_K_PENDING); /* 4 gauges, a sample per discrepancy kind */

	m.book = NULL;
	text = metrics_of(&m);
	TU_HAS_ALL(text, "# TYPE recon_open_items gauge\n", "# TYPE recon_overdue_items_amount_yuan gauge\n");
	TU_HAS_NONE(text, "\nrecon_open_items{", "\nrecon_overdue_items{");
}

RCN_TEST_MAIN(cmocka_unit_test(test_open_items))
