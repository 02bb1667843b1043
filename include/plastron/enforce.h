/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compatibility header: the API that applies profiles to a process, which
 * this header used to hold, is include/plastron/apply.h. Kept for the files
 * that still include this one.
 */
#pragma once

#include "plastron/apply.h"
