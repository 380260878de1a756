/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "page-dir.h"
#include "test.h"

#define N_DIR 8

/* Directory pages granted as gref 1000 + i. */
struct fake_dir {
	uint32_t pages[N_DIR][XSND_PAGE_SIZE / 4];
	unsigned n_reads;
	uint32_t fail_gref;
};

static int read_page(void *data, uint32_t gref, void *page)
{
	struct fake_dir *d = data;

	d->n_reads++;
	if (gref == d->fail_gref)
		return -EFAULT;
	if (gref < 1000 || gref >= 1000 + N_DIR)
		return -ENOENT;
	memcpy(page, d->pages[gref - 1000], XSND_PAGE_SIZE);
	return 0;
}

/* Builds a well-formed chain of n data grefs 1..n over dir pages 1000... */
static void build(struct fake_dir *d, uint32_t n)
{
	uint32_t i, page = 0, slot = 0;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < n; i++) {
		if (slot == XSND_GREFS_PER_DIR_PAGE) {
			d->pages[page][0] = 1000 + page + 1;
			page++;
			slot = 0;
		}
		d->pages[page][1 + slot++] = i + 1;
	}
}

static int walk(struct fake_dir *d, uint32_t buffer_sz, uint32_t *grefs, uint32_t *n,
		struct xsnd_error *err)
{
	return xsnd_page_dir_walk(buffer_sz, 1000, 16u << 20, read_page, d, grefs, 4096, n, err);
}

static void test_sizes(void)
{
	static const uint32_t sizes[] = { 1, 4095, 4096, 4097, 1023 * 4096, 1023 * 4096 + 1,
		2046 * 4096, 2046 * 4096 + 1, 8u << 20 };
	static struct fake_dir d;
	uint32_t grefs[4096], n, i, k;
	struct xsnd_error err = { 0 };

	CHECK_EQ(XSND_GREFS_PER_DIR_PAGE, 1023);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t want = (sizes[k] + 4095) / 4096;
		build(&d, want);
		CHECK_EQ(walk(&d, sizes[k], grefs, &n, &err), 0);
		CHECK_EQ(n, want);
		CHECK_EQ(d.n_reads, (want + 1022) / 1023);
		for (i = 0; i < n; i++)
			CHECK_EQ(grefs[i], i + 1);
	}
}

static void test_hostile(void)
{
	static struct fake_dir d;
	uint32_t grefs[4096], n = 99;
	struct xsnd_error err = { 0 };

	/* Sizes: zero, above the cap, more pages than room. */
	build(&d, 1);
	CHECK_EQ(walk(&d, 0, grefs, &n, &err), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK_EQ(walk(&d, (16u << 20) + 1, grefs, &n, &err), -E2BIG);
	CHECK_HAS(err.msg, "16777217");
	CHECK_EQ(xsnd_page_dir_walk(3 * 4096, 1000, 1u << 30, read_page, &d, grefs, 2, &n, &err), -E2BIG);
	CHECK_EQ(xsnd_page_dir_walk(UINT32_MAX, 1000, UINT32_MAX, read_page, &d, grefs, 4096, &n, &err), -E2BIG);
	/* More directory pages than we follow (64 x 1023 pages). */
	CHECK_EQ(xsnd_page_dir_walk(65u * 1023 * 4096, 1000, UINT32_MAX, read_page, &d, grefs,
				UINT32_MAX, &n, &err), -E2BIG);
	CHECK_HAS(err.msg, "65 directory pages");
	CHECK_EQ(d.n_reads, 0);

	/* First directory gref 0. */
	CHECK_EQ(xsnd_page_dir_walk(4096, 0, 8u << 20, read_page, &d, grefs, 4096, &n, &err), -EINVAL);

	/* Chain ends early. */
	build(&d, 2046);
	d.pages[0][0] = 0;
	CHECK_EQ(walk(&d, 2046 * 4096, grefs, &n, &err), -EINVAL);
	CHECK_HAS(err.msg, "missing");
	CHECK_EQ(n, 0);

	/* Chain loops onto itself: 1000 -> 1000. */
	build(&d, 3000);
	d.pages[0][0] = 1000;
	CHECK_EQ(walk(&d, 3000 * 4096, grefs, &n, &err), -EINVAL);
	CHECK_HAS(err.msg, "loop");
	CHECK_EQ(d.n_reads, 1);
	/* Longer loop: 1000 -> 1001 -> 1000. */
	build(&d, 3000);
	d.pages[1][0] = 1000;
	CHECK_EQ(walk(&d, 3000 * 4096, grefs, &n, &err), -EINVAL);
	CHECK_HAS(err.msg, "loop");

	/* Data gref 0, in the first and in a later page. */
	build(&d, 5);
	d.pages[0][3] = 0;
	CHECK_EQ(walk(&d, 5 * 4096, grefs, &n, &err), -EINVAL);
	CHECK_HAS(err.msg, "data gref 2");
	build(&d, 1500);
	d.pages[1][1 + 476] = 0;
	CHECK_EQ(walk(&d, 1500 * 4096, grefs, &n, &err), -EINVAL);
	CHECK_HAS(err.msg, "data gref 1499");

	/* A page that cannot be read. */
	build(&d, 1500);
	d.fail_gref = 1001;
	CHECK_EQ(walk(&d, 1500 * 4096, grefs, &n, &err), -EFAULT);
	CHECK_HAS(err.msg, "1001");

	/* Garbage after the used slots and a stray next pointer on the last
	 * page are not looked at. */
	build(&d, 2);
	d.pages[0][0] = 4242;
	d.pages[0][3] = 0;
	d.pages[0][4] = 0xffffffff;
	CHECK_EQ(walk(&d, 2 * 4096, grefs, &n, &err), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(d.n_reads, 1);
}

int main(void)
{
	RUN(test_sizes);
	RUN(test_hostile);
	return 0;
}
