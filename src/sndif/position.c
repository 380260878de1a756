/* SPDX-License-Identifier: MIT */
#include "position.h"

void xsnd_position_init(struct xsnd_position *p, uint32_t period_frames)
{
	p->period = period_frames;
	p->reported = 0;
	p->fe_out = 0;
}

/* The frontend's out_frames after an event that moves it by delta frames;
 * *signal tells whether the event crossed its period test. */
static uint64_t fe_out_after(const struct xsnd_position *p, uint64_t delta, bool *signal)
{
	uint64_t out = p->fe_out + delta;
	*signal = out > p->period;
	return *signal ? out % p->period : out;
}

bool xsnd_position_update(struct xsnd_position *p, uint64_t pos, uint64_t end)
{
	uint64_t out;
	bool signal;

	if (p->period == 0 || pos <= p->reported)
		return false;
	if (pos > end)
		pos = end;
	out = fe_out_after(p, pos - p->reported, &signal);
	/* Hold back when a later event reaching `end` could not be signalled
	 * any more; the final event to `end` itself always goes out. */
	if (pos < end && end - pos <= UINT64_MAX - out && out + (end - pos) <= p->period &&
	    p->fe_out + (end - p->reported) > p->period)
		return false;
	p->fe_out = out;
	p->reported = pos;
	return true;
}
