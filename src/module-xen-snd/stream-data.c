/* SPDX-License-Identifier: MIT */
/*
 * The data plane: process callbacks on the real-time data thread.
 *
 * Playback converts straight from the guest's mapped buffer into the
 * graph's buffer; capture converts from the graph's buffer straight into the
 * guest's, both at the DMA pointer `pos` (bytes since OPEN). The pointer
 * advances by what was really moved, and past what the guest wrote only
 * after a whole period without data (src/sndif/position.h says why); it goes
 * to the guest as CUR_POS every cycle in which it changed.
 *
 * The host path's delay reaches the guest either as a playback position
 * that lags by it (any guest: snd_pcm_delay() then includes it), or, when
 * the frontend negotiated the delay extension, as an explicit delay with a
 * timestamp in the event (docs/protocol-delay.md).
 *
 * When the graph does not run the node (not linked, no driver), the
 * stream's own clock moves the pointer instead, from a timer on this thread
 * (stream-clock.c): the guest's ALSA core would fail otherwise.
 *
 * Nothing here blocks, allocates, logs or touches xenstore or grant maps.
 */
#include <string.h>
#include <time.h>

#include "xen-snd.h"

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);	/* vDSO: no system call */
	return SPA_TIMESPEC_TO_NSEC(&ts);
}

/* Time from a frame leaving (playback) or entering (capture) our stream to
 * it reaching (leaving) the device: graph latency, resampler, queues. */
static int64_t path_delay_ns(struct xsnd_stream *s, const struct pw_time *t)
{
	int64_t d = 0;

	if (t->rate.denom)
		d += t->delay * (int64_t)SPA_NSEC_PER_SEC * t->rate.num / t->rate.denom;
	d += (int64_t)(t->buffered + t->queued) * (int64_t)SPA_NSEC_PER_SEC / s->params.rate;
	return SPA_MAX(d, (int64_t)0);
}

/* Frames of the current cycle at the stream's rate. */
static uint32_t quantum_frames(struct xsnd_stream *s)
{
	struct spa_io_position *p = s->io_position;

	if (p == NULL || p->clock.rate.denom == 0)
		return 0;
	return (uint32_t)(p->clock.duration * s->params.rate / p->clock.rate.denom);
}

static bool send_position(struct xsnd_stream *s, uint64_t pos_frames, int64_t delay, int64_t now)
{
	struct xsnd_cur_pos_ext ev = { 0 };

	ev.position = pos_frames * s->params.frame_size;
	if (s->card->delay_ext) {
		ev.delay_frames = (int32_t)SPA_CLAMP(delay, 0, INT32_MAX);
		ev.flags = XSND_CUR_POS_DELAY_VALID;
		ev.timestamp_ns = (uint64_t)now;
	}
	if (xsnd_event_put(&s->evt, XENSND_EVT_CUR_POS, &ev, sizeof(ev)) < 0)
		return false;
	xsnd_xen_evtchn_notify(s->card->impl->xen, (uint32_t)s->evt_port);
	return true;
}

/* pos: frames heard (playback) or produced (capture); delay: frames for
 * the extension. */
static void report_position(struct xsnd_stream *s, uint64_t pos, int64_t delay, int64_t now)
{
	struct xsnd_stream_rt *rt = &s->rt;
	struct xsnd_position saved = rt->position;

	if (!xsnd_position_update(&rt->position, pos))
		return;
	/* on a full event page we try again next cycle; no id is lost */
	if (!send_position(s, rt->position.reported, delay, now))
		rt->position = saved;
}

/* A graph cycle ran the node: the own clock rests (see the tick below). */
static void graph_cycle(struct xsnd_stream *s, int64_t now)
{
	struct xsnd_stream_rt *rt = &s->rt;
	struct spa_io_position *p = s->io_position;

	xsnd_clock_reset(&rt->clock, now);
	rt->cycle_at_ns = now;
	if (p != NULL && p->clock.rate.denom != 0)
		rt->cycle_ns = (int64_t)(p->clock.duration * SPA_NSEC_PER_SEC *
				p->clock.rate.num / p->clock.rate.denom);
}

/* The wait for links is over: what the guest tolerates has passed since
 * START (checked here, not only by the main loop's timer, which can be late
 * on a busy host, and the guest's deadline is not). */
static bool links_due(struct xsnd_stream_rt *rt, int64_t now)
{
	return rt->running && !rt->linked && rt->link_wait_ns != 0 &&
		now - rt->run_ns >= rt->link_wait_ns;
}

/* How long the graph may leave a running stream alone before its own
 * clock moves the pointer. */
static int64_t clock_after(struct xsnd_stream *s)
{
	return SPA_MAX(s->clock_after_ns, 3 * s->rt.cycle_ns);
}

/* Moves up to n_frames between the guest buffer and `audio`, in at most two
 * pieces (the guest buffer is a ring). Returns frames moved. */
static uint32_t guest_copy(struct xsnd_stream *s, float *audio, uint32_t n_frames, bool to_guest)
{
	struct xsnd_stream_rt *rt = &s->rt;
	uint32_t fs = s->params.frame_size, ch = s->params.channels;
	uint32_t bsz = s->params.buffer_sz, done = 0;

	while (done < n_frames) {
		uint32_t off = (uint32_t)(rt->pos % bsz);
		uint32_t n = SPA_MIN(n_frames - done, (bsz - off) / fs);
		if (n == 0)
			break;
		if (to_guest)
			s->conv->from_f32(s->buffer + off, audio + done * ch, n * ch);
		else
			s->conv->to_f32(audio + done * ch, s->buffer + off, n * ch);
		done += n;
		__atomic_store_n(&rt->pos, rt->pos + (uint64_t)n * fs, __ATOMIC_RELEASE);
	}
	return done;
}

void xsnd_stream_playback_process(void *data)
{
	struct xsnd_stream *s = data;
	struct xsnd_stream_rt *rt = &s->rt;
	uint32_t fs = s->params.frame_size, stride = s->params.channels * sizeof(float);
	uint64_t valid = __atomic_load_n(&rt->valid, __ATOMIC_ACQUIRE);
	struct pw_time t = { 0 };
	struct pw_buffer *b;
	struct spa_data *d;
	uint32_t n, done = 0, run;
	int64_t now = now_ns();

	if ((b = pw_stream_dequeue_buffer(rt->pw)) == NULL)
		return;
	d = &b->buffer->datas[0];
	n = d->maxsize / stride;
	if (b->requested)
		n = SPA_MIN(n, (uint32_t)b->requested);
	graph_cycle(s, now);
	if (links_due(rt, now))
		rt->linked = true;	/* the graph runs us: play, linked or not */
	pw_stream_get_time_n(rt->pw, &t, sizeof(t));
	if (s->io_position && s->io_position->clock.position == rt->last_cycle && rt->cycles)
		rt->repeats++;
	if (s->io_position)
		rt->last_cycle = s->io_position->clock.position;
	rt->cycles++;

	/* the pointer waits for the links, so that the first frames are heard */
	if (rt->running && rt->linked) {
		uint64_t avail = valid > rt->pos ? (valid - rt->pos) / fs : 0;
		xsnd_history_push(&rt->history, t.now, rt->pos / fs);
		done = guest_copy(s, d->data, (uint32_t)SPA_MIN((uint64_t)n, avail), false);
		if (!rt->unity)
			xsnd_pcm_apply_gain(d->data, done, s->params.channels, rt->gain);
		if (done < n)
			rt->xruns++;
		/* out of data for a period: the DMA pointer runs on (position.h) */
		run = xsnd_position_starve(&rt->position, n, done);
		if (run)
			__atomic_store_n(&rt->pos, rt->pos + (uint64_t)run * fs, __ATOMIC_RELEASE);
	}
	/* underrun (or stopped): silence, and the position stays put */
	memset(SPA_PTROFF(d->data, done * stride, void), 0, (n - done) * stride);

	d->chunk->offset = 0;
	d->chunk->stride = stride;
	d->chunk->size = n * stride;
	b->size = n;
	pw_stream_queue_buffer(rt->pw, b);

	if (rt->running) {
		uint64_t taken = rt->pos / fs;
		uint64_t heard = SPA_MIN(taken, xsnd_history_at(&rt->history,
					now - path_delay_ns(s, &t), s->params.rate));
		/* with the extension the guest gets the delay instead of a lag */
		report_position(s, s->card->delay_ext ? taken : heard,
				(int64_t)(taken - heard), now);
	}
}

/* Silence into the guest's buffer: a capture the graph does not feed. */
static void guest_silence(struct xsnd_stream *s, uint32_t n_frames)
{
	static const float zero[1024];
	uint32_t chunk = SPA_N_ELEMENTS(zero) / s->params.channels;

	while (n_frames > 0) {
		uint32_t n = SPA_MIN(n_frames, chunk);
		/* from_f32 only reads `zero` */
		guest_copy(s, (float *)zero, n, true);
		n_frames -= n;
	}
}

/* Capture: tells the guest the new position and wakes a READ it answers. */
static void capture_moved(struct xsnd_stream *s, int64_t delay, int64_t now)
{
	struct xsnd_stream_rt *rt = &s->rt;
	uint64_t wait;

	report_position(s, rt->pos / s->params.frame_size, delay, now);
	wait = __atomic_load_n(&rt->read_wait, __ATOMIC_ACQUIRE);
	if (wait != 0 && rt->pos >= wait) {
		__atomic_store_n(&rt->read_wait, 0, __ATOMIC_RELEASE);
		/* the stream's own event source: it dies with the stream, so no
		 * call can reach a freed stream */
		pw_loop_signal_event(s->card->impl->main_loop, s->kick);
	}
}

void xsnd_stream_capture_process(void *data)
{
	struct xsnd_stream *s = data;
	struct xsnd_stream_rt *rt = &s->rt;
	uint32_t stride = s->params.channels * sizeof(float);
	struct pw_time t = { 0 };
	struct pw_buffer *b;
	struct spa_data *d;
	uint32_t offs, size, n;
	int64_t now = now_ns();

	if ((b = pw_stream_dequeue_buffer(rt->pw)) == NULL)
		return;
	d = &b->buffer->datas[0];
	offs = SPA_MIN(d->chunk->offset, d->maxsize);
	size = SPA_MIN(d->chunk->size, d->maxsize - offs);
	n = size / stride;
	graph_cycle(s, now);
	if (links_due(rt, now))
		rt->linked = true;
	pw_stream_get_time_n(rt->pw, &t, sizeof(t));

	rt->cycles++;
	/* the pointer waits for the links, so that the first frames are real */
	if (rt->running && rt->linked) {
		float *audio = SPA_PTROFF(d->data, offs, float);
		if (n == 0) {
			/* The source gave nothing (it failed, or the wait for links
			 * ran out):
			 * the guest still hears silence at the graph's pace, as a
			 * sound card's clock runs without a microphone. */
			n = SPA_MIN(quantum_frames(s), d->maxsize / stride);
			audio = d->data;
			memset(audio, 0, n * stride);
			rt->empty++;
		} else if (!rt->unity) {
			xsnd_pcm_apply_gain(audio, n, s->params.channels, rt->gain);
		}
		guest_copy(s, audio, n, true);
	}
	pw_stream_queue_buffer(rt->pw, b);

	if (!rt->running)
		return;
	/* the newest frame left the source one path delay before this cycle */
	capture_moved(s, (path_delay_ns(s, &t) + (now - t.now)) * (int64_t)s->params.rate /
			(int64_t)SPA_NSEC_PER_SEC, now);
}

/* The wait for links ran out (data thread: the tick, or the main loop's
 * timer through an invoke): play unheard. */
void xsnd_stream_links_late(struct xsnd_stream *s, int64_t now)
{
	struct xsnd_stream_rt *rt = &s->rt;

	rt->linked = true;
	/* Not run by the graph: the clock runs from the end of the wait, not
	 * from the tick that noticed it (up to a tick later: for an 85 ms
	 * buffer that tick was the margin its first period had). The wait
	 * left the guest a period and a margin for its first period
	 * (xsnd_link_wait_ms); the time the pointer was held is not skipped,
	 * so a link that comes a little later loses only what came after the
	 * wait. */
	if (now - rt->cycle_at_ns >= clock_after(s))
		xsnd_clock_idle(&rt->clock, SPA_MIN(now, rt->run_ns + rt->link_wait_ns));
	else
		xsnd_clock_reset(&rt->clock, now);
}

/* Timer tick, data thread, for every open stream: while the graph runs
 * the node this does nothing; once it has not for clock_after() (at least
 * three of its cycles), the pointer moves at the stream's rate, as a sound
 * card's would with nothing connected: playback is not heard, capture
 * records silence. */
void xsnd_stream_clock_tick(struct xsnd_stream *s, int64_t now)
{
	struct xsnd_stream_rt *rt = &s->rt;
	uint32_t fs = s->params.frame_size;
	uint32_t n;

	if (links_due(rt, now))
		xsnd_stream_links_late(s, now);
	if (!rt->running || !rt->linked) {
		xsnd_clock_reset(&rt->clock, now);	/* nothing owed while stopped */
		return;
	}
	/* Capture, a graph too slow for the guest's first period after START
	 * (the links came late and the graph is only starting up): what the
	 * period lacks is silence, once, rather than an ALSA timeout. Not for
	 * playback, where it would skip the guest's first frames. */
	if (s->cfg->type == XSND_STREAM_CAPTURE && rt->pos - rt->run_pos <= s->params.period_sz &&
	    now - rt->run_ns >= rt->first_period_ns) {
		n = (uint32_t)((s->params.period_sz - (rt->pos - rt->run_pos)) / fs) + 1;
		rt->clock_frames += n;
		guest_silence(s, n);
		capture_moved(s, 0, now);
	}
	n = xsnd_clock_owed(&rt->clock, now, clock_after(s), s->params.rate, s->params.buffer_sz / fs);
	if (n == 0)
		return;
	rt->clock_frames += n;
	if (s->cfg->type == XSND_STREAM_PLAYBACK) {
		__atomic_store_n(&rt->pos, rt->pos + (uint64_t)n * fs, __ATOMIC_RELEASE);
		report_position(s, rt->pos / fs, 0, now);
	} else {
		guest_silence(s, n);
		capture_moved(s, 0, now);
	}
}
