/* SPDX-License-Identifier: MIT */
/*
 * The frontend's transport, as Linux's snd_xen_front sets it up (rings,
 * event pages, event channels, page directories), plus the request/response
 * exchange. The scenarios then abuse each of these pieces.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "hg.h"
#include "xensim.h"

int hg_stream_setup(struct hg_guest *g, struct hg_stream *s, uint32_t pcm, uint32_t index,
		bool playback)
{
	char dir[64], v[16];
	int res;

	memset(s, 0, sizeof(*s));
	s->g = g;
	s->pcm = pcm;
	s->index = index;
	s->playback = playback;
	s->consume_events = true;
	if ((res = xensim_grant_pages(g->sim, 0, 1, false, &s->ring_ref, &s->ring_page)) < 0 ||
	    (res = xensim_grant_pages(g->sim, 0, 1, false, &s->evt_ref, &s->evt_page)) < 0)
		return res;
	SHARED_RING_INIT((struct xen_sndif_sring *)s->ring_page);
	FRONT_RING_INIT(&s->ring, (struct xen_sndif_sring *)s->ring_page, XSND_PAGE_SIZE);
	if ((s->port = xensim_evtchn_alloc_unbound(g->sim, 0)) < 0)
		return s->port;
	if ((s->evt_port = xensim_evtchn_alloc_unbound(g->sim, 0)) < 0)
		return s->evt_port;

	snprintf(dir, sizeof(dir), "%u/%u/", pcm, index);
#define W(k, fmt, x) do { char key[96]; snprintf(key, sizeof(key), "%s%s", dir, k); \
		snprintf(v, sizeof(v), fmt, x); if (!hg_fe_write(g, key, v)) return -errno; } while (0)
	W(XENSND_FIELD_RING_REF, "%u", s->ring_ref);
	W(XENSND_FIELD_EVT_CHNL, "%d", s->port);
	W(XENSND_FIELD_EVT_RING_REF, "%u", s->evt_ref);
	W(XENSND_FIELD_EVT_EVT_CHNL, "%d", s->evt_port);
#undef W
	return 0;
}

int hg_front_connect(struct hg_guest *g, int timeout_ms)
{
	int st = hg_wait_be_state(g, XenbusStateInitWait, timeout_ms);

	if (st != XenbusStateInitWait)
		return -ETIMEDOUT;
	if (!hg_fe_write(g, "state", "3"))
		return -errno;
	st = hg_wait_be_state(g, XenbusStateConnected, timeout_ms);
	if (st != XenbusStateConnected)
		return st == XenbusStateClosed || st == XenbusStateClosing ? -ECONNREFUSED : -ETIMEDOUT;
	return hg_fe_write(g, "state", "4") ? 0 : -errno;
}

/* Takes pending ports off the simulator and, for well-behaved streams,
 * consumes CUR_POS events the way Linux does. */
void hg_events_poll(struct hg_guest *g)
{
	int port;

	if (g->sim == NULL)
		return;
	while ((port = xensim_evtchn_pending(g->sim)) >= 0)
		xensim_evtchn_unmask(g->sim, (uint32_t)port);
	for (uint32_t i = 0; i < g->n_streams; i++) {
		struct hg_stream *s = &g->streams[i];
		struct xensnd_event_page *p = s->evt_page;
		uint32_t prod, cons;

		if (p == NULL || !s->consume_events)
			continue;
		prod = __atomic_load_n(&p->in_prod, __ATOMIC_ACQUIRE);
		/* bounded: a backend could write anything here too */
		for (cons = p->in_cons; cons != prod && prod - cons <= XENSND_IN_RING_LEN; cons++) {
			struct xensnd_evt ev = XENSND_IN_RING_REF(p, cons);
			if (ev.type == XENSND_EVT_CUR_POS)
				s->last_pos = ev.op.cur_pos.position;
			s->events++;
		}
		__atomic_store_n(&p->in_cons, cons, __ATOMIC_RELEASE);
	}
}

static void wait_fd(struct hg_guest *g, int ms)
{
	struct pollfd pfd = { .fd = xensim_evtchn_fd(g->sim), .events = POLLIN };
	poll(&pfd, 1, ms);
}

int hg_call(struct hg_stream *s, struct xensnd_req *req, struct xensnd_resp *resp, int timeout_ms)
{
	struct hg_guest *g = s->g;
	int64_t end = hg_now_ms() + timeout_ms;
	int notify;

	req->id = s->next_id++;
	*RING_GET_REQUEST(&s->ring, s->ring.req_prod_pvt) = *req;
	s->ring.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&s->ring, notify);
	if (notify)
		xensim_evtchn_notify(g->sim, (uint32_t)s->port);
	for (;;) {
		int more;

		while (RING_HAS_UNCONSUMED_RESPONSES(&s->ring)) {
			*resp = *RING_GET_RESPONSE(&s->ring, s->ring.rsp_cons);
			s->ring.rsp_cons++;
			if (resp->id == req->id)
				return 0;
			printf("note: stray response id %u (waiting for %u)\n", resp->id, req->id);
		}
		RING_FINAL_CHECK_FOR_RESPONSES(&s->ring, more);
		if (more)
			continue;
		if (hg_now_ms() >= end)
			return -ETIMEDOUT;
		wait_fd(g, 10);
		hg_events_poll(g);
	}
}

int hg_simple(struct hg_stream *s, uint8_t op, uint32_t a, uint32_t b, int32_t *status)
{
	struct xensnd_req req = { .operation = op };
	struct xensnd_resp resp;
	int res;

	if (op == XENSND_OP_TRIGGER)
		req.op.trigger.type = (uint8_t)a;
	else {
		req.op.rw.offset = a;
		req.op.rw.length = b;
	}
	if ((res = hg_call(s, &req, &resp, 3000)) < 0)
		return res;
	if (resp.operation != op)
		printf("note: response operation %u for request %u\n", resp.operation, op);
	*status = resp.status;
	return 0;
}

void hg_open_req(struct xensnd_req *req, uint32_t rate, uint8_t format, uint8_t channels,
		uint32_t buffer_sz, uint32_t period_sz, uint32_t gref_dir)
{
	memset(req, 0, sizeof(*req));
	req->operation = XENSND_OP_OPEN;
	req->op.open.pcm_rate = rate;
	req->op.open.pcm_format = format;
	req->op.open.pcm_channels = channels;
	req->op.open.buffer_sz = buffer_sz;
	req->op.open.period_sz = period_sz;
	req->op.open.gref_directory = gref_dir;
}

int hg_buffer_alloc(struct hg_stream *s, uint32_t bytes, bool ro_dir, bool ro_data)
{
	struct hg_guest *g = s->g;
	uint32_t n = (bytes + XSND_PAGE_SIZE - 1) / XSND_PAGE_SIZE;
	uint32_t nd = (n + XSND_GREFS_PER_DIR_PAGE - 1) / XSND_GREFS_PER_DIR_PAGE;
	int res;

	if (n > (sizeof(s->buf_refs) / sizeof((s->buf_refs)[0])) || nd > (sizeof(s->dir_refs) / sizeof((s->dir_refs)[0])))
		return -E2BIG;
	if ((res = xensim_grant_pages(g->sim, 0, n, ro_data, s->buf_refs, &s->buf)) < 0)
		return res;
	s->buf_pages = n;
	/* read-only limits the backend only: the guest still fills it */
	if ((res = xensim_grant_pages(g->sim, 0, nd, ro_dir, s->dir_refs, &s->dir)) < 0)
		return res;
	s->dir_pages = nd;
	for (uint32_t d = 0, k = 0; d < nd; d++) {
		uint32_t *page = (uint32_t *)((char *)s->dir + d * XSND_PAGE_SIZE);
		page[0] = d + 1 < nd ? s->dir_refs[d + 1] : 0;
		for (uint32_t i = 0; i < XSND_GREFS_PER_DIR_PAGE && k < n; i++)
			page[1 + i] = s->buf_refs[k++];
	}
	return 0;
}

void hg_buffer_free(struct hg_stream *s)
{
	struct hg_guest *g = s->g;

	for (uint32_t i = 0; i < s->buf_pages; i++)
		xensim_grant_end(g->sim, s->buf_refs[i]);
	for (uint32_t i = 0; i < s->dir_pages; i++)
		xensim_grant_end(g->sim, s->dir_refs[i]);
	if (s->buf)
		xensim_free_pages(g->sim, s->buf, s->buf_pages);
	if (s->dir)
		xensim_free_pages(g->sim, s->dir, s->dir_pages);
	s->buf = s->dir = NULL;
	s->buf_pages = s->dir_pages = 0;
}
