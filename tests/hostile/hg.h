/* SPDX-License-Identifier: MIT */
/*
 * xsnd-hostile-guest: a toolstack plus a deliberately misbehaving vsnd
 * frontend, driven against the Xen simulator, to prove that the backend
 * survives whatever a guest can put in xenstore, in its ring, its granted
 * pages and its event channels.
 */
#ifndef HG_H
#define HG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <xenstore.h>

#include "../../src/sndif/sndif.h"

#define HG_MAX_STREAMS	4u
#define HG_PATH_MAX	256u
#define HG_N_ELEMENTS(a)	(sizeof(a) / sizeof((a)[0]))

struct xensim;

/* One frontend stream: request ring, event page, both channels. */
struct hg_stream {
	struct hg_guest *g;
	uint32_t pcm, index;
	bool playback;
	struct xen_sndif_front_ring ring;
	void *ring_page, *evt_page;
	uint32_t ring_ref, evt_ref;
	int port, evt_port;
	uint16_t next_id;
	bool consume_events;		/* act like Linux: advance in_cons */
	uint64_t events, last_pos;
	/* the shared buffer of the current OPEN */
	void *buf, *dir;
	uint32_t buf_pages, dir_pages;
	uint32_t buf_refs[1100], dir_refs[4];
};

struct hg_guest {
	const char *control;
	uint32_t domid;
	const char *name;
	struct xensim *sim0, *sim;		/* as dom0 (toolstack), as the guest */
	struct xs_handle *xs0, *xs;
	char fe[HG_PATH_MAX], be[HG_PATH_MAX];
	uint32_t n_streams;
	struct hg_stream streams[HG_MAX_STREAMS];
	int failures;
};

/* A key of the frontend directory (path relative to it) and its value. */
struct hg_kv {
	const char *key;
	const char *value;
};

/* hg-toolstack.c */
int hg_toolstack_open(struct hg_guest *g);
/* Creates the domain and its vsnd device 0 like libxl; `frontend` overrides
 * the backend's frontend path (NULL = the right one). */
int hg_domain_create(struct hg_guest *g, const struct hg_kv *cfg, uint32_t n_cfg,
		const char *frontend);
/* `xl destroy`: domain gone, then libxl force-removes the nodes. */
void hg_domain_destroy(struct hg_guest *g, bool remove_nodes);
int hg_read_int(struct xs_handle *xs, const char *path, int def);
/* Polls <be>/state until it equals `want` or the time is up; returns the
 * last state seen (-1: absent). */
int hg_wait_be_state(struct hg_guest *g, int want, int timeout_ms);
bool hg_fe_write(struct hg_guest *g, const char *key, const char *value);

/* hg-front.c */
int hg_stream_setup(struct hg_guest *g, struct hg_stream *s, uint32_t pcm, uint32_t index,
		bool playback);
int hg_front_connect(struct hg_guest *g, int timeout_ms);
void hg_events_poll(struct hg_guest *g);
/* Sends *req (id filled in) and waits for its answer. 0, or -ETIMEDOUT. */
int hg_call(struct hg_stream *s, struct xensnd_req *req, struct xensnd_resp *resp, int timeout_ms);
/* Status of one request of the given operation and body. */
int hg_simple(struct hg_stream *s, uint8_t op, uint32_t a, uint32_t b, int32_t *status);
/* Grants a buffer of `bytes` and its page directory. */
int hg_buffer_alloc(struct hg_stream *s, uint32_t bytes, bool ro_dir, bool ro_data);
void hg_buffer_free(struct hg_stream *s);
void hg_open_req(struct xensnd_req *req, uint32_t rate, uint8_t format, uint8_t channels,
		uint32_t buffer_sz, uint32_t period_sz, uint32_t gref_dir);
int64_t hg_now_ms(void);

/* Verdict helpers: print "ok: ..." or "FAIL: ..." and count failures. */
void hg_check(struct hg_guest *g, bool cond, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hg_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
