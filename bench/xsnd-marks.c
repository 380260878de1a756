/* SPDX-License-Identifier: MIT */
/*
 * xsnd-marks: the host end of the delay measurement, timed by the graph.
 *
 *   xsnd-marks --monitor NODE [--out FILE] [--duration S]
 *     records the monitor of sink NODE and writes one line per marker
 *     (rising edge through --threshold on channel 0): the time it was
 *     rendered at the sink.
 *   xsnd-marks --inject NAME [--every MS] [--out FILE] [--duration S]
 *     is an Audio/Source node NAME that emits a 1 ms pulse every MS ms and
 *     writes the time each pulse edge was "captured".
 *
 * Times are CLOCK_MONOTONIC ns, from pw_stream_get_time_n() of the cycle
 * that carries the frame. The sink is the driver and runs last in its
 * cycle, so its monitor ports reach us one cycle after it consumed the
 * data: frame k of the buffer we get in the cycle after the one that
 * started at `prev` was rendered at prev - delay + k (PipeWire says a
 * stream on the null sink has delay 0, i.e. the sink renders from the start
 * of the cycle that consumed the data; `--inject` into the sink checks
 * this). For the injector, frame k of a quantum of q frames counts as
 * captured at now - (q - k), as a sound card's source delivers at each
 * cycle the quantum it recorded during the previous one.
 * Output lines: `edge,TIME_NS,FRAME,DELAY_FRAMES,PLAY_NS`, PLAY_NS (inject
 * only) being when PipeWire says the frame is rendered at a sink it feeds:
 * now + delay + k.
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

#define RATE		48000u
#define CHANNELS	2u
#define MAX_EDGES	200000u

struct edge {
	int64_t time;
	uint64_t frame;
	int64_t delay;
	int64_t play;
};

struct marks {
	struct pw_main_loop *loop;
	struct pw_stream *stream;
	struct spa_hook listener;
	bool inject;
	float threshold, amp, prev;
	uint32_t every;			/* frames between injected pulses */
	uint64_t frames;		/* frames seen or produced */
	uint32_t n_edges, lost;
	struct edge *edges;
	uint64_t cycles, no_time;
	int64_t prev_now;
};

static void add_edge(struct marks *m, int64_t t, uint64_t frame, int64_t delay, int64_t play)
{
	if (m->n_edges >= MAX_EDGES) {
		m->lost++;
		return;
	}
	m->edges[m->n_edges++] = (struct edge){ t, frame, delay, play };
}

static int64_t frames_ns(int64_t frames)
{
	return frames * 1000000000 / (int64_t)RATE;
}

static void on_process(void *data)
{
	struct marks *m = data;
	struct pw_time t;
	struct pw_buffer *b;
	struct spa_data *d;
	uint32_t n;
	float *s;

	if ((b = pw_stream_dequeue_buffer(m->stream)) == NULL)
		return;
	d = &b->buffer->datas[0];
	if (pw_stream_get_time_n(m->stream, &t, sizeof(t)) < 0 || t.now == 0)
		m->no_time++;
	m->cycles++;
	if ((s = d->data) == NULL)
		goto done;
	if (m->inject) {
		n = d->maxsize / (sizeof(float) * CHANNELS);
		if (b->requested && b->requested < n)
			n = (uint32_t)b->requested;
		for (uint32_t k = 0; k < n; k++) {
			uint64_t ph = (m->frames + k) % m->every;
			float x = ph >= m->every / 2 && ph < m->every / 2 + RATE / 1000 ? m->amp : 0.0f;

			if (ph == m->every / 2 && t.now != 0)
				add_edge(m, t.now - frames_ns((int64_t)n - (int64_t)k), m->frames + k, t.delay,
						t.now + frames_ns(t.delay + (int64_t)k));
			for (uint32_t c = 0; c < CHANNELS; c++)
				s[k * CHANNELS + c] = x;
		}
		d->chunk->offset = 0;
		d->chunk->stride = sizeof(float) * CHANNELS;
		d->chunk->size = n * sizeof(float) * CHANNELS;
	} else {
		n = SPA_MIN(d->chunk->size, d->maxsize) / (sizeof(float) * CHANNELS);
		s = SPA_PTROFF(s, SPA_MIN(d->chunk->offset, d->maxsize), float);
		if (d->chunk->offset + (uint64_t)n * sizeof(float) * CHANNELS > d->maxsize)
			n = 0;
		for (uint32_t k = 0; k < n; k++) {
			float x = s[k * CHANNELS];

			if (x >= m->threshold && m->prev < m->threshold && m->prev_now != 0)
				add_edge(m, m->prev_now + frames_ns((int64_t)k - t.delay), m->frames + k,
						t.delay, 0);
			m->prev = x;
		}
	}
	m->frames += n;
	m->prev_now = t.now;
done:
	pw_stream_queue_buffer(m->stream, b);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.process = on_process,
};

static void do_quit(void *data, int signal_number)
{
	pw_main_loop_quit(((struct marks *)data)->loop);
}

static void on_timeout(void *data, uint64_t expirations)
{
	pw_main_loop_quit(((struct marks *)data)->loop);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "monitor", required_argument, NULL, 'm' },
		{ "inject", required_argument, NULL, 'i' },
		{ "every", required_argument, NULL, 'e' },
		{ "threshold", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct marks m = { .threshold = 0.25f, .amp = 0.5f, .every = RATE / 10 };
	const char *target = NULL, *out = NULL;
	double duration = 0;
	uint8_t pod_buf[1024];
	struct spa_pod_builder pb = SPA_POD_BUILDER_INIT(pod_buf, sizeof(pod_buf));
	const struct spa_pod *params[1];
	struct pw_properties *props;
	FILE *f = stdout;
	int c, res;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': target = optarg; m.inject = false; break;
		case 'i': target = optarg; m.inject = true; break;
		case 'e': m.every = (uint32_t)(atof(optarg) * RATE / 1000); break;
		case 't': m.threshold = (float)atof(optarg); break;
		case 'o': out = optarg; break;
		case 'd': duration = atof(optarg); break;
		default: return 2;
		}
	}
	if (target == NULL || m.every < 4 * RATE / 1000) {
		fprintf(stderr, "usage: xsnd-marks --monitor SINK | --inject NAME [--every MS] "
				"[--threshold X] [--out FILE] [--duration S]\n");
		return 2;
	}
	if ((m.edges = calloc(MAX_EDGES, sizeof(*m.edges))) == NULL)
		return 1;
	pw_init(&argc, &argv);
	m.loop = pw_main_loop_new(NULL);
	pw_loop_add_signal(pw_main_loop_get_loop(m.loop), SIGINT, do_quit, &m);
	pw_loop_add_signal(pw_main_loop_get_loop(m.loop), SIGTERM, do_quit, &m);
	if (duration > 0) {
		struct spa_source *tm = pw_loop_add_timer(pw_main_loop_get_loop(m.loop), on_timeout, &m);
		struct timespec ts = { (time_t)duration, (long)((duration - (time_t)duration) * 1e9) };
		pw_loop_update_timer(pw_main_loop_get_loop(m.loop), tm, &ts, NULL, false);
	}

	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY,
			m.inject ? "Playback" : "Capture", PW_KEY_MEDIA_ROLE, "Production", NULL);
	if (m.inject) {
		pw_properties_set(props, PW_KEY_NODE_NAME, target);
		pw_properties_set(props, PW_KEY_MEDIA_CLASS, "Audio/Source");
	} else {
		pw_properties_set(props, PW_KEY_NODE_NAME, "xsnd-bench-monitor");
		pw_properties_set(props, PW_KEY_TARGET_OBJECT, target);
		pw_properties_set(props, PW_KEY_STREAM_CAPTURE_SINK, "true");
	}
	m.stream = pw_stream_new_simple(pw_main_loop_get_loop(m.loop), "xsnd-marks", props,
			&stream_events, &m);
	params[0] = spa_format_audio_raw_build(&pb, SPA_PARAM_EnumFormat,
			&SPA_AUDIO_INFO_RAW_INIT(.format = SPA_AUDIO_FORMAT_F32, .rate = RATE,
				.channels = CHANNELS, .position = { SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR }));
	res = pw_stream_connect(m.stream, m.inject ? PW_DIRECTION_OUTPUT : PW_DIRECTION_INPUT, PW_ID_ANY,
			PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_RT_PROCESS,
			params, 1);
	if (res < 0) {
		fprintf(stderr, "xsnd-marks: connect: %s\n", spa_strerror(res));
		return 1;
	}
	pw_main_loop_run(m.loop);
	pw_stream_disconnect(m.stream);

	if (out != NULL && (f = fopen(out, "w")) == NULL) {
		fprintf(stderr, "xsnd-marks: %s: %s\n", out, strerror(errno));
		return 1;
	}
	for (uint32_t i = 0; i < m.n_edges; i++)
		fprintf(f, "edge,%lld,%llu,%lld,%lld\n", (long long)m.edges[i].time,
				(unsigned long long)m.edges[i].frame, (long long)m.edges[i].delay,
				(long long)m.edges[i].play);
	if (f != stdout)
		fclose(f);
	fprintf(stderr, "xsnd-marks: %llu cycles, %llu frames, %u edges (%u lost), %llu cycles without time\n",
			(unsigned long long)m.cycles, (unsigned long long)m.frames, m.n_edges, m.lost,
			(unsigned long long)m.no_time);
	pw_stream_destroy(m.stream);
	pw_main_loop_destroy(m.loop);
	free(m.edges);
	pw_deinit();
	return 0;
}
