/* libFuzzer target for the workbench's form reader (src/serve/http.c:
 * rcn_sv_form_nth, every state-changing request's body) and its link
 * writer (rcn_sv_url_text): any body, any field. A field read is text of
 * fewer bytes than the buffer, without NUL; a link holds only unreserved
 * characters and %XX. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	static const char *const names[] = {"csrf", "id", "note", "action", "owner", "back", ""};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		for (size_t k = 0; k < 4; k++) {
			char small[8], big[512];
			memset(small, 'x', sizeof small);
			if (rcn_sv_form_nth(body, names[i], k, small, sizeof small) &&
			    strnlen(small, sizeof small) >= sizeof small)
				__builtin_trap();
			if (rcn_sv_form_nth(body, names[i], k, big, sizeof big) &&
			    strnlen(big, sizeof big) >= sizeof big)
				__builtin_trap();
		}
	char *link = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&link, &len);
	if (f) {
		rcn_sv_url_text(f, body);
		fclose(f);
		for (size_t i = 0; i < len; i++) {
			char c = link[i];
			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			      c == '_' || c == '.' || c == '~' || c == '%'))
				__builtin_trap();
		}
		free(link);
	}
	free(body);
	return 0;
}
