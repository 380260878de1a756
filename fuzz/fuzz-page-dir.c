/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for xsnd_page_dir_walk(). Input: buffer_sz (u32 LE,
 * taken modulo 16 MiB + 1), first directory gref (u32 LE), then 64-byte
 * chunks: chunk i is the start of the directory page granted as gref i + 1;
 * the rest of each page holds non-zero grefs, so short inputs can still
 * describe multi-page buffers. Other grefs cannot be mapped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page-dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) { fprintf(stderr, "invariant: %s\n", #c); abort(); } } while (0)
#define CHUNK 64u
#define MAX_BYTES (16u << 20)
#define MAX_GREFS 4096u

struct input {
	const uint8_t *chunks;
	size_t n_chunks;
	unsigned n_reads;
};

static int read_page(void *data, uint32_t gref, void *page)
{
	struct input *in = data;
	uint32_t *w = page, i;

	in->n_reads++;
	if (gref == 0 || gref > in->n_chunks)
		return -EFAULT;
	for (i = 0; i < XSND_PAGE_SIZE / 4; i++)
		w[i] = 0x10000u + i;
	memcpy(page, in->chunks + (size_t)(gref - 1) * CHUNK, CHUNK);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t grefs[MAX_GREFS];
	struct input in;
	struct xsnd_error err = { 0 };
	uint32_t buffer_sz, first, n = 12345, i;
	int res;

	if (size < 8)
		return 0;
	memcpy(&buffer_sz, data, 4);
	memcpy(&first, data + 4, 4);
	if (!(data[0] & 0x80))
		buffer_sz %= MAX_BYTES + 1;
	in.chunks = data + 8;
	in.n_chunks = (size - 8) / CHUNK;
	in.n_reads = 0;

	res = xsnd_page_dir_walk(buffer_sz, first, MAX_BYTES, read_page, &in,
			grefs, MAX_GREFS, &n, &err);
	if (res < 0) {
		ASSERT(n == 0);
		ASSERT(err.res == res && err.msg[0] != '\0');
	} else {
		ASSERT(res == 0);
		ASSERT(buffer_sz > 0 && buffer_sz <= MAX_BYTES);
		ASSERT(n == (buffer_sz + XSND_PAGE_SIZE - 1) / XSND_PAGE_SIZE);
		for (i = 0; i < n; i++)
			ASSERT(grefs[i] != 0);
	}
	/* Bounded work: never more directory pages than the buffer needs. */
	ASSERT(in.n_reads <= (MAX_GREFS + XSND_GREFS_PER_DIR_PAGE - 1) / XSND_GREFS_PER_DIR_PAGE);
	return 0;
}
