/* SPDX-License-Identifier: MIT */
/* pto/pto.h - everything an application of libpto needs. */
#ifndef PTO_PTO_H
#define PTO_PTO_H

#include "pto/error.h"
#include "pto/device.h"
#include "pto/kernel.h"
#include "pto/runtime.h"
#include "pto/trace.h"

#endif /* PTO_PTO_H */
