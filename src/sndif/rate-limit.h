/* SPDX-License-Identifier: MIT */
/*
 * A rate limit for what a guest makes the host do: `burst` events at once,
 * then one per `interval_ns` (the generic cell rate algorithm: one time
 * stamp of state, no counters to refill). Pure, real-time safe.
 */
#ifndef XSND_RATE_LIMIT_H
#define XSND_RATE_LIMIT_H

#include <stdint.h>

struct xsnd_rate_limit {
	int64_t tat;		/* when the next event would be due at the full rate */
};

/*
 * Counts one event at `now` if the limit allows it and returns 0; else
 * counts nothing and returns the nanoseconds until it would be allowed.
 * interval_ns 0 means no limit; burst 0 counts as 1.
 */
int64_t xsnd_rate_limit_take(struct xsnd_rate_limit *r, int64_t now, int64_t interval_ns,
		uint32_t burst);

#endif
