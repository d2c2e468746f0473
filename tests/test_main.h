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

/* RCN_UNIT_TESTS(test_a, test_b, ...) is cmocka_unit_test(test_a),
 * cmocka_unit_test(test_b), ...: a file's list of tests names only its tests
 * (at most 32 in one list):
 *
 *     RCN_TEST_MAIN(RCN_UNIT_TESTS(test_a, test_b, test_c))
 */
#define RCN_UNIT_TESTS(...)                                                                                            \
	RCN_UT_PICK(__VA_ARGS__, RCN_UT_32, RCN_UT_31, RCN_UT_30, RCN_UT_29, RCN_UT_28, RCN_UT_27, RCN_UT_26,          \
		    RCN_UT_25, RCN_UT_24, RCN_UT_23, RCN_UT_22, RCN_UT_21, RCN_UT_20, RCN_UT_19, RCN_UT_18, RCN_UT_17, \
		    RCN_UT_16, RCN_UT_15, RCN_UT_14, RCN_UT_13, RCN_UT_12, RCN_UT_11, RCN_UT_10, RCN_UT_9, RCN_UT_8,   \
		    RCN_UT_7, RCN_UT_6, RCN_UT_5, RCN_UT_4, RCN_UT_3, RCN_UT_2, RCN_UT_1)                              \
	(__VA_ARGS__)
#define RCN_UT_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21,    \
		    _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, name, ...)                                  \
	name
#define RCN_UT_1(t)	  cmocka_unit_test(t)
#define RCN_UT_2(t, ...)  cmocka_unit_test(t), RCN_UT_1(__VA_ARGS__)
#define RCN_UT_3(t, ...)  cmocka_unit_test(t), RCN_UT_2(__VA_ARGS__)
#define RCN_UT_4(t, ...)  cmocka_unit_test(t), RCN_UT_3(__VA_ARGS__)
#define RCN_UT_5(t, ...)  cmocka_unit_test(t), RCN_UT_4(__VA_ARGS__)
#define RCN_UT_6(t, ...)  cmocka_unit_test(t), RCN_UT_5(__VA_ARGS__)
#define RCN_UT_7(t, ...)  cmocka_unit_test(t), RCN_UT_6(__VA_ARGS__)
#define RCN_UT_8(t, ...)  cmocka_unit_test(t), RCN_UT_7(__VA_ARGS__)
#define RCN_UT_9(t, ...)  cmocka_unit_test(t), RCN_UT_8(__VA_ARGS__)
#define RCN_UT_10(t, ...) cmocka_unit_test(t), RCN_UT_9(__VA_ARGS__)
#define RCN_UT_11(t, ...) cmocka_unit_test(t), RCN_UT_10(__VA_ARGS__)
#define RCN_UT_12(t, ...) cmocka_unit_test(t), RCN_UT_11(__VA_ARGS__)
#define RCN_UT_13(t, ...) cmocka_unit_test(t), RCN_UT_12(__VA_ARGS__)
#define RCN_UT_14(t, ...) cmocka_unit_test(t), RCN_UT_13(__VA_ARGS__)
#define RCN_UT_15(t, ...) cmocka_unit_test(t), RCN_UT_14(__VA_ARGS__)
#define RCN_UT_16(t, ...) cmocka_unit_test(t), RCN_UT_15(__VA_ARGS__)
#define RCN_UT_17(t, ...) cmocka_unit_test(t), RCN_UT_16(__VA_ARGS__)
#define RCN_UT_18(t, ...) cmocka_unit_test(t), RCN_UT_17(__VA_ARGS__)
#define RCN_UT_19(t, ...) cmocka_unit_test(t), RCN_UT_18(__VA_ARGS__)
#define RCN_UT_20(t, ...) cmocka_unit_test(t), RCN_UT_19(__VA_ARGS__)
#define RCN_UT_21(t, ...) cmocka_unit_test(t), RCN_UT_20(__VA_ARGS__)
#define RCN_UT_22(t, ...) cmocka_unit_test(t), RCN_UT_21(__VA_ARGS__)
#define RCN_UT_23(t, ...) cmocka_unit_test(t), RCN_UT_22(__VA_ARGS__)
#define RCN_UT_24(t, ...) cmocka_unit_test(t), RCN_UT_23(__VA_ARGS__)
#define RCN_UT_25(t, ...) cmocka_unit_test(t), RCN_UT_24(__VA_ARGS__)
#define RCN_UT_26(t, ...) cmocka_unit_test(t), RCN_UT_25(__VA_ARGS__)
#define RCN_UT_27(t, ...) cmocka_unit_test(t), RCN_UT_26(__VA_ARGS__)
#define RCN_UT_28(t, ...) cmocka_unit_test(t), RCN_UT_27(__VA_ARGS__)
#define RCN_UT_29(t, ...) cmocka_unit_test(t), RCN_UT_28(__VA_ARGS__)
#define RCN_UT_30(t, ...) cmocka_unit_test(t), RCN_UT_29(__VA_ARGS__)
#define RCN_UT_31(t, ...) cmocka_unit_test(t), RCN_UT_30(__VA_ARGS__)
#define RCN_UT_32(t, ...) cmocka_unit_test(t), RCN_UT_31(__VA_ARGS__)

#endif
