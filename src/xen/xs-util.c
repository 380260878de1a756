/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs-util.h"

#define XS_TX_RETRIES 16

int xsnd_xs_read_t(struct xs_handle *xs, xs_transaction_t t, const char *path, char *buf,
		size_t size)
{
	unsigned int len = 0;
	char *v;
	int r;

	if (size == 0)
		return -E2BIG;
	v = xs_read(xs, t, path, &len);
	if (v == NULL)
		return errno ? -errno : -EIO;
	/* Values come from guests: an embedded NUL would silently truncate it. */
	if ((size_t)len >= size || memchr(v, '\0', len) != NULL || len > INT_MAX) {
		/* a prefix, so that the error can quote what the guest wrote */
		size_t n = len < size ? len : size - 1;
		memcpy(buf, v, n);
		buf[n] = '\0';
		r = -E2BIG;
	} else {
		memcpy(buf, v, len);
		buf[len] = '\0';
		r = (int)len;
	}
	free(v);
	return r;
}

int xsnd_xs_read(void *xs_handle, const char *path, char *buf, size_t size)
{
	return xsnd_xs_read_t(xs_handle, XBT_NULL, path, buf, size);
}

int xsnd_xs_read_int(struct xs_handle *xs, const char *path, int *value)
{
	char buf[32], *end;
	long v;
	int r = xsnd_xs_read(xs, path, buf, sizeof(buf));

	if (r < 0)
		return r == -E2BIG ? -EINVAL : r;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || *end != '\0' || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*value = (int)v;
	return 0;
}

int xsnd_xs_write(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *value)
{
	if (!xs_write(xs, t, path, value, (unsigned int)strlen(value)))
		return errno ? -errno : -EIO;
	return 0;
}

int xsnd_xs_write_int(struct xs_handle *xs, const char *path, int value)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", value);
	return xsnd_xs_write(xs, XBT_NULL, path, buf);
}

int xsnd_xs_write_many(struct xs_handle *xs, const char *const *paths,
		const char *const *values, size_t n)
{
	for (int attempt = 0; attempt < XS_TX_RETRIES; attempt++) {
		xs_transaction_t t = xs_transaction_start(xs);
		int r = 0;

		if (t == XBT_NULL)
			return errno ? -errno : -EIO;
		for (size_t i = 0; i < n && r == 0; i++)
			r = xsnd_xs_write(xs, t, paths[i], values[i]);
		if (r < 0) {
			xs_transaction_end(xs, t, true);
			return r;
		}
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return errno ? -errno : -EIO;
	}
	return -EAGAIN;
}
