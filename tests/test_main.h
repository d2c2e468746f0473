/* The one main() of a cmocka test program, so that each test file ends with
 * the list of its tests and nothing else:
 *
 *     RCN_TEST_MAIN(cmocka_unit_test(test_a), cmocka_unit_test(test_b))
 *
 * runs the listed tests as one group; RCN_TEST_MAIN_FIXTURE(setup, teardown,
 * ...) gives the group a set-up and a tear-down (either may be NULL), which is
 * where a file's shared state is made and freed. The exit code is the number
 * of failed tests. Include after cmocka.h. */
#ifndef RECON_TESTS_TEST_MAIN_H
#define RECON_TESTS_TEST_MAIN_H

#define RCN_TEST_MAIN_FIXTURE(setup, teardown, ...)                                                                    \
	int main(void)                                                                                                 \
	{                                                                                                              \
		const struct CMUnitTest rcn_tests[] = {__VA_ARGS__};                                                   \
		return cmocka_run_group_tests(rcn_tests, setup, teardown);                                             \
	}

#define RCN_TEST_MAIN(...) RCN_TEST_MAIN_FIXTURE(NULL, NULL, __VA_ARGS__)

/* A program of several groups (tests that need no server apart from those
 * that do) defines each with RCN_TEST_GROUP(name, setup, teardown, ...): a
 * function name() that runs the group under that name and returns the number
 * of failed tests; its own main() calls them in order. */
#define RCN_TEST_GROUP(name, setup, teardown, ...)                                                                     \
	static int name(void)                                                                                          \
	{                                                                                                              \
		const struct CMUnitTest rcn_tests[] = {__VA_ARGS__};                                                   \
		return cmocka_run_group_tests_name(#name, rcn_tests, setup, teardown);                                 \
	}

#endif
