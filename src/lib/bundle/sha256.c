/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The confinement bundle's content digest: SHA-256 by nettle (its static
 * archive also goes into plastron-init), written as 64 lowercase hex digits.
 */
#include <nettle/sha2.h>

#include "plastron/bundle.h"

void pl_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	uint8_t sum[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, sizeof(sum), sum);
	for (size_t i = 0; i < sizeof(sum); i++) {
		out[2 * i] = digits[sum[i] >> 4];
		out[2 * i + 1] = digits[sum[i] & 15];
	}
	out[64] = '\0';
}
