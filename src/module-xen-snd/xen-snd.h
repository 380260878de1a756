/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of module-xen-snd.
 *
 *   module-xen-snd.c   arguments, module life cycle, event-channel dispatch
 *   backend.c          XenBus glue: xenstore watches, one card per vsnd device
 *   card.c             a card's transport: rings, event pages, event channels
 *   vm.c               one pw_core per guest domain, named after the VM
 *   stream.c           a guest PCM stream's requests (control plane, main loop)
 *   stream-data.c      a guest PCM stream's process callbacks (data plane, RT)
 *
 * Threads: everything runs on the PipeWire main loop except the process
 * callbacks in stream-data.c, which run on the data loop. The two meet in
 * struct xsnd_stream_rt: the main thread publishes the guest's write cursor
 * with a release store; every other change reaches the data thread through
 * pw_loop_invoke() so it happens between two cycles.
 */
#ifndef XEN_SND_H
#define XEN_SND_H

#include <stdbool.h>
#include <stdint.h>

#include <spa/utils/list.h>
#include <spa/utils/hook.h>
#include <spa/param/audio/raw.h>
#include <spa/node/io.h>
#include <pipewire/pipewire.h>

#include "../sndif/sndif.h"
#include "../sndif/card-config.h"
#include "../sndif/request.h"
#include "../sndif/event-ring.h"
#include "../sndif/position.h"
#include "../sndif/rate-limit.h"
#include "../sndif/delay-ext.h"
#include "../pcm/pcm-convert.h"
#include "../xen/xen-access.h"
#include "links.h"

PW_LOG_TOPIC_EXTERN(xsnd_log_topic);
#define PW_LOG_TOPIC_DEFAULT xsnd_log_topic

struct impl;
struct xsnd_vm;
struct xsnd_card;
struct xsnd_stream;

/* Module-wide state, one per loaded module. */
struct impl {
	struct pw_context *context;
	struct pw_impl_module *module;
	struct spa_hook module_listener;
	struct pw_properties *props;
	struct pw_loop *main_loop;
	struct pw_loop *data_loop;

	struct xsnd_xen *xen;
	struct spa_source *xs_source;		/* xenstore watch fd */
	struct spa_source *evtchn_source;	/* all bound event channels */
	uint32_t self_domid;
	char be_root[64];			/* /local/domain/<self>/backend/vsnd */

	struct xsnd_limits limits;
	uint32_t max_cards_per_domain;
	const char *remote_name;		/* VM cores connect here (NULL: default) */
	uint32_t link_wait_ms;			/* playback waits this long for its links */
	int64_t open_interval_ns;		/* vm.open-rate as a spacing (0: none) */
	uint32_t open_burst;
	const char *node_latency;		/* fixed node.latency, or NULL: from the guest period */
	const char *stream_props;		/* JSON applied to every stream */
	const char *stream_rules;		/* JSON match rules */
	const char *icon_name;

	struct spa_list vms;
	struct spa_list cards;

	/* data thread: the streams' own clocks (stream-data.c) */
	struct spa_source *clock_timer;
	struct spa_list clocked;
};

/* ---- vm.c: one PipeWire client per guest domain ---- */
struct xsnd_vm {
	struct spa_list link;
	struct impl *impl;
	uint32_t domid;
	char name[64];				/* sanitized /local/domain/<id>/name */
	int refcount;
	struct pw_core *core;
	struct spa_hook core_listener;
	struct spa_hook core_proxy_listener;
	bool core_broken;
	struct xsnd_link_hub *links;		/* its streams' link watches */
	struct xsnd_rate_limit opens;		/* node creations, all its cards */
	uint32_t opens_held;			/* OPENs held back since the last log */
	int64_t opens_logged_ns;
};

struct xsnd_vm *xsnd_vm_get(struct impl *impl, uint32_t domid);
void xsnd_vm_unref(struct xsnd_vm *vm);
/* Connects the VM's core if it is not connected. Returns it or NULL. */
struct pw_core *xsnd_vm_core(struct xsnd_vm *vm);

/* ---- card.c / backend.c: one vsnd device ---- */
struct xsnd_card {
	struct spa_list link;
	struct impl *impl;
	struct xsnd_vm *vm;
	uint32_t domid;
	uint32_t devid;
	char be_path[96];
	char fe_path[96];
	bool seen;			/* evaluated at least once */
	bool connected;			/* rings mapped, channels bound */
	bool fe_watched;
	bool delay_ext;			/* the frontend asked for delays in CUR_POS */
	struct xsnd_card_config *cfg;	/* parsed at connect, NULL otherwise */
	struct spa_list streams;
};

void xsnd_backend_start(struct impl *impl);
void xsnd_backend_stop(struct impl *impl);
void xsnd_backend_handle_watch(struct impl *impl, const char *path, const char *token);

int xsnd_card_connect(struct xsnd_card *card);
void xsnd_card_disconnect(struct xsnd_card *card);

/* ---- stream.c / stream-data.c: one guest PCM stream ---- */

/* Shared with the data thread. */
struct xsnd_stream_rt {
	struct pw_stream *pw;		/* the data thread's: s->pw is cleared by the destroy
					 * hook, before the node leaves the data loop */
	bool running;			/* between START/RESUME and STOP/PAUSE */
	bool linked;			/* every port linked (links.c), or gave up waiting */
	uint64_t valid;			/* playback: end of the guest's written bytes (release/acquire) */
	uint64_t pos;			/* bytes consumed or produced since OPEN; data thread writes */
	struct xsnd_position position;	/* what was sent as CUR_POS, in frames */
	struct xsnd_history history;	/* playback: cycle start times and positions */
	uint64_t read_wait;		/* capture: wake the main loop when pos reaches this (0: none) */
	uint32_t xruns;
	uint32_t cycles;			/* process calls */
	uint32_t empty;			/* capture cycles without data */
	uint64_t last_cycle;		/* graph clock position of the last process call */
	uint32_t repeats;		/* process calls in a cycle already served */
	struct xsnd_clock clock;	/* runs the pointer when the graph does not */
	int64_t run_ns;			/* last START/RESUME */
	int64_t link_wait_ns;		/* after START, stop waiting for links (0: never wait) */
	int64_t cycle_at_ns;		/* last process call */
	uint64_t run_pos;		/* pos at the last START/RESUME */
	int64_t first_period_ns;	/* after START, the guest's first period is due */
	int64_t cycle_ns;		/* the graph's last cycle length */
	uint64_t clock_frames;		/* frames the own clock moved */
	bool unity;			/* all guest gains are 1.0 */
	float gain[SPA_AUDIO_MAX_CHANNELS];
};

struct xsnd_stream {
	struct spa_list link;
	struct xsnd_card *card;
	const struct xsnd_stream_config *cfg;
	struct xsnd_stream_transport transport;
	char node_name[160];

	/* request ring: main thread only */
	void *ring_page;
	struct xen_sndif_back_ring ring;
	int ring_port;
	bool ring_broken;		/* guest corrupted its ring indices */
	struct spa_source *kick;	/* serves the rest of a long ring, answers a READ */
	struct spa_source *open_retry;	/* an OPEN held back by vm.open-rate */
	bool open_held;			/* the OPEN in the ring is counted in vm->opens_held */

	/* event page: written by the data thread while a pw_stream exists */
	void *evt_page;
	struct xsnd_event_producer evt;
	int evt_port;

	/* what OPEN fixed */
	enum xsnd_stream_state state;
	struct xsnd_open_params params;
	const struct xsnd_pcm_convert *conv;
	uint8_t *buffer;		/* the guest's buffer, mapped at OPEN */
	uint32_t n_pages;

	struct pw_stream *pw;
	struct spa_hook pw_listener;
	struct spa_io_position *io_position;	/* the graph's clock, for silence */
	struct xsnd_stream_rt rt;
	struct spa_list clock_link;	/* in impl->clocked, data thread */
	bool clocked;
	int64_t clock_after_ns;		/* graph silence before the own clock runs */
	struct xsnd_link_watch *links;	/* until linked */
	struct spa_source *link_timer;	/* stop waiting for links */
	uint32_t link_wait_ms;		/* this stream's wait (what its guest tolerates at most) */
	bool link_timer_armed;		/* counting since the first START */

	/* capture: one READ may wait for data */
	bool read_pending;
	struct xensnd_req read_req;
	uint64_t read_target;		/* position that answers it */

	float mute_gain[SPA_AUDIO_MAX_CHANNELS];	/* 0 while muted, else 1 */
	float vol_gain[SPA_AUDIO_MAX_CHANNELS];
	int32_t vol_millidb[SPA_AUDIO_MAX_CHANNELS];
};

struct xsnd_stream *xsnd_stream_new(struct xsnd_card *card, const struct xsnd_stream_config *cfg);
void xsnd_stream_destroy(struct xsnd_stream *s);
/* Serves the request ring after its event channel fired. */
void xsnd_stream_ring_kick(struct xsnd_stream *s);
/* Drops a running stream (frontend gone): destroys the node, unmaps the buffer. */
void xsnd_stream_close(struct xsnd_stream *s);

/* stream-data.c: the process callbacks, data thread */
void xsnd_stream_playback_process(void *data);
void xsnd_stream_capture_process(void *data);
#define XSND_CLOCK_TICK_MS	20	/* the streams' own clock ticks this often */

/* Data thread: moves the pointer of a running stream the graph does not run. */
void xsnd_stream_clock_tick(struct xsnd_stream *s, int64_t now);
/* Data thread: the links are later than the guest tolerates; play unheard. */
void xsnd_stream_links_late(struct xsnd_stream *s, int64_t now);
/* Main thread: puts a stream on (off) the data thread's clock list. */
void xsnd_stream_clock_add(struct xsnd_stream *s);
void xsnd_stream_clock_remove(struct xsnd_stream *s);
int xsnd_clock_start(struct impl *impl);
void xsnd_clock_stop(struct impl *impl);
/* Main loop: answers a capture stream's pending READ if its bytes are there. */
void xsnd_stream_read_ready(struct xsnd_stream *s);

#endif
