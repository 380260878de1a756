/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "event-ring.h"

void xsnd_event_producer_init(struct xsnd_event_producer *p, void *page)
{
	p->page = page;
	p->prod = __atomic_load_n(&p->page->in_cons, __ATOMIC_ACQUIRE);
	p->next_id = 0;
	p->n_full = 0;
	p->n_corrupt = 0;
	__atomic_store_n(&p->page->in_prod, p->prod, __ATOMIC_RELEASE);
}

int xsnd_event_put(struct xsnd_event_producer *p, uint8_t type, const void *op, size_t op_len)
{
	struct xensnd_evt ev;
	uint32_t cons, used;

	if (op_len > sizeof(ev.op))
		return -EINVAL;

	/* One read: the guest may change in_cons at any time. Acquire pairs
	 * with the guest's barrier before it publishes in_cons, so it has
	 * finished reading the slot we are about to reuse. */
	cons = __atomic_load_n(&p->page->in_cons, __ATOMIC_ACQUIRE);
	used = p->prod - cons;
	if (used > XENSND_IN_RING_LEN) {
		p->n_corrupt++;
		p->bad_cons = cons;
		return -EPROTO;
	}
	/* Slots are idx % 63, which jumps when the u32 index wraps: while the
	 * unconsumed window spans the wrap a new slot could overwrite an
	 * unread one. Wait for the guest to catch up (once per 2^32 events). */
	if (used == XENSND_IN_RING_LEN || p->prod < cons) {
		p->n_full++;
		return -ENOSPC;
	}

	/* Only now take an id: Linux drops every event after a gap. */
	memset(&ev, 0, sizeof(ev));
	ev.id = p->next_id;
	ev.type = type;
	if (op != NULL && op_len > 0)
		memcpy(&ev.op, op, op_len);
	memcpy(&XENSND_IN_RING_REF(p->page, p->prod), &ev, sizeof(ev));

	/* The event must be visible before the index that publishes it. */
	p->prod++;
	p->next_id++;
	__atomic_store_n(&p->page->in_prod, p->prod, __ATOMIC_RELEASE);
	return 0;
}
