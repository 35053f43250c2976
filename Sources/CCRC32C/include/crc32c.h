#ifndef CHURN_CRC32C_H
#define CHURN_CRC32C_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `length` bytes at `data`.
///
/// `crc` is the CRC of the bytes before `data` (0 to start), so calls chain:
/// churn_crc32c(churn_crc32c(0, a, n), b, m) == CRC32C(a || b). The initial 0xFFFFFFFF and the
/// final xor are applied inside; churn_crc32c(0, "123456789", 9) == 0xE3069283.
/// Uses the SSE4.2 (x86-64) or ARMv8 CRC instructions when the CPU has them, else a table.
uint32_t churn_crc32c(uint32_t crc, const void *data, size_t length);

/// The table-driven implementation alone (slicing-by-8), for tests and as the fallback.
uint32_t churn_crc32c_software(uint32_t crc, const void *data, size_t length);

/// The instruction-based implementation; falls back to software when the CPU lacks it.
uint32_t churn_crc32c_hardware(uint32_t crc, const void *data, size_t length);

/// 1 when churn_crc32c uses CPU instructions, 0 when it uses the table.
int churn_crc32c_hardware_available(void);

#ifdef __cplusplus
}
#endif

#endif
