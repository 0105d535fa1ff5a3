/* SPDX-License-Identifier: MIT */
/*
 * sim_test_util.h - dispatching to mock-device cores by hand, the way a
 * scheduler does, for the device and sim tests.  Static helpers only.
 */
#ifndef PTO_SIM_TEST_UTIL_H
#define PTO_SIM_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "libpto/device/device_ops.h"
#include "libpto/util/waiter.h"
#include "pto/device.h"
#include "runtime/regs.h"

/* Hang guard of every wait in the tests (never a speed assertion). */
#define TEST_WAIT_NS		(10ull * 1000000000ull)

/* The payload buffer dispatch @id of @core uses. */
static inline struct pto2_dispatch_payload *test_payload(struct pto_device *dev, uint32_t core,
							 uint32_t id)
{
	struct pto2_core_regs *r = pto_device_regs(dev, core);
	uint64_t a = reg_load_relaxed(&r->payload_addr) +
		     (uint64_t)PTO2_PAYLOAD_SLOT(id) * PTO2_PAYLOAD_SIZE;

	return pto_mem_map(dev, a, PTO2_PAYLOAD_SIZE);
}

/* Fill the payload of @id, publish @id in DATA_MAIN_BASE, ring the doorbell. */
static inline void test_dispatch(struct pto_device *dev, uint32_t core, uint32_t id,
				 uint32_t kernel, const uint64_t *scalars, uint32_t n)
{
	struct pto2_dispatch_payload *p = test_payload(dev, core, id);

	memset(p, 0, sizeof(*p));
	p->kernel_id = kernel;
	p->block_num = 1;
	p->num_scalars = n;
	for (uint32_t i = 0; i < n; i++)
		p->args[i] = scalars[i];
	/* publishes the payload; pairs with the core's acquire of DATA_MAIN_BASE */
	reg_store_release(&pto_device_regs(dev, core)->data_main_base, id);
	pto__device_kick(dev, core);
}

static inline void test_exit(struct pto_device *dev, uint32_t core)
{
	reg_store_release(&pto_device_regs(dev, core)->data_main_base, PTO2_REG_EXIT);
	pto__device_kick(dev, core);
}

/*
 * Wait until @core's COND equals @want, sleeping on the completion waiter
 * in 1 ms slices (an ACK does not move it).  Return: true if seen before
 * the hang guard @timeout_ns ran out.
 */
static inline bool test_wait_cond_for(struct pto_device *dev, uint32_t core, uint32_t want,
				      uint64_t timeout_ns)
{
	struct pto2_core_regs *r = pto_device_regs(dev, core);
	uint64_t deadline = pto_now_ns() + timeout_ns;

	for (;;) {
		/* announced before the look: a FIN after it ends the sleep */
		uint32_t key = pto__device_completion_prepare(dev);
		uint64_t now = pto_now_ns();
		/* pairs with the core's release store of COND */
		bool seen = reg_load_acquire(&r->cond) == want;

		if (seen || now >= deadline) {
			pto__device_completion_cancel(dev);
			return seen;
		}
		pto__device_wait_completion(dev, key, now + 1000000);
	}
}

static inline bool test_wait_cond(struct pto_device *dev, uint32_t core, uint32_t want)
{
	return test_wait_cond_for(dev, core, want, TEST_WAIT_NS);
}

#endif /* PTO_SIM_TEST_UTIL_H */
