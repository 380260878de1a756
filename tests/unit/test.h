/* SPDX-License-Identifier: MIT */
/* Minimal assertions for the unit tests: the first failure ends the test. */
#ifndef XSND_TEST_H
#define XSND_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline __attribute__((noreturn)) void t_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
	exit(1);
}

#define CHECK(c) do { if (!(c)) t_fail(__FILE__, __LINE__, #c); } while (0)

#define CHECK_EQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);			\
	if (_a != _b) {								\
		fprintf(stderr, "  %s = %lld, %s = %lld\n", #a, _a, #b, _b);	\
		t_fail(__FILE__, __LINE__, #a " == " #b);			\
	}									\
} while (0)

#define CHECK_STR(a, b) do {							\
	const char *_a = (a), *_b = (b);					\
	if (strcmp(_a, _b) != 0) {						\
		fprintf(stderr, "  \"%s\" != \"%s\"\n", _a, _b);		\
		t_fail(__FILE__, __LINE__, #a " == " #b);			\
	}									\
} while (0)

/* Haystack contains needle. */
#define CHECK_HAS(hay, needle) do {						\
	const char *_h = (hay), *_n = (needle);					\
	if (strstr(_h, _n) == NULL) {						\
		fprintf(stderr, "  \"%s\" lacks \"%s\"\n", _h, _n);		\
		t_fail(__FILE__, __LINE__, #hay " contains " #needle);		\
	}									\
} while (0)

#define RUN(fn) do { fn(); printf("ok - %s\n", #fn); } while (0)

/* Deterministic PRNG (xorshift64*) for property tests. */
static inline uint64_t t_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* Uniform-ish value in [lo, hi]. */
static inline uint32_t t_range(uint64_t *s, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(t_rand(s) % ((uint64_t)hi - lo + 1));
}

#endif
