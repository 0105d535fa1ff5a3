// SPDX-License-Identifier: MIT
/*
 * vadd.c - a complete libpto program to copy: y = alpha * (a + b).
 *
 * Build it against the installed library (Makefile beside this file):
 *
 *	cc -o vadd vadd.c $(pkg-config --cflags --libs libpto)
 *	./vadd                          # on the mock device; PTO_DEVICE picks another
 *
 * What it shows: two kernels of its own, registered under ids it chooses;
 * device memory for the inputs and the result; an orchestration function
 * that submits an SPMD task (the sum, split over 4 blocks) and a task that
 * scales it, connected only through the tensor they share; the result
 * checked on the host.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <pto/pto.h>

/* Kernel ids are the program's own choice: 0..PTO2_MAX_KERNELS-1. */
enum { K_ADD = 0, K_SCALE = 1 };

#define N		(1u << 16)	/* elements per vector */
#define BLOCKS		4		/* SPMD blocks of the sum */

/*
 * A kernel runs on one core for one dispatch.  It sees the task's tensors in
 * the order they were added to its pto_args (their data in device memory,
 * mapped into this process), then its scalars; an SPMD task runs it once per
 * block, and each block takes its share.  Non-zero fails the task and the run.
 */
static int k_add(const struct pto_kernel_ctx *ctx)
{
	const float *a = pto_kernel_data(ctx, 0), *b = pto_kernel_data(ctx, 1);
	float *c = pto_kernel_data(ctx, 2);
	uint64_t n = pto_kernel_numel(ctx, 2), blocks = pto_kernel_block_num(ctx);
	uint64_t lo = n * pto_kernel_block_idx(ctx) / blocks;
	uint64_t hi = n * (pto_kernel_block_idx(ctx) + 1) / blocks;

	if (pto_kernel_num_tensors(ctx) != 3 || pto_kernel_numel(ctx, 0) != n)
		return -1;
	for (uint64_t i = lo; i < hi; i++)
		c[i] = a[i] + b[i];
	return 0;
}

static int k_scale(const struct pto_kernel_ctx *ctx)
{
	const float *x = pto_kernel_data(ctx, 0);
	float *y = pto_kernel_data(ctx, 1), alpha = pto_kernel_scalar_f32(ctx, 0);
	uint64_t n = pto_kernel_numel(ctx, 1);

	for (uint64_t i = 0; i < n; i++)
		y[i] = alpha * x[i];
	return 0;
}

struct job {
	uint64_t a, b, y;	/* device addresses */
	float alpha;
};

/*
 * The orchestration function runs on the calling thread inside pto_run();
 * every submit returns at once and the tasks run on the cores as soon as
 * their inputs are written.  A failing call fails the run: pto_run()
 * returns the error, so the return codes need no checking here.
 */
static int orch(struct pto_runtime *rt, void *arg)
{
	struct job *j = arg;
	const uint32_t shape[1] = { N };
	struct pto_tensor a, b, c, y;
	struct pto_launch sum = { .aic = PTO_NO_KERNEL, .aiv0 = K_ADD, .aiv1 = PTO_NO_KERNEL,
				  .block_num = BLOCKS };
	struct pto_args args;

	pto_tensor_external(&a, j->a, PTO2_DTYPE_F32, 1, shape);
	pto_tensor_external(&b, j->b, PTO2_DTYPE_F32, 1, shape);
	pto_tensor_external(&y, j->y, PTO2_DTYPE_F32, 1, shape);
	pto_tensor_create(&c, PTO2_DTYPE_F32, 1, shape);	/* the runtime allocates it */

	pto_args_init(&args);			/* c = a + b, on 4 AIV cores */
	pto_arg_input(&args, &a);
	pto_arg_input(&args, &b);
	pto_arg_output(&args, &c);
	pto_submit(rt, &sum, &args);

	pto_args_init(&args);			/* y = alpha * c: waits for c's writer */
	pto_arg_input(&args, &c);
	pto_arg_output_existing(&args, &y);
	pto_arg_scalar_f32(&args, j->alpha);
	pto_submit_aiv(rt, K_SCALE, &args);
	return 0;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "vadd: %s: %s: %s\n", what, pto_strerror(rc), pto_last_error());
	return 1;
}

int main(void)
{
	struct pto_device *dev = NULL;
	struct pto_runtime *rt = NULL;
	struct job j = { .alpha = 0.5f };
	float *a = malloc(N * sizeof(float)), *b = malloc(N * sizeof(float));
	float *y = malloc(N * sizeof(float));
	uint64_t bad = 0;
	int rc, status = 1;

	if (!a || !b || !y) {
		fprintf(stderr, "vadd: out of memory\n");
		goto out;
	}
	for (uint32_t i = 0; i < N; i++) {
		a[i] = (float)i;
		b[i] = (float)(2 * i + 1);
	}
	/* NULL: $PTO_DEVICE, else the mock device */
	if ((rc = pto_device_open(NULL, &dev))) {
		fail("device", rc);
		goto out;
	}
	if ((rc = pto_mem_alloc(dev, N * sizeof(float), 0, &j.a)) ||
	    (rc = pto_mem_alloc(dev, N * sizeof(float), 0, &j.b)) ||
	    (rc = pto_mem_alloc(dev, N * sizeof(float), 0, &j.y)) ||
	    (rc = pto_mem_upload(dev, j.a, a, N * sizeof(float))) ||
	    (rc = pto_mem_upload(dev, j.b, b, N * sizeof(float)))) {
		fail("device memory", rc);
		goto out;
	}
	/* NULL config: the defaults, with the environment's overrides (docs/env.md) */
	if ((rc = pto_runtime_create(dev, NULL, &rt)) ||
	    (rc = pto_register_kernel(rt, K_ADD, PTO2_CORE_AIV, k_add, "add")) ||
	    (rc = pto_register_kernel(rt, K_SCALE, PTO2_CORE_AIV, k_scale, "scale"))) {
		fail("runtime", rc);
		goto out;
	}
	if ((rc = pto_run(rt, orch, &j))) {
		fail("run", rc);
		goto out;
	}
	if ((rc = pto_mem_download(dev, y, j.y, N * sizeof(float)))) {
		fail("download", rc);
		goto out;
	}
	for (uint32_t i = 0; i < N; i++)
		bad += y[i] != j.alpha * (a[i] + b[i]);
	printf("%s vadd: %u elements, %llu wrong\n", bad ? "FAIL" : "PASS", N,
	       (unsigned long long)bad);
	status = bad != 0;
out:
	pto_runtime_destroy(rt);
	pto_device_close(dev);
	free(a);
	free(b);
	free(y);
	return status;
}
