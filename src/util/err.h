/* Setting an rcn_err from a va_list: for the modules' own "bad"/"fail"
 * helpers, which add their file, line and first-error-wins rule around it. */
#ifndef RECON_UTIL_ERR_H
#define RECON_UTIL_ERR_H

#include <stdarg.h>
#include <stdbool.h>

#include "recon/common.h"

/* rcn_err_set with the message from fmt and ap, first cut to cap - 1 bytes
 * (cap at most sizeof(err->msg)). With once not NULL, err is set only while
 * *once is false, and *once becomes true: the first failure is the one told. */
rcn_rc rcn_err_vset(rcn_err *err, bool *once, rcn_rc code, const char *file, long line, size_t cap, const char *fmt,
		    va_list ap) __attribute__((format(printf, 7, 0)));

#endif
