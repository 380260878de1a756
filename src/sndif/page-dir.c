/* SPDX-License-Identifier: MIT */
/*
 * Page directory walk. The number of data grefs follows from buffer_sz (a
 * value we validated), never from the guest's pages, so a hostile chain can
 * only make the walk fail, not run longer.
 */
#include <errno.h>
#include <string.h>

#include "page-dir.h"

int xsnd_page_dir_walk(uint32_t buffer_sz, uint32_t first_dir_gref,
		uint32_t max_bytes,
		xsnd_dir_page_func_t read_page, void *data,
		uint32_t *grefs, uint32_t max_grefs, uint32_t *n_grefs,
		struct xsnd_error *err)
{
	uint32_t page[XSND_PAGE_SIZE / sizeof(uint32_t)];
	uint32_t dirs[XSND_PAGE_DIR_MAX_PAGES];
	uint32_t n, n_dirs, d, i, got = 0, gref = first_dir_gref;
	int res;

	*n_grefs = 0;
	if (buffer_sz == 0)
		return xsnd_error_set(err, -EINVAL, "page directory: buffer_sz is 0");
	if (buffer_sz > max_bytes)
		return xsnd_error_set(err, -E2BIG, "page directory: buffer_sz %u above the cap %u",
				buffer_sz, max_bytes);
	n = (uint32_t)(((uint64_t)buffer_sz + XSND_PAGE_SIZE - 1) / XSND_PAGE_SIZE);
	n_dirs = (n + XSND_GREFS_PER_DIR_PAGE - 1) / XSND_GREFS_PER_DIR_PAGE;
	if (n > max_grefs)
		return xsnd_error_set(err, -E2BIG, "page directory: %u pages, room for %u",
				n, max_grefs);
	if (n_dirs > XSND_PAGE_DIR_MAX_PAGES)
		return xsnd_error_set(err, -E2BIG, "page directory: %u directory pages, at most %u",
				n_dirs, XSND_PAGE_DIR_MAX_PAGES);

	for (d = 0; d < n_dirs; d++) {
		uint32_t take = n - got < XSND_GREFS_PER_DIR_PAGE ? n - got : (uint32_t)XSND_GREFS_PER_DIR_PAGE;

		if (gref == 0)
			return xsnd_error_set(err, -EINVAL,
					"page directory: page %u of %u is missing (gref 0)", d, n_dirs);
		for (i = 0; i < d; i++)
			if (dirs[i] == gref)
				return xsnd_error_set(err, -EINVAL,
						"page directory: gref %u repeats (loop)", gref);
		dirs[d] = gref;

		if ((res = read_page(data, gref, page)) < 0)
			return xsnd_error_set(err, res, "page directory: cannot read gref %u: %s",
					gref, strerror(-res));
		/* page[0] is gref_dir_next_page, data grefs follow. */
		for (i = 0; i < take; i++) {
			uint32_t g = page[1 + i];
			if (g == 0)
				return xsnd_error_set(err, -EINVAL,
						"page directory: data gref %u is 0", got + i);
			grefs[got + i] = g;
		}
		got += take;
		gref = page[0];
	}
	*n_grefs = got;
	return 0;
}
