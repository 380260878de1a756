/* SPDX-License-Identifier: MIT */
/*
 * xen-snd protocol extension: the host path's delay in CUR_POS events.
 * Specified in docs/protocol-delay.md. A frontend that does not ask for it
 * sees plain sndif version 2.
 */
#ifndef XSND_DELAY_EXT_H
#define XSND_DELAY_EXT_H

#include <stdint.h>

#include "sndif.h"

/* Backend directory: the backend can report delays ("1"). */
#define XSND_FIELD_FEATURE_DELAY	"feature-delay-report"
/* Frontend card directory: the frontend wants them ("1"), written before
 * it switches to Initialised. */
#define XSND_FIELD_REQUEST_DELAY	"request-delay-report"

/* The 56-byte operation area of a XENSND_EVT_CUR_POS event (offset 8). */
struct xsnd_cur_pos_ext {
	uint64_t position;	/* @8: bytes, as in sndif; not lagged when negotiated */
	int32_t delay_frames;	/* @16: see flags; frames at the stream's rate */
	uint32_t flags;		/* @20 */
	uint64_t timestamp_ns;	/* @24: dom0 CLOCK_MONOTONIC the delay refers to */
	uint8_t reserved[32];	/* @32..63: zero */
};

/* delay_frames is valid. Playback: frames between `position` and the frame
 * being rendered at timestamp_ns. Capture: age of the frame just before
 * `position` at timestamp_ns (how long ago it left the source). */
#define XSND_CUR_POS_DELAY_VALID	(1u << 0)

_Static_assert(sizeof(struct xsnd_cur_pos_ext) == 56, "CUR_POS operation area is 56 bytes");

#endif
