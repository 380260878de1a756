/* SPDX-License-Identifier: MIT */
/* Error reports from the protocol core: a negative errno for the wire plus
 * a sentence that names the key or field and the offending value. */
#ifndef XSND_ERROR_H
#define XSND_ERROR_H

#include <stddef.h>

#define XSND_ERROR_MSG_MAX	256u

struct xsnd_error {
	int res;		/* negative errno, 0 when no error */
	char msg[XSND_ERROR_MSG_MAX];	/* human readable, always NUL terminated */
};

/* Sets err (if not NULL) and returns res, so callers can `return xsnd_error_set(...)`. */
int xsnd_error_set(struct xsnd_error *err, int res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
