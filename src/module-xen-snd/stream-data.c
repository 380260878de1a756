/* SPDX-License-Identifier: MIT */
/*
 * The data plane: process callbacks on the real-time data thread.
 *
 * Playback converts straight from the guest's mapped buffer into the
 * graph's buffer; capture converts from the graph's buffer straight into the
 * guest's. Either way the stream position (bytes since OPEN) advances by
 * what was really moved, never past what the guest wrote, and goes to the
 * guest as a CUR_POS event every cycle in which it changed.
 *
 * Nothing here blocks, allocates, logs or touches xenstore or grant maps.
 */
#include <string.h>

#include "xen-snd.h"

static int do_read_ready(struct spa_loop *loop, bool async, uint32_t seq,
		const void *data, size_t size, void *user_data)
{
	xsnd_stream_read_ready(user_data);
	return 0;
}

static void report_position(struct xsnd_stream *s, uint64_t end_bytes)
{
	struct xsnd_stream_rt *rt = &s->rt;
	uint32_t fs = s->params.frame_size;
	struct xsnd_position saved = rt->position;

	if (!xsnd_position_update(&rt->position, rt->pos / fs,
				end_bytes == UINT64_MAX ? UINT64_MAX : end_bytes / fs))
		return;
	/* on a full event page we try again next cycle; no id is lost */
	if (xsnd_event_put_cur_pos(&s->evt, rt->position.reported * fs) == 0)
		xsnd_xen_evtchn_notify(s->card->impl->xen, (uint32_t)s->evt_port);
	else
		rt->position = saved;
}

/* Moves up to n_frames between the guest buffer and dst/src, in at most two
 * pieces (the guest buffer is a ring). Returns frames moved. */
static uint32_t guest_copy(struct xsnd_stream *s, float *audio, uint32_t n_frames, bool to_guest)
{
	struct xsnd_stream_rt *rt = &s->rt;
	uint32_t fs = s->params.frame_size, ch = s->params.channels;
	uint32_t bsz = s->params.buffer_sz, done = 0;

	while (done < n_frames) {
		uint32_t off = (uint32_t)((rt->pos + rt->shift) % bsz);
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
	uint32_t stride = s->params.channels * sizeof(float);
	struct pw_buffer *b;
	struct spa_data *d;
	uint32_t n, done = 0;
	uint64_t valid = __atomic_load_n(&rt->valid, __ATOMIC_ACQUIRE);

	if ((b = pw_stream_dequeue_buffer(s->pw)) == NULL)
		return;
	d = &b->buffer->datas[0];
	n = d->maxsize / stride;
	if (b->requested)
		n = SPA_MIN(n, (uint32_t)b->requested);

	if (rt->running) {
		uint64_t avail = valid > rt->pos ? (valid - rt->pos) / s->params.frame_size : 0;
		done = guest_copy(s, d->data, (uint32_t)SPA_MIN((uint64_t)n, avail), false);
		if (!rt->unity)
			xsnd_pcm_apply_gain(d->data, done, s->params.channels, rt->gain);
		if (done < n)
			rt->xruns++;
	}
	/* underrun (or stopped): silence, and the position stays put */
	memset(SPA_PTROFF(d->data, done * stride, void), 0, (n - done) * stride);

	d->chunk->offset = 0;
	d->chunk->stride = stride;
	d->chunk->size = n * stride;
	b->size = n;
	pw_stream_queue_buffer(s->pw, b);

	if (rt->running)
		report_position(s, valid);
}

void xsnd_stream_capture_process(void *data)
{
	struct xsnd_stream *s = data;
	struct xsnd_stream_rt *rt = &s->rt;
	uint32_t stride = s->params.channels * sizeof(float);
	struct pw_buffer *b;
	struct spa_data *d;
	uint32_t offs, size, n;
	uint64_t wait;

	if ((b = pw_stream_dequeue_buffer(s->pw)) == NULL)
		return;
	d = &b->buffer->datas[0];
	offs = SPA_MIN(d->chunk->offset, d->maxsize);
	size = SPA_MIN(d->chunk->size, d->maxsize - offs);
	n = size / stride;

	if (rt->running && n > 0) {
		float *audio = SPA_PTROFF(d->data, offs, float);
		if (!rt->unity)
			xsnd_pcm_apply_gain(audio, n, s->params.channels, rt->gain);
		guest_copy(s, audio, n, true);
	}
	pw_stream_queue_buffer(s->pw, b);

	if (!rt->running)
		return;
	report_position(s, UINT64_MAX);
	wait = __atomic_load_n(&rt->read_wait, __ATOMIC_ACQUIRE);
	if (wait != 0 && rt->pos >= wait) {
		__atomic_store_n(&rt->read_wait, 0, __ATOMIC_RELEASE);
		pw_loop_invoke(s->card->impl->main_loop, do_read_ready, 0, NULL, 0, false, s);
	}
}
