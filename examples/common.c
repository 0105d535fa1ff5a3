// SPDX-License-Identifier: MIT
/* common.c - parameter parsing, device buffers and golden comparison for examples. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/example.h"

int ex_fail(struct ex_run *run, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run->err, sizeof(run->err), fmt, ap);
	va_end(ap);
	return status;
}

static const char *param_find(const struct ex_run *run, const char *key)
{
	for (uint32_t i = 0; i < run->params.n; i++)
		if (!strcmp(run->params.key[i], key))
			return run->params.val[i];
	return NULL;
}

/* One integer in [1, max] from @s; the whole string must be used. */
static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	long long v;

	if (!*s || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 1 || (unsigned long long)v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int ex_param_u32_or(struct ex_run *run, const char *key, uint32_t max, uint32_t def,
		    uint32_t *out)
{
	const char *v = param_find(run, key);

	if (!v) {
		*out = def;
		return 0;
	}
	if (parse_u32(v, max, out))
		return ex_fail(run, -EINVAL, "parameter %s=%s: expected an integer in 1..%u",
			       key, v, max);
	return 0;
}

int ex_param_u32(struct ex_run *run, const char *key, uint32_t max, uint32_t *out)
{
	if (!param_find(run, key))
		return ex_fail(run, -EINVAL, "parameter %s is missing", key);
	return ex_param_u32_or(run, key, max, 0, out);
}

int ex_param_f32_or(struct ex_run *run, const char *key, float def, float *out)
{
	const char *v = param_find(run, key);
	char *end;
	double d;

	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	d = strtod(v, &end);
	/* finite as the float the kernels get: 1e40 is a finite double but inf as a float */
	if (!*v || *end || errno || !isfinite(d) || fabs(d) > FLT_MAX)
		return ex_fail(run, -EINVAL, "parameter %s=%s: expected a finite float, "
			       "-%g..%g", key, v, FLT_MAX, FLT_MAX);
	*out = (float)d;
	return 0;
}

int ex_parse_list(struct ex_run *run, const char *what, const char *text, uint32_t max,
		  uint32_t **vals, uint32_t *n)
{
	uint32_t cap = 1, cnt = 0;
	const char *p = text;
	uint32_t *v;

	for (const char *q = text; *q; q++)
		cap += *q == ',';
	v = calloc(cap, sizeof(*v));
	if (!v)
		return ex_fail(run, -ENOMEM, "%s: out of memory", what);
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[24];

		if (len == 0 || len >= sizeof(item))
			goto bad;
		memcpy(item, p, len);
		item[len] = 0;
		if (parse_u32(item, max, &v[cnt]))
			goto bad;
		cnt++;
		if (!comma)
			break;
		p = comma + 1;
	}
	*vals = v;
	*n = cnt;
	return 0;
bad:
	free(v);
	return ex_fail(run, -EINVAL,
		       "%s=\"%s\": expected a comma-separated list of integers in 1..%u",
		       what, text, max);
}

int ex_param_list(struct ex_run *run, const char *key, uint32_t max, uint32_t **vals,
		  uint32_t *n)
{
	const char *v = param_find(run, key);

	if (!v)
		return ex_fail(run, -EINVAL, "parameter %s is missing", key);
	return ex_parse_list(run, key, v, max, vals, n);
}

int ex_dev_alloc(struct ex_run *run, uint64_t bytes, const void *src, uint64_t *addr)
{
	int rc;

	if (run->num_allocs == EX_MAX_ALLOCS)
		return ex_fail(run, -ENOMEM, "too many device buffers for one example");
	rc = pto_mem_alloc(run->dev, bytes, 64, addr);
	if (rc)
		return ex_fail(run, rc, "device memory: %llu bytes: %s (a larger device, e.g. "
			       "--device mock:mem=4G, may help)", (unsigned long long)bytes,
			       pto_last_error());
	run->allocs[run->num_allocs++] = *addr;
	if (src && (rc = pto_mem_upload(run->dev, *addr, src, bytes)))
		return ex_fail(run, rc, "upload: %s", pto_last_error());
	return 0;
}

int ex_dev_fill(struct ex_run *run, uint64_t addr, uint64_t n, float value)
{
	float *buf = malloc(n * sizeof(*buf));
	int rc;

	if (!buf)
		return ex_fail(run, -ENOMEM, "out of host memory (%llu floats)",
			       (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++)
		buf[i] = value;
	rc = pto_mem_upload(run->dev, addr, buf, n * sizeof(*buf));
	free(buf);
	return rc ? ex_fail(run, rc, "upload: %s", pto_last_error()) : 0;
}

void ex_fill_random(float *dst, uint64_t n, uint32_t seed)
{
	uint64_t x = 0x9e3779b97f4a7c15ull ^ seed;

	for (uint64_t i = 0; i < n; i++) {
		/* xorshift64*: cheap, deterministic across platforms */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		dst[i] = (float)((x * 0x2545f4914f6cdd1dull) >> 40) / 8388608.0f - 1.0f;
	}
}

void ex_compare(const struct ex_example *ex, const float *got, const double *want, uint64_t n,
		struct ex_result *res)
{
	memset(res, 0, sizeof(*res));
	for (uint64_t i = 0; i < n; i++) {
		double err = fabs((double)got[i] - want[i]);

		/* NaN never passes: the comparison below is false for it */
		if (!(err <= ex->atol + ex->rtol * fabs(want[i])))
			res->bad++;
		if (err > res->max_err || isnan(err))
			res->max_err = isnan(err) ? INFINITY : err;
		if (fabs(want[i]) > res->max_ref)
			res->max_ref = fabs(want[i]);
	}
	res->checked = n;
	res->pass = n > 0 && res->bad == 0;
}

int ex_check_download(struct ex_run *run, uint64_t addr, const double *want, uint64_t n,
		      struct ex_result *res)
{
	float *got = malloc(n * sizeof(*got));
	int rc;

	if (!got)
		return ex_fail(run, -ENOMEM, "check: out of memory");
	rc = pto_mem_download(run->dev, got, addr, n * sizeof(*got));
	if (rc) {
		free(got);
		return ex_fail(run, rc, "download: %s", pto_last_error());
	}
	ex_compare(run->ex, got, want, n, res);
	free(got);
	return 0;
}
