/* SPDX-License-Identifier: MIT */
#include "position.h"

void xsnd_position_init(struct xsnd_position *p, uint32_t period_frames)
{
	p->period = period_frames;
	p->reported = 0;
	p->starved = 0;
}

bool xsnd_position_update(struct xsnd_position *p, uint64_t pos)
{
	if (p->period == 0 || pos <= p->reported)
		return false;
	p->reported = pos;
	return true;
}

uint32_t xsnd_position_starve(struct xsnd_position *p, uint32_t cycle, uint32_t got)
{
	if (got >= cycle) {
		p->starved = 0;
		return 0;
	}
	p->starved += cycle - got;
	/* a late guest gets silence; a guest out of data for a period (a
	 * drain, or a real underrun) gets a running clock */
	return p->starved > p->period ? cycle - got : 0;
}

/* a * b / c for b < c without a 128-bit type (not on every target): exact
 * unless r * b overflows, which needs c above 2^32 ns, a 4 s cycle. */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t q = a / c, r = a % c;

	if (r == 0 || b <= UINT64_MAX / r)
		return q * b + r * b / c;
	return q * b + (uint64_t)((long double)r * (long double)b / (long double)c);
}

void xsnd_history_reset(struct xsnd_history *h)
{
	h->head = 0;
	h->count = 0;
}

void xsnd_history_push(struct xsnd_history *h, int64_t time, uint64_t pos)
{
	if (h->count > 0) {
		uint32_t last = (h->head + XSND_HISTORY_LEN - 1) % XSND_HISTORY_LEN;
		if (time <= h->e[last].time || pos < h->e[last].pos)
			return;
	}
	h->e[h->head].time = time;
	h->e[h->head].pos = pos;
	h->head = (h->head + 1) % XSND_HISTORY_LEN;
	if (h->count < XSND_HISTORY_LEN)
		h->count++;
}

uint64_t xsnd_history_at(const struct xsnd_history *h, int64_t time, uint64_t rate)
{
	uint32_t i, idx, prev;

	if (h->count == 0)
		return 0;
	/* newest first: the entries we want are usually recent */
	for (i = 0; i < h->count; i++) {
		idx = (h->head + XSND_HISTORY_LEN - 1 - i) % XSND_HISTORY_LEN;
		if (h->e[idx].time <= time)
			break;
	}
	if (i == h->count)	/* before the oldest entry we kept */
		return h->e[(h->head + XSND_HISTORY_LEN - h->count) % XSND_HISTORY_LEN].pos;
	if (i == 0) {
		/* after the newest cycle start: the cycle runs at `rate` */
		uint64_t n = (uint64_t)(time - h->e[idx].time) * rate / 1000000000u;
		return h->e[idx].pos + n;
	}
	prev = (idx + 1) % XSND_HISTORY_LEN;	/* the next newer entry */
	{
		uint64_t dp = h->e[prev].pos - h->e[idx].pos;
		int64_t dt = h->e[prev].time - h->e[idx].time;
		return h->e[idx].pos + muldiv(dp, (uint64_t)(time - h->e[idx].time), (uint64_t)dt);
	}
}

void xsnd_clock_reset(struct xsnd_clock *c, int64_t now)
{
	c->graph_ns = c->clock_ns = now;
	c->idle = false;
}

void xsnd_clock_idle(struct xsnd_clock *c, int64_t now)
{
	xsnd_clock_reset(c, now);
	c->idle = true;
}

uint32_t xsnd_clock_owed(struct xsnd_clock *c, int64_t now, int64_t after_ns,
		uint32_t rate, uint32_t max_frames)
{
	uint64_t frames;

	if ((!c->idle && now - c->graph_ns < after_ns) || now <= c->clock_ns || rate == 0)
		return 0;
	frames = (uint64_t)(now - c->clock_ns) * rate / 1000000000u;
	if (frames >= max_frames) {
		/* a stall longer than the buffer: the guest lost it anyway */
		c->clock_ns = now;
		return max_frames;
	}
	/* keep the fraction of a frame for the next tick */
	c->clock_ns += (int64_t)(frames * 1000000000u / rate);
	return (uint32_t)frames;
}

uint32_t xsnd_alsa_timeout_ms(uint32_t rate, uint32_t buffer_frames)
{
	uint64_t ms = rate ? (uint64_t)buffer_frames * 1100 / rate : 0;
	return (uint32_t)(ms < 100 ? 100 : ms > UINT32_MAX ? UINT32_MAX : ms);
}

static int64_t frames_ms(uint32_t rate, uint32_t frames)
{
	return rate ? (int64_t)frames * 1000 / rate : 0;
}

uint32_t xsnd_link_wait_ms(uint32_t rate, uint32_t buffer_frames,
		uint32_t period_frames, uint32_t tick_ms, uint32_t cap_ms)
{
	/* The margin covers the tick (the period is crossed up to two ticks
	 * late, '>' being strict) and the way of the event to a woken guest
	 * (tens of ms on a loaded or emulated host); small buffers give at
	 * most a quarter. */
	int64_t margin = 2 * (int64_t)tick_ms + XSND_EVENT_SLACK_MS;
	int64_t ms;

	if (margin > frames_ms(rate, buffer_frames) / 4)
		margin = frames_ms(rate, buffer_frames) / 4;
	ms = xsnd_alsa_timeout_ms(rate, buffer_frames) - frames_ms(rate, period_frames) - margin;
	return (uint32_t)(ms < 0 ? 0 : ms > cap_ms ? cap_ms : ms);
}

uint32_t xsnd_first_period_ms(uint32_t rate, uint32_t buffer_frames,
		uint32_t period_frames, uint32_t tick_ms)
{
	int64_t ms = xsnd_alsa_timeout_ms(rate, buffer_frames) -
		frames_ms(rate, period_frames) - 2 * (int64_t)tick_ms;
	return (uint32_t)(ms < 0 ? 0 : ms);
}
