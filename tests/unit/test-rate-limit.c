/* SPDX-License-Identifier: MIT */
/* The rate limit on what a guest makes the host do (OPENs per VM). */
#include "rate-limit.h"
#include "test.h"

#define MS 1000000LL

static void test_burst_then_rate(void)
{
	struct xsnd_rate_limit r = { 0 };
	int64_t now = 1000 * MS;
	int i;

	/* 8 at once, then one per 125 ms */
	for (i = 0; i < 8; i++)
		CHECK_EQ(xsnd_rate_limit_take(&r, now, 125 * MS, 8), 0);
	CHECK_EQ(xsnd_rate_limit_take(&r, now, 125 * MS, 8), 125 * MS);
	/* a refused event is not counted: asking again changes nothing */
	CHECK_EQ(xsnd_rate_limit_take(&r, now + 25 * MS, 125 * MS, 8), 100 * MS);
	CHECK_EQ(xsnd_rate_limit_take(&r, now + 125 * MS, 125 * MS, 8), 0);
	CHECK_EQ(xsnd_rate_limit_take(&r, now + 125 * MS, 125 * MS, 8), 125 * MS);
	/* a guest asking as fast as it can gets the rate, no more */
	{
		int64_t t = now + 125 * MS;
		int n = 0;

		for (i = 0; i < 100000; i++, t += MS / 10)	/* 10 s, every 100 us */
			n += xsnd_rate_limit_take(&r, t, 125 * MS, 8) == 0;
		CHECK(n >= 79 && n <= 80);
	}
}

static void test_idle_earns_only_the_burst(void)
{
	struct xsnd_rate_limit r = { 0 };
	int64_t now = 5 * MS;
	int i, n = 0;

	CHECK_EQ(xsnd_rate_limit_take(&r, now, 125 * MS, 4), 0);
	now += 3600 * 1000 * MS;	/* an hour later */
	for (i = 0; i < 10; i++)
		n += xsnd_rate_limit_take(&r, now, 125 * MS, 4) == 0;
	CHECK_EQ(n, 4);
}

static void test_no_limit(void)
{
	struct xsnd_rate_limit r = { 0 };
	int i;

	for (i = 0; i < 1000; i++)
		CHECK_EQ(xsnd_rate_limit_take(&r, 0, 0, 1), 0);
	/* burst 0 is 1 */
	CHECK_EQ(xsnd_rate_limit_take(&r, 0, MS, 0), 0);
	CHECK_EQ(xsnd_rate_limit_take(&r, 0, MS, 0), MS);
	/* a clock that goes back (monotonic, but a guest-independent caller
	 * may pass anything) never makes a negative wait */
	CHECK(xsnd_rate_limit_take(&r, -50 * MS, MS, 1) > 0);
}

int main(void)
{
	RUN(test_burst_then_rate);
	RUN(test_idle_earns_only_the_burst);
	RUN(test_no_limit);
	return 0;
}
