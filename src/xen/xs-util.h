/* SPDX-License-Identifier: MIT */
/* Small libxenstore helpers with errno-style results for the module. */
#ifndef XSND_XS_UTIL_H
#define XSND_XS_UTIL_H

#include <stddef.h>
#include <xenstore.h>

/*
 * Reads path into buf as a NUL-terminated string (xsnd_read_func_t).
 * Returns the value length, -ENOENT when absent, -E2BIG when it does not fit
 * in size - 1 bytes or contains a NUL (buf then holds a prefix of it),
 * other -errno on failure.
 */
int xsnd_xs_read(void *xs_handle, const char *path, char *buf, size_t size);
/* Same, inside transaction t (XBT_NULL for none). */
int xsnd_xs_read_t(struct xs_handle *xs, xs_transaction_t t, const char *path, char *buf,
		size_t size);
/* Decimal int value; -EINVAL if not a complete in-range integer. */
int xsnd_xs_read_int(struct xs_handle *xs, const char *path, int *value);
int xsnd_xs_write(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *value);
int xsnd_xs_write_int(struct xs_handle *xs, const char *path, int value);
/*
 * Writes several path/value pairs atomically (retrying on EAGAIN, bounded).
 * paths[i] gets values[i]; n pairs.
 */
int xsnd_xs_write_many(struct xs_handle *xs, const char *const *paths,
		const char *const *values, size_t n);

#endif
