// SPDX-License-Identifier: MIT
/*
 * test_args.c - every bad input of the runtime API returns its exact error
 * code and a message naming what was wrong; a misuse inside a run fails
 * that run (and only that run).
 */
#include <pthread.h>

#include "rt_test_util.h"

static int orch_nop(struct pto_runtime *rt, void *p);

static struct pto_device *g_dev;
static struct pto_runtime *g_rt;
static uint64_t g_buf;

static int setup(void **state)
{
	struct pto_runtime_config cfg;

	(void)state;
	g_dev = rt_open_dev(2);
	rt_test_config(&cfg, 16);
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		cfg.dep_pool[r] = 4;
	assert_int_equal(pto_runtime_create(g_dev, &cfg, &g_rt), 0);
	rt_register_all(g_rt);
	g_buf = rt_buf(g_dev, 64, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pto_runtime_destroy(g_rt);
	pto_device_close(g_dev);
	return 0;
}

#define EXPECT(call, code, needle) do { \
	int64_t r__ = (call); \
	if (r__ != (code)) \
		fail_msg("%s: returned %lld, want %d (%s)", #call, (long long)r__, (code), \
			 pto_last_error()); \
	if (strstr(pto_last_error(), (needle)) == NULL) \
		fail_msg("%s: message '%s' lacks '%s'", #call, pto_last_error(), (needle)); \
} while (0)

/* pto_runtime_create() refuses @cfg with one field changed by @assign */
#define EXPECT_BAD_CFG(assign, code, needle) do { \
	bad = cfg; \
	bad.assign; \
	EXPECT(pto_runtime_create(g_dev, &bad, &rt), (code), (needle)); \
} while (0)

/* --- outside a run ----------------------------------------------------------------- */

static void test_config_and_create(void **state)
{
	struct pto_runtime_config cfg, bad;
	struct pto_runtime *rt;

	(void)state;
	EXPECT(pto_runtime_config_init(NULL), -EINVAL, "NULL config");
	setenv("PTO2_RING_TASK_WINDOW", "abc", 1);
	EXPECT(pto_runtime_config_init(&cfg), -EINVAL, "PTO2_RING_TASK_WINDOW");
	assert_int_equal(cfg.task_window[0], 16384);	/* defaults kept */
	setenv("PTO2_RING_TASK_WINDOW", "64,128", 1);
	EXPECT(pto_runtime_config_init(&cfg), -EINVAL, "comma-separated");
	setenv("PTO2_RING_TASK_WINDOW", "64,128,256,512", 1);
	setenv("PTO2_RING_HEAP", "8M", 1);
	setenv("PTO2_RING_DEP_POOL", "300", 1);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_int_equal(cfg.task_window[0], 64);
	assert_int_equal(cfg.task_window[3], 512);
	assert_int_equal(cfg.heap_size[2], 8u << 20);
	assert_int_equal(cfg.dep_pool[1], 300);
	setenv("PTO2_RING_HEAP", "-5", 1);
	EXPECT(pto_runtime_config_init(&cfg), -EINVAL, "PTO2_RING_HEAP");
	unsetenv("PTO2_RING_HEAP");
	setenv("PTO2_RING_DEP_POOL", "1x", 1);
	EXPECT(pto_runtime_config_init(&cfg), -EINVAL, "PTO2_RING_DEP_POOL");
	unsetenv("PTO2_RING_DEP_POOL");
	unsetenv("PTO2_RING_TASK_WINDOW");
	setenv("PTO_WIRING", "2", 1);
	EXPECT(pto_runtime_config_init(&cfg), -EINVAL, "PTO_WIRING");
	unsetenv("PTO_WIRING");
	/* PTO_INLINE_CORES: 0 keeps the cores on the workers, anything but 0/1 is refused */
	setenv("PTO_INLINE_CORES", "0", 1);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_true(cfg.flags & PTO_RT_WORKER_CORES);
	setenv("PTO_INLINE_CORES", "1", 1);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_false(cfg.flags & PTO_RT_WORKER_CORES);
	setenv("PTO_INLINE_CORES", "yes", 1);
	EXPECT(pto_runtime_config_init(&cfg), -EINVAL,
	       "PTO_INLINE_CORES='yes': expected an integer 0..1");
	unsetenv("PTO_INLINE_CORES");
	setenv("PTO2_RING_TASK_WINDOW", "4294967296", 1);
	EXPECT(pto_runtime_config_init(&cfg), -EINVAL,
	       "PTO2_RING_TASK_WINDOW: 4294967296 too large");
	unsetenv("PTO2_RING_TASK_WINDOW");
	/* one or four values: a fifth (or a second or third) is refused, not ignored */
	{
		static const char *const vars[] = { "PTO2_RING_TASK_WINDOW", "PTO2_RING_HEAP",
						    "PTO2_RING_DEP_POOL" };
		static const char *const vals[] = { "64,64,64,64,64", "64,64", "64,64,64",
						    "64,64,64,64," };
		static const char *const counts[] = { "5 values", "2 values", "3 values",
						      "expected one value" };
		char want[128];

		for (int i = 0; i < 3; i++) {
			for (int k = 0; k < 4; k++) {
				setenv(vars[i], vals[k], 1);
				snprintf(want, sizeof(want), "%s='%s': ", vars[i], vals[k]);
				EXPECT(pto_runtime_config_init(&cfg), -EINVAL, want);
				EXPECT(pto_runtime_config_init(&cfg), -EINVAL, counts[k]);
				assert_int_equal(cfg.task_window[0], 16384);
				assert_int_equal(cfg.dep_pool[0], 16384);
			}
			unsetenv(vars[i]);
		}
	}
	setenv("PTO2_RING_DEP_POOL", "1,2,3,4294967296", 1);
	EXPECT(pto_runtime_config_init(&cfg), -EINVAL,
	       "PTO2_RING_DEP_POOL: 4294967296 too large");
	unsetenv("PTO2_RING_DEP_POOL");

	rt_test_config(&cfg, 16);
	EXPECT(pto_runtime_create(NULL, &cfg, &rt), -EINVAL, "NULL device");
	EXPECT(pto_runtime_create(g_dev, &cfg, NULL), -EINVAL, "NULL out");
	EXPECT_BAD_CFG(task_window[2] = 24, -EINVAL, "task_window[2]");
	EXPECT_BAD_CFG(task_window[0] = 2, -EINVAL, "task_window[0]");
	EXPECT_BAD_CFG(heap_size[1] = 100, -EINVAL, "heap_size[1]");
	EXPECT_BAD_CFG(dep_pool[3] = 1, -EINVAL, "dep_pool[3]");
	EXPECT_BAD_CFG(num_schedulers = 65, -EINVAL, "num_schedulers");
	EXPECT_BAD_CFG(wiring = 3, -EINVAL, "wiring");
	EXPECT_BAD_CFG(dep_mode = 9, -EINVAL, "dep_mode");
	EXPECT_BAD_CFG(stall_timeout_ms = 0, -EINVAL, "stall_timeout_ms");
	EXPECT_BAD_CFG(flags = 1u << 20, -EINVAL, "flags");
	EXPECT_BAD_CFG(cpus = "0-", -EINVAL, "is not a CPU or CPU range");
	/* more than the 512 MiB device */
	EXPECT_BAD_CFG(heap_size[0] = 1ull << 34, -ENOMEM, "rings");
	pto_runtime_destroy(NULL);
}

static void test_register_and_run(void **state)
{
	struct pto_run_stats st;

	(void)state;
	EXPECT(pto_register_kernel(NULL, 1, PTO2_CORE_AIC, rt_k_nop, "x"), -EINVAL, "NULL runtime");
	EXPECT(pto_register_kernel(g_rt, PTO2_MAX_KERNELS, PTO2_CORE_AIC, rt_k_nop, "x"), -EINVAL,
	       "id 1024");
	EXPECT(pto_register_kernel(g_rt, 9, (enum pto2_core_type)7, rt_k_nop, "x"), -EINVAL,
	       "core type");
	EXPECT(pto_register_kernel(g_rt, 9, PTO2_CORE_AIC, NULL, "x"), -EINVAL, "NULL function");
	assert_int_equal(pto_register_kernel(g_rt, 9, PTO2_CORE_AIC, rt_k_nop, NULL), 0);
	EXPECT(pto_run(NULL, orch_nop, NULL), -EINVAL, "NULL runtime");
	EXPECT(pto_run(g_rt, NULL, NULL), -EINVAL, "NULL function");
	EXPECT(pto_run_stats(NULL, &st), -EINVAL, "NULL runtime");
	EXPECT(pto_run_stats(g_rt, NULL), -EINVAL, "NULL stats");
}

static void test_tensors(void **state)
{
	struct pto_tensor t, v;
	uint32_t shape[2] = { 4, 4 }, zero[2] = { 0, 4 }, big[2] = { 0x10000, 0x10000 };
	uint32_t vs[2] = { 2, 2 }, off[2] = { 3, 0 };

	(void)state;
	EXPECT(pto_tensor_external(NULL, 64, PTO2_DTYPE_F32, 2, shape), -EINVAL, "NULL tensor");
	EXPECT(pto_tensor_external(&t, 0, PTO2_DTYPE_F32, 2, shape), -EINVAL, "address 0");
	EXPECT(pto_tensor_external(&t, 64, PTO2_DTYPE_COUNT, 2, shape), -EINVAL, "dtype");
	EXPECT(pto_tensor_external(&t, 64, PTO2_DTYPE_F32, 0, shape), -EINVAL, "ndims 0");
	EXPECT(pto_tensor_external(&t, 64, PTO2_DTYPE_F32, 6, shape), -EINVAL, "ndims 6");
	EXPECT(pto_tensor_external(&t, 64, PTO2_DTYPE_F32, 2, NULL), -EINVAL, "NULL shape");
	EXPECT(pto_tensor_external(&t, 64, PTO2_DTYPE_F32, 2, zero), -EINVAL, "dimension 0");
	{
		uint32_t huge[5] = { 0xffffffff, 0xffffffff, 0xffffffff, 4, 4 };

		EXPECT(pto_tensor_external(&t, 64, PTO2_DTYPE_F64, 5, huge), -EINVAL, "overflows");
	}
	EXPECT(pto_tensor_external(&t, UINT64_MAX - 8, PTO2_DTYPE_F32, 2, big), -EINVAL,
	       "overflows");
	EXPECT(pto_tensor_create(NULL, PTO2_DTYPE_F32, 2, shape), -EINVAL, "NULL tensor");
	EXPECT(pto_tensor_create(&t, PTO2_DTYPE_F32, 9, shape), -EINVAL, "ndims 9");
	assert_int_equal(pto_tensor_create(&t, PTO2_DTYPE_F32, 2, shape), 0);
	assert_true(t.flags & PTO_TENSOR_UNALLOCATED);
	EXPECT(pto_tensor_view(&v, &t, vs, NULL), -EINVAL, "not allocated");
	assert_int_equal(pto_tensor_external(&t, 64, PTO2_DTYPE_F32, 2, shape), 0);
	EXPECT(pto_tensor_view(NULL, &t, vs, NULL), -EINVAL, "NULL argument");
	EXPECT(pto_tensor_view(&v, &t, NULL, NULL), -EINVAL, "NULL argument");
	EXPECT(pto_tensor_view(&v, &t, vs, off), -EINVAL, "dimension 0");
	EXPECT(pto_tensor_view(&v, &t, zero, NULL), -EINVAL, "dimension 0");
	memset(&v, 0, sizeof(v));
	EXPECT(pto_tensor_view(&v, &v, vs, NULL), -EINVAL, "not initialized");
	assert_int_equal(pto_tensor_view(&v, &t, vs, NULL), 0);
	assert_int_equal(pto_tensor_numel(&v), 4);
	assert_int_equal(pto_tensor_numel(NULL), 0);
	pto_tensor_set_manual_dep(NULL, 1);	/* no crash */
}

static void test_outside_run(void **state)
{
	struct pto_args a;
	struct pto_launch l = { K_NOP_AIC, PTO_NO_KERNEL, PTO_NO_KERNEL, 1, 0 };
	struct pto_tensor t;
	uint32_t shape[1] = { 4 }, idx[1] = { 0 }, v;

	(void)state;
	pto_args_init(&a);
	assert_int_equal(pto_tensor_external(&t, g_buf, PTO2_DTYPE_I32, 1, shape), 0);
	EXPECT(pto_submit(g_rt, &l, &a), -EINVAL, "only inside");
	EXPECT(pto_submit(NULL, &l, &a), -EINVAL, "NULL runtime");
	EXPECT(pto_submit_aic(g_rt, K_NOP_AIC, &a), -EINVAL, "only inside");
	EXPECT(pto_submit_aiv(g_rt, 5000, &a), -EINVAL, "only inside");
	EXPECT(pto_scope_begin(g_rt, PTO_SCOPE_AUTO), -EINVAL, "only inside");
	EXPECT(pto_scope_end(g_rt), -EINVAL, "only inside");
	EXPECT(pto_add_dependency(g_rt, 0, 1), -EINVAL, "only inside");
	EXPECT(pto_tensor_read(g_rt, &t, idx, &v), -EINVAL, "only inside");
	EXPECT(pto_tensor_write(NULL, &t, idx, &v), -EINVAL, "NULL runtime");
}

/* --- inside a run: one misuse per run ------------------------------------------------- */

enum misuse {
	M_NULL_LAUNCH, M_NULL_ARGS, M_NO_KERNEL, M_KERNEL_RANGE, M_KERNEL_UNREG, M_KERNEL_TYPE,
	M_LAUNCH_FLAGS, M_BLOCK_NUM, M_SYNC_START, M_ARG_NULL_TENSOR, M_ARG_BAD_KIND,
	M_ARG_AFTER_SCALAR, M_ARG_TOO_MANY_TENSORS, M_ARG_TOO_MANY_SCALARS, M_ARG_TOO_MANY_DEPS,
	M_ARG_NEG_DEP, M_DEP_UNKNOWN, M_OUTPUT_ALLOCATED, M_INPUT_UNALLOCATED, M_UNINIT_TENSOR,
	M_ARG_CORRUPT,
	M_SUBMIT_AIC_RANGE, M_SUBMIT_AIV_RANGE, M_SCOPE_MODE, M_SCOPE_END_NONE, M_SCOPE_DEEP,
	M_SCOPE_IN_MANUAL, M_MANUAL_IN_MANUAL, M_ADD_DEP_AUTO, M_ADD_DEP_SELF, M_ADD_DEP_CONSUMER_UNKNOWN,
	M_ADD_DEP_PRODUCER_UNKNOWN, M_ADD_DEP_PUBLISHED, M_ADD_DEP_ORDER, M_ADD_DEP_POOL,
	M_SUBMIT_DEP_POOL, M_READ_IN_MANUAL, M_WRITE_IN_MANUAL, M_READ_NULL, M_READ_INDEX, M_READ_UNALLOCATED,
	M_READ_OUTSIDE_BUFFER, M_READ_UNMAPPED, M_WRITE_INDEX, M_SUBMIT_AFTER_SCOPE,
	M_READ_AFTER_SCOPE, M_OUTPUT_TWICE, M_SUBMIT_UNMAPPED, M_SUBMIT_FREED, M_SUBMIT_PAST_ALLOC,
	M_SCOPE_LEFT_OPEN, M_OTHER_THREAD, M_NESTED_RUN, M_REGISTER_IN_RUN, M_COUNT,
};

struct misuse_case {
	int code;
	const char *needle;
};

static const struct misuse_case cases[M_COUNT] = {
	[M_NULL_LAUNCH] = { -EINVAL, "NULL launch" },
	[M_NULL_ARGS] = { -EINVAL, "NULL args" },
	[M_NO_KERNEL] = { -EINVAL, "names no kernel" },
	[M_KERNEL_RANGE] = { -EINVAL, "kernel id 2000 out of range" },
	[M_KERNEL_UNREG] = { -EINVAL, "kernel 77 is not registered" },
	[M_KERNEL_TYPE] = { -EINVAL, "registered for the AIV core" },
	[M_LAUNCH_FLAGS] = { -EINVAL, "unknown launch flags" },
	[M_BLOCK_NUM] = { -EINVAL, "block_num 70000" },
	[M_SYNC_START] = { PTO_E_SYNC_START, "can never start at once" },
	[M_ARG_NULL_TENSOR] = { -EINVAL, "tensor argument 0 is NULL" },
	[M_ARG_BAD_KIND] = { -EINVAL, "bad kind 9" },
	[M_ARG_AFTER_SCALAR] = { -EINVAL, "after a scalar" },
	[M_ARG_TOO_MANY_TENSORS] = { -EINVAL, "pto_submit: more than 128 tensor arguments per "
				     "task (PTO2_MAX_TENSOR_ARGS)" },
	[M_ARG_TOO_MANY_SCALARS] = { -EINVAL, "pto_submit: more than 24 scalar arguments per "
				     "task (PTO2_MAX_SCALAR_ARGS)" },
	[M_ARG_TOO_MANY_DEPS] = { -EINVAL, "pto_submit: more than 128 explicit dependencies "
				  "per argument list (PTO_MAX_ARG_DEPS)" },
	[M_ARG_NEG_DEP] = { -EINVAL, "bad task id -3" },
	[M_DEP_UNKNOWN] = { -EINVAL, "was never submitted" },
	[M_OUTPUT_ALLOCATED] = { -EINVAL, "already has a buffer" },
	[M_INPUT_UNALLOCATED] = { -EINVAL, "has no buffer yet" },
	[M_UNINIT_TENSOR] = { -EINVAL, "is not initialized" },
	[M_ARG_CORRUPT] = { -EINVAL, "corrupt argument list" },
	[M_SUBMIT_AIC_RANGE] = { -EINVAL, "pto_submit_aic: kernel id 5000" },
	[M_SUBMIT_AIV_RANGE] = { -EINVAL, "pto_submit_aiv: kernel id 5000" },
	[M_SCOPE_MODE] = { -EINVAL, "bad mode 5" },
	[M_SCOPE_END_NONE] = { -EINVAL, "no scope open" },
	[M_SCOPE_DEEP] = { -EINVAL, "nested scopes" },
	[M_SCOPE_IN_MANUAL] = { PTO_E_NESTED_MANUAL,
				"pto_scope_begin: a scope inside the manual scope at depth 1" },
	[M_MANUAL_IN_MANUAL] = { PTO_E_NESTED_MANUAL,
				 "pto_scope_begin: a scope inside the manual scope at depth 1" },
	[M_ADD_DEP_AUTO] = { PTO_E_MANUAL_SCOPE, "only inside a manual scope" },
	[M_ADD_DEP_SELF] = { PTO_E_SELF_DEP, "task 4294967296 cannot depend on itself" },
	[M_ADD_DEP_CONSUMER_UNKNOWN] = { -EINVAL, "consumer 4294967300 was never submitted" },
	[M_ADD_DEP_PRODUCER_UNKNOWN] = { -EINVAL, "producer 99 was never submitted" },
	[M_ADD_DEP_PUBLISHED] = { PTO_E_DEP_PUBLISHED, "consumer 0 is already published" },
	[M_ADD_DEP_ORDER] = { -EINVAL, "submitted after consumer" },
	[M_ADD_DEP_POOL] = { PTO_E_DEP_POOL, "dependency pool" },
	[M_SUBMIT_DEP_POOL] = { PTO_E_DEP_POOL, "cannot hold the open scopes' 0 entries + 5 more" },
	[M_READ_IN_MANUAL] = { PTO_E_MANUAL_BLOCKING,
			       "pto_tensor_read: blocking tensor access inside a manual scope" },
	[M_WRITE_IN_MANUAL] = { PTO_E_MANUAL_BLOCKING,
				"pto_tensor_write: blocking tensor access inside a manual scope" },
	[M_READ_NULL] = { -EINVAL, "NULL argument" },
	[M_READ_INDEX] = { -EINVAL, "outside the view extent" },
	[M_READ_UNALLOCATED] = { -EINVAL, "not allocated" },
	[M_READ_OUTSIDE_BUFFER] = { -EINVAL, "pto_tensor_read: element outside the buffer" },
	[M_READ_UNMAPPED] = { -EINVAL, "is not inside one live allocation" },
	[M_WRITE_INDEX] = { -EINVAL, "pto_tensor_write: index 9" },
	[M_SUBMIT_AFTER_SCOPE] = { -EINVAL, "pto_submit: argument 0 was created by task "
				   "4294967296 in a scope that has ended" },
	[M_READ_AFTER_SCOPE] = { -EINVAL, "pto_tensor_read: tensor created by task 4294967296 "
				 "in a scope that has ended" },
	[M_OUTPUT_TWICE] = { -EINVAL, "pto_submit: OUTPUT argument 2 is argument 0 again" },
	[M_SUBMIT_UNMAPPED] = { -EINVAL, "pto_submit: argument 0: device range [0x10000" },
	[M_SUBMIT_FREED] = { -EINVAL, "pto_submit: argument 0: device range [0x" },
	[M_SUBMIT_PAST_ALLOC] = { -EINVAL, "+128) is not inside one live allocation "
				  "(pto_mem_alloc())" },
	[M_SCOPE_LEFT_OPEN] = { -EINVAL, "1 scope(s) still open" },
	[M_OTHER_THREAD] = { -EINVAL, "on the thread that called pto_run" },
	[M_NESTED_RUN] = { -EBUSY, "called inside the run's orchestration function "
			   "(nested pto_run)" },
	[M_REGISTER_IN_RUN] = { -EBUSY, "pto_register_kernel: called inside pto_run()" },
};

static struct pto_launch launch(int32_t aic, int32_t aiv0, uint32_t blocks, uint32_t flags)
{
	struct pto_launch l = { aic, aiv0, PTO_NO_KERNEL, blocks, flags };

	return l;
}

static int64_t nop_task(struct pto_runtime *rt, struct pto_tensor *t)
{
	struct pto_args a;

	pto_args_init(&a);
	if (t)
		pto_arg_inout(&a, t);
	return pto_submit_aiv(rt, K_NOP_AIV, &a);
}

struct thread_arg {
	struct pto_runtime *rt;
	int64_t ret;
	char msg[256];
};

static void *other_thread(void *p)
{
	struct thread_arg *ta = p;

	ta->ret = nop_task(ta->rt, NULL);
	snprintf(ta->msg, sizeof(ta->msg), "%s", pto_last_error());
	return NULL;
}

static int orch_nop(struct pto_runtime *rt, void *p)
{
	(void)rt;
	(void)p;
	return 0;
}

static int orch_misuse(struct pto_runtime *rt, void *p)
{
	enum misuse m = *(enum misuse *)p;
	struct pto_args a;
	struct pto_launch l;
	struct pto_tensor t, cr;
	uint32_t shape[1] = { 16 }, idx[1] = { 0 }, v = 0;
	int64_t ret = 0, x, y;

	pto_args_init(&a);
	assert_int_equal(pto_tensor_external(&t, g_buf, PTO2_DTYPE_I32, 1, shape), 0);
	assert_int_equal(pto_tensor_create(&cr, PTO2_DTYPE_I32, 1, shape), 0);
	switch (m) {
	case M_NULL_LAUNCH:
		ret = pto_submit(rt, NULL, &a);
		break;
	case M_NULL_ARGS:
		l = launch(K_NOP_AIC, PTO_NO_KERNEL, 1, 0);
		ret = pto_submit(rt, &l, NULL);
		break;
	case M_NO_KERNEL:
		l = launch(PTO_NO_KERNEL, PTO_NO_KERNEL, 1, 0);
		ret = pto_submit(rt, &l, &a);
		break;
	case M_KERNEL_RANGE:
		l = launch(2000, PTO_NO_KERNEL, 1, 0);
		ret = pto_submit(rt, &l, &a);
		break;
	case M_KERNEL_UNREG:
		l = launch(77, PTO_NO_KERNEL, 1, 0);
		ret = pto_submit(rt, &l, &a);
		break;
	case M_KERNEL_TYPE:
		l = launch(K_NOP_AIV, PTO_NO_KERNEL, 1, 0);
		ret = pto_submit(rt, &l, &a);
		break;
	case M_LAUNCH_FLAGS:
		l = launch(K_NOP_AIC, PTO_NO_KERNEL, 1, 0x80);
		ret = pto_submit(rt, &l, &a);
		break;
	case M_BLOCK_NUM:
		l = launch(K_NOP_AIC, PTO_NO_KERNEL, 70000, 0);
		ret = pto_submit(rt, &l, &a);
		break;
	case M_SYNC_START:
		/* 2 clusters = 4 AIV cores: 5 blocks can never start together */
		l = launch(PTO_NO_KERNEL, K_NOP_AIV, 5, PTO_LAUNCH_SYNC_START);
		ret = pto_submit(rt, &l, &a);
		break;
	case M_ARG_NULL_TENSOR:
		pto_arg_input(&a, NULL);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_ARG_BAD_KIND:
		pto_arg_tensor(&a, &t, (enum pto_arg_kind)9);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_ARG_AFTER_SCALAR:
		pto_arg_scalar(&a, 1);
		pto_arg_input(&a, &t);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_ARG_TOO_MANY_TENSORS:
		for (int i = 0; i < PTO2_MAX_TENSOR_ARGS + 1; i++)
			pto_arg_input(&a, &t);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_ARG_TOO_MANY_SCALARS:
		for (int i = 0; i < PTO2_MAX_SCALAR_ARGS + 1; i++)
			pto_arg_scalar_f32(&a, 1.0f);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_ARG_TOO_MANY_DEPS:
		x = nop_task(rt, NULL);
		for (int i = 0; i < PTO_MAX_ARG_DEPS + 1; i++)
			pto_args_add_dep(&a, x);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_ARG_NEG_DEP:
		pto_args_add_dep(&a, -3);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_DEP_UNKNOWN:
		pto_args_add_dep(&a, 12345);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_OUTPUT_ALLOCATED:
		pto_arg_output(&a, &t);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_INPUT_UNALLOCATED:
		pto_arg_input(&a, &cr);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_UNINIT_TENSOR:
		memset(&t, 0, sizeof(t));
		pto_arg_input(&a, &t);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_ARG_CORRUPT:
		/* counts written past the builders' limits */
		a.num_scalars = PTO2_MAX_SCALAR_ARGS + 1;
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_SUBMIT_AIC_RANGE:
		ret = pto_submit_aic(rt, 5000, &a);
		break;
	case M_SUBMIT_AIV_RANGE:
		ret = pto_submit_aiv(rt, 5000, &a);
		break;
	case M_SCOPE_MODE:
		ret = pto_scope_begin(rt, (enum pto_scope_mode)5);
		break;
	case M_SCOPE_END_NONE:
		ret = pto_scope_end(rt);
		break;
	case M_SCOPE_DEEP:
		for (int i = 0; i < 100 && ret == 0; i++)
			ret = pto_scope_begin(rt, PTO_SCOPE_AUTO);
		break;
	case M_SCOPE_IN_MANUAL:
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		ret = pto_scope_begin(rt, PTO_SCOPE_AUTO);
		break;
	case M_MANUAL_IN_MANUAL:
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		ret = pto_scope_begin(rt, PTO_SCOPE_MANUAL);
		break;
	case M_ADD_DEP_AUTO:
		x = nop_task(rt, NULL);
		y = nop_task(rt, NULL);
		ret = pto_add_dependency(rt, x, y);
		break;
	case M_ADD_DEP_SELF:
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		x = nop_task(rt, NULL);
		ret = pto_add_dependency(rt, x, x);
		break;
	case M_ADD_DEP_CONSUMER_UNKNOWN:
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		x = nop_task(rt, NULL);
		ret = pto_add_dependency(rt, x, x + 4);
		break;
	case M_ADD_DEP_PRODUCER_UNKNOWN:
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		x = nop_task(rt, NULL);
		ret = pto_add_dependency(rt, 99, x);
		break;
	case M_ADD_DEP_PUBLISHED:
		y = nop_task(rt, NULL);		/* outer, published */
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		x = nop_task(rt, NULL);
		ret = pto_add_dependency(rt, x, y);
		break;
	case M_ADD_DEP_ORDER:
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		x = nop_task(rt, NULL);
		y = nop_task(rt, NULL);
		ret = pto_add_dependency(rt, y, x);
		break;
	case M_ADD_DEP_POOL:
		/* dep_pool = 4 per ring: each explicit edge takes two entries */
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		x = nop_task(rt, NULL);
		y = nop_task(rt, NULL);
		assert_int_equal(pto_add_dependency(rt, x, y), 0);
		assert_int_equal(pto_add_dependency(rt, x, y), 0);
		ret = pto_add_dependency(rt, x, y);
		break;
	case M_SUBMIT_DEP_POOL:
		/* the root scope holds all 5 producers: their 5 entries never fit a pool of 4 */
		for (int i = 0; i < 5; i++)
			pto_args_add_dep(&a, nop_task(rt, NULL));
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_READ_IN_MANUAL:
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		ret = pto_tensor_read(rt, &t, idx, &v);
		break;
	case M_WRITE_IN_MANUAL:
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_MANUAL), 0);
		ret = pto_tensor_write(rt, &t, idx, &v);
		break;
	case M_READ_NULL:
		ret = pto_tensor_read(rt, &t, NULL, &v);
		break;
	case M_READ_INDEX:
		idx[0] = 16;
		ret = pto_tensor_read(rt, &t, idx, &v);
		break;
	case M_READ_UNALLOCATED:
		ret = pto_tensor_read(rt, &cr, idx, &v);
		break;
	case M_READ_OUTSIDE_BUFFER:
		/* a hand-edited size smaller than the view */
		t.size = 4;
		idx[0] = 1;
		ret = pto_tensor_read(rt, &t, idx, &v);
		break;
	case M_READ_UNMAPPED:
		assert_int_equal(pto_tensor_external(&t, g_buf + (1ull << 40), PTO2_DTYPE_I32, 1,
						     shape), 0);
		ret = pto_tensor_read(rt, &t, idx, &v);
		break;
	case M_WRITE_INDEX:
		idx[0] = 99;
		ret = pto_tensor_write(rt, &t, idx, &v);
		break;
	case M_SUBMIT_AFTER_SCOPE:
	case M_READ_AFTER_SCOPE:
		/* cr's buffer lives as long as the scope of the task that created it */
		PTO_SCOPE(rt) {
			pto_arg_output(&a, &cr);
			assert_true(pto_submit_aiv(rt, K_NOP_AIV, &a) >= 0);
		}
		if (m == M_READ_AFTER_SCOPE)
			ret = pto_tensor_read(rt, &cr, idx, &v);
		else
			ret = nop_task(rt, &cr);
		break;
	case M_OUTPUT_TWICE:
		pto_arg_output(&a, &cr);
		pto_arg_input(&a, &t);
		pto_arg_output(&a, &cr);
		ret = pto_submit_aiv(rt, K_NOP_AIV, &a);
		break;
	case M_SUBMIT_UNMAPPED:
		/* its kernel would touch memory past the device's: refused at submit */
		assert_int_equal(pto_tensor_external(&t, g_buf + (1ull << 40), PTO2_DTYPE_I32, 1,
						     shape), 0);
		ret = nop_task(rt, &t);
		break;
	case M_SUBMIT_FREED: {
		/* fine while allocated; freed, the remembered allocation is no longer trusted */
		uint64_t x_addr;

		assert_int_equal(pto_mem_alloc(g_dev, 64, 0, &x_addr), 0);
		assert_int_equal(pto_tensor_external(&t, x_addr, PTO2_DTYPE_I32, 1, shape), 0);
		assert_true(nop_task(rt, &t) >= 0);
		assert_int_equal(pto_mem_free(g_dev, x_addr), 0);
		ret = nop_task(rt, &t);
		break;
	}
	case M_SUBMIT_PAST_ALLOC: {
		/* 32 elements from the last 16 of g_buf's 64 */
		uint32_t big[1] = { 32 };

		assert_int_equal(pto_tensor_external(&t, g_buf + 48 * 4, PTO2_DTYPE_I32, 1, big),
				 0);
		ret = nop_task(rt, &t);
		break;
	}
	case M_SCOPE_LEFT_OPEN:
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_AUTO), 0);
		assert_true(nop_task(rt, &t) >= 0);
		return 0;
	case M_OTHER_THREAD: {
		struct thread_arg ta = { .rt = rt };
		pthread_t th;

		assert_int_equal(pthread_create(&th, NULL, other_thread, &ta), 0);
		pthread_join(th, NULL);
		assert_int_equal(ta.ret, -EINVAL);
		assert_non_null(strstr(ta.msg, cases[m].needle));
		/* not the run's error: the other thread's call never touched the run */
		return 0;
	}
	case M_NESTED_RUN:
		assert_int_equal(pto_run(rt, orch_nop, NULL), -EBUSY);
		assert_non_null(strstr(pto_last_error(), cases[m].needle));
		return 0;
	case M_REGISTER_IN_RUN:
		assert_int_equal(pto_register_kernel(rt, 12, PTO2_CORE_AIC, rt_k_nop, "x"), -EBUSY);
		assert_non_null(strstr(pto_last_error(), cases[m].needle));
		return 0;
	case M_COUNT:
		break;
	}
	assert_int_equal(ret, cases[m].code);
	/* the run failed: everything after is refused */
	assert_int_equal(nop_task(rt, NULL), PTO_E_ABORTED);
	assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_AUTO), PTO_E_ABORTED);
	return 0;
}

static void test_misuse_in_run(void **state)
{
	(void)state;
	for (int m = 0; m < M_COUNT; m++) {
		enum misuse mm = (enum misuse)m;
		int ret = pto_run(g_rt, orch_misuse, &mm);
		/* another thread's call leaves the run alone; the rest fail it */
		int want = m == M_OTHER_THREAD ? 0 : cases[m].code;

		if (ret != want)
			fail_msg("misuse %d: pto_run returned %d (%s), want %d", m, ret,
				 pto_last_error(), want);
		if (want && !strstr(pto_last_error(), cases[m].needle))
			fail_msg("misuse %d: message '%s' lacks '%s'", m, pto_last_error(),
				 cases[m].needle);
	}
	/* the runtime is fine afterwards */
	assert_int_equal(pto_run(g_rt, orch_nop, NULL), 0);
}

static int orch_read_unpublished(struct pto_runtime *rt, void *p)
{
	struct pto_args a;
	struct pto_tensor cr;
	uint32_t shape[1] = { 16 }, idx[1] = { 0 }, v;

	(void)p;
	assert_int_equal(pto_tensor_create(&cr, PTO2_DTYPE_I32, 1, shape), 0);
	pto_args_init(&a);
	pto_arg_output(&a, &cr);
	assert_true(pto_submit_aiv(rt, K_NOP_AIV, &a) >= 0);
	return pto_tensor_read(rt, &cr, idx, &v);
}

/* Explicit-only mode publishes tasks at scope end: reading a result before would never end. */
static void test_read_unpublished(void **state)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	(void)state;
	rt_test_config(&cfg, 16);
	cfg.dep_mode = PTO_DEPS_EXPLICIT;
	assert_int_equal(pto_runtime_create(g_dev, &cfg, &rt), 0);
	rt_register_all(rt);
	EXPECT(pto_run(rt, orch_read_unpublished, NULL), PTO_E_WAIT_UNPUBLISHED,
	       "pto_tensor_read: task 0 is not published before its scope ends");
	pto_runtime_destroy(rt);
}

/* --- explicit-only mode: edges across scopes and rings -------------------------------- */

enum xmisuse {
	X_CYCLE_ACROSS_RINGS, X_LATER_RETIRED_PRODUCER, X_SAME_RING_ORDER, X_CROSS_SCOPE,
	X_AFTER_PUBLISH, X_EARLIER_INNER_OK, X_READ_WAITS_UNPUBLISHED, X_COUNT,
};

static const struct misuse_case xcases[X_COUNT] = {
	[X_CYCLE_ACROSS_RINGS] = { -EINVAL, "pto_add_dependency: producer 4294967296 was "
				   "submitted after consumer 0" },
	[X_LATER_RETIRED_PRODUCER] = { -EINVAL, "pto_add_dependency: producer 4294967296 was "
				       "submitted after consumer 1" },
	[X_SAME_RING_ORDER] = { -EINVAL, "pto_add_dependency: producer 4294967297 was "
				"submitted after consumer 4294967296" },
	[X_CROSS_SCOPE] = { PTO_E_DEP_SCOPE, "pto_add_dependency: consumer 1 belongs to the "
			    "scope at depth 0, not the current scope at depth 1" },
	[X_AFTER_PUBLISH] = { PTO_E_DEP_PUBLISHED, "pto_add_dependency: consumer 4294967296 "
			      "is already published" },
	[X_EARLIER_INNER_OK] = { 0, "" },
	[X_READ_WAITS_UNPUBLISHED] = { PTO_E_WAIT_UNPUBLISHED, "pto_tensor_read: published task "
				       "4294967296 waits for task 0, which is not published "
				       "before its scope ends" },
};

static int orch_explicit_misuse(struct pto_runtime *rt, void *p)
{
	enum xmisuse m = *(enum xmisuse *)p;
	struct pto_args a;
	struct pto_tensor t, x;
	uint32_t shape[1] = { 16 }, idx[1] = { 0 }, v = 0;
	int64_t ret = 0, o, i, e;

	assert_int_equal(pto_tensor_external(&t, g_buf, PTO2_DTYPE_I32, 1, shape), 0);
	switch (m) {
	case X_CYCLE_ACROSS_RINGS:
		/*
		 * The cycle of issue 12: outer task o creates x; inner task i
		 * (ring 1, submitted after o) reads it, so i waits for o by
		 * creator retention; i -> o would close the cycle.
		 */
		assert_int_equal(pto_tensor_create(&x, PTO2_DTYPE_I32, 1, shape), 0);
		pto_args_init(&a);
		pto_arg_output(&a, &x);
		o = pto_submit_aiv(rt, K_NOP_AIV, &a);
		assert_int_equal(o, 0);
		PTO_SCOPE(rt) {
			pto_args_init(&a);
			pto_arg_input(&a, &x);
			i = pto_submit_aiv(rt, K_NOP_AIV, &a);
		}
		ret = pto_add_dependency(rt, i, o);
		break;
	case X_LATER_RETIRED_PRODUCER:
		e = nop_task(rt, NULL);
		o = nop_task(rt, NULL);
		PTO_SCOPE(rt) {
			i = nop_task(rt, NULL);
		}
		/* waits for every published task: i completes and retires */
		assert_int_equal(pto_tensor_read(rt, &t, idx, &v), 0);
		(void)e;
		ret = pto_add_dependency(rt, i, o);
		break;
	case X_SAME_RING_ORDER:
		PTO_SCOPE(rt) {
			o = nop_task(rt, NULL);
			i = nop_task(rt, NULL);
			ret = pto_add_dependency(rt, i, o);
		}
		break;
	case X_CROSS_SCOPE:
		e = nop_task(rt, NULL);
		o = nop_task(rt, NULL);
		PTO_SCOPE(rt) {
			ret = pto_add_dependency(rt, e, o);
		}
		break;
	case X_AFTER_PUBLISH:
		e = nop_task(rt, NULL);
		PTO_SCOPE(rt) {
			i = nop_task(rt, NULL);
		}
		ret = pto_add_dependency(rt, e, i);
		break;
	case X_EARLIER_INNER_OK:
		/* across rings in the right order: accepted, and the run ends */
		PTO_SCOPE(rt) {
			i = nop_task(rt, NULL);
		}
		o = nop_task(rt, NULL);
		assert_int_equal(pto_add_dependency(rt, i, o), 0);
		return 0;
	case X_READ_WAITS_UNPUBLISHED:
		/*
		 * o waits for the run's end to be published, i for o: the read
		 * (every published task, i too) could never end; refused at
		 * once, not after the stall timeout
		 */
		o = nop_task(rt, NULL);
		PTO_SCOPE(rt) {
			i = nop_task(rt, NULL);
			assert_int_equal(pto_add_dependency(rt, o, i), 0);
		}
		ret = pto_tensor_read(rt, &t, idx, &v);
		break;
	case X_COUNT:
		break;
	}
	assert_int_equal(ret, xcases[m].code);
	return 0;
}

static void test_explicit_misuse(void **state)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	(void)state;
	rt_test_config(&cfg, 16);
	cfg.dep_mode = PTO_DEPS_EXPLICIT;
	assert_int_equal(pto_runtime_create(g_dev, &cfg, &rt), 0);
	rt_register_all(rt);
	for (int m = 0; m < X_COUNT; m++) {
		enum xmisuse mm = (enum xmisuse)m;
		int ret = pto_run(rt, orch_explicit_misuse, &mm);

		if (ret != xcases[m].code)
			fail_msg("case %d: pto_run returned %d (%s), want %d", m, ret,
				 pto_last_error(), xcases[m].code);
		if (!strstr(pto_last_error(), xcases[m].needle))
			fail_msg("case %d: message '%s' lacks '%s'", m, pto_last_error(),
				 xcases[m].needle);
	}
	pto_runtime_destroy(rt);
}

/* Each misuse code has its own description. */
static void test_misuse_codes_distinct(void **state)
{
	static const int codes[] = {
		PTO_E_MANUAL_SCOPE, PTO_E_NESTED_MANUAL, PTO_E_SELF_DEP, PTO_E_DEP_SCOPE,
		PTO_E_DEP_PUBLISHED, PTO_E_MANUAL_BLOCKING, PTO_E_WAIT_UNPUBLISHED,
	};
	const size_t n = sizeof(codes) / sizeof(codes[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(pto_strerror(codes[i]), "unknown status");
		for (size_t k = 0; k < i; k++) {
			assert_int_not_equal(codes[i], codes[k]);
			assert_string_not_equal(pto_strerror(codes[i]), pto_strerror(codes[k]));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_and_create),
		cmocka_unit_test(test_register_and_run),
		cmocka_unit_test(test_tensors),
		cmocka_unit_test(test_outside_run),
		cmocka_unit_test(test_misuse_in_run),
		cmocka_unit_test(test_read_unpublished),
		cmocka_unit_test(test_explicit_misuse),
		cmocka_unit_test(test_misuse_codes_distinct),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
