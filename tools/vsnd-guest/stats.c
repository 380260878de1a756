/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static const char *const op_names[VG_N_OPS] = {
	"open", "close", "read", "write", "set_volume", "get_volume",
	"mute", "unmute", "trigger", "hw_param_query",
};

const char *vg_op_name(uint32_t op)
{
	return op < VG_N_OPS ? op_names[op] : "unknown";
}

void vg_stats_record(struct vg_stream_stats *s, uint32_t op, int status, uint64_t us)
{
	struct vg_op_stats *o;

	if (op >= VG_N_OPS)
		return;
	o = &s->ops[op];
	o->count++;
	if (status == -ETIMEDOUT)
		o->timeouts++;
	else if (status != 0)
		o->errors++;
	if (status == -ETIMEDOUT)
		return;
	if (o->n_samples == o->cap && o->cap < VG_MAX_SAMPLES) {
		uint32_t cap = o->cap ? o->cap * 2 : 256;
		uint32_t *n = realloc(o->us, cap * sizeof(*n));
		if (n == NULL)
			return;
		o->us = n;
		o->cap = cap;
	}
	if (o->n_samples < o->cap)
		o->us[o->n_samples++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

void vg_stats_free(struct vg_stream_stats *s)
{
	for (uint32_t i = 0; i < VG_N_OPS; i++) {
		free(s->ops[i].us);
		s->ops[i].us = NULL;
		s->ops[i].n_samples = s->ops[i].cap = 0;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

uint32_t vg_stats_percentile(const struct vg_op_stats *o, double pct)
{
	uint32_t *tmp, v, idx;

	if (o->n_samples == 0)
		return 0;
	tmp = malloc(o->n_samples * sizeof(*tmp));
	if (tmp == NULL)
		return 0;
	memcpy(tmp, o->us, o->n_samples * sizeof(*tmp));
	qsort(tmp, o->n_samples, sizeof(*tmp), cmp_u32);
	/* nearest-rank */
	idx = (uint32_t)((pct / 100.0) * o->n_samples + 0.999999);
	if (idx == 0)
		idx = 1;
	if (idx > o->n_samples)
		idx = o->n_samples;
	v = tmp[idx - 1];
	free(tmp);
	return v;
}

void vg_stats_print_table(FILE *f, struct vg_stream_stats *const *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct vg_stream_stats *st = s[i];

		fprintf(f, "stream %s (%s): %s\n", st->name, st->playback ? "playback" : "capture",
				st->result[0] ? st->result : "not run");
		fprintf(f, "  cur_pos events %llu, last position %llu, id errors %llu, "
				"period wakeups %llu, xruns %llu, %s %llu bytes\n",
				(unsigned long long)st->cur_pos_events,
				(unsigned long long)st->last_position,
				(unsigned long long)st->id_errors,
				(unsigned long long)st->period_elapsed,
				(unsigned long long)st->xruns,
				st->playback ? "played" : "recorded",
				(unsigned long long)st->bytes);
		fprintf(f, "  %-15s %8s %6s %8s %8s %8s %8s\n", "operation", "count", "errors",
				"timeouts", "p50 us", "p99 us", "max us");
		for (uint32_t op = 0; op < VG_N_OPS; op++) {
			const struct vg_op_stats *o = &st->ops[op];
			if (o->count == 0)
				continue;
			fprintf(f, "  %-15s %8llu %6llu %8llu %8u %8u %8u\n", vg_op_name(op),
					(unsigned long long)o->count, (unsigned long long)o->errors,
					(unsigned long long)o->timeouts,
					vg_stats_percentile(o, 50), vg_stats_percentile(o, 99),
					vg_stats_percentile(o, 100));
		}
	}
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int vg_stats_write_json(const char *path, struct vg_stream_stats *const *s, uint32_t n, bool ok)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	fprintf(f, "{\n  \"ok\": %s,\n  \"streams\": [", ok ? "true" : "false");
	for (uint32_t i = 0; i < n; i++) {
		const struct vg_stream_stats *st = s[i];
		bool first = true;

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_string(f, st->name);
		fprintf(f, ", \"type\": \"%s\", \"ok\": %s, \"result\": ",
				st->playback ? "playback" : "capture", st->ok ? "true" : "false");
		json_string(f, st->result);
		fprintf(f, ",\n     \"cur_pos_events\": %llu, \"last_position\": %llu, "
				"\"id_errors\": %llu, \"period_elapsed\": %llu, \"xruns\": %llu, "
				"\"bytes\": %llu, \"frames\": %llu,\n     \"ops\": {",
				(unsigned long long)st->cur_pos_events,
				(unsigned long long)st->last_position,
				(unsigned long long)st->id_errors,
				(unsigned long long)st->period_elapsed,
				(unsigned long long)st->xruns,
				(unsigned long long)st->bytes,
				(unsigned long long)st->frames);
		for (uint32_t op = 0; op < VG_N_OPS; op++) {
			const struct vg_op_stats *o = &st->ops[op];
			if (o->count == 0)
				continue;
			fprintf(f, "%s\n       \"%s\": {\"count\": %llu, \"errors\": %llu, "
					"\"timeouts\": %llu, \"p50_us\": %u, \"p99_us\": %u, \"max_us\": %u}",
					first ? "" : ",", vg_op_name(op),
					(unsigned long long)o->count, (unsigned long long)o->errors,
					(unsigned long long)o->timeouts,
					vg_stats_percentile(o, 50), vg_stats_percentile(o, 99),
					vg_stats_percentile(o, 100));
			first = false;
		}
		fprintf(f, "}}");
	}
	fprintf(f, "\n  ]\n}\n");
	return fclose(f) == 0 ? 0 : -EIO;
}
