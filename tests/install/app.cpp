// SPDX-License-Identifier: MIT
/*
 * app.cpp - a C++17 program against the installed libpto: one kernel of its
 * own (x[i] = 3 * x[i] + s), two dependent tasks inside a PTO_SCOPE, the
 * result checked on the host.  Built by tests/install/installed.sh with only
 * pkg-config, shared and static.
 */
#include <cstdio>
#include <vector>

#include <pto/pto.h>

namespace {

constexpr uint32_t kAxpb = 7;
constexpr uint32_t kN = 4096;

int axpb(const pto_kernel_ctx *ctx)
{
	auto *x = static_cast<float *>(pto_kernel_data(ctx, 0));
	const float s = pto_kernel_scalar_f32(ctx, 0);

	for (uint64_t i = 0; i < pto_kernel_numel(ctx, 0); i++)
		x[i] = 3.0f * x[i] + s;
	return 0;
}

struct Job {
	uint64_t x;
};

int orch(pto_runtime *rt, void *arg)
{
	const auto *job = static_cast<const Job *>(arg);
	const uint32_t shape[1] = { kN };
	pto_tensor x;
	pto_args args;

	pto_tensor_external(&x, job->x, PTO2_DTYPE_F32, 1, shape);
	PTO_SCOPE(rt) {
		for (float s : { 1.0f, 2.0f }) {	// x = 3 * (3 * x + 1) + 2: INOUT orders them
			pto_args_init(&args);
			pto_arg_inout(&args, &x);
			pto_arg_scalar_f32(&args, s);
			if (pto_submit_aiv(rt, kAxpb, &args) < 0)
				return -1;
		}
	}
	return 0;
}

int fail(const char *what, int rc)
{
	std::fprintf(stderr, "app: %s: %s: %s\n", what, pto_strerror(rc), pto_last_error());
	return 1;
}

} // namespace

int main()
{
	pto_device *dev = nullptr;
	pto_runtime *rt = nullptr;
	std::vector<float> host(kN);
	Job job{};
	int rc;

	for (uint32_t i = 0; i < kN; i++)
		host[i] = static_cast<float>(i % 100);
	if ((rc = pto_device_open("mock:clusters=2,workers=2", &dev)))
		return fail("device", rc);
	if ((rc = pto_mem_alloc(dev, kN * sizeof(float), 0, &job.x)) ||
	    (rc = pto_mem_upload(dev, job.x, host.data(), kN * sizeof(float))) ||
	    (rc = pto_runtime_create(dev, nullptr, &rt)) ||
	    (rc = pto_register_kernel(rt, kAxpb, PTO2_CORE_AIV, axpb, "axpb")) ||
	    (rc = pto_run(rt, orch, &job)))
		return fail("run", rc);
	std::vector<float> out(kN);
	if ((rc = pto_mem_download(dev, out.data(), job.x, kN * sizeof(float))))
		return fail("download", rc);
	uint32_t bad = 0;
	for (uint32_t i = 0; i < kN; i++)
		bad += out[i] != 3.0f * (3.0f * host[i] + 1.0f) + 2.0f;
	std::printf("%s app.cpp: %u of %u wrong\n", bad ? "FAIL" : "PASS", bad, kN);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
	return bad != 0;
}
