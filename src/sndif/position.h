/* SPDX-License-Identifier: MIT */
/*
 * When to send the guest a CUR_POS event, and when the DMA pointer runs on.
 *
 * Linux's frontend advances its hw pointer by the frames each CUR_POS adds,
 * and tells the ALSA core only when the frames since the last signal exceed a
 * period (strictly: `out_frames > period_size`). During a drain the core
 * learns the pointer only then, so a position that stopped exactly at the end
 * of the guest's data would often never be signalled and the drain would
 * hang. A sound card does not have that problem: its DMA pointer runs on
 * (playing whatever is in the ring) until the driver stops it. So does ours,
 * but only once the guest has been out of data for a whole period: a guest
 * that is merely late gets a short gap, not an xrun.
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
	uint64_t starved;	/* frames played without guest data, in a row */
};

void xsnd_position_init(struct xsnd_position *p, uint32_t period_frames);

/* Returns true if pos (frames since OPEN) should be sent now: it moved. */
bool xsnd_position_update(struct xsnd_position *p, uint64_t pos);

/*
 * Playback, once per cycle of `cycle` frames in which the guest supplied
 * `got` frames. Returns how many frames the pointer moves past the guest's
 * data this cycle (0 until the guest has been short for a whole period).
 */
uint32_t xsnd_position_starve(struct xsnd_position *p, uint32_t cycle, uint32_t got);

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
/* Position at `time`, interpolated; the oldest kept before it, the newest
 * position after the last one (the caller caps it by what was consumed). */
uint64_t xsnd_history_at(const struct xsnd_history *h, int64_t time, uint64_t rate);

/*
 * The stream's own clock, for when the graph does not run its node: the
 * node is not linked and the wait for links ran out, the session manager is
 * slow to set it up, or no driver runs. A guest's ALSA core gives up after
 * 1.1 buffer times without a position; a sound card's pointer never stops.
 * While the graph runs the node, its cycles reset the clock and the graph's
 * clock rules (also when its cycles come late on a loaded host: moving the
 * pointer then would skip or insert audio). Once the graph has not run the
 * node for `after_ns`, the clock owes the frames since the last cycle, at
 * the stream's rate, every tick until a cycle comes again.
 */
struct xsnd_clock {
	int64_t graph_ns;	/* last graph cycle (or start) */
	int64_t clock_ns;	/* the pointer has moved up to here */
	bool idle;		/* the graph is known not to run the node */
};

/* Start (again) from `now`: the stream starts, or a graph cycle ran. */
void xsnd_clock_reset(struct xsnd_clock *c, int64_t now);
/* From `now` on the clock runs at once, without waiting for `after_ns`:
 * nothing links the node, so the graph will not run it. */
void xsnd_clock_idle(struct xsnd_clock *c, int64_t now);
/* Frames the pointer moves at `now` (at most max_frames), 0 while the
 * graph is running the node. */
uint32_t xsnd_clock_owed(struct xsnd_clock *c, int64_t now, int64_t after_ns,
		uint32_t rate, uint32_t max_frames);

/*
 * The guest's deadlines after START. Linux's ALSA core (6.1) fails a
 * blocked write or read with EIO after 1.1 buffer times (at least 100 ms)
 * without a period wakeup; the guest blocks right after START (playback
 * with a full buffer), and its first wakeup comes once the pointer has
 * moved more than a period. All in milliseconds after START.
 */
uint32_t xsnd_alsa_timeout_ms(uint32_t rate, uint32_t buffer_frames);

/* What the link wait leaves for a CUR_POS event to reach the guest and
 * wake it (docs/design.md, "Joining the graph"). */
#define XSND_EVENT_SLACK_MS	60

/* How long the pointer may wait for the node's links, at most `cap_ms`:
 * after it the own clock (ticking every tick_ms) must still move a period
 * before the timeout, with a margin for the event's way to the guest. */
uint32_t xsnd_link_wait_ms(uint32_t rate, uint32_t buffer_frames,
		uint32_t period_frames, uint32_t tick_ms, uint32_t cap_ms);

/* When a capture that still lacks its first period gets it as silence:
 * a period and two ticks before the timeout. */
uint32_t xsnd_first_period_ms(uint32_t rate, uint32_t buffer_frames,
		uint32_t period_frames, uint32_t tick_ms);

#endif
