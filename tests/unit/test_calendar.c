/* The China business-day calendar on the shipped rules/calendar/cn.csv (made
 * by make_cn.sh from holiday-cn 2023–2026): real holidays and 调休 working
 * days, T+0, the edge of the covered years, and file:line for every CSV mistake. */
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

#include "recon/calendar.h"

#define CN_CSV FIXTURES_DIR "/../rules/calendar/cn.csv"

static rcn_calendar *cn;

static int load_cn(void **state)
{
	rcn_err err;
	(void)state;
	return tu_setup_loaded(rcn_calendar_load(&cn, CN_CSV, &err), &err);
}

static int free_cn(void **state)
{
	(void)state;
	rcn_calendar_free(cn);
	return 0;
}

static rcn_date ymd(int y, int m, int d)
{
	return rcn_date_from_ymd(y, m, d);
}

/* T+n of y-m-d on c as "YYYY-MM-DD", or the error message. */
static const char *plus_on(const rcn_calendar *c, int y, int m, int d, int n)
{
	static char out[600];
	rcn_date end = -1;
	rcn_err err;
	rcn_err_clear(&err);
	if (rcn_calendar_add_workdays(c, ymd(y, m, d), n, &end, &err) == RCN_OK) {
		char iso[11];
		snprintf(out, sizeof(out), "%s", rcn_date_format(iso, end));
	} else {
		assert_int_equal(err.code, RCN_EUSAGE);
		assert_int_equal(end, -1); /* *out untouched */
		snprintf(out, sizeof(out), "%s", err.msg);
	}
	return out;
}

static const char *plus(int y, int m, int d, int n)
{
	return plus_on(cn, y, m, d, n);
}

/* T+n of y-m-d is want: a date, or the error message. */
typedef struct {
	int y, m, d, n;
	const char *want;
} plus_case;

static void expect_plus_on(const rcn_calendar *c, const plus_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const plus_case *pc = &cases[i];
		const char *got = plus_on(c, pc->y, pc->m, pc->d, pc->n);
		if (strcmp(got, pc->want) != 0)
			fail_msg("T+%d of %04d-%02d-%02d: got \"%s\", expected \"%s\"", pc->n, pc->y, pc->m, pc->d, got,
				 pc->want);
	}
}

#define EXPECT_PLUS_ON(c, cases) expect_plus_on((c), (cases), sizeof(cases) / sizeof((cases)[0]))

/* 2025.json: 国庆节、中秋节 off 10-01..10-08 (Wed..Wed), working Sun 09-28 and
 * Sat 10-11. 09-30 (Tue) is the last working day before it. */
static void test_national_day_2025(void **state)
{
	(void)state;
	assert_true(rcn_calendar_is_workday(cn, ymd(2025, 9, 30)));
	for (int d = 1; d <= 8; d++)
		assert_false(rcn_calendar_is_workday(cn, ymd(2025, 10, d)));
	assert_true(rcn_calendar_is_workday(cn, ymd(2025, 10, 9)));
	assert_string_equal(plus(2025, 9, 30, 1), "2025-10-09");
	assert_string_equal(plus(2025, 9, 30, 2), "2025-10-10");
	/* Sat 10-11 is a 调休 working day: T+3 */
	assert_string_equal(plus(2025, 9, 30, 3), "2025-10-11");
	assert_string_equal(plus(2025, 9, 30, 4), "2025-10-13");

	const char *name = "unset";
	assert_int_equal(rcn_calendar_day(cn, ymd(2025, 10, 4), &name), RCN_DAY_HOLIDAY);
	assert_string_equal(name, "国庆节、中秋节");
	assert_int_equal(rcn_calendar_day(cn, ymd(2025, 9, 30), &name), RCN_DAY_WEEKDAY);
	assert_null(name);
}

/* A weekend day declared a working day counts; an ordinary weekend does not. */
static void test_adjusted_weekend_workdays(void **state)
{
	const char *name = NULL;
	(void)state;
	/* Fri 2025-09-26: Sat 09-27 is an ordinary weekend, Sun 09-28 is 调休 */
	assert_int_equal(rcn_calendar_day(cn, ymd(2025, 9, 27), &name), RCN_DAY_WEEKEND);
	assert_null(name);
	assert_int_equal(rcn_calendar_day(cn, ymd(2025, 9, 28), &name), RCN_DAY_ADJUSTED);
	assert_string_equal(name, "国庆节、中秋节");
	assert_true(rcn_calendar_is_workday(cn, ymd(2025, 9, 28)));
	static const plus_case cases[] = {
		{2025, 9, 26, 1, "2025-09-28"},
		/* Fri 2025-10-10: Sat 10-11 is 调休 */
		{2025, 10, 10, 1, "2025-10-11"},
		/* Fri 2025-10-17: an ordinary weekend follows */
		{2025, 10, 17, 1, "2025-10-20"},
		/* Sat 2026-02-14 (春节, 2026.json) and Sun 2024-02-04 (春节, 2024.json) */
		{2026, 2, 13, 1, "2026-02-14"},
		{2024, 2, 2, 1, "2024-02-04"},
		/* T+0 on a 调休 Sunday is that Sunday */
		{2025, 9, 28, 0, "2025-09-28"},
	};
	EXPECT_PLUS_ON(cn, cases);
}

/* 2022-12-31 (Sat, 元旦) is declared only by 2023.json: the merged file has it,
 * so T+1 of Fri 2022-12-30 walks through it into 2023's 元旦 (Sun 01-01, Mon 01-02). */
static void test_december_from_next_years_file(void **state)
{
	const char *name = NULL;
	(void)state;
	assert_int_equal(rcn_calendar_day(cn, ymd(2022, 12, 31), &name), RCN_DAY_HOLIDAY);
	assert_string_equal(name, "元旦");
	assert_int_equal(rcn_calendar_day(cn, ymd(2023, 1, 2), &name), RCN_DAY_HOLIDAY);
	assert_string_equal(name, "元旦");
	assert_string_equal(plus(2022, 12, 30, 1), "2023-01-03");
	assert_string_equal(plus(2022, 12, 31, 0), "2023-01-03");
}

static void test_t0_on_a_holiday(void **state)
{
	(void)state;
	static const plus_case cases[] = {
		{2025, 10, 1, 0, "2025-10-09"},
		{2025, 10, 8, 0, "2025-10-09"},
		{2025, 9, 30, 0, "2025-09-30"},
		/* 2024.json: 国庆节 10-01..10-07, Tue 10-08 back to work */
		{2024, 10, 1, 0, "2024-10-08"},
		/* 2026.json: 春节 Sun 02-15..Mon 02-23 */
		{2026, 2, 16, 0, "2026-02-24"},
		/* T+1 from a holiday is the first working day after it, like T+0 */
		{2025, 10, 1, 1, "2025-10-09"},
	};
	EXPECT_PLUS_ON(cn, cases);
}

/* D+N is day arithmetic and ignores the calendar: D+1 of 2025-09-30 is a holiday. */
static void test_natural_days_ignore_the_calendar(void **state)
{
	char iso[11];
	(void)state;
	rcn_date d1 = ymd(2025, 9, 30) + 1;
	assert_string_equal(rcn_date_format(iso, d1), "2025-10-01");
	assert_false(rcn_calendar_is_workday(cn, d1));
	assert_string_equal(rcn_date_format(iso, ymd(2025, 9, 30) + 10), "2025-10-10");
}

/* The calendar's loader, for test_util's loads. */
static rcn_rc load_calendar(void *out, const char *path, rcn_err *err)
{
	return rcn_calendar_load(out, path, err);
}

static void test_leaving_the_covered_years(void **state)
{
	(void)state;
	static const plus_case cases[] = {
		/* Thu 2026-12-31 is covered; the day after is in 2027, which no file declares */
		{2026, 12, 31, 0, "2026-12-31"},
		{2026, 12, 31, 1, "the calendar has no data for 2027: add its holiday file"},
		{2026, 12, 25, 5, "the calendar has no data for 2027: add its holiday file"},
		/* 2022 is not one of the files read: its one listed day (2022-12-31, from 2023.json) does
		 * not make the rest of 2022 known, so the 2022 National Day is not guessed */
		{2022, 9, 30, 1, "the calendar has no data for 2022: add its holiday file"},
		{2021, 6, 1, 0, "the calendar has no data for 2021: add its holiday file"},
		{2025, 9, 30, -1, "negative working-day count -1: T+N needs N >= 0"},
	};
	EXPECT_PLUS_ON(cn, cases);
	/* is_workday never fails: outside the data it is the weekday rule */
	assert_true(rcn_calendar_is_workday(cn, ymd(2027, 1, 4)));

	/* A gap: 2023 and 2025 listed, 2024 not */
	rcn_calendar *gap =
		tu_load_text(load_calendar, "date,kind,name\n2023-10-02,holiday,国庆节\n2025-10-01,holiday,国庆节\n");
	static const plus_case gap_cases[] = {
		{2023, 12, 29, 1, "the calendar has no data for 2024: add its holiday file"},
		{2023, 12, 29, 0, "2023-12-29"},
		{2025, 9, 30, 1, "2025-10-02"},
	};
	EXPECT_PLUS_ON(gap, gap_cases);
	rcn_calendar_free(gap);
}

static void test_csv_errors(void **state)
{
	(void)state;
	static const tu_load_case cases[] = {
		{"date,kind,name\n2025-10-01,holiday,国庆节\n2025-02-30,holiday,x\n", 3,
		 ":3: invalid date \"2025-02-30\": no such day"},
		{"date,kind,name\n25-10-01,holiday,国庆节\n", 2, ":2: invalid date \"25-10-01\": expected YYYY-MM-DD"},
		{"date,kind,name\n# comment\n2025-10-01,off,国庆节\n", 3,
		 ":3: unknown kind \"off\": expected holiday or workday"},
		{"date,kind,name\n2025-10-01,holiday,a\n2025-10-02,holiday,a\n2025-09-28,workday,a\n2025-10-01,holiday,"
		 "a\n",
		 5, ":5: duplicate date 2025-10-01 (first at line 2)"},
		{"2025-10-01,holiday,a\n", 1, ":1: expected the header \"date,kind,name\""},
		{"date,kind,name\n2025-10-01,holiday\n", 2, ":2: expected 3 fields (date,kind,name), found 2"},
		{"date,kind,name\n2025-10-01,holiday,a,b\n", 2, ":2: expected 3 fields (date,kind,name), found 4"},
		{"date,kind,name\n2025-10-01,holiday,\n", 2, ":2: the holiday name is empty"},
		{"date,kind,name\n2025-10-01,holiday,\"a,b\"\n", 2, ":2: quoted fields are not supported"},
		{"date,kind,name\n2025-10-09,workday,国庆节\n", 2,
		 ":2: 2025-10-09 is a Thursday: a workday (调休) row must be a Saturday or Sunday"},
		{"", 0, ": empty file: expected the header \"date,kind,name\""},
		{"date,kind,name\n# nothing yet\n", 0, ": no dates: the calendar covers no year"},
	};
	tu_expect_load_errors(load_calendar, cases, sizeof(cases) / sizeof(cases[0]));
	assert_string_equal(tu_load_error_at(load_calendar, "/nonexistent/cn.csv", NULL),
			    "/nonexistent/cn.csv: cannot read calendar: No such file or directory");
}

/* A file saved by a spreadsheet: BOM, CRLF, no final newline. */
static void test_bom_and_crlf(void **state)
{
	const char *name = NULL;
	(void)state;
	rcn_calendar *c =
		tu_load_text(load_calendar, "\xEF\xBB\xBF"
					    "date,kind,name\r\n2025-09-28,workday,国庆节\r\n2025-10-01,holiday,国庆节");
	assert_int_equal(rcn_calendar_day(c, ymd(2025, 10, 1), &name), RCN_DAY_HOLIDAY);
	assert_string_equal(name, "国庆节");
	assert_int_equal(rcn_calendar_day(c, ymd(2025, 9, 28), &name), RCN_DAY_ADJUSTED);
	assert_string_equal(name, "国庆节");
	rcn_calendar_free(c);
}

RCN_TEST_MAIN_FIXTURE(load_cn, free_cn, cmocka_unit_test(test_national_day_2025),
		      cmocka_unit_test(test_adjusted_weekend_workdays),
		      cmocka_unit_test(test_december_from_next_years_file), cmocka_unit_test(test_t0_on_a_holiday),
		      cmocka_unit_test(test_natural_days_ignore_the_calendar),
		      cmocka_unit_test(test_leaving_the_covered_years), cmocka_unit_test(test_csv_errors),
		      cmocka_unit_test(test_bom_and_crlf))
