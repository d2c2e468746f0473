/* Alipay's signed answer as the fixture server sends it and the client tests
 * build it by hand: {"<ALIPAY_RESPONSE_KEY>":obj,"sign":"<sig>"}. Alipay's
 * JSON escapes '/' in base64 and URLs, so sig's '/' are written "\/"; obj is
 * the raw text that was signed. */
#ifndef RECON_TESTS_FETCH_ALIPAY_ANSWER_H
#define RECON_TESTS_FETCH_ALIPAY_ANSWER_H

#include "recon/common.h"

#define ALIPAY_RESPONSE_KEY "alipay_data_dataservice_bill_downloadurl_query_response"

/* The answer in a new buffer of b (rcn_buf_free()). */
static inline void alipay_signed_answer(rcn_buf *b, const char *obj, const char *sig)
{
	rcn_buf_init(b, 1 << 20);
	rcn_buf_printf(b, "{\"%s\":%s,\"sign\":\"", ALIPAY_RESPONSE_KEY, obj);
	for (const char *c = sig; *c; c++)
		rcn_buf_printf(b, *c == '/' ? "\\/" : "%c", *c);
	rcn_buf_printf(b, "\"}");
}

#endif
