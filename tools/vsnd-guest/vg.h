/* SPDX-License-Identifier: MIT */
/*
 * vsnd-guest: the Xen toolstack (xl/libxl) plus guests running Linux's
 * snd_xen_front and an ALSA application, against the Xen simulator.
 * Internal types shared by the toolstack, frontend and PCM files.
 */
#ifndef VG_H
#define VG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

/* <xen/io/ring.h> without __XEN_TOOLS__ maps its barriers onto these. */
#ifndef mb
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#include "sndif.h"

#include "audio.h"
#include "coro.h"
#include "stats.h"
#include "xl-spec.h"

struct xensim;
struct xs_handle;

#define VG_MAX_CARDS	4
#define VG_MAX_APPS	16
#define VG_MAX_GUESTS	16
#define VG_PATH_MAX	160
#define VG_REQ_TIMEOUT_MS	3000	/* VSND_WAIT_BACK_MS */

/* Linux's snd_pcm_hardware, as far as the frontend fills it. */
struct vg_hw {
	uint64_t formats;		/* 1 << XENSND_PCM_FORMAT_x (== ALSA's numbering) */
	uint32_t rates;			/* bit i = known rate i */
	bool continuous;
	uint32_t rate_min, rate_max;
	uint32_t channels_min, channels_max;
	uint32_t buffer_bytes_max;
	uint32_t period_bytes_min, period_bytes_max;
	uint32_t periods_min, periods_max;
};

struct vg_stream_cfg {
	bool playback;
	uint32_t index;			/* card-wide, xenstore order */
	char path[VG_PATH_MAX];
	struct vg_hw hw;
};

struct vg_pcm_cfg {
	char name[81];
	struct vg_hw hw;
	uint32_t n_pb, n_cap;
	struct vg_stream_cfg pb[XSND_MAX_STREAMS_PER_PCM];
	struct vg_stream_cfg cap[XSND_MAX_STREAMS_PER_PCM];
};

struct vg_pcm;

/* One xen_snd_front_evtchnl. */
struct vg_chan {
	struct vg_front *front;
	bool is_req;
	bool allocated;
	bool connected;			/* EVTCHNL_STATE_CONNECTED */
	uint32_t gref;
	void *page;
	int port;
	uint16_t evt_next_id;		/* next request id */
	uint16_t evt_id;		/* req: id awaited; evt: next event id expected */
	struct xen_sndif_front_ring ring;
	bool done;
	int32_t resp_status;
	struct xensnd_query_hw_param resp_hw;
	int64_t done_ns;
	struct vg_pcm *pcm;		/* evt: the substream receiving positions */
	uint64_t protocol_errors;
};

struct vg_pair {
	struct vg_chan req, evt;
};

struct vg_guest;

struct vg_front {
	struct vg_guest *guest;
	uint32_t devid;
	char path[VG_PATH_MAX];
	char be_path[VG_PATH_MAX];
	uint32_t be_domid;
	int state;			/* our XenbusState */
	bool probed, removed;
	char watch_token[48];
	/* configuration, as xen_snd_front_cfg.c reads it */
	struct vg_hw card_hw;
	uint32_t n_pcms, n_streams;
	struct vg_pcm_cfg pcms[XSND_MAX_PCMS];
	struct vg_pair pairs[XSND_MAX_STREAMS];
	uint32_t n_pairs;
	bool delay_ext;			/* delay extension negotiated (docs/protocol-delay.md) */
	bool card;			/* ALSA card exists (state Connected) */
	uint32_t card_gen;		/* bumped on every card creation/removal */
};

enum vg_source { VG_SRC_COUNTER, VG_SRC_TONE, VG_SRC_WAV, VG_SRC_SILENCE, VG_SRC_MARKER };

struct vg_app_cfg {
	bool playback;
	uint32_t devid, pcm, sub;
	enum vg_source source;
	char file[256];			/* WAV to play, or to record into */
	double freq, amp;
	uint32_t mark_every_ms;		/* marker: one pulse per interval */
	uint32_t mark_len;		/* marker: pulse length, frames (0: 1 ms) */
	uint32_t rate, channels;
	const struct vg_format *format;
	bool rate_set, channels_set, format_set;	/* given, not defaults */
	uint32_t period, buffer;	/* frames wanted (near) */
	double duration;		/* seconds; frames wins if set */
	bool length_set;		/* duration or frames given */
	uint64_t frames;
	int64_t start_delay_ms;
	int64_t pause_at_ms, pause_len_ms;	/* Linux: PAUSE, then prepare+START */
	int64_t presume_at_ms, presume_len_ms;	/* wire-level PAUSE then RESUME */
	int64_t stop_at_ms, stop_len_ms;	/* drop (STOP), then prepare+START */
	uint32_t cycles;		/* open..close repetitions */
	uint32_t files;			/* plays per open, as aplay A B (hw_params again) */
	bool no_hw_free;		/* ... without HW_FREE in between (not alsa-lib) */
	bool no_drain;
	bool expect_fail;		/* success = the application fails */
};

enum vg_alsa_state {
	VG_ST_OPEN, VG_ST_SETUP, VG_ST_PREPARED, VG_ST_RUNNING, VG_ST_XRUN,
	VG_ST_DRAINING, VG_ST_SUSPENDED, VG_ST_DISCONNECTED,
};

/* A substream: Linux's stream info plus the ALSA runtime of the core. */
struct vg_pcm {
	struct vg_app *app;
	struct vg_front *front;
	struct vg_pair *pair;
	const struct vg_stream_cfg *cfg;
	uint32_t card_gen;
	/* xen_snd_front_pcm_stream_info */
	bool is_open;
	uint64_t be_cur_frame;
	int hw_ptr;
	uint32_t out_frames;
	/* shared buffer (xen-front-pgdir-shbuf) */
	void *buf, *dir;
	uint32_t buffer_sz, n_data, n_dir;
	uint32_t *grefs;		/* n_dir directory refs, then n_data data refs */
	/* runtime */
	enum vg_alsa_state state;
	const struct vg_format *fmt;
	uint32_t rate, channels, frame_bytes;
	uint32_t period_size, buffer_size;	/* frames */
	uint64_t hw_base, core_hw, appl;	/* ALSA core's view, frames */
	uint64_t hw_ptr_interrupt;		/* core: period boundary at the last interrupt */
	int64_t hw_ptr_jiffies;			/* core: when hw_ptr last moved (jiffies) */
	uint64_t start_threshold;
	uint64_t period_seq;		/* snd_pcm_period_elapsed() calls */
	bool stop_pending;		/* xrun/drain end: TRIGGER STOP still to send */
	int64_t ext_delay;		/* runtime->delay from the delay extension, frames */
	enum vg_alsa_state stop_to;
};

struct vg_app {
	struct vg_guest *guest;
	struct vg_app_cfg cfg;
	struct vg_co co;
	struct vg_pcm pcm;
	struct vg_stream_stats stats;
	uint64_t frame_counter;		/* counter pattern / tone phase */
	struct vg_wav wav;		/* playback: opened and checked with the options */
	double mark_prev;		/* marker detector: previous channel-0 sample */
	uint64_t marks;			/* markers written or detected */
	bool finished;
	int64_t t0;			/* first START, for the sequences */
};

struct vg_card_spec {
	struct vg_vsnd_spec spec;
	char raw[1024];
};

struct vg_ctx;

/* A granted page Linux could not take back yet (gnttab's deferred list). */
struct vg_deferred {
	struct vg_deferred *next;
	uint32_t ref;
	void *page;
};

struct vg_guest {
	struct vg_ctx *ctx;
	uint32_t domid;
	char name[64];
	struct xensim *sim;
	struct xs_handle *xs;
	uint32_t n_cards;
	struct vg_card_spec cards[VG_MAX_CARDS];
	struct vg_front fronts[VG_MAX_CARDS];
	uint32_t n_apps;
	struct vg_app apps[VG_MAX_APPS];
	bool running;			/* domain created and devices added */
	bool detach;			/* xl vsnd-detach at the end instead of destroy */
	bool delay_report;		/* frontend asks for the delay extension */
	bool failed;
	struct vg_deferred *deferred;	/* pages still mapped by the backend */
	int64_t deferred_ns;		/* last retry */
};

struct vg_ctx {
	char control[VG_PATH_MAX];
	ucontext_t main_ctx;
	uint32_t n_guests;
	struct vg_guest guests[VG_MAX_GUESTS];
	struct xensim *sim0;		/* toolstack, domain 0 */
	struct xs_handle *xs0;
	bool ts_watch_fired;
	struct vg_co ts_co;
	FILE *trace;
	const char *stats_path;
	bool quiet;
	int64_t init_timeout_ms;	/* LIBXL_INIT_TIMEOUT */
	int64_t destroy_timeout_ms;	/* LIBXL_DESTROY_TIMEOUT */
	bool no_destroy;
	bool ts_ok;
};

/* log.c-less logging: one line, prefixed. */
#define vg_log(ctx, fmt, ...) do { if (!(ctx)->quiet) fprintf(stderr, fmt "\n", ##__VA_ARGS__); } while (0)
#define vg_err(fmt, ...) fprintf(stderr, fmt "\n", ##__VA_ARGS__)

/* xenstore helpers (guest or toolstack connection) */
struct xs_handle *vg_xs_open(const char *control, uint32_t domid);
char *vg_xs_read(struct xs_handle *xs, const char *path);	/* malloc'd or NULL */
int vg_xs_read_int(struct xs_handle *xs, const char *path, int def);

/* front.c: gnttab_end_foreign_access for n consecutive granted pages: each
 * page whose grant the backend still maps stays granted and allocated, and
 * vg_grant_retry() (the deferred timer, once a second) frees it later. */
void vg_grant_end_free(struct vg_guest *g, const uint32_t *refs, void *pages, uint32_t n);
void vg_grant_retry(struct vg_guest *g);

/* front.c: the xenbus frontend */
int vg_front_probe(struct vg_front *fe);
void vg_front_watch_fired(struct vg_guest *g, const char *path, const char *token);
void vg_front_evtchn(struct vg_guest *g, int port);
void vg_front_remove(struct vg_front *fe);
struct vg_pair *vg_front_pair(struct vg_front *fe, uint32_t pcm, uint32_t sub, bool playback,
		const struct vg_stream_cfg **cfg);

/* pcm.c: ALSA core + snd_xen_front PCM ops, and the application */
void vg_pcm_cur_pos(struct vg_pcm *pcm, uint64_t pos_bytes);
/* delay extension: the event's delay (frames), when flagged valid */
void vg_pcm_ext_delay(struct vg_pcm *pcm, int32_t delay_frames);
void vg_app_main(struct vg_co *co, void *data);

/* toolstack.c: xl */
int vg_ts_domain_create(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g);
int vg_ts_vsnd_detach(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g, uint32_t devid);
int vg_ts_domain_destroy(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g);

#endif
