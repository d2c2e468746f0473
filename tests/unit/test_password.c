/* Passwords (recon/auth.h): PBKDF2-HMAC-SHA256 gives the published test
 * vectors; a stored form is salted (two hashes of one password differ),
 * verifies its own password and no other, and a stored form that is not
 * ours — cut, altered, another scheme, an absurd iteration count — is
 * refused without a crash. Roles and user names as the table checks them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <string.h>

#include "recon/auth.h"

static void hex(char *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_pbkdf2_vectors(void **state)
{
	(void)state;
	/* PBKDF2-HMAC-SHA256, P = "password", S = "salt", dkLen 32 (the SHA-256
	 * analogues of RFC 6070's vectors, as published with RFC 7914's) */
	static const struct {
		unsigned iterations;
		const char *want;
	} v[] = {{1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"},
		 {2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"},
		 {4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"}};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		unsigned char out[32];
		char got[65];
		assert_true(rcn_pbkdf2_sha256("password", 8, (const unsigned char *)"salt", 4, v[i].iterations, out));
		hex(got, out, 32);
		assert_string_equal(got, v[i].want);
	}
	unsigned char out[32];
	assert_false(rcn_pbkdf2_sha256("password", 8, (const unsigned char *)"salt", 4, 0, out));
}

static void test_hash_and_verify(void **state)
{
	(void)state;
	char a[RCN_PASSWORD_HASH_MAX], b[RCN_PASSWORD_HASH_MAX];
	rcn_err err;
	assert_int_equal(rcn_password_hash("correct horse battery", a, &err), RCN_OK);
	assert_int_equal(rcn_password_hash("correct horse battery", b, &err), RCN_OK);
	assert_non_null(strstr(a, "pbkdf2-sha256$600000$"));
	assert_int_equal(strlen(a), strlen("pbkdf2-sha256$600000$") + 32 + 1 + 64);
	assert_null(strstr(a, "correct")); /* (the password is nowhere in it) */
	assert_string_not_equal(a, b);	   /* salted */
	assert_true(rcn_password_verify("correct horse battery", a));
	assert_true(rcn_password_verify("correct horse battery", b));
	assert_false(rcn_password_verify("correct horse batterY", a));
	assert_false(rcn_password_verify("", a));
	assert_false(rcn_password_verify("correct horse battery ", a));

	/* refused: too short, too long */
	assert_int_equal(rcn_password_hash("short", a, &err), RCN_EUSAGE);
	assert_non_null(strstr(err.msg, "at least 12"));
	static char longpw[RCN_PASSWORD_MAX + 2];
	memset(longpw, 'x', sizeof longpw - 1);
	assert_int_equal(rcn_password_hash(longpw, a, &err), RCN_EUSAGE);
}

static void test_not_ours(void **state)
{
	(void)state;
	char good[RCN_PASSWORD_HASH_MAX];
	rcn_err err;
	assert_int_equal(rcn_password_hash("correct horse battery", good, &err), RCN_OK);
	/* every cut; a character altered in each part (the scheme, the count,
	 * the salt's ends, the hash's ends: each a full hash to compute) */
	size_t n = strlen(good), salt = strlen("pbkdf2-sha256$600000$"), hash = salt + 33;
	for (size_t i = 0; i < n; i++) {
		char bad[RCN_PASSWORD_HASH_MAX];
		memcpy(bad, good, n + 1);
		bad[i] = '\0';
		assert_false(rcn_password_verify("correct horse battery", bad));
	}
	const size_t at[] = {0, 6, 13, 14, 19, salt - 1, salt, salt + 31, salt + 32, hash, n - 1};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		char bad[RCN_PASSWORD_HASH_MAX];
		memcpy(bad, good, n + 1);
		bad[at[i]] = bad[at[i]] == '0' ? '1' : '0';
		assert_false(rcn_password_verify("correct horse battery", bad));
	}
	static const char *const others[] = {
		"",
		"correct horse battery",
		"$2b$12$abcdefghijklmnopqrstuuXo8jH4ay9iR9XFLr0eK5k8u5pqpRAG",
		"pbkdf2-sha256$$00$00",
		"pbkdf2-sha256$99999999999$00000000000000000000000000000000$"
		"0000000000000000000000000000000000000000000000000000000000000000",
		"pbkdf2-sha256$0$00000000000000000000000000000000$"
		"0000000000000000000000000000000000000000000000000000000000000000",
		"pbkdf2-sha256$1$0000000000000000000000000000000G$"
		"0000000000000000000000000000000000000000000000000000000000000000",
	};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		assert_false(rcn_password_verify("correct horse battery", others[i]));
	assert_false(rcn_password_verify(NULL, good));
	assert_false(rcn_password_verify("x", NULL));
}

static void test_roles_and_names(void **state)
{
	(void)state;
	rcn_role r;
	assert_true(rcn_role_parse("supervisor", &r));
	assert_int_equal(r, RCN_ROLE_SUPERVISOR);
	assert_string_equal(rcn_role_name(RCN_ROLE_CLERK), "clerk");
	assert_false(rcn_role_parse("root", &r));
	assert_false(rcn_role_parse("Clerk", &r));
	assert_true(rcn_user_name_ok("li.na@finance-2"));
	assert_false(rcn_user_name_ok(""));
	assert_false(rcn_user_name_ok("-lina"));
	assert_false(rcn_user_name_ok("li na"));
	assert_false(rcn_user_name_ok("<script>"));
	assert_false(rcn_user_name_ok("x'; DROP TABLE recon_users; --"));
	char long_name[66];
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	assert_false(rcn_user_name_ok(long_name));
	long_name[64] = '\0';
	assert_true(rcn_user_name_ok(long_name));
}

RCN_TEST_MAIN(cmocka_unit_test(test_pbkdf2_vectors), cmocka_unit_test(test_hash_and_verify),
	      cmocka_unit_test(test_not_ours), cmocka_unit_test(test_roles_and_names))
