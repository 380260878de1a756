/* SPDX-License-Identifier: MIT */
/*
 * Event producer against a model of Linux's consumer
 * (xen_snd_front_evtchnl.c evtchnl_interrupt_evt): it walks in_cons..in_prod
 * and drops every event whose id differs from its running counter, which
 * it bumps for every slot. One skipped id makes it drop everything after.
 */
#include <errno.h>

#include "event-ring.h"
#include "test.h"

struct linux_consumer {
	uint16_t evt_id;
	uint64_t n_ok, n_dropped;
	uint64_t last_pos;
};

static void consume(struct xensnd_event_page *page, struct linux_consumer *c, uint32_t max)
{
	uint32_t prod = page->in_prod, cons;

	for (cons = page->in_cons; cons != prod && max > 0; cons++, max--) {
		struct xensnd_evt *ev = &XENSND_IN_RING_REF(page, cons);
		if (ev->id != c->evt_id++) {
			c->n_dropped++;
			continue;
		}
		CHECK_EQ(ev->type, XENSND_EVT_CUR_POS);
		CHECK(ev->op.cur_pos.position > c->last_pos);
		c->last_pos = ev->op.cur_pos.position;
		c->n_ok++;
	}
	page->in_cons = cons;
}

static _Alignas(4096) uint8_t page_mem[XSND_PAGE_SIZE];

static struct xensnd_event_page *fresh_page(uint32_t cons, uint32_t stale_prod)
{
	struct xensnd_event_page *page = (struct xensnd_event_page *)page_mem;

	memset(page_mem, 0xcc, sizeof(page_mem));
	page->in_cons = cons;
	page->in_prod = stale_prod;
	return page;
}

static void test_layout(void)
{
	CHECK_EQ(XENSND_IN_RING_LEN, 63);
	CHECK_EQ(sizeof(struct xensnd_evt), 64);
	CHECK_EQ(XENSND_IN_RING_OFFS, 64);
}

static void test_fill_and_drain(void)
{
	struct xensnd_event_page *page = fresh_page(1000, 77);
	struct xsnd_event_producer p;
	struct linux_consumer c = { 0 };
	struct xensnd_evt *ev;
	uint32_t i;

	xsnd_event_producer_init(&p, page);
	CHECK_EQ(page->in_prod, 1000);
	CHECK_EQ(p.prod, 1000);
	CHECK_EQ(p.next_id, 0);

	for (i = 0; i < XENSND_IN_RING_LEN; i++)
		CHECK_EQ(xsnd_event_put_cur_pos(&p, (i + 1) * 100), 0);
	CHECK_EQ(page->in_prod, 1000 + 63);

	/* The written slot: id, type, position, zeroed reserved bytes. */
	ev = &XENSND_IN_RING_REF(page, 1000);
	CHECK_EQ(ev->id, 0);
	CHECK_EQ(ev->type, XENSND_EVT_CUR_POS);
	CHECK_EQ(ev->op.cur_pos.position, 100);
	for (i = 0; i < sizeof(ev->reserved); i++)
		CHECK_EQ(ev->reserved[i], 0);
	for (i = 8; i < sizeof(ev->op.reserved); i++)
		CHECK_EQ(ev->op.reserved[i], 0);

	/* Full: refused, counted, and no id consumed. */
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 99999), -ENOSPC);
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 99999), -ENOSPC);
	CHECK_EQ(p.n_full, 2);
	CHECK_EQ(p.next_id, 63);
	CHECK_EQ(page->in_prod, 1000 + 63);

	consume(page, &c, UINT32_MAX);
	CHECK_EQ(c.n_ok, 63);
	CHECK_EQ(c.n_dropped, 0);

	/* After the refusals the consumer still accepts what follows. */
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 100000), 0);
	consume(page, &c, UINT32_MAX);
	CHECK_EQ(c.n_ok, 64);
	CHECK_EQ(c.n_dropped, 0);
	CHECK_EQ(c.last_pos, 100000);
}

static void test_random_interleaving(void)
{
	/* Start near the u32 wrap of the indexes; ids wrap at 65536 too. */
	struct xensnd_event_page *page = fresh_page(UINT32_MAX - 100, 0);
	struct xsnd_event_producer p;
	struct linux_consumer c = { 0 };
	uint64_t seed = 7, pos = 0, n_put = 0;
	uint32_t round;

	xsnd_event_producer_init(&p, page);
	for (round = 0; round < 20000; round++) {
		uint32_t k = t_range(&seed, 0, 80), i;
		for (i = 0; i < k; i++) {
			int res = xsnd_event_put_cur_pos(&p, pos + 1);
			if (res == 0) {
				pos++;
				n_put++;
			} else {
				CHECK_EQ(res, -ENOSPC);
			}
		}
		/* Linux consumes everything, but allow partial reads too. */
		consume(page, &c, t_rand(&seed) % 3 ? UINT32_MAX : t_range(&seed, 0, 63));
	}
	consume(page, &c, UINT32_MAX);
	CHECK(n_put > 70000);
	CHECK(p.n_full > 0);
	CHECK_EQ(c.n_ok, n_put);
	CHECK_EQ(c.n_dropped, 0);
	CHECK_EQ(c.last_pos, pos);
}

static void test_hostile_cons(void)
{
	struct xensnd_event_page *page = fresh_page(50, 0);
	struct xsnd_event_producer p;
	struct linux_consumer c = { 0 };

	xsnd_event_producer_init(&p, page);
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 1), 0);
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 2), 0);

	/* in_cons ahead of in_prod, or more than a ring behind. */
	page->in_cons = 53;
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 3), -EPROTO);
	page->in_cons = 52 - 64;
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 3), -EPROTO);
	page->in_cons = 0xdeadbeef;
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 3), -EPROTO);
	CHECK_EQ(p.n_corrupt, 3);
	CHECK_EQ(p.next_id, 2);
	/* The guest may scribble on in_prod: we never read it back. */
	page->in_prod = 12345;
	page->in_cons = 50;
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 3), 0);
	CHECK_EQ(page->in_prod, 53);
	consume(page, &c, UINT32_MAX);
	CHECK_EQ(c.n_ok, 3);
	CHECK_EQ(c.n_dropped, 0);

	/* Payload larger than the union. */
	{
		uint8_t big[57] = { 0 };
		CHECK_EQ(xsnd_event_put(&p, XENSND_EVT_CUR_POS, big, sizeof(big)), -EINVAL);
		CHECK_EQ(xsnd_event_put(&p, 7, NULL, 0), 0);
		CHECK_EQ(XENSND_IN_RING_REF(page, 53).type, 7);
		CHECK_EQ(XENSND_IN_RING_REF(page, 53).op.cur_pos.position, 0);
		CHECK_EQ(XENSND_IN_RING_REF(page, 53).id, 3);
	}
}

/* idx % 63 is discontinuous at the u32 wrap: 2^32 - 4 and 0 share slot 0.
 * The producer holds back until the guest has consumed past the wrap. */
static void test_index_wrap(void)
{
	struct xensnd_event_page *page = fresh_page(UINT32_MAX - 3, 0);
	struct xsnd_event_producer p;
	struct linux_consumer c = { 0 };
	uint32_t i;

	CHECK_EQ((UINT32_MAX - 3) % XENSND_IN_RING_LEN, 0);
	xsnd_event_producer_init(&p, page);
	for (i = 0; i < 4; i++)
		CHECK_EQ(xsnd_event_put_cur_pos(&p, i + 1), 0);
	CHECK_EQ(p.prod, 0);
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 5), -ENOSPC);
	CHECK_EQ(p.next_id, 4);
	consume(page, &c, 2);
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 5), -ENOSPC);
	consume(page, &c, UINT32_MAX);
	CHECK_EQ(page->in_cons, 0);
	for (i = 4; i < 4 + 63; i++)
		CHECK_EQ(xsnd_event_put_cur_pos(&p, i + 1), 0);
	consume(page, &c, UINT32_MAX);
	CHECK_EQ(c.n_ok, 67);
	CHECK_EQ(c.n_dropped, 0);
}

/* What a libxenbe-style producer (id taken before the full check) does to
 * Linux: proves the consumer model can fail. */
static void test_model_detects_skipped_id(void)
{
	struct xensnd_event_page *page = fresh_page(0, 0);
	struct xsnd_event_producer p;
	struct linux_consumer c = { 0 };

	xsnd_event_producer_init(&p, page);
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 1), 0);
	p.next_id++;		/* a lost event that still used an id */
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 2), 0);
	CHECK_EQ(xsnd_event_put_cur_pos(&p, 3), 0);
	consume(page, &c, UINT32_MAX);
	CHECK_EQ(c.n_ok, 1);
	CHECK_EQ(c.n_dropped, 2);
}

int main(void)
{
	RUN(test_layout);
	RUN(test_fill_and_drain);
	RUN(test_random_interleaving);
	RUN(test_hostile_cons);
	RUN(test_index_wrap);
	RUN(test_model_detects_skipped_id);
	return 0;
}
