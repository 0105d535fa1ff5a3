// SPDX-License-Identifier: MIT
/*
 * paged_attn.c - pto-bench's paged-attention shape: the example's own
 * orchestration and kernels (examples/), one case for every mode, checked
 * against the golden; and the --set overrides of that case.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tools/pto-bench/bench.h"

/* The paged-attention example, when examples/ is part of this tree. */
#if __has_include("examples/example.h")
#include "examples/example.h"
#define HAVE_EXAMPLES		1
#endif

#ifdef HAVE_EXAMPLES
/*
 * The paged-attention shape per mode: the same decode attention, the same
 * case and the same tasks; only where the dependencies come from differs.
 * AUTO: the unrolled example in AUTO scopes (TensorMap).  MANUAL: its
 * manual-scope twin, explicit edges inside each tile's scope, boundary
 * dependencies from the TensorMap.  EXPLICIT: that same orchestration on an
 * explicit-only runtime (no tracking at all).
 */
static const char *const pa_example_names[MODE_COUNT] = {
	"paged_attention_unroll",
	"paged_attention_unroll_manual",
	"paged_attention_unroll_manual",
};

/*
 * The case every mode runs, by name, so the ratios compare like with like:
 * --pa-case, else PA_BENCH_CASE (>= 1,000 tasks, also with --quick).  NULL
 * with @err when @ex lacks it.
 */
static const struct ex_case *pa_case(const struct bench *b, const struct ex_example *ex,
				     char *err, size_t errlen)
{
	const char *name = b->o.pa_case ? b->o.pa_case : PA_BENCH_CASE;
	const struct ex_case *found = ex_find_case(ex, name);

	if (!found)
		snprintf(err, errlen, "%s has no case %s", ex->name, name);
	return found;
}
#endif

/*
 * One run of the paged-attention shape in @mode on @rt (a runtime of the
 * mode's dep_mode), with the example's own orchestration, scopes and
 * kernels.  When @check, the result is compared with the golden, so a fast
 * wrong answer cannot count.  Returns 0 with @st filled, -EOPNOTSUPP when
 * this build has no examples, or another negative status; @err says why.
 */
int pb_run_pa_once(struct bench *b, struct pto_runtime *rt, int mode, int check,
		   struct pto_run_stats *st, char *err, size_t errlen)
{
#ifdef HAVE_EXAMPLES
	const struct ex_example *ex = ex_find(pa_example_names[mode]);
	const struct ex_case *c;
	struct ex_result res = { 0 };
	struct ex_run run;
	int rc;

	if (!ex) {
		snprintf(err, errlen, "no %s example in this build", pa_example_names[mode]);
		return -EOPNOTSUPP;
	}
	c = pa_case(b, ex, err, errlen);
	if (!c)
		return -EOPNOTSUPP;
	rc = ex_register_kernels(rt);
	if (rc) {
		snprintf(err, errlen, "ex_register_kernels: %s", pto_last_error());
		return rc;
	}
	rc = ex_prepare(&run, ex, c, b->dev, b->o.sets, b->o.nsets);
	if (!rc && ex->reset)
		rc = ex->reset(&run);
	if (rc) {
		snprintf(err, errlen, "%s %.32s: %.180s", ex->name, c->name, run.err);
		goto out;
	}
	rc = pto_run(rt, ex->orch, run.state);
	if (!rc)
		rc = pto_run_stats(rt, st);
	if (rc) {
		snprintf(err, errlen, "%s %.32s: %.180s", ex->name, c->name, pto_last_error());
		goto out;
	}
	if (check) {
		rc = ex->check(&run, &res);
		if (rc || !res.pass) {
			snprintf(err, errlen, "%s %.32s: result differs from the golden (%" PRIu64
				 " of %" PRIu64 " values off)", ex->name, c->name, res.bad,
				 res.checked);
			rc = rc ? rc : -EIO;
		}
	}
out:
	ex_finish(&run);
	return rc;
#else
	(void)b; (void)rt; (void)mode; (void)check; (void)st;
	snprintf(err, errlen, "this build has no examples/ (paged attention)");
	return -EOPNOTSUPP;
#endif
}

/*
 * --pa-case and --set overrides are tried once, before anything is
 * measured, on each example the PA modes run: a case the examples lack, or
 * a bad key or value, is bad usage (exit 2), not a failed row.  Other
 * failures are left for the jobs to report.
 */
void pb_pa_check_sets(struct bench *b)
{
#ifdef HAVE_EXAMPLES
	char err[256];

	for (int m = 0; m < MODE_COUNT; m++) {
		const struct ex_example *ex = ex_find(pa_example_names[m]);
		const struct ex_case *c;
		struct ex_run run;
		int rc;

		if (m && !strcmp(pa_example_names[m], pa_example_names[m - 1]))
			continue;
		if (!ex)
			continue;
		if (!(c = pa_case(b, ex, err, sizeof(err)))) {
			if (b->o.pa_case)
				usage_error("--pa-case: %s", err);
			continue;
		}
		rc = ex_prepare(&run, ex, c, b->dev, b->o.sets, b->o.nsets);
		snprintf(err, sizeof(err), "%s", run.err);
		ex_finish(&run);
		if (rc == -EINVAL)
			usage_error("--set: %s", err);
	}
#else
	(void)b;
	usage_error("--set, --pa-case: this build has no examples/ (paged attention)");
#endif
}

/* "Default" or "Default, unroll=1": the case the PA rows ran. */
void pb_pa_case_label(struct bench *b, char *buf, size_t len)
{
#ifdef HAVE_EXAMPLES
	const struct ex_example *ex = ex_find(pa_example_names[MODE_AUTO]);
	const struct ex_case *c = ex ? pa_case(b, ex, buf, len) : NULL;
	size_t n;

	snprintf(buf, len, "%s", c ? c->name : "-");
	for (uint32_t i = 0; i < b->o.nsets; i++) {
		n = strlen(buf);
		snprintf(buf + n, len - n, "%s%s", i ? " " : ", ", b->o.sets[i]);
	}
#else
	(void)b;
	snprintf(buf, len, "-");
#endif
}

/* The paged-attention shape in one mode; golden-checked on its first repetition. */
void pb_run_pa_job(struct bench *b, struct job *j)
{
	uint32_t dep_mode = pb_mode_dep(j->mode);
	struct pto_runtime *rt;
	struct pto_run_stats st;
	int rc;

	rt = pb_get_rt(b, dep_mode, j->window, 0, 0, &rc, j->err, sizeof(j->err));
	if (!rt) {
		j->state = pb_rt_failure_state(b, dep_mode, rc);
		return;
	}
	rc = pb_run_pa_once(b, rt, j->mode, !j->wall.n, &st, j->err, sizeof(j->err));
	if (rc) {
		j->state = rc == -EOPNOTSUPP ? JOB_UNSUPPORTED : JOB_FAILED;
		return;
	}
	pb_record_run(j, st.tasks, &st);
}
