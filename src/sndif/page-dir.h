/* SPDX-License-Identifier: MIT */
/*
 * The shared buffer's page directory: a chain of pages, each holding the
 * next directory gref and up to XSND_GREFS_PER_DIR_PAGE data grefs.
 * The walk is bounded by the buffer size, rejects loops, gref 0 as data and
 * buffers above the cap.
 */
#ifndef XSND_PAGE_DIR_H
#define XSND_PAGE_DIR_H

#include <stdint.h>

#include "sndif.h"
#include "xsnd-error.h"

/* Directory pages we follow at most (64 x 1023 pages = 255 MiB); the
 * walk remembers each one to reject loops without allocating. */
#define XSND_PAGE_DIR_MAX_PAGES	64u

/*
 * Copies the directory page granted as gref into page (XSND_PAGE_SIZE bytes,
 * a private copy). Returns 0 or a negative errno (e.g. the grant cannot be mapped).
 */
typedef int (*xsnd_dir_page_func_t)(void *data, uint32_t gref, void *page);

/*
 * Collects ceil(buffer_sz / XSND_PAGE_SIZE) data grefs into grefs[]
 * (room for max_grefs). Fails with -EINVAL / -E2BIG and a message for a
 * buffer above max_bytes, a chain loop, a missing next page, or gref 0.
 */
int xsnd_page_dir_walk(uint32_t buffer_sz, uint32_t first_dir_gref,
		uint32_t max_bytes,
		xsnd_dir_page_func_t read_page, void *data,
		uint32_t *grefs, uint32_t max_grefs, uint32_t *n_grefs,
		struct xsnd_error *err);

#endif
