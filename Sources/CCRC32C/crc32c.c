// CRC-32C (Castagnoli). Hardware path after Mark Adler's crc32c.c (zlib licence): three independent
// CRC streams over adjacent blocks hide the 3-cycle latency of the crc32 instruction, and are joined
// with "append n zero bytes" operators precomputed as tables. Software path: slicing-by-8.

#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82f63b78u

#if defined(__x86_64__)
#include <nmmintrin.h>
#define CHURN_HW_X86 1
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#define CHURN_HW_ARM 1
#endif

static uint32_t table[8][256];
#if defined(CHURN_HW_X86)
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256
static uint32_t zeros_long[4][256];
static uint32_t zeros_short[4][256];
#endif
static int hardware;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint32_t gf2_matrix_times(const uint32_t *mat, uint32_t vec) {
    uint32_t sum = 0;
    while (vec) {
        if (vec & 1) sum ^= *mat;
        vec >>= 1;
        mat++;
    }
    return sum;
}

static void gf2_matrix_square(uint32_t *square, const uint32_t *mat) {
    for (int n = 0; n < 32; n++) square[n] = gf2_matrix_times(mat, mat[n]);
}

#if defined(CHURN_HW_X86)
// The operator that appends `len` (a power of two) zero bytes to a raw CRC register.
static void zeros_operator(uint32_t *even, size_t len) {
    uint32_t odd[32];
    odd[0] = POLY;
    uint32_t row = 1;
    for (int n = 1; n < 32; n++) {
        odd[n] = row;
        row <<= 1;
    }
    gf2_matrix_square(even, odd);  // 2 zero bits
    gf2_matrix_square(odd, even);  // 4 zero bits
    do {
        gf2_matrix_square(even, odd);
        len >>= 1;
        if (len == 0) return;
        gf2_matrix_square(odd, even);
        len >>= 1;
    } while (len);
    for (int n = 0; n < 32; n++) even[n] = odd[n];
}

static void zeros_tables(uint32_t zeros[][256], size_t len) {
    uint32_t op[32];
    zeros_operator(op, len);
    for (uint32_t n = 0; n < 256; n++) {
        zeros[0][n] = gf2_matrix_times(op, n);
        zeros[1][n] = gf2_matrix_times(op, n << 8);
        zeros[2][n] = gf2_matrix_times(op, n << 16);
        zeros[3][n] = gf2_matrix_times(op, n << 24);
    }
}

static inline uint32_t shift(uint32_t zeros[][256], uint32_t crc) {
    return zeros[0][crc & 0xff] ^ zeros[1][(crc >> 8) & 0xff] ^ zeros[2][(crc >> 16) & 0xff] ^ zeros[3][crc >> 24];
}
#endif

static void init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (POLY & (0u - (c & 1)));
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = table[0][n];
        for (int k = 1; k < 8; k++) {
            c = table[0][c & 0xff] ^ (c >> 8);
            table[k][n] = c;
        }
    }
#if defined(CHURN_HW_X86)
    zeros_tables(zeros_long, LONG_BLOCK);
    zeros_tables(zeros_short, SHORT_BLOCK);
    __builtin_cpu_init();
    hardware = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#elif defined(CHURN_HW_ARM)
    hardware = 1;
#else
    hardware = 0;
#endif
}

static uint32_t software(uint32_t crc, const unsigned char *p, size_t length) {
    uint32_t c = ~crc;
    while (length && ((uintptr_t)p & 7)) {
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        length--;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (length >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint32_t lo = (uint32_t)w ^ c;
        uint32_t hi = (uint32_t)(w >> 32);
        c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24]
            ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^ table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
        p += 8;
        length -= 8;
    }
#endif
    while (length--) c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

#if defined(CHURN_HW_X86)
__attribute__((target("sse4.2")))
static uint32_t instructions(uint32_t crc, const unsigned char *next, size_t len) {
    uint64_t crc0 = (uint32_t)~crc, crc1, crc2, w0, w1, w2;
    while (len && ((uintptr_t)next & 7)) {
        crc0 = _mm_crc32_u8((uint32_t)crc0, *next++);
        len--;
    }
    while (len >= LONG_BLOCK * 3) {
        crc1 = 0;
        crc2 = 0;
        const unsigned char *end = next + LONG_BLOCK;
        do {
            memcpy(&w0, next, 8);
            memcpy(&w1, next + LONG_BLOCK, 8);
            memcpy(&w2, next + 2 * LONG_BLOCK, 8);
            crc0 = _mm_crc32_u64(crc0, w0);
            crc1 = _mm_crc32_u64(crc1, w1);
            crc2 = _mm_crc32_u64(crc2, w2);
            next += 8;
        } while (next < end);
        crc0 = shift(zeros_long, (uint32_t)crc0) ^ (uint32_t)crc1;
        crc0 = shift(zeros_long, (uint32_t)crc0) ^ (uint32_t)crc2;
        next += 2 * LONG_BLOCK;
        len -= 3 * LONG_BLOCK;
    }
    while (len >= SHORT_BLOCK * 3) {
        crc1 = 0;
        crc2 = 0;
        const unsigned char *end = next + SHORT_BLOCK;
        do {
            memcpy(&w0, next, 8);
            memcpy(&w1, next + SHORT_BLOCK, 8);
            memcpy(&w2, next + 2 * SHORT_BLOCK, 8);
            crc0 = _mm_crc32_u64(crc0, w0);
            crc1 = _mm_crc32_u64(crc1, w1);
            crc2 = _mm_crc32_u64(crc2, w2);
            next += 8;
        } while (next < end);
        crc0 = shift(zeros_short, (uint32_t)crc0) ^ (uint32_t)crc1;
        crc0 = shift(zeros_short, (uint32_t)crc0) ^ (uint32_t)crc2;
        next += 2 * SHORT_BLOCK;
        len -= 3 * SHORT_BLOCK;
    }
    while (len >= 8) {
        memcpy(&w0, next, 8);
        crc0 = _mm_crc32_u64(crc0, w0);
        next += 8;
        len -= 8;
    }
    while (len) {
        crc0 = _mm_crc32_u8((uint32_t)crc0, *next++);
        len--;
    }
    return ~(uint32_t)crc0;
}
#elif defined(CHURN_HW_ARM)
static uint32_t instructions(uint32_t crc, const unsigned char *next, size_t len) {
    uint32_t c = ~crc;
    while (len && ((uintptr_t)next & 7)) {
        c = __crc32cb(c, *next++);
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, next, 8);
        c = __crc32cd(c, w);
        next += 8;
        len -= 8;
    }
    while (len--) c = __crc32cb(c, *next++);
    return ~c;
}
#endif

uint32_t churn_crc32c_software(uint32_t crc, const void *data, size_t length) {
    pthread_once(&once, init);
    return software(crc, (const unsigned char *)data, length);
}

uint32_t churn_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    pthread_once(&once, init);
#if defined(CHURN_HW_X86) || defined(CHURN_HW_ARM)
    if (hardware) return instructions(crc, (const unsigned char *)data, length);
#endif
    return software(crc, (const unsigned char *)data, length);
}

int churn_crc32c_hardware_available(void) {
    pthread_once(&once, init);
    return hardware;
}

uint32_t churn_crc32c(uint32_t crc, const void *data, size_t length) {
    return churn_crc32c_hardware(crc, data, length);
}
