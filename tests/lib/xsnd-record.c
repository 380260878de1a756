/* SPDX-License-Identifier: MIT */
/*
 * xsnd-record: records a sink's monitor for the sample-exact tests, and
 * says where the recorder itself lost audio.
 *
 *   xsnd-record --target SINK --out FILE.wav [--gaps FILE] [--seconds MAX]
 *
 * A recorder is a client of the graph like any other: when it is woken too
 * late for a cycle, that cycle's buffer is gone before it looks, and the
 * recording has a hole that the node under test did not cause. Each cycle's
 * clock position (pw_time.ticks) tells: if it moved on by more than the
 * frames we got last cycle, we missed the difference. Every such hole goes
 * to the gaps file as `gap FRAME MISSING` (FRAME = frames recorded before
 * it), so a check can tell a hole of ours from a hole in the audio: across
 * ours, a counter pattern advances by exactly MISSING. A change of the
 * cycle's size is noted as `quantum FRAME FRAMES`, for the reader.
 *
 * S16 stereo at --rate (the graph's rate, 48000 by default). The process
 * callback only copies into memory touched before the stream starts; the
 * files are written after SIGINT/SIGTERM, or, with --raw, the audio goes to
 * FILE as headerless S16 while it is recorded (the main loop appends what
 * the data thread published every 50 ms), so that its size can mark times.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/param/audio/format-utils.h>
#include <spa/utils/result.h>
#include <pipewire/pipewire.h>

#define CHANNELS	2u
#define FRAME_BYTES	(CHANNELS * 2u)
#define MAX_GAPS	4096u

struct gap {
	uint64_t frame;
	int64_t missing;	/* frames; < 0: the clock went back; 0: a new quantum */
	uint32_t quantum;
};

struct rec {
	struct pw_main_loop *loop;
	struct pw_stream *stream;
	uint32_t rate;
	uint8_t *data;
	uint64_t frames, max_frames;
	bool have_prev;
	uint64_t prev_ticks, prev_frames, overflow;
	struct gap gaps[MAX_GAPS];
	FILE *stream_out;		/* --raw: appended while recording */
	uint64_t flushed;		/* frames already appended */
	uint32_t n_gaps, lost_gaps;
	uint64_t cycles;
};

static void on_process(void *userdata)
{
	struct rec *r = userdata;
	struct pw_time t = { 0 };
	struct pw_buffer *b;
	struct spa_data *d;
	uint32_t offs, n;

	if ((b = pw_stream_dequeue_buffer(r->stream)) == NULL)
		return;
	d = &b->buffer->datas[0];
	pw_stream_get_time_n(r->stream, &t, sizeof(t));
	offs = SPA_MIN(d->chunk->offset, d->maxsize);
	n = SPA_MIN(d->chunk->size, d->maxsize - offs) / FRAME_BYTES;
	r->cycles++;

	if (r->have_prev && t.rate.denom != 0) {
		/* ticks count the driver's frames, at its rate */
		uint64_t dt = t.ticks - r->prev_ticks;
		int64_t expect = (int64_t)(dt * r->rate * t.rate.num / t.rate.denom);
		int64_t missing = expect - (int64_t)r->prev_frames;
		if (missing != 0 || n != r->prev_frames) {
			if (r->n_gaps < MAX_GAPS)
				r->gaps[r->n_gaps++] = (struct gap){ r->frames, missing, n };
			else
				r->lost_gaps++;
		}
	}
	r->have_prev = true;
	r->prev_ticks = t.ticks;
	r->prev_frames = n;

	if (d->data != NULL && n > 0) {
		uint64_t room = r->max_frames - r->frames;
		uint32_t k = (uint32_t)SPA_MIN((uint64_t)n, room);
		memcpy(r->data + r->frames * FRAME_BYTES, SPA_PTROFF(d->data, offs, void),
				(size_t)k * FRAME_BYTES);
		__atomic_store_n(&r->frames, r->frames + k, __ATOMIC_RELEASE);
		r->overflow += n - k;
	}
	pw_stream_queue_buffer(r->stream, b);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.process = on_process,
};

/* Main loop, --raw: appends what the data thread has published. */
static void flush_raw(struct rec *r)
{
	uint64_t end = __atomic_load_n(&r->frames, __ATOMIC_ACQUIRE);

	if (end > r->flushed) {
		fwrite(r->data + r->flushed * FRAME_BYTES, FRAME_BYTES, end - r->flushed, r->stream_out);
		fflush(r->stream_out);
		r->flushed = end;
	}
}

static void on_flush(void *data, uint64_t expirations)
{
	flush_raw(data);
}

static void do_quit(void *data, int signal_number)
{
	pw_main_loop_quit(((struct rec *)data)->loop);
}

static void put_le(uint8_t *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int write_wav(const struct rec *r, const char *path)
{
	uint8_t h[44];
	uint32_t bytes = (uint32_t)SPA_MIN(r->frames * FRAME_BYTES, (uint64_t)UINT32_MAX - 36);
	FILE *f;

	memcpy(h, "RIFF", 4);
	put_le(h + 4, 36 + bytes, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le(h + 16, 16, 4);
	put_le(h + 20, 1, 2);			/* PCM */
	put_le(h + 22, CHANNELS, 2);
	put_le(h + 24, r->rate, 4);
	put_le(h + 28, r->rate * FRAME_BYTES, 4);
	put_le(h + 32, FRAME_BYTES, 2);
	put_le(h + 34, 16, 2);
	memcpy(h + 36, "data", 4);
	put_le(h + 40, bytes, 4);
	if ((f = fopen(path, "wb")) == NULL)
		return -errno;
	if (fwrite(h, 1, sizeof(h), f) != sizeof(h) || fwrite(r->data, 1, bytes, f) != bytes) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) == 0 ? 0 : -errno;
}

static int write_gaps(const struct rec *r, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	for (uint32_t i = 0; i < r->n_gaps; i++) {
		if (r->gaps[i].missing != 0)
			fprintf(f, "gap %llu %lld\n", (unsigned long long)r->gaps[i].frame,
					(long long)r->gaps[i].missing);
		else
			fprintf(f, "quantum %llu %u\n", (unsigned long long)r->gaps[i].frame,
					r->gaps[i].quantum);
	}
	if (r->lost_gaps)
		fprintf(f, "untracked %u\n", r->lost_gaps);
	return fclose(f) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "gaps", required_argument, NULL, 'g' },
		{ "seconds", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "node-name", required_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	static struct rec r;	/* large: the gap table */
	const char *target = NULL, *out = NULL, *gaps = NULL, *name = "xen-test-recorder";
	double seconds = 300;
	uint8_t pod_buf[1024];
	struct spa_pod_builder pb = SPA_POD_BUILDER_INIT(pod_buf, sizeof(pod_buf));
	const struct spa_pod *params[1];
	struct pw_properties *props;
	int c, res, rc = 0;
	bool raw = false;

	r.rate = 48000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 'o': out = optarg; break;
		case 'g': gaps = optarg; break;
		case 's': seconds = atof(optarg); break;
		case 'r': r.rate = (uint32_t)atoi(optarg); break;
		case 'n': name = optarg; break;
		case 'R': raw = true; break;
		default: return 2;
		}
	}
	if (target == NULL || out == NULL || seconds <= 0 || seconds > 3600 ||
	    r.rate < 8000 || r.rate > 384000) {
		fprintf(stderr, "usage: xsnd-record --target SINK --out FILE.wav [--gaps FILE] "
				"[--seconds MAX (<= 3600)] [--rate HZ] [--node-name NAME] [--raw]\n");
		return 2;
	}
	r.max_frames = (uint64_t)(seconds * r.rate);
	/* touched now, so that the process callback never faults a page in */
	if ((r.data = malloc(r.max_frames * FRAME_BYTES)) == NULL)
		return 1;
	memset(r.data, 0, r.max_frames * FRAME_BYTES);

	if (raw && (r.stream_out = fopen(out, "wb")) == NULL) {
		fprintf(stderr, "xsnd-record: %s: %s\n", out, strerror(errno));
		return 1;
	}
	pw_init(&argc, &argv);
	r.loop = pw_main_loop_new(NULL);
	if (raw) {
		struct spa_source *t = pw_loop_add_timer(pw_main_loop_get_loop(r.loop), on_flush, &r);
		struct timespec ival = { 0, 50 * 1000 * 1000 };
		pw_loop_update_timer(pw_main_loop_get_loop(r.loop), t, &ival, &ival, false);
	}
	pw_loop_add_signal(pw_main_loop_get_loop(r.loop), SIGINT, do_quit, &r);
	pw_loop_add_signal(pw_main_loop_get_loop(r.loop), SIGTERM, do_quit, &r);

	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY, "Capture",
			PW_KEY_MEDIA_ROLE, "XenTestRecorder", PW_KEY_NODE_NAME, name,
			PW_KEY_TARGET_OBJECT, target, PW_KEY_STREAM_CAPTURE_SINK, "true", NULL);
	r.stream = pw_stream_new_simple(pw_main_loop_get_loop(r.loop), "xsnd-record", props,
			&stream_events, &r);
	params[0] = spa_format_audio_raw_build(&pb, SPA_PARAM_EnumFormat,
			&SPA_AUDIO_INFO_RAW_INIT(.format = SPA_AUDIO_FORMAT_S16, .rate = r.rate,
				.channels = CHANNELS, .position = { SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR }));
	res = pw_stream_connect(r.stream, PW_DIRECTION_INPUT, PW_ID_ANY,
			PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_RT_PROCESS,
			params, 1);
	if (res < 0) {
		fprintf(stderr, "xsnd-record: connect: %s\n", spa_strerror(res));
		return 1;
	}
	pw_main_loop_run(r.loop);
	pw_stream_disconnect(r.stream);

	if (raw) {
		flush_raw(&r);
		if (fclose(r.stream_out) != 0)
			rc = 1;
	} else if ((res = write_wav(&r, out)) < 0) {
		fprintf(stderr, "xsnd-record: %s: %s\n", out, spa_strerror(res));
		rc = 1;
	}
	if (gaps != NULL && (res = write_gaps(&r, gaps)) < 0) {
		fprintf(stderr, "xsnd-record: %s: %s\n", gaps, spa_strerror(res));
		rc = 1;
	}
	fprintf(stderr, "xsnd-record: %llu cycles, %llu frames, %u clock gaps%s\n",
			(unsigned long long)r.cycles, (unsigned long long)r.frames, r.n_gaps,
			r.overflow ? " (hit --seconds: the end is cut)" : "");
	pw_stream_destroy(r.stream);
	pw_main_loop_destroy(r.loop);
	free(r.data);
	pw_deinit();
	return rc;
}
