/* SPDX-License-Identifier: MIT */
#include "rate-limit.h"

int64_t xsnd_rate_limit_take(struct xsnd_rate_limit *r, int64_t now, int64_t interval_ns,
		uint32_t burst)
{
	int64_t tat, allowed_at;

	if (interval_ns <= 0)
		return 0;
	if (burst == 0)
		burst = 1;
	/* an idle spell earns no more than the burst */
	tat = r->tat > now ? r->tat : now;
	allowed_at = tat - (int64_t)(burst - 1) * interval_ns;
	if (now < allowed_at)
		return allowed_at - now;
	r->tat = tat + interval_ns;
	return 0;
}
