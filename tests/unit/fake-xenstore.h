/* SPDX-License-Identifier: MIT */
/*
 * An in-memory xenstore for xsnd_read_func_t: a flat list of absolute
 * "path" -> "value" pairs. Like xenstored, every ancestor of a key exists
 * with an empty value. Shared by the unit tests and the fuzz targets.
 */
#ifndef XSND_FAKE_XENSTORE_H
#define XSND_FAKE_XENSTORE_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define FAKE_XS_MAX	256

struct fake_xs {
	size_t n;
	const char *path[FAKE_XS_MAX];
	const char *value[FAKE_XS_MAX];
	int fail_errno;			/* returned for fail_path */
	const char *fail_path;
	const char *nul_path;		/* read as "<value>\0x", like xsnd_xs_read */
	unsigned n_reads;
};

static inline void fake_xs_set(struct fake_xs *xs, const char *path, const char *value)
{
	size_t i;

	for (i = 0; i < xs->n; i++)
		if (strcmp(xs->path[i], path) == 0) {
			xs->value[i] = value;
			return;
		}
	if (xs->n < FAKE_XS_MAX) {
		xs->path[xs->n] = path;
		xs->value[xs->n++] = value;
	}
}

static inline void fake_xs_del(struct fake_xs *xs, const char *path)
{
	size_t i;

	for (i = 0; i < xs->n; i++)
		if (strcmp(xs->path[i], path) == 0) {
			xs->path[i] = xs->path[xs->n - 1];
			xs->value[i] = xs->value[xs->n - 1];
			xs->n--;
			return;
		}
}

static inline int fake_xs_read(void *data, const char *path, char *buf, size_t size)
{
	struct fake_xs *xs = data;
	size_t i, len = strlen(path);

	xs->n_reads++;
	if (xs->fail_path && strcmp(path, xs->fail_path) == 0)
		return -xs->fail_errno;
	for (i = 0; i < xs->n; i++) {
		if (strcmp(xs->path[i], path) == 0) {
			size_t vlen = strlen(xs->value[i]);
			if (vlen >= size || (xs->nul_path && strcmp(path, xs->nul_path) == 0)) {
				if (size > 0) {
					size_t n = vlen < size ? vlen : size - 1;
					memcpy(buf, xs->value[i], n);
					buf[n] = '\0';
				}
				return -E2BIG;
			}
			memcpy(buf, xs->value[i], vlen + 1);
			return (int)vlen;
		}
	}
	for (i = 0; i < xs->n; i++)
		if (strncmp(xs->path[i], path, len) == 0 && xs->path[i][len] == '/') {
			if (size > 0)
				buf[0] = '\0';
			return 0;
		}
	return -ENOENT;
}

#endif
