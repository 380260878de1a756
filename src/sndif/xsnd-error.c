/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "xsnd-error.h"

int xsnd_error_set(struct xsnd_error *err, int res, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return res;
	err->res = res;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return res;
}
