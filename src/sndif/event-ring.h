/* SPDX-License-Identifier: MIT */
/*
 * Producer side of a stream's back-to-front event page. The page is shared
 * with (and writable by) the guest: we keep our own producer index, read
 * in_cons once per event, and take an event id only once the slot is known
 * to be free, because Linux drops every event after a skipped id.
 * Real-time safe: no allocation, no system calls.
 */
#ifndef XSND_EVENT_RING_H
#define XSND_EVENT_RING_H

#include <stddef.h>
#include <stdint.h>

#include "sndif.h"

struct xsnd_event_producer {
	struct xensnd_event_page *page;	/* mapped event page */
	uint32_t prod;			/* our in_prod, never read back */
	uint16_t next_id;		/* contiguous from 0 since bind */
	uint32_t n_full;		/* events refused because the guest lags */
	uint32_t n_corrupt;		/* events refused because in_cons made no sense */
	uint32_t bad_cons;		/* the last such in_cons, for the log */
};

/* Called once at bind: in_prod := in_cons, ids restart at 0. */
void xsnd_event_producer_init(struct xsnd_event_producer *p, void *page);

/*
 * Writes one event of `type` with the 56-byte payload `op` (may be NULL for
 * zeros). Returns 0 (caller then notifies the guest), -ENOSPC if the ring is
 * full, or -EPROTO if the guest's in_cons is outside [prod - LEN, prod].
 * On failure no id is used.
 */
int xsnd_event_put(struct xsnd_event_producer *p, uint8_t type, const void *op, size_t op_len);

static inline int xsnd_event_put_cur_pos(struct xsnd_event_producer *p, uint64_t position)
{
	struct xensnd_cur_pos_evt ev = { .position = position };
	return xsnd_event_put(p, XENSND_EVT_CUR_POS, &ev, sizeof(ev));
}

#endif
