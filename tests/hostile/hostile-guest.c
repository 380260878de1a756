/* SPDX-License-Identifier: MIT */
/*
 * xsnd-hostile-guest: one misbehaving guest per run, against the Xen
 * simulator and whatever backend serves it (the PipeWire module in the
 * integration tests). Each scenario prints "ok:"/"FAIL:" lines for what the
 * guest itself can observe (response statuses, backend states, answers
 * under load); the calling script checks the daemon, its log and the other
 * VMs. Exit status: 0 all checks held, 1 a check failed, 2 setup failed.
 *
 *   xsnd-hostile-guest --control SOCK --domid N [--name NAME] [--seconds S]
 *                      [--gain MILLIDB] [--keep-nodes] SCENARIO [VARIANT]
 *   SCENARIO: config rates|channels|buffer|pcms|streams|bigvalue|frontend
 *             requests | ring | float | events | flood | rewrite | destroy
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hg.h"
#include "xensim.h"

#define RATE		48000u
#define CHANNELS	2u

struct opts {
	const char *scenario, *variant;
	double seconds;
	int gain;
	bool has_gain, keep_nodes;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* ---- the card ---- */

/* A card like `vsnd=[['CARD, sample-rates=48000, ...', 'PCM, name=Hostile',
 * 'STREAM, unique-id=hpb0, type=p', 'STREAM, type=c']]` gives. */
static const struct hg_kv base_cfg[] = {
	{ "sample-rates", "48000" },
	{ "sample-formats", "s16_le,float_le" },
	{ "channels-min", "1" },
	{ "channels-max", "2" },
	{ "buffer-size", "4194304" },
	{ "0/name", "Hostile" },
	{ "0/0/type", "p" },
	{ "0/0/unique-id", "hpb0" },
	{ "0/1/type", "c" },
};

static void start_card(struct hg_guest *g)
{
	int res;

	if ((res = hg_domain_create(g, base_cfg, HG_N_ELEMENTS(base_cfg), NULL)) < 0)
		hg_die("cannot create domain %u: %s", g->domid, strerror(-res));
	g->n_streams = 2;
	if ((res = hg_stream_setup(g, &g->streams[0], 0, 0, true)) < 0 ||
	    (res = hg_stream_setup(g, &g->streams[1], 0, 1, false)) < 0)
		hg_die("cannot set up the streams: %s", strerror(-res));
	if ((res = hg_front_connect(g, 10000)) < 0)
		hg_die("the backend did not connect a valid card: %s", strerror(-res));
	printf("connected: domain %u (%s)\n", g->domid, g->name);
	fflush(stdout);
}

static uint32_t frame_size(uint8_t format)
{
	return (format == XENSND_PCM_FORMAT_F32_LE ? 4 : 2) * CHANNELS;
}

/* OPEN with a fresh buffer; the status is the check's business. */
static int open_stream(struct hg_stream *s, uint8_t format, uint32_t bytes, uint32_t period,
		int32_t *status)
{
	struct xensnd_req req;
	struct xensnd_resp resp;
	int res;

	if (s->buf == NULL && (res = hg_buffer_alloc(s, bytes, false, false)) < 0)
		hg_die("cannot grant a buffer: %s", strerror(-res));
	hg_open_req(&req, RATE, format, CHANNELS, bytes, period, s->dir_refs[0]);
	if ((res = hg_call(s, &req, &resp, 3000)) < 0)
		return res;
	*status = resp.status;
	return 0;
}

static void open_or_die(struct hg_stream *s, uint8_t format, uint32_t bytes, uint32_t period)
{
	int32_t st = 0;

	if (open_stream(s, format, bytes, period, &st) < 0 || st != 0)
		hg_die("OPEN of a valid buffer failed (status %d)", st);
}

/* ---- playing at the graph's pace, by the wall clock ---- */

typedef void (*fill_func_t)(struct hg_stream *s, uint32_t offset, uint32_t len, void *data);
typedef void (*tick_func_t)(struct hg_stream *s, double t, void *data);

struct play_result {
	uint32_t writes, refused, timeouts;
};

static void play(struct hg_stream *s, uint32_t bytes, uint32_t period, uint32_t fs,
		double seconds, fill_func_t fill, tick_func_t tick, void *data,
		struct play_result *r)
{
	int64_t start = hg_now_ms(), next;
	double period_ms = 1000.0 * period / fs / RATE;
	uint64_t written = 0;
	uint32_t k = 0;
	int32_t st;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 2; i++) {	/* prefill two periods, then START */
		fill(s, (uint32_t)(written % bytes), period, data);
		if (hg_simple(s, XENSND_OP_WRITE, (uint32_t)(written % bytes), period, &st) < 0)
			r->timeouts++;
		else if (st)
			r->refused++;
		r->writes++;
		written += period;
	}
	if (hg_simple(s, XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_START, 0, &st) < 0 || st)
		hg_die("TRIGGER START failed (status %d)", st);
	while ((next = start + (int64_t)(++k * period_ms)) < start + (int64_t)(seconds * 1000)) {
		while (hg_now_ms() < next) {
			hg_events_poll(s->g);
			sleep_ms(2);
		}
		if (tick)
			tick(s, (hg_now_ms() - start) / 1000.0, data);
		fill(s, (uint32_t)(written % bytes), period, data);
		if (hg_simple(s, XENSND_OP_WRITE, (uint32_t)(written % bytes), period, &st) < 0)
			r->timeouts++;
		else if (st)
			r->refused++;
		r->writes++;
		written += period;
	}
}

static void fill_silence(struct hg_stream *s, uint32_t offset, uint32_t len,
		void *data __attribute__((unused)))
{
	memset((char *)s->buf + offset, 0, len);
}

static void stop_close(struct hg_guest *g, struct hg_stream *s)
{
	int32_t st;

	if (hg_simple(s, XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_STOP, 0, &st) < 0)
		hg_check(g, false, "TRIGGER STOP answered");
	if (hg_simple(s, XENSND_OP_CLOSE, 0, 0, &st) < 0 || st != 0)
		hg_check(g, false, "CLOSE answered with 0 (status %d)", st);
}

/* ---- a) configuration ---- */

/* Replaces or appends key in cfg[0..n); returns the new n. */
static uint32_t cfg_set(struct hg_kv *cfg, uint32_t n, const char *key, const char *value)
{
	uint32_t i = 0;

	while (i < n && strcmp(cfg[i].key, key) != 0)
		i++;
	cfg[i] = (struct hg_kv){ key, value };
	return i == n ? n + 1 : n;
}

static int scenario_config(struct hg_guest *g, const char *variant)
{
	struct hg_kv cfg[128];
	static char names[128][16], big[10 * 1024 + 1], other[HG_PATH_MAX];
	const char *frontend = NULL;
	uint32_t n = 0;
	int res, st;

	for (uint32_t i = 0; i < HG_N_ELEMENTS(base_cfg); i++)
		cfg[n++] = base_cfg[i];
#define SET(k, v) n = cfg_set(cfg, n, k, v)
	if (strcmp(variant, "rates") == 0) {
		SET("sample-rates", "fast,48000x,-1");
	} else if (strcmp(variant, "channels") == 0) {
		SET("channels-max", "999999");
	} else if (strcmp(variant, "buffer") == 0) {
		SET("buffer-size", "4294967296");
	} else if (strcmp(variant, "pcms") == 0) {
		for (uint32_t p = 1; p < 9; p++) {
			snprintf(names[p], sizeof(names[p]), "%u/0/type", p);
			cfg[n++] = (struct hg_kv){ names[p], "p" };
		}
	} else if (strcmp(variant, "streams") == 0) {
		for (uint32_t i = 2; i < 100 && n < HG_N_ELEMENTS(cfg); i++) {
			snprintf(names[i], sizeof(names[i]), "0/%u/type", i);
			cfg[n++] = (struct hg_kv){ names[i], "p" };
		}
	} else if (strcmp(variant, "bigvalue") == 0) {
		memset(big, 'A', sizeof(big) - 1);
		SET("0/name", big);
	} else if (strcmp(variant, "frontend") == 0) {
		/* another domain's directory, which holds a perfectly good card */
		snprintf(other, sizeof(other), "/local/domain/%u/device/vsnd/0", g->domid + 100);
		frontend = other;
	} else {
		hg_die("unknown config variant '%s'", variant);
	}
#undef SET
	res = hg_domain_create(g, cfg, n, frontend);
	if (res < 0 && strcmp(variant, "bigvalue") == 0) {
		/* xenstored's own limit (4096) stopped it: the largest value it takes */
		big[4000] = '\0';
		hg_domain_destroy(g, true);
		printf("note: 10 KB value refused by xenstore, using 4000 bytes\n");
		res = hg_domain_create(g, cfg, n, frontend);
	}
	if (res < 0)
		hg_die("cannot create domain %u: %s", g->domid, strerror(-res));
	if (frontend != NULL) {
		for (uint32_t i = 0; i < n; i++) {
			char p[2 * HG_PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", other, cfg[i].key);
			xs_write(g->xs0, XBT_NULL, p, cfg[i].value, (unsigned int)strlen(cfg[i].value));
		}
	}
	/* both streams of the base card, so that only the variant is wrong */
	g->n_streams = 2;
	if ((res = hg_stream_setup(g, &g->streams[0], 0, 0, true)) < 0 ||
	    (res = hg_stream_setup(g, &g->streams[1], 0, 1, false)) < 0)
		hg_die("cannot set up the streams: %s", strerror(-res));
	st = hg_wait_be_state(g, XenbusStateInitWait, 3000);
	printf("note: backend state after creation: %d\n", st);
	hg_fe_write(g, "state", "3");
	st = hg_wait_be_state(g, XenbusStateConnected, 4000);
	if (strcmp(variant, "rates") == 0) {
		/* Linux keeps the inherited rates when none is known: so does
		 * the backend (with a warning), and the card works */
		hg_check(g, st == XenbusStateConnected,
				"config %s: domain %u: the backend did not connect (backend state %d)",
				variant, g->domid, st);
		hg_domain_destroy(g, true);
		return 0;
	}
	/* pcms and streams: the first 8 count, as in Linux, and they lack
	 * their transport keys; the others are refused outright */
	hg_check(g, st != XenbusStateConnected,
			"config %s: domain %u: the backend did not connect (backend state %d)",
			variant, g->domid, st);
	hg_check(g, st == XenbusStateClosed || st == XenbusStateInitWait || st == XenbusStateInitialising,
			"config %s: backend state is Closed, or the device was never taken (%d)",
			variant, st);
	hg_domain_destroy(g, true);
	return 0;
}

/* ---- b) requests ---- */

static void expect(struct hg_guest *g, struct hg_stream *s, const char *what, uint8_t op,
		uint32_t a, uint32_t b, int32_t want)
{
	int32_t st = 1;
	int res = hg_simple(s, op, a, b, &st);

	hg_check(g, res == 0 && st == want, "%s: status %d (expected %d)%s", what,
			res == 0 ? st : 0, want, res == 0 ? "" : ", no response");
}

static void expect_open(struct hg_guest *g, struct hg_stream *s, const char *what,
		struct xensnd_req *req, const int32_t *allowed, int n_allowed)
{
	struct xensnd_resp resp;
	int res = hg_call(s, req, &resp, 3000);
	bool ok = false;

	for (int i = 0; res == 0 && i < n_allowed; i++)
		ok |= resp.status == allowed[i];
	hg_check(g, ok, "%s: status %d (expected %d%s)%s", what, res == 0 ? resp.status : 0,
			allowed[0], n_allowed > 1 ? " or another grant error" : "",
			res == 0 ? "" : ", no response");
}

static int scenario_requests(struct hg_guest *g)
{
	struct hg_stream *pb = &g->streams[0], *cap = &g->streams[1];
	static const int32_t einval[] = { -EINVAL };
	/* a grant the hypervisor refuses: the backend passes the mapping
	 * error on; any of these tells the guest what it needs to know */
	static const int32_t grant_err[] = { -EINVAL, -ENOENT, -EACCES, -EPERM, -EFAULT, -EIO };
	struct xensnd_req req;
	struct xensnd_resp resp;
	uint32_t *dir;
	void *p;
	uint32_t ref, refs[4];

	start_card(g);

	/* before OPEN */
	expect(g, pb, "unknown operation 200", 200, 0, 0, -ENOSYS);
	expect(g, pb, "unknown operation 10", XENSND_OP_HW_PARAM_QUERY + 1, 0, 0, -ENOSYS);
	expect(g, pb, "WRITE before OPEN", XENSND_OP_WRITE, 0, 4, -EINVAL);
	expect(g, cap, "READ before OPEN", XENSND_OP_READ, 0, 4, -EINVAL);
	expect(g, pb, "TRIGGER START before OPEN", XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_START, 0, -EINVAL);
	expect(g, pb, "SET_VOLUME before OPEN", XENSND_OP_SET_VOLUME, 0, 8, -EINVAL);
	expect(g, pb, "CLOSE before OPEN (ALSA hw_free does it)", XENSND_OP_CLOSE, 0, 0, 0);

	/* broken OPENs */
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 0);
	expect_open(g, pb, "OPEN with gref_directory 0", &req, einval, 1);
	if (hg_buffer_alloc(pb, 16384, false, false) < 0)
		hg_die("cannot grant a buffer");
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 4194304 + 4096, 4096, pb->dir_refs[0]);
	expect_open(g, pb, "OPEN with buffer_sz above buffer.max-bytes", &req, einval, 1);
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 0, 0, pb->dir_refs[0]);
	expect_open(g, pb, "OPEN with buffer_sz 0", &req, einval, 1);
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 16384 + 2, 4096, pb->dir_refs[0]);
	expect_open(g, pb, "OPEN with buffer_sz not a multiple of the frame", &req, einval, 1);
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 32768, pb->dir_refs[0]);
	expect_open(g, pb, "OPEN with period_sz above buffer_sz", &req, einval, 1);
	hg_open_req(&req, 12345, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, pb->dir_refs[0]);
	expect_open(g, pb, "OPEN with a rate the card does not have", &req, einval, 1);
	hg_open_req(&req, RATE, 99, 2, 16384, 4096, pb->dir_refs[0]);
	expect_open(g, pb, "OPEN with format 99", &req, einval, 1);
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 200, 16400, 4100, pb->dir_refs[0]);
	expect_open(g, pb, "OPEN with 200 channels", &req, einval, 1);
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 987654);
	expect_open(g, pb, "OPEN with a directory gref never granted", &req, grant_err,
			HG_N_ELEMENTS(grant_err));

	/* data grefs never granted / zero */
	dir = pb->dir;
	memcpy(refs, &dir[1], sizeof(refs));
	for (int i = 0; i < 4; i++)
		dir[1 + i] = 900001 + i;
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, pb->dir_refs[0]);
	expect_open(g, pb, "OPEN with data grefs never granted", &req, grant_err,
			HG_N_ELEMENTS(grant_err));
	dir[1 + 2] = 0;
	expect_open(g, pb, "OPEN with data gref 0 in the directory", &req, einval, 1);
	memcpy(&dir[1], refs, sizeof(refs));

	/* a directory page that points at itself: 4 MiB needs two pages */
	if (xensim_grant_pages(g->sim, 0, 1, false, &ref, &p) < 0)
		hg_die("cannot grant a page");
	dir = p;
	dir[0] = ref;
	for (uint32_t i = 1; i <= XSND_GREFS_PER_DIR_PAGE; i++)
		dir[i] = refs[0];
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 4194304, 4096, ref);
	expect_open(g, pb, "OPEN with a page directory that loops (next = itself)", &req, einval, 1);
	dir[0] = 0;
	expect_open(g, pb, "OPEN with a page directory that ends too early (next = 0)", &req, einval, 1);

	/* read-only grants */
	hg_buffer_free(pb);
	if (hg_buffer_alloc(pb, 16384, false, true) < 0)
		hg_die("cannot grant a read-only buffer");
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, pb->dir_refs[0]);
	expect_open(g, pb, "OPEN with data pages granted read-only", &req, grant_err,
			HG_N_ELEMENTS(grant_err));
	hg_buffer_free(pb);
	if (hg_buffer_alloc(pb, 16384, true, false) < 0)
		hg_die("cannot grant a buffer with a read-only directory");
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, pb->dir_refs[0]);
	/* The backend only reads the directory, so read-only is enough. */
	{
		static const int32_t zero[] = { 0 };
		expect_open(g, pb, "OPEN with the directory granted read-only (backend only reads it)",
				&req, zero, 1);
	}

	/* open now: everything that does not fit it */
	hg_open_req(&req, RATE, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, pb->dir_refs[0]);
	{
		/* as Linux's prepare after a second HW_PARAMS without HW_FREE */
		static const int32_t zero[] = { 0 };
		expect_open(g, pb, "second OPEN on an open stream (replaces it)", &req, zero, 1);
	}
	expect(g, pb, "READ on a playback stream", XENSND_OP_READ, 0, 4096, -EINVAL);
	expect(g, pb, "WRITE beyond the buffer", XENSND_OP_WRITE, 16000, 4096, -EINVAL);
	expect(g, pb, "WRITE offset 0xfffffffc (wraps)", XENSND_OP_WRITE, 0xfffffffcu, 8, -EINVAL);
	expect(g, pb, "WRITE length 0xfffffffc (wraps)", XENSND_OP_WRITE, 8, 0xfffffffcu, -EINVAL);
	expect(g, pb, "WRITE at an unaligned offset", XENSND_OP_WRITE, 2, 4096, -EINVAL);
	expect(g, pb, "WRITE of an unaligned length", XENSND_OP_WRITE, 0, 4094, -EINVAL);
	expect(g, pb, "TRIGGER PAUSE on a stopped stream", XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_PAUSE, 0, -EINVAL);
	expect(g, pb, "TRIGGER RESUME on a stopped stream", XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_RESUME, 0, -EINVAL);
	expect(g, pb, "TRIGGER type 77", XENSND_OP_TRIGGER, 77, 0, -EINVAL);
	expect(g, pb, "SET_VOLUME with 4 bytes for 2 channels", XENSND_OP_SET_VOLUME, 0, 4, -EINVAL);
	expect(g, pb, "SET_VOLUME with length 0", XENSND_OP_SET_VOLUME, 0, 0, -EINVAL);
	expect(g, pb, "GET_VOLUME with 12 bytes", XENSND_OP_GET_VOLUME, 0, 12, -EINVAL);
	expect(g, pb, "GET_VOLUME at an unaligned offset", XENSND_OP_GET_VOLUME, 2, 8, -EINVAL);
	expect(g, pb, "GET_VOLUME beyond the buffer", XENSND_OP_GET_VOLUME, 16380, 8, -EINVAL);
	expect(g, pb, "MUTE with 8 bytes for 2 channels", XENSND_OP_MUTE, 0, 8, -EINVAL);
	expect(g, pb, "UNMUTE beyond the buffer", XENSND_OP_UNMUTE, 16384, 2, -EINVAL);
	/* the valid ones still work */
	{
		int32_t v[2] = { -6000, -12000 }, back[2] = { 0, 0 };
		memcpy(pb->buf, v, sizeof(v));
		expect(g, pb, "SET_VOLUME -6/-12 dB", XENSND_OP_SET_VOLUME, 0, 8, 0);
		memset(pb->buf, 0, 16);
		expect(g, pb, "GET_VOLUME", XENSND_OP_GET_VOLUME, 8, 8, 0);
		memcpy(back, (char *)pb->buf + 8, sizeof(back));
		hg_check(g, back[0] == v[0] && back[1] == v[1], "GET_VOLUME returns %d/%d (set %d/%d)",
				back[0], back[1], v[0], v[1]);
	}
	expect(g, pb, "WRITE of a period", XENSND_OP_WRITE, 0, 4096, 0);
	expect(g, pb, "TRIGGER START", XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_START, 0, 0);
	expect(g, pb, "TRIGGER START on a running stream", XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_START, 0, -EINVAL);
	expect(g, pb, "TRIGGER RESUME on a running stream", XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_RESUME, 0, -EINVAL);
	expect(g, pb, "TRIGGER STOP", XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_STOP, 0, 0);
	expect(g, pb, "CLOSE", XENSND_OP_CLOSE, 0, 0, 0);
	expect(g, pb, "WRITE after CLOSE", XENSND_OP_WRITE, 0, 4096, -EINVAL);
	expect(g, pb, "CLOSE again", XENSND_OP_CLOSE, 0, 0, 0);

	/* capture: a READ out of range on an open stream */
	open_or_die(cap, XENSND_PCM_FORMAT_S16_LE, 16384, 4096);
	expect(g, cap, "WRITE on a capture stream", XENSND_OP_WRITE, 0, 4096, -EINVAL);
	expect(g, cap, "READ beyond the buffer", XENSND_OP_READ, 12288, 8192, -EINVAL);
	expect(g, cap, "CLOSE capture", XENSND_OP_CLOSE, 0, 0, 0);

	/* the ids: a response always carries the request's id */
	memset(&req, 0, sizeof(req));
	req.operation = 250;
	pb->next_id = 0xfffe;
	for (int i = 0; i < 4; i++) {
		uint16_t id = pb->next_id;
		int res = hg_call(pb, &req, &resp, 3000);
		if (res < 0 || resp.id != id || resp.operation != 250 || resp.status != -ENOSYS) {
			hg_check(g, false, "unknown op with id %u: id %u op %u status %d", id,
					resp.id, resp.operation, resp.status);
			break;
		}
	}
	hg_domain_destroy(g, true);
	return 0;
}

/* ---- c) ring indices ---- */

static int scenario_ring(struct hg_guest *g, double seconds)
{
	struct hg_stream *s = &g->streams[0];
	struct xen_sndif_sring *sr;
	struct play_result r;
	int32_t st = 1;

	start_card(g);
	open_or_die(s, XENSND_PCM_FORMAT_S16_LE, 16384, 4096);
	play(s, 16384, 4096, frame_size(XENSND_PCM_FORMAT_S16_LE), 1.0, fill_silence, NULL, NULL, &r);
	hg_check(g, r.timeouts == 0 && r.refused == 0, "played 1 s normally (%u writes)", r.writes);

	sr = s->ring.sring;
	printf("corrupting: req_prod %u -> %u (rsp_prod %u)\n", sr->req_prod,
			sr->rsp_prod + 100000, sr->rsp_prod);
	fflush(stdout);
	__atomic_store_n(&sr->req_prod, sr->rsp_prod + 100000, __ATOMIC_RELEASE);
	for (int i = 0; i < 1000; i++)
		xensim_evtchn_notify(g->sim, (uint32_t)s->port);
	sleep_ms(500);
	hg_check(g, sr->rsp_prod == s->ring.rsp_cons,
			"no responses were made up for the bogus requests (rsp_prod %u)", sr->rsp_prod);

	/* indices back in order: the stream stays disabled, nothing is read */
	s->ring.req_prod_pvt = sr->rsp_prod;
	__atomic_store_n(&sr->req_prod, sr->rsp_prod, __ATOMIC_RELEASE);
	hg_check(g, hg_simple(s, XENSND_OP_HW_PARAM_QUERY, 0, 0, &st) == -ETIMEDOUT,
			"the disabled stream does not serve requests any more");
	/* the other stream of the card is unaffected */
	expect(g, &g->streams[1], "the card's other stream still answers", XENSND_OP_CLOSE, 0, 0, 0);
	sleep_ms((int)(seconds * 1000));
	hg_domain_destroy(g, true);
	return 0;
}

/* ---- d) floats ---- */

struct float_ctx {
	uint32_t k;
};

static void fill_garbage_floats(struct hg_stream *s, uint32_t offset, uint32_t len, void *data)
{
	struct float_ctx *c = data;
	const float values[] = { NAN, INFINITY, -INFINITY, 1e30f, -1e30f, FLT_MAX, -FLT_MAX,
		2.0f, -2.0f, -NAN, 1e-42f, -0.0f, 1.0f, -1.0f };
	float *f = (float *)((char *)s->buf + offset);

	for (uint32_t i = 0; i < len / 4; i++) {
		uint32_t k = c->k++ / 2;
		if (k % 61 == 60) {
			uint32_t bits = 0x7f800001u + k;	/* signalling NaNs with payloads */
			memcpy(&f[i], &bits, 4);
		} else {
			f[i] = values[k % HG_N_ELEMENTS(values)];
		}
	}
}

static int scenario_float(struct hg_guest *g, const struct opts *o)
{
	struct hg_stream *s = &g->streams[0];
	struct float_ctx c = { 0 };
	struct play_result r;
	int32_t st;

	start_card(g);
	open_or_die(s, XENSND_PCM_FORMAT_F32_LE, 32768, 8192);
	if (o->has_gain) {
		int32_t v[2] = { o->gain, o->gain };
		memcpy(s->buf, v, sizeof(v));
		if (hg_simple(s, XENSND_OP_SET_VOLUME, 0, 8, &st) < 0)
			hg_die("SET_VOLUME not answered");
		printf("SET_VOLUME %d millidB: status %d\n", o->gain, st);
	}
	play(s, 32768, 8192, frame_size(XENSND_PCM_FORMAT_F32_LE), o->seconds,
			fill_garbage_floats, NULL, &c, &r);
	hg_check(g, r.timeouts == 0, "every WRITE answered (%u writes, %u refused)", r.writes, r.refused);
	stop_close(g, s);
	hg_domain_destroy(g, true);
	return 0;
}

/* ---- e) event page ---- */

static void tick_garbage_cons(struct hg_stream *s, double t __attribute__((unused)), void *data)
{
	struct xensnd_event_page *p = s->evt_page;
	uint32_t *k = data, prod = __atomic_load_n(&p->in_prod, __ATOMIC_ACQUIRE);
	uint32_t v;

	switch ((*k)++ % 8) {
	case 0: v = (uint32_t)rand() * 2654435761u; break;
	case 1: v = prod + 5; break;			/* consumed the future */
	case 2: v = prod - 1000; break;			/* far behind */
	case 3: v = 0xffffffffu; break;
	case 4: v = prod - XENSND_IN_RING_LEN; break;	/* exactly full */
	case 5: v = prod - XENSND_IN_RING_LEN - 1; break;
	default: return;				/* never consumed */
	}
	__atomic_store_n(&p->in_cons, v, __ATOMIC_RELEASE);
}

static int scenario_events(struct hg_guest *g, double seconds)
{
	struct hg_stream *s = &g->streams[0];
	struct xensnd_event_page *p;
	struct play_result r;
	uint32_t k = 0;
	uint64_t before;
	int64_t end;

	start_card(g);
	p = s->evt_page;
	s->consume_events = false;
	open_or_die(s, XENSND_PCM_FORMAT_S16_LE, 16384, 4096);
	play(s, 16384, 4096, frame_size(XENSND_PCM_FORMAT_S16_LE), seconds, fill_silence,
			tick_garbage_cons, &k, &r);
	hg_check(g, r.timeouts == 0 && r.refused == 0,
			"requests served while in_cons is garbage (%u writes)", r.writes);
	/* a guest that comes to its senses gets positions again */
	expect(g, s, "TRIGGER STOP", XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_STOP, 0, 0);
	__atomic_store_n(&p->in_cons, __atomic_load_n(&p->in_prod, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	s->consume_events = true;
	before = s->events;
	play(s, 16384, 4096, frame_size(XENSND_PCM_FORMAT_S16_LE), 1.0, fill_silence, NULL, NULL, &r);
	end = hg_now_ms() + 500;
	while (hg_now_ms() < end)
		hg_events_poll(g);
	hg_check(g, s->events > before, "CUR_POS events resume once in_cons is sane (%llu)",
			(unsigned long long)(s->events - before));
	stop_close(g, s);
	hg_domain_destroy(g, true);
	return 0;
}

/* ---- f) notification flood ---- */

struct flood {
	struct xensim *sim;
	uint32_t port, count;
	volatile bool done;
};

static void *flood_thread(void *data)
{
	struct flood *f = data;

	for (uint32_t i = 0; i < f->count; i++)
		xensim_evtchn_notify(f->sim, f->port);
	f->done = true;
	return NULL;
}

static int scenario_flood(struct hg_guest *g, double seconds)
{
	struct hg_stream *s = &g->streams[0];
	struct flood f = { .count = 200000 };
	uint64_t sent = 0, answered = 0, bad = 0;
	int64_t start, end;
	pthread_t th;
	int32_t st;

	start_card(g);
	open_or_die(s, XENSND_PCM_FORMAT_S16_LE, 16384, 4096);
	memset(s->buf, 0, 16384);
	if (hg_simple(s, XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_START, 0, &st) < 0 || st)
		hg_die("START failed");
	f.sim = g->sim;
	f.port = (uint32_t)s->port;
	start = hg_now_ms();
	end = start + (int64_t)(seconds * 1000);
	if (pthread_create(&th, NULL, flood_thread, &f) != 0)
		hg_die("pthread_create");
	printf("flooding: %u notifications, requests refilled for %.1f s\n", f.count, seconds);
	fflush(stdout);
	while (hg_now_ms() < end || !f.done) {
		int more;

		while (!RING_FULL(&s->ring)) {
			struct xensnd_req *req = RING_GET_REQUEST(&s->ring, s->ring.req_prod_pvt);
			memset(req, 0, sizeof(*req));
			req->id = s->next_id++;
			if (sent % 8 == 7) {
				req->operation = XENSND_OP_HW_PARAM_QUERY;
				req->op.hw_param.formats = 1u << XENSND_PCM_FORMAT_S16_LE;
				req->op.hw_param.rates.min = req->op.hw_param.rates.max = RATE;
				req->op.hw_param.channels.min = req->op.hw_param.channels.max = 2;
				req->op.hw_param.buffer.min = 64;
				req->op.hw_param.buffer.max = 4096;
				req->op.hw_param.period.min = 32;
				req->op.hw_param.period.max = 2048;
			} else {
				req->operation = XENSND_OP_WRITE;
				req->op.rw.offset = (uint32_t)(sent % 4) * 4096;
				req->op.rw.length = 4096;
			}
			s->ring.req_prod_pvt++;
			sent++;
		}
		RING_PUSH_REQUESTS(&s->ring);
		xensim_evtchn_notify(g->sim, (uint32_t)s->port);
		do {
			while (RING_HAS_UNCONSUMED_RESPONSES(&s->ring)) {
				struct xensnd_resp *rsp = RING_GET_RESPONSE(&s->ring, s->ring.rsp_cons);
				bad += rsp->status != 0;
				s->ring.rsp_cons++;
				answered++;
			}
			RING_FINAL_CHECK_FOR_RESPONSES(&s->ring, more);
		} while (more);
		hg_events_poll(g);
		if (RING_FULL(&s->ring))
			sleep_ms(1);
		if (hg_now_ms() > end + 60000)
			break;
	}
	pthread_join(th, NULL);
	printf("flood over after %.1f s: %llu requests sent, %llu answered, %llu refused\n",
			(hg_now_ms() - start) / 1000.0, (unsigned long long)sent,
			(unsigned long long)answered, (unsigned long long)bad);
	/* drain what is in flight, then one plain request */
	end = hg_now_ms() + 3000;
	while (s->ring.rsp_cons != s->ring.req_prod_pvt && hg_now_ms() < end) {
		while (RING_HAS_UNCONSUMED_RESPONSES(&s->ring)) {
			s->ring.rsp_cons++;
			answered++;
		}
		sleep_ms(5);
	}
	hg_check(g, answered == sent, "every flooded request was answered (%llu of %llu)",
			(unsigned long long)answered, (unsigned long long)sent);
	hg_check(g, answered > 1000, "the backend kept serving during the flood (%llu answers)",
			(unsigned long long)answered);
	{
		int64_t t0 = hg_now_ms();
		int res = hg_simple(s, XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_STOP, 0, &st);
		hg_check(g, res == 0 && st == 0 && hg_now_ms() - t0 < 1000,
				"a request after the flood is answered in %lld ms", (long long)(hg_now_ms() - t0));
	}
	expect(g, s, "CLOSE", XENSND_OP_CLOSE, 0, 0, 0);
	hg_domain_destroy(g, true);
	return 0;
}

/* ---- g) concurrent rewriting of the directory and the buffer ---- */

struct rewriter {
	struct hg_stream *s;
	uint32_t good[8];	/* the directory page as it should be */
	volatile bool stop;
	uint64_t rounds;
};

static void *rewrite_thread(void *data)
{
	struct rewriter *w = data;
	uint32_t *dir = w->s->dir, seed = 1;
	uint32_t *buf = w->s->buf, words = w->s->buf_pages * XSND_PAGE_SIZE / 4;

	while (!w->stop) {
		seed = seed * 1103515245u + 12345u;
		switch (seed >> 28) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			memcpy(dir, w->good, sizeof(w->good));
			break;
		case 6: dir[0] = w->s->dir_refs[0]; break;		/* loop */
		case 7: dir[1 + (seed >> 8) % 4] = 0; break;
		case 8: dir[1 + (seed >> 8) % 4] = seed; break;		/* random gref */
		case 9: dir[0] = seed; break;				/* bogus next */
		default:
			for (uint32_t i = 0; i < 5; i++)
				__atomic_store_n(&dir[i], seed ^ (i * 7919u), __ATOMIC_RELAXED);
			break;
		}
		/* random bits, NaNs included, over the whole buffer */
		for (uint32_t i = 0; i < words; i++) {
			seed = seed * 1664525u + 1013904223u;
			__atomic_store_n(&buf[i], seed, __ATOMIC_RELAXED);
		}
		w->rounds++;
	}
	return NULL;
}

static int scenario_rewrite(struct hg_guest *g, double seconds)
{
	struct hg_stream *s = &g->streams[0];
	struct rewriter w = { .s = s };
	uint32_t opens = 0, opened = 0, timeouts = 0, requests = 0;
	int64_t end;
	pthread_t th;

	start_card(g);
	if (hg_buffer_alloc(s, 16384, false, false) < 0)
		hg_die("cannot grant a buffer");
	memcpy(w.good, s->dir, sizeof(w.good));
	if (pthread_create(&th, NULL, rewrite_thread, &w) != 0)
		hg_die("pthread_create");
	end = hg_now_ms() + (int64_t)(seconds * 1000);
	while (hg_now_ms() < end && timeouts == 0) {
		struct xensnd_req req;
		struct xensnd_resp resp;
		int32_t st;

		hg_open_req(&req, RATE, XENSND_PCM_FORMAT_F32_LE, 2, 16384, 4096, s->dir_refs[0]);
		opens++;
		requests++;
		if (hg_call(s, &req, &resp, 3000) < 0) {
			timeouts++;
			break;
		}
		if (resp.status != 0)
			continue;
		opened++;
		for (int i = 0; i < 12 && timeouts == 0; i++) {
			requests++;
			if (hg_simple(s, XENSND_OP_WRITE, (uint32_t)(i % 4) * 4096, 4096, &st) < 0)
				timeouts++;
			if (i == 1) {
				requests++;
				if (hg_simple(s, XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_START, 0, &st) < 0)
					timeouts++;
			}
			sleep_ms(20);
		}
		requests += 2;
		if (hg_simple(s, XENSND_OP_TRIGGER, XENSND_OP_TRIGGER_STOP, 0, &st) < 0 ||
		    hg_simple(s, XENSND_OP_CLOSE, 0, 0, &st) < 0)
			timeouts++;
	}
	w.stop = true;
	pthread_join(th, NULL);
	printf("%u OPENs (%u succeeded), %u requests, %llu rewrites of the pages\n", opens,
			opened, requests, (unsigned long long)w.rounds);
	hg_check(g, timeouts == 0, "every request was answered while the pages changed");
	hg_check(g, opens > 5 && opened > 0, "some OPENs saw a valid directory (%u of %u)", opened, opens);
	hg_domain_destroy(g, true);
	return 0;
}

/* ---- h) domain destroyed while running ---- */

static int scenario_destroy(struct hg_guest *g, const struct opts *o)
{
	struct hg_stream *s = &g->streams[0];
	struct play_result r;

	start_card(g);
	open_or_die(s, XENSND_PCM_FORMAT_S16_LE, 16384, 4096);
	open_or_die(&g->streams[1], XENSND_PCM_FORMAT_S16_LE, 16384, 4096);
	play(s, 16384, 4096, frame_size(XENSND_PCM_FORMAT_S16_LE), o->seconds, fill_silence,
			NULL, NULL, &r);
	hg_check(g, r.timeouts == 0 && r.refused == 0, "played %.1f s (%u writes)", o->seconds, r.writes);
	if (getenv("HG_STOP_FIRST") && *getenv("HG_STOP_FIRST"))	/* diagnosis only */
		stop_close(g, s);
	/* no STOP, no CLOSE, no Closing: the domain just goes */
	printf("destroying domain %u%s\n", g->domid,
			o->keep_nodes ? " (xenstore nodes left behind)" : "");
	fflush(stdout);
	hg_domain_destroy(g, !o->keep_nodes);
	return 0;
}

/* ---- i) node churn ---- */

/* OPEN and CLOSE as fast as the backend answers: every OPEN makes a node
 * in the host's graph. The module holds OPENs beyond vm.open-rate (8 a
 * second after a burst of 64) in the ring; each is still answered, well
 * within the 3 s Linux waits. */
static int scenario_churn(struct hg_guest *g, double seconds)
{
	struct hg_stream *s = &g->streams[0];
	uint32_t opens = 0;
	int64_t start, end, t0, wait, worst = 0;
	double elapsed;
	int32_t st;

	start_card(g);
	start = hg_now_ms();
	end = start + (int64_t)(seconds * 1000);
	while (hg_now_ms() < end) {
		t0 = hg_now_ms();
		if (open_stream(s, XENSND_PCM_FORMAT_S16_LE, 16384, 4096, &st) < 0) {
			hg_check(g, false, "OPEN %u answered within 3 s", opens + 1);
			break;
		}
		wait = hg_now_ms() - t0;
		worst = wait > worst ? wait : worst;
		hg_check(g, st == 0, "OPEN %u: status %d", opens + 1, st);
		opens++;
		if (hg_simple(s, XENSND_OP_CLOSE, 0, 0, &st) < 0 || st != 0) {
			hg_check(g, false, "CLOSE %u answered with 0 (status %d)", opens, st);
			break;
		}
	}
	elapsed = (double)(hg_now_ms() - start) / 1000.0;
	printf("churn: %u OPENs answered in %.1f s, the longest after %lld ms\n",
			opens, elapsed, (long long)worst);
	hg_check(g, opens <= 64 + (uint32_t)(8 * elapsed) + 2,
			"OPENs limited to the burst plus 8 a second (%u in %.1f s)", opens, elapsed);
	hg_check(g, opens >= 64, "the burst of 64 OPENs answered (%u)", opens);
	hg_check(g, worst < 1000, "no OPEN held for a second or more (%lld ms)", (long long)worst);
	hg_domain_destroy(g, true);
	return 0;
}

int main(int argc, char **argv)
{
	struct hg_guest g = { .name = "hostile" };
	struct opts o = { .seconds = 4.0 };
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--keep-nodes") == 0) {
			o.keep_nodes = true;
			continue;
		}
		if (v == NULL)
			hg_die("%s needs a value", a);
		i++;
		if (strcmp(a, "--control") == 0) g.control = v;
		else if (strcmp(a, "--domid") == 0) g.domid = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--name") == 0) g.name = v;
		else if (strcmp(a, "--seconds") == 0) o.seconds = atof(v);
		else if (strcmp(a, "--gain") == 0) { o.gain = atoi(v); o.has_gain = true; }
		else hg_die("unknown option %s", a);
	}
	if (i >= argc || g.control == NULL || g.domid == 0)
		hg_die("usage: %s --control SOCK --domid N [--name NAME] [--seconds S] "
				"[--gain MDB] [--keep-nodes] SCENARIO [VARIANT]", argv[0]);
	o.scenario = argv[i];
	o.variant = i + 1 < argc ? argv[i + 1] : "";
	if (hg_toolstack_open(&g) < 0)
		hg_die("cannot reach the simulator at %s: %s", g.control, strerror(errno));

	if (strcmp(o.scenario, "config") == 0) scenario_config(&g, o.variant);
	else if (strcmp(o.scenario, "requests") == 0) scenario_requests(&g);
	else if (strcmp(o.scenario, "ring") == 0) scenario_ring(&g, o.seconds);
	else if (strcmp(o.scenario, "float") == 0) scenario_float(&g, &o);
	else if (strcmp(o.scenario, "events") == 0) scenario_events(&g, o.seconds);
	else if (strcmp(o.scenario, "flood") == 0) scenario_flood(&g, o.seconds);
	else if (strcmp(o.scenario, "rewrite") == 0) scenario_rewrite(&g, o.seconds);
	else if (strcmp(o.scenario, "destroy") == 0) scenario_destroy(&g, &o);
	else if (strcmp(o.scenario, "churn") == 0) scenario_churn(&g, o.seconds);
	else hg_die("unknown scenario %s", o.scenario);

	printf("%s: %s%s%s: %d failed checks\n", g.failures ? "FAIL" : "done", o.scenario,
			*o.variant ? " " : "", o.variant, g.failures);
	return g.failures ? 1 : 0;
}
