/* Memory: the bandwidth probe, load-time repacking of GPTQ tensors, release of consumed file pages. */
#include "kernels.h"

#if !defined(_WIN32) && !defined(GPTQ4J_SDKLESS)
#include <sys/mman.h>
#include <unistd.h>
#endif

/* Reads bytes [0, n) once (n a multiple of 128) and returns an xor of everything read, so nothing is optimized away. */
#if defined(__x86_64__) || defined(_M_X64)
AVX2_TARGET int64_t gptq4j_stream_read(const uint8_t *p, int64_t n) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t i = 0; i + 128 <= n; i += 128) {
        a0 = _mm256_xor_si256(a0, _mm256_load_si256((const __m256i *) (p + i)));
        a1 = _mm256_xor_si256(a1, _mm256_load_si256((const __m256i *) (p + i + 32)));
        a2 = _mm256_xor_si256(a2, _mm256_load_si256((const __m256i *) (p + i + 64)));
        a3 = _mm256_xor_si256(a3, _mm256_load_si256((const __m256i *) (p + i + 96)));
    }
    __m256i a = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
    return _mm256_extract_epi64(a, 0) ^ _mm256_extract_epi64(a, 1) ^ _mm256_extract_epi64(a, 2) ^ _mm256_extract_epi64(a, 3);
}
#else
/* Elsewhere plain C: eight independent 64-bit xor chains per 128 bytes, which the compiler vectorizes (NEON on
 * aarch64); the result is the same xor of every 64-bit word as the AVX2 loop's. */
int64_t gptq4j_stream_read(const uint8_t *p, int64_t n) {
    uint64_t a[16] = {0};
    for (int64_t i = 0; i + 128 <= n; i += 128) {
        const uint64_t *q = (const uint64_t *) __builtin_assume_aligned(p + i, 32);
        for (int j = 0; j < 16; j++) a[j] ^= q[j];
    }
    uint64_t x = 0;
    for (int j = 0; j < 16; j++) x ^= a[j];
    return (int64_t) x;
}
#endif

/* Load: repacking and page release. */

#define REPACK_COLS 64

/*
 * Repacks output features [n0, n1) of an AutoGPTQ qweight ([in*bits/32][out] int32, column n's codes a little-endian
 * bit stream along k) into the kernel layout (PackedGptq): code of feature k goes to permuted position position[k];
 * 4-bit storage puts positions 32b+j and 32b+16+j in the low and high nibble of byte 16b+j, 8-bit storage stores
 * code-128. Padding positions hold code 0. Returns 0, or -1 when out of memory.
 */
int gptq4j_repack(const uint32_t *qw, int in, int out, int bits, const int32_t *position, int nb, uint8_t *codes,
                  int64_t rowBytes, int n0, int n1) {
    const int64_t padded = nb * 32L;
    const uint32_t mask = (1u << bits) - 1;
    uint8_t *c = malloc(REPACK_COLS * padded);
    if (!c) return -1;
    for (int c0 = n0; c0 < n1; c0 += REPACK_COLS) {
        int width = n1 - c0 < REPACK_COLS ? n1 - c0 : REPACK_COLS;
        memset(c, 0, width * padded);
        if (32 % bits == 0) { /* 2, 4, 8 bits: whole codes per word */
            int per = 32 / bits, words = in / per;
            for (int wr = 0; wr < words; wr++) {
                const uint32_t *row = qw + (int64_t) wr * out + c0;
                const int32_t *pos = position + wr * per;
                for (int i = 0; i < width; i++) {
                    uint32_t v = row[i];
                    uint8_t *ci = c + i * padded;
                    for (int j = 0; j < per; j++) ci[pos[j]] = (uint8_t) ((v >> (j * bits)) & mask);
                }
            }
        } else { /* 3 bits: codes straddle words */
            for (int k = 0; k < in; k++) {
                int64_t bit = (int64_t) k * bits;
                int64_t word = bit >> 5;
                int shift = (int) (bit & 31);
                const uint32_t *row = qw + word * out + c0;
                for (int i = 0; i < width; i++) {
                    uint64_t v = row[i];
                    if (shift + bits > 32) v |= (uint64_t) row[i + out] << 32;
                    c[i * padded + position[k]] = (uint8_t) ((v >> shift) & mask);
                }
            }
        }
        for (int i = 0; i < width; i++) {
            const uint8_t *ci = c + i * padded;
            uint8_t *dst = codes + (int64_t) (c0 + i) * rowBytes;
            if (bits == 8) {
                for (int64_t k = 0; k < padded; k++) dst[k] = (uint8_t) (ci[k] - 128);
            } else {
                for (int b = 0; b < nb; b++)
                    for (int j = 0; j < 16; j++) dst[16 * b + j] = (uint8_t) (ci[32 * b + j] | ci[32 * b + 16 + j] << 4);
            }
        }
    }
    free(c);
    return 0;
}

/*
 * Releases this process's pages of a read-only file mapping once its bytes have been repacked (MADV_DONTNEED: the page
 * cache keeps them, resident memory stops counting them; a later read faults them back in unchanged). Only whole
 * pages inside [addr, addr+len) are released. On Windows a no-op (returns 0): the pages stay in the working set until
 * the system trims it.
 */
int gptq4j_release_pages(void *addr, int64_t len) {
#ifdef _WIN32
    (void) addr;
    (void) len;
    return 0;
#else
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t) addr + page - 1) & ~(uintptr_t) (page - 1);
    uintptr_t end = ((uintptr_t) addr + len) & ~(uintptr_t) (page - 1);
    if (end <= start) return 0;
    return madvise((void *) start, end - start, MADV_DONTNEED);
#endif
}
