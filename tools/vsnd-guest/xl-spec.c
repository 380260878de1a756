/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xl-spec.h"

/* libxl_vsnd_pcm_format enum strings: the IDL names lower-cased, so the float
 * formats are f32_le... while sndif calls them float_le (Linux ignores f32_le). */
static const char *const libxl_formats[] = {
	"s8", "u8", "s16_le", "s16_be", "u16_le", "u16_be", "s24_le", "s24_be",
	"u24_le", "u24_be", "s32_le", "s32_be", "u32_le", "u32_be", "f32_le",
	"f32_be", "f64_le", "f64_be", "iec958_subframe_le", "iec958_subframe_be",
	"mu_law", "a_law", "ima_adpcm", "mpeg", "gsm",
};

enum level { LVL_CARD, LVL_PCM, LVL_STREAM };

static int fail(char *err, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vg_vsnd_spec_set(struct vg_vsnd_spec *spec, const char *key, const char *value)
{
	uint32_t i;

	if (strlen(key) >= VG_SPEC_KEY_MAX || strlen(value) >= VG_SPEC_VALUE_MAX)
		return -E2BIG;
	for (i = 0; i < spec->n_keys; i++) {
		if (strcmp(spec->keys[i].key, key) == 0)
			break;
	}
	if (i == spec->n_keys) {
		if (spec->n_keys == VG_SPEC_MAX_KEYS)
			return -E2BIG;
		spec->n_keys++;
	}
	snprintf(spec->keys[i].key, VG_SPEC_KEY_MAX, "%s", key);
	snprintf(spec->keys[i].value, VG_SPEC_VALUE_MAX, "%s", value);
	return 0;
}

static int set_at(struct vg_vsnd_spec *spec, const char *prefix, const char *key, const char *value)
{
	char k[VG_SPEC_KEY_MAX];

	if (snprintf(k, sizeof(k), "%s%s", prefix, key) >= (int)sizeof(k))
		return -E2BIG;
	return vg_vsnd_spec_set(spec, k, value);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool parse_uint(const char *s, unsigned long *out)
{
	char *end;

	if (*s == '\0' || *s == '-')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno == 0 && *end == '\0' && *out <= UINT32_MAX;
}

/* sample-rates / sample-formats: ';'-separated in xl, ','-joined by libxl. */
static int convert_list(const char *key, const char *value, char *out, size_t size,
		char *err, size_t err_size)
{
	char tmp[VG_SPEC_VALUE_MAX], *save = NULL, *tok;
	size_t len = 0;

	if (snprintf(tmp, sizeof(tmp), "%s", value) >= (int)sizeof(tmp))
		return fail(err, err_size, "Invalid parameter: %s (too long)", key);
	out[0] = '\0';
	for (tok = strtok_r(tmp, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char item[32];

		tok = trim(tok);
		if (strcmp(key, "sample-rates") == 0) {
			unsigned long v;

			if (!parse_uint(tok, &v))
				return fail(err, err_size, "Invalid sample rate: %s", tok);
			snprintf(item, sizeof(item), "%lu", v);
		} else {
			size_t i;

			for (i = 0; i < sizeof(libxl_formats) / sizeof(libxl_formats[0]); i++) {
				if (strcasecmp(tok, libxl_formats[i]) == 0)
					break;
			}
			if (i == sizeof(libxl_formats) / sizeof(libxl_formats[0]))
				return fail(err, err_size, "Invalid pcm format: %s", tok);
			snprintf(item, sizeof(item), "%s", libxl_formats[i]);
		}
		len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "", item);
		if (len >= size)
			return fail(err, err_size, "Invalid parameter: %s (too long)", key);
	}
	if (len == 0)
		return fail(err, err_size, "Invalid parameter: %s (empty list)", key);
	return 0;
}

static int parse_param(struct vg_vsnd_spec *spec, enum level lvl, const char *prefix,
		char *key, char *value, char *err, size_t err_size)
{
	char buf[VG_SPEC_VALUE_MAX];
	unsigned long v;
	int res;

	if (strcmp(key, "sample-rates") == 0 || strcmp(key, "sample-formats") == 0) {
		res = convert_list(key, value, buf, sizeof(buf), err, err_size);
		if (res < 0)
			return res;
		return set_at(spec, prefix, key, buf);
	}
	if (strcmp(key, "channels-min") == 0 || strcmp(key, "channels-max") == 0 ||
	    strcmp(key, "buffer-size") == 0) {
		if (!parse_uint(value, &v))
			return fail(err, err_size, "Invalid parameter: %s", key);
		/* libxl writes a value only when it is non-zero ("not set"). */
		if (v == 0)
			return 0;
		snprintf(buf, sizeof(buf), "%lu", v);
		return set_at(spec, prefix, key, buf);
	}
	if (lvl == LVL_CARD && strcmp(key, "backend") == 0) {
		if (!parse_uint(value, &v))
			return fail(err, err_size,
				"Invalid parameter: backend=%s (only a domid is supported here)", value);
		spec->backend_domid = (uint32_t)v;
		return 0;
	}
	if (lvl == LVL_CARD && (strcmp(key, "short-name") == 0 || strcmp(key, "long-name") == 0))
		return set_at(spec, prefix, key, value);
	if (lvl == LVL_PCM && strcmp(key, "name") == 0)
		return set_at(spec, prefix, key, value);
	if (lvl == LVL_STREAM && strcmp(key, "unique-id") == 0)
		return set_at(spec, prefix, key, value);
	if (lvl == LVL_STREAM && strcmp(key, "type") == 0) {
		if (strcasecmp(value, "p") != 0 && strcasecmp(value, "c") != 0)
			return fail(err, err_size, "Invalid stream type: %s", value);
		return set_at(spec, prefix, key, tolower((unsigned char)value[0]) == 'p' ? "p" : "c");
	}
	return fail(err, err_size, "Invalid parameter: %s", key);
}

int vg_vsnd_spec_parse(struct vg_vsnd_spec *spec, const char *const *items, size_t n_items,
		char *err, size_t err_size)
{
	int n_pcm = 0, n_stream = 0;	/* counts so far in the current card/PCM */
	bool have_card = false;
	size_t i;

	memset(spec, 0, sizeof(*spec));
	for (i = 0; i < n_items; i++) {
		char tmp[1024], prefix[32], *save = NULL, *tok, *id;
		enum level lvl;
		int res;

		if (snprintf(tmp, sizeof(tmp), "%s", items[i]) >= (int)sizeof(tmp))
			return fail(err, err_size, "Invalid vsnd item: %s", "too long");
		id = strtok_r(tmp, ",", &save);
		id = id ? trim(id) : (char *)"";
		if (strcasecmp(id, "CARD") == 0) {
			if (have_card || n_pcm > 0)
				return fail(err, err_size, "Invalid vsnd item: %s (one card per spec)", id);
			have_card = true;
			lvl = LVL_CARD;
			prefix[0] = '\0';
		} else if (strcasecmp(id, "PCM") == 0) {
			lvl = LVL_PCM;
			snprintf(prefix, sizeof(prefix), "%d/", n_pcm++);
			n_stream = 0;
		} else if (strcasecmp(id, "STREAM") == 0) {
			/* A STREAM before any PCM implies one. */
			if (n_pcm == 0)
				n_pcm = 1;
			lvl = LVL_STREAM;
			snprintf(prefix, sizeof(prefix), "%d/%d/", n_pcm - 1, n_stream++);
		} else {
			return fail(err, err_size, "Invalid vsnd item: %s", id);
		}
		if (lvl == LVL_STREAM) {
			/* libxl always writes the type; xl's default is playback. */
			res = set_at(spec, prefix, "type", "p");
			if (res < 0)
				return fail(err, err_size, "Invalid vsnd item: %s", "too many keys");
		}
		while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
			char *eq, *key, *value;

			tok = trim(tok);
			if (*tok == '\0')
				continue;
			eq = strchr(tok, '=');
			if (eq == NULL)
				return fail(err, err_size, "Invalid parameter: %s", tok);
			*eq = '\0';
			key = trim(tok);
			value = trim(eq + 1);
			res = parse_param(spec, lvl, prefix, key, value, err, err_size);
			if (res == -E2BIG)
				return fail(err, err_size, "Invalid parameter: %s (too long)", key);
			if (res < 0)
				return res;
		}
	}
	return 0;
}

int vg_vsnd_spec_split(const char *arg, char *buf, size_t buf_size,
		const char **items, size_t max_items)
{
	size_t n = 0, used = 0;
	const char *p = arg;

	if (strchr(arg, '\'') == NULL && strchr(arg, '"') == NULL) {
		if (strlen(arg) + 1 > buf_size || max_items < 1)
			return -EINVAL;
		memcpy(buf, arg, strlen(arg) + 1);
		items[0] = buf;
		return 1;
	}
	while (*p) {
		const char *end;
		char q = *p;
		size_t len;

		if (q != '\'' && q != '"') {
			p++;
			continue;
		}
		end = strchr(p + 1, q);
		if (end == NULL)
			return -EINVAL;	/* unterminated quote */
		len = (size_t)(end - p - 1);
		if (n == max_items || used + len + 1 > buf_size)
			return -EINVAL;
		memcpy(buf + used, p + 1, len);
		buf[used + len] = '\0';
		items[n++] = buf + used;
		used += len + 1;
		p = end + 1;
	}
	return (int)n;
}
