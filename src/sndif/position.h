/* SPDX-License-Identifier: MIT */
/*
 * When to send the guest a CUR_POS event.
 *
 * Linux's frontend advances its hw pointer by the frames each CUR_POS adds,
 * and tells the ALSA core only when the frames since the last signal exceed a
 * period (strictly: `out_frames > period_size`). The core learns the pointer
 * only then, or when the application calls in. A drain therefore completes
 * only if the event that reaches the end of the guest's data also crosses
 * that strict test; with positions every half period and data ending on a
 * period boundary it never does, and the drain hangs.
 *
 * So we mirror the frontend's counter and hold back a position from which
 * the end of the written data could no longer be signalled. The position
 * still never passes what the guest wrote, never goes backwards, and holds
 * back only when less than a period is left to play.
 *
 * Pure logic, real-time safe.
 */
#ifndef XSND_POSITION_H
#define XSND_POSITION_H

#include <stdbool.h>
#include <stdint.h>

struct xsnd_position {
	uint64_t period;	/* frames; 0 = the guest wants no events */
	uint64_t reported;	/* frames, last position sent */
	uint64_t fe_out;	/* mirror of the frontend's out_frames */
};

void xsnd_position_init(struct xsnd_position *p, uint32_t period_frames);

/*
 * pos: frames consumed (playback) or produced (capture) since OPEN.
 * end: for playback, the frames the guest has written (pos <= end); for
 * capture pass UINT64_MAX. Returns true if pos should be sent now, and then
 * records it as sent.
 */
bool xsnd_position_update(struct xsnd_position *p, uint64_t pos, uint64_t end);

/*
 * What the guest's ear hears: the frames that have left the host path by a
 * given time. Playback reports this position, not the frames taken from
 * the guest's buffer, so that snd_pcm_delay() in an unmodified guest
 * includes the host path's delay. Each cycle records when it started and
 * the position before it; a frame is rendered `delay` after its cycle
 * started, linearly across the cycle.
 */
#define XSND_HISTORY_LEN	128u

struct xsnd_history {
	uint32_t head;		/* next slot */
	uint32_t count;
	struct {
		int64_t time;	/* ns, CLOCK_MONOTONIC */
		uint64_t pos;	/* frames */
	} e[XSND_HISTORY_LEN];
};

void xsnd_history_reset(struct xsnd_history *h);
/* Records that the cycle starting at `time` starts at position `pos`.
 * Times and positions that go backwards are ignored. */
void xsnd_history_push(struct xsnd_history *h, int64_t time, uint64_t pos);
/* Position at `time`, interpolated; 0 before the first entry, the newest
 * position after the last one (the caller caps it by what was consumed). */
uint64_t xsnd_history_at(const struct xsnd_history *h, int64_t time, uint64_t rate);

#endif
