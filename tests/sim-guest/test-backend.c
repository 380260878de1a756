/* SPDX-License-Identifier: MIT */
/*
 * A tiny vsnd backend for the guest simulator's tests: dom0 side of the
 * XenBus handshake, request serving with the protocol core (src/sndif), a
 * "sound card" clock that consumes one quantum every quantum period and
 * reports CUR_POS for it, and a check that every WRITE carries the counter
 * pattern sample-exactly. Single threaded: poll on the simulator's event
 * channel fd, the xenstore watch fd and a timerfd.
 *
 * --skip-id-after N   take an event id without sending the event after N
 *                     events (the libxenbe overflow bug)
 * --report FILE       JSON summary written at exit (with the last OPEN's
 *                     format, rate and channels)
 * --exit-when-idle    exit once every device seen is gone again
 * --fail-op N        answer operation N (XENSND_OP_*) with -EIO
 * --ignore-op N      never answer operation N (the guest must time out)
 * --clamp-to-data     never report a position beyond the bytes received
 *                     (instead of playing silence like a sound card)
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#ifndef mb
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#include "sndif.h"
#include "card-config.h"
#include "event-ring.h"
#include "hw-param.h"
#include "page-dir.h"
#include "request.h"
#include "xenbus-state.h"

#include "audio.h"
#include "xensim.h"

#define MAX_DEV		8
#define QUANTUM		256u		/* frames per clock step */
#define TICK_NS		1000000ll	/* timer resolution */

struct stream {
	bool used;
	struct xsnd_stream_config *cfg;
	struct xsnd_stream_transport tr;
	void *ring_page, *evt_page;
	struct xen_sndif_back_ring ring;
	int port, evt_port;
	struct xsnd_event_producer ev;
	enum xsnd_stream_state state;
	struct xsnd_open_params open;
	void *buf;
	uint32_t n_pages;
	/* clock */
	int64_t run_since;		/* ns; 0 when not running */
	uint64_t frames_base;		/* frames consumed before run_since */
	uint64_t frames_reported;
	uint64_t frames_written;	/* pattern position (continues across OPENs) */
	uint64_t bytes_received;	/* since OPEN */
	uint64_t events_sent;
	bool skipped;
};

struct dev {
	bool used, connected;
	uint32_t domid, devid;
	char be[200], fe[200];
	struct xsnd_card_config card;
	struct stream s[XSND_MAX_STREAMS];
};

struct be {
	struct xensim *sim;
	struct xs_handle *xs;
	struct dev dev[MAX_DEV];
	struct xsnd_limits lim;
	long skip_after;
	int fail_op, ignore_op;
	bool clamp;
	bool seen_any;
	/* totals for the report */
	uint64_t frames_checked, pattern_errors, requests, bad_requests, events, writes, reads;
	uint64_t skipped_ids, ring_full, start_after_pause;
	struct xsnd_open_params last_open;	/* of the last OPEN, for the report */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int xs_read_cb(void *data, const char *path, char *buf, size_t size)
{
	struct be *b = data;
	unsigned int len;
	char *v = xs_read(b->xs, XBT_NULL, path, &len);

	if (v == NULL)
		return errno == ENOENT ? -ENOENT : -errno;
	if (len + 1 > size) {
		free(v);
		return -E2BIG;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	free(v);
	return (int)len;
}

static int read_int(struct be *b, const char *path, int def)
{
	char buf[32];

	if (xs_read_cb(b, path, buf, sizeof(buf)) < 0)
		return def;
	return atoi(buf);
}

static void write_state(struct be *b, struct dev *d, int state)
{
	char p[256], v[8];

	snprintf(p, sizeof(p), "%s/state", d->be);
	snprintf(v, sizeof(v), "%d", state);
	xs_write(b->xs, XBT_NULL, p, v, strlen(v));
}

static void stream_unmap_buffer(struct be *b, struct stream *s)
{
	if (s->buf != NULL)
		xensim_unmap_grants(b->sim, s->buf, s->n_pages);
	s->buf = NULL;
	s->n_pages = 0;
}

static void dev_teardown(struct be *b, struct dev *d)
{
	for (uint32_t i = 0; i < XSND_MAX_STREAMS; i++) {
		struct stream *s = &d->s[i];

		if (!s->used)
			continue;
		stream_unmap_buffer(b, s);
		if (s->ring_page)
			xensim_unmap_grants(b->sim, s->ring_page, 1);
		if (s->evt_page)
			xensim_unmap_grants(b->sim, s->evt_page, 1);
		if (s->port > 0)
			xensim_evtchn_close(b->sim, (uint32_t)s->port);
		if (s->evt_port > 0)
			xensim_evtchn_close(b->sim, (uint32_t)s->evt_port);
		{
			uint64_t fw = s->frames_written;
			memset(s, 0, sizeof(*s));
			s->frames_written = fw;
		}
	}
	d->connected = false;
}

static int dev_connect(struct be *b, struct dev *d)
{
	struct xsnd_error err = { 0 };
	uint32_t n = 0;

	if (xsnd_card_config_parse(&d->card, d->fe, xs_read_cb, b, &err) < 0) {
		fprintf(stderr, "test-backend: %s: %s\n", d->fe, err.msg);
		return -EINVAL;
	}
	for (uint32_t p = 0; p < d->card.n_pcms; p++) {
		for (uint32_t k = 0; k < d->card.pcms[p].n_streams; k++) {
			struct xsnd_stream_config *c = &d->card.pcms[p].streams[k];
			struct stream *s = &d->s[c->index];
			uint64_t fw = s->frames_written;
			int port;

			memset(s, 0, sizeof(*s));
			s->frames_written = fw;
			s->used = true;
			s->cfg = c;
			if (xsnd_stream_transport_parse(&s->tr, d->fe, c, xs_read_cb, b, &err) < 0) {
				fprintf(stderr, "test-backend: %s\n", err.msg);
				return -EINVAL;
			}
			s->ring_page = xensim_map_grants(b->sim, d->domid, 1, &s->tr.ring_ref, true);
			s->evt_page = xensim_map_grants(b->sim, d->domid, 1, &s->tr.evt_ring_ref, true);
			if (s->ring_page == NULL || s->evt_page == NULL) {
				fprintf(stderr, "test-backend: cannot map rings: %s\n", strerror(errno));
				return -EIO;
			}
			BACK_RING_INIT(&s->ring, (struct xen_sndif_sring *)s->ring_page, XSND_PAGE_SIZE);
			xsnd_event_producer_init(&s->ev, s->evt_page);
			port = xensim_evtchn_bind_interdomain(b->sim, d->domid, s->tr.evtchn);
			s->port = port;
			port = xensim_evtchn_bind_interdomain(b->sim, d->domid, s->tr.evt_evtchn);
			s->evt_port = port;
			if (s->port <= 0 || s->evt_port <= 0) {
				fprintf(stderr, "test-backend: cannot bind: %d %d\n", s->port, s->evt_port);
				return -EIO;
			}
			n++;
		}
	}
	d->connected = true;
	fprintf(stderr, "test-backend: dom%u card %u connected, %u streams\n", d->domid, d->devid, n);
	return 0;
}

/* Backend state machine, driven by the protocol core's xenbus logic. */
static void dev_check(struct be *b, struct dev *d, bool first)
{
	struct xsnd_xenbus_view v = { .first_look = first, .connected = d->connected };
	struct xsnd_xenbus_step st;
	char p[256];

	snprintf(p, sizeof(p), "%s/online", d->be);
	v.online = read_int(b, p, 1) != 0;
	snprintf(p, sizeof(p), "%s/state", d->be);
	v.be_state = read_int(b, p, XSND_XB_STATE_ABSENT);
	v.be_removed = v.be_state == XSND_XB_STATE_ABSENT;
	snprintf(p, sizeof(p), "%s/state", d->fe);
	v.fe_state = read_int(b, p, XSND_XB_STATE_ABSENT);
	xsnd_xenbus_step(&v, &st);
	if (st.teardown)
		dev_teardown(b, d);
	if (st.connect) {
		if (dev_connect(b, d) < 0) {
			dev_teardown(b, d);
			write_state(b, d, XenbusStateClosing);
			return;
		}
	}
	for (uint32_t i = 0; i < st.n_writes; i++)
		write_state(b, d, st.writes[i]);
	if (st.forget) {
		dev_teardown(b, d);
		d->used = false;
	}
}

static void scan_devices(struct be *b, uint32_t self)
{
	char p[128];
	unsigned int nd, ni;
	char **doms, **ids;

	snprintf(p, sizeof(p), "/local/domain/%u/backend/vsnd", self);
	doms = xs_directory(b->xs, XBT_NULL, p, &nd);
	for (unsigned int i = 0; doms && i < nd; i++) {
		char dp[160];

		snprintf(dp, sizeof(dp), "%s/%s", p, doms[i]);
		ids = xs_directory(b->xs, XBT_NULL, dp, &ni);
		for (unsigned int j = 0; ids && j < ni; j++) {
			uint32_t domid = (uint32_t)atoi(doms[i]), devid = (uint32_t)atoi(ids[j]);
			struct dev *d = NULL, *fr = NULL;

			for (int k = 0; k < MAX_DEV; k++) {
				if (b->dev[k].used && b->dev[k].domid == domid && b->dev[k].devid == devid)
					d = &b->dev[k];
				else if (!b->dev[k].used && fr == NULL)
					fr = &b->dev[k];
			}
			if (d == NULL && fr != NULL) {
				char fp[256], *fe;
				unsigned int len;

				d = fr;
				memset(d, 0, sizeof(*d));
				d->used = true;
				d->domid = domid;
				d->devid = devid;
				snprintf(d->be, sizeof(d->be), "%s/%s", dp, ids[j]);
				snprintf(fp, sizeof(fp), "%s/frontend", d->be);
				fe = xs_read(b->xs, XBT_NULL, fp, &len);
				if (fe == NULL || len >= sizeof(d->fe)) {
					free(fe);
					d->used = false;
					continue;
				}
				snprintf(d->fe, sizeof(d->fe), "%s", fe);
				free(fe);
				snprintf(fp, sizeof(fp), "%s/state", d->fe);
				xs_watch(b->xs, fp, "fe");
				b->seen_any = true;
				dev_check(b, d, true);
				continue;
			}
		}
		free(ids);
	}
	free(doms);
	for (int k = 0; k < MAX_DEV; k++) {
		if (b->dev[k].used)
			dev_check(b, &b->dev[k], false);
	}
}

static int dir_page(void *data, uint32_t gref, void *page)
{
	struct dev *d = ((void **)data)[0];
	struct be *b = ((void **)data)[1];
	void *p = xensim_map_grants(b->sim, d->domid, 1, &gref, false);

	if (p == NULL)
		return -errno;
	memcpy(page, p, XSND_PAGE_SIZE);
	xensim_unmap_grants(b->sim, p, 1);
	return 0;
}

static uint64_t clock_frames(const struct stream *s, int64_t now)
{
	uint64_t f = s->frames_base;

	if (s->run_since)
		f += (uint64_t)((now - s->run_since) / 1000) * s->open.rate / 1000000;
	return f / QUANTUM * QUANTUM;
}

static int handle(struct be *b, struct dev *d, struct stream *s, const struct xensnd_req *req,
		struct xensnd_resp *resp)
{
	struct xsnd_request r;
	struct xsnd_error err = { 0 };
	int res;

	struct xensnd_req fixed;

	/* Linux after a system suspend sends PAUSE, then (RESUME being
	 * unsupported) prepare + START: accept START on a paused stream. */
	if (s->state == XSND_STATE_PAUSED && req->operation == XENSND_OP_TRIGGER &&
	    req->op.trigger.type == XENSND_OP_TRIGGER_START) {
		fixed = *req;
		fixed.op.trigger.type = XENSND_OP_TRIGGER_RESUME;
		req = &fixed;
		b->start_after_pause++;
	}
	res = xsnd_request_check(s->cfg, &b->lim, s->state, s->state == XSND_STATE_CLOSED ? NULL : &s->open,
			req, &r, &err);
	if (res < 0) {
		b->bad_requests++;
		fprintf(stderr, "test-backend: dom%u stream %u: %s\n", d->domid, s->cfg->index, err.msg);
		return res;
	}
	switch (r.operation) {
	case XENSND_OP_HW_PARAM_QUERY:
		res = xsnd_hw_param_refine(&s->cfg->hw, &b->lim, &r.u.hw_param, &resp->resp.hw_param, &err);
		if (res < 0)
			fprintf(stderr, "test-backend: query: %s\n", err.msg);
		return res;
	case XENSND_OP_OPEN: {
		uint32_t grefs[1024], n;
		void *ctx[2] = { d, b };

		res = xsnd_page_dir_walk(r.u.open.buffer_sz, r.u.open.gref_directory, b->lim.buffer_bytes_max,
				dir_page, ctx, grefs, 1024, &n, &err);
		if (res < 0) {
			fprintf(stderr, "test-backend: open: %s\n", err.msg);
			return res;
		}
		s->buf = xensim_map_grants(b->sim, d->domid, n, grefs, true);
		if (s->buf == NULL)
			return -EIO;
		s->n_pages = n;
		s->open = r.u.open;
		b->last_open = r.u.open;
		s->frames_base = s->frames_reported = 0;
		s->run_since = 0;
		s->bytes_received = 0;
		break;
	}
	case XENSND_OP_CLOSE:
		stream_unmap_buffer(b, s);
		s->run_since = 0;
		break;
	case XENSND_OP_WRITE: {
		const struct vg_format *f = vg_format_get(s->open.format);
		uint32_t frames = r.u.rw.length / s->open.frame_size;
		int64_t bad;

		b->writes++;
		if (f != NULL) {
			bad = vg_pattern_check(f, s->open.channels, s->frames_written, frames,
					(uint8_t *)s->buf + r.u.rw.offset);
			if (bad >= 0) {
				if (b->pattern_errors++ < 5)
					fprintf(stderr, "test-backend: dom%u stream %u: pattern error at "
							"frame %llu (WRITE offset %u length %u)\n", d->domid,
							s->cfg->index,
							(unsigned long long)(s->frames_written + (uint64_t)bad),
							r.u.rw.offset, r.u.rw.length);
			}
		}
		b->frames_checked += frames;
		s->frames_written += frames;
		s->bytes_received += r.u.rw.length;
		break;
	}
	case XENSND_OP_READ: {
		const struct vg_format *f = vg_format_get(s->open.format);
		uint32_t frames = r.u.rw.length / s->open.frame_size;

		b->reads++;
		if (f != NULL)
			vg_pattern_fill(f, s->open.channels, s->frames_written, frames,
					(uint8_t *)s->buf + r.u.rw.offset);
		s->frames_written += frames;
		break;
	}
	case XENSND_OP_TRIGGER: {
		int64_t now = now_ns();

		if (r.u.trigger == XENSND_OP_TRIGGER_START || r.u.trigger == XENSND_OP_TRIGGER_RESUME) {
			s->run_since = now;
		} else {
			s->frames_base = clock_frames(s, now);
			s->run_since = 0;
		}
		break;
	}
	default:
		return -ENOTSUP;
	}
	s->state = xsnd_stream_state_next(s->state, &r);
	return 0;
}

static void serve(struct be *b, struct dev *d, struct stream *s)
{
	int more, notify;

	do {
		RING_IDX rc = s->ring.req_cons, rp = s->ring.sring->req_prod;

		rmb();
		if (rp - rc > RING_SIZE(&s->ring)) {
			fprintf(stderr, "test-backend: req_prod out of range\n");
			return;
		}
		for (; rc != rp; rc++) {
			struct xensnd_req req;
			struct xensnd_resp resp;

			memcpy(&req, RING_GET_REQUEST(&s->ring, rc), sizeof(req));
			s->ring.req_cons = rc + 1;
			memset(&resp, 0, sizeof(resp));
			b->requests++;
			if (req.operation == b->ignore_op)
				continue;
			if (req.operation == b->fail_op)
				resp.status = -EIO;
			else
				resp.status = handle(b, d, s, &req, &resp);
			resp.id = req.id;
			resp.operation = req.operation;
			memcpy(RING_GET_RESPONSE(&s->ring, s->ring.rsp_prod_pvt), &resp, sizeof(resp));
			s->ring.rsp_prod_pvt++;
		}
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&s->ring, notify);
		if (notify)
			xensim_evtchn_notify(b->sim, (uint32_t)s->port);
		RING_FINAL_CHECK_FOR_REQUESTS(&s->ring, more);
	} while (more);
}

static void tick(struct be *b)
{
	int64_t now = now_ns();

	for (int k = 0; k < MAX_DEV; k++) {
		struct dev *d = &b->dev[k];

		if (!d->used || !d->connected)
			continue;
		for (uint32_t i = 0; i < XSND_MAX_STREAMS; i++) {
			struct stream *s = &d->s[i];
			uint64_t f;

			if (!s->used || !s->run_since || s->open.period_sz == 0)
				continue;
			f = clock_frames(s, now);
			if (b->clamp && f > s->bytes_received / s->open.frame_size)
				f = s->bytes_received / s->open.frame_size;
			if (f == s->frames_reported)
				continue;
			if (b->skip_after >= 0 && !s->skipped && s->events_sent >= (uint64_t)b->skip_after) {
				/* libxenbe: the id is taken, the event is lost */
				s->ev.next_id++;
				s->skipped = true;
				b->skipped_ids++;
			}
			if (xsnd_event_put_cur_pos(&s->ev, f * s->open.frame_size) < 0) {
				b->ring_full++;
				continue;
			}
			s->frames_reported = f;
			s->events_sent++;
			b->events++;
			xensim_evtchn_notify(b->sim, (uint32_t)s->evt_port);
		}
	}
}

static void on_port(struct be *b, int port)
{
	for (int k = 0; k < MAX_DEV; k++) {
		struct dev *d = &b->dev[k];

		for (uint32_t i = 0; d->used && d->connected && i < XSND_MAX_STREAMS; i++) {
			if (d->s[i].used && d->s[i].port == port) {
				serve(b, d, &d->s[i]);
				return;
			}
		}
	}
}

static bool idle(const struct be *b)
{
	if (!b->seen_any)
		return false;
	for (int k = 0; k < MAX_DEV; k++)
		if (b->dev[k].used)
			return false;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "report", required_argument, NULL, 'r' },
		{ "skip-id-after", required_argument, NULL, 's' },
		{ "exit-when-idle", no_argument, NULL, 'i' },
		{ "clamp-to-data", no_argument, NULL, 'C' },
		{ "fail-op", required_argument, NULL, 'F' },
		{ "ignore-op", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	const char *control = NULL, *report = NULL;
	struct be *b = calloc(1, sizeof(*b));
	char xs_path[256];
	bool exit_idle = false;
	struct itimerspec its = { .it_interval = { 0, TICK_NS }, .it_value = { 0, TICK_NS } };
	sigset_t mask;
	int c, tfd, sfd, rc = 0;

	if (b == NULL)
		return 1;
	b->skip_after = -1;
	b->fail_op = b->ignore_op = -1;
	xsnd_limits_init_default(&b->lim);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': control = optarg; break;
		case 'r': report = optarg; break;
		case 's': b->skip_after = atol(optarg); break;
		case 'i': exit_idle = true; break;
		case 'C': b->clamp = true; break;
		case 'F': b->fail_op = atoi(optarg); break;
		case 'I': b->ignore_op = atoi(optarg); break;
		default: return 2;
		}
	}
	if (control == NULL) {
		fprintf(stderr, "usage: test-backend --control SOCKET [--report FILE] "
				"[--skip-id-after N] [--exit-when-idle]\n");
		return 2;
	}
	b->sim = xensim_connect(control, 0);
	if (b->sim == NULL || xensim_xenstore_path(control, 0, xs_path, sizeof(xs_path)) < 0) {
		fprintf(stderr, "test-backend: cannot connect to %s: %s\n", control, strerror(errno));
		return 1;
	}
	setenv("XENSTORED_PATH", xs_path, 1);
	b->xs = xs_open(0);
	if (b->xs == NULL || !xs_watch(b->xs, "/local/domain/0/backend/vsnd", "be")) {
		fprintf(stderr, "test-backend: xenstore: %s\n", strerror(errno));
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	timerfd_settime(tfd, 0, &its, NULL);
	fprintf(stderr, "test-backend: ready\n");
	for (;;) {
		struct pollfd fds[4] = {
			{ .fd = xs_fileno(b->xs), .events = POLLIN },
			{ .fd = xensim_evtchn_fd(b->sim), .events = POLLIN },
			{ .fd = tfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		char **vec;
		int port;

		if (poll(fds, 4, 1000) < 0 && errno != EINTR)
			break;
		if (fds[3].revents)
			break;
		if (fds[0].revents) {
			bool any = false;
			for (int i = 0; i < 256 && (vec = xs_check_watch(b->xs)) != NULL; i++) {
				free(vec);
				any = true;
			}
			if (any)
				scan_devices(b, 0);
		}
		if (fds[1].revents) {
			for (int i = 0; i < 1024 && (port = xensim_evtchn_pending(b->sim)) >= 0; i++) {
				on_port(b, port);
				xensim_evtchn_unmask(b->sim, (uint32_t)port);
			}
		}
		if (fds[2].revents) {
			uint64_t n;
			if (read(tfd, &n, sizeof(n)) > 0)
				tick(b);
		}
		if (exit_idle && idle(b))
			break;
	}
	fprintf(stderr, "test-backend: %llu requests (%llu rejected), %llu writes, %llu frames checked, "
			"%llu pattern errors, %llu events, %llu skipped ids, %llu ring full\n",
			(unsigned long long)b->requests, (unsigned long long)b->bad_requests,
			(unsigned long long)b->writes, (unsigned long long)b->frames_checked,
			(unsigned long long)b->pattern_errors, (unsigned long long)b->events,
			(unsigned long long)b->skipped_ids, (unsigned long long)b->ring_full);
	if (report != NULL) {
		FILE *f = fopen(report, "w");
		if (f == NULL) {
			rc = 1;
		} else {
			fprintf(f, "{\"requests\": %llu, \"bad_requests\": %llu, \"writes\": %llu, "
					"\"reads\": %llu, \"frames_checked\": %llu, \"pattern_errors\": %llu, "
					"\"events\": %llu, \"skipped_ids\": %llu, \"ring_full\": %llu, "
					"\"start_after_pause\": %llu, \"last_open\": {\"format\": %u, "
					"\"rate\": %u, \"channels\": %u}}\n",
					(unsigned long long)b->requests, (unsigned long long)b->bad_requests,
					(unsigned long long)b->writes, (unsigned long long)b->reads,
					(unsigned long long)b->frames_checked,
					(unsigned long long)b->pattern_errors, (unsigned long long)b->events,
					(unsigned long long)b->skipped_ids, (unsigned long long)b->ring_full,
					(unsigned long long)b->start_after_pause,
					(unsigned)b->last_open.format, (unsigned)b->last_open.rate,
					(unsigned)b->last_open.channels);
			fclose(f);
		}
	}
	return rc;
}
