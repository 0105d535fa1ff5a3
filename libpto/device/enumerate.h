/* SPDX-License-Identifier: MIT */
/* enumerate.h - the device scan behind pto_device_list().  Internal. */
#ifndef PTO_DEVICE_ENUMERATE_H
#define PTO_DEVICE_ENUMERATE_H

#include <stdint.h>

#include "pto/device.h"

/*
 * pto__device_scan() - pto_device_list() over directory @dir instead of
 * /dev (tests).  Return: as pto_device_list().
 */
int pto__device_scan(const char *dir, struct pto_device_entry *out, uint32_t max);

#endif /* PTO_DEVICE_ENUMERATE_H */
