/*
 * The native library's own test (run-native-tests.sh runs it): loads the library named on the command line (Linux
 * .so, Windows .dll) and checks every entry point of gptq4j.h on synthetic layouts, at every level gptq4j_cpu_levels
 * reports:
 *   gptq4j_quantize  bit for bit against a scalar reference of ActivationQuantizer (Math.round ties toward +inf)
 *   gptq4j_qgemm     bit for bit against a scalar reference of gptq4j.h's integer-then-float steps
 *   gptq4j_f16gemm, gptq4j_attend  within float rounding of a double reference
 *   gptq4j_repack, gptq4j_stream_read, the struct layouts   against scalar references / fixed values
 * Layouts: 4- and 8-bit storage, groups of 32, 64, 128 features and whole rows, odd block counts, 1..37 tokens,
 * output ranges [n0, n1) with odd and even ends, bias or none, with and without an act-order gather table. Every
 * output is also written to OUT_FILE, so that the libraries of two platforms can be compared bit for bit (cmp).
 * Usage: native_test LIBRARY OUT_FILE [EXPECTED_LEVELS] (EXPECTED_LEVELS: the gptq4j_cpu_levels bits this CPU must
 * report, e.g. 96 for NEON + dot products, 224 with i8mm).
 * Prints one line per failure and a summary; exits 0 only when everything passed.
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#define LOAD(path) ((void *) LoadLibraryA(path))
#define SYM(lib, name) ((void *) GetProcAddress((HMODULE) (lib), name))
#else
#include <dlfcn.h>
#define LOAD(path) dlopen(path, RTLD_NOW)
#define SYM(lib, name) dlsym(lib, name)
#endif

#include "../../main/c/gptq4j.h"

static int (*cpu_levels)(void);
static int (*struct_layout)(int64_t *, int);
static int (*kv_struct_layout)(int64_t *, int);
static int (*qgemm)(int, const struct gptq4j_weights *, const struct gptq4j_activations *, float *, int, const float *, int, int);
static void (*quantize)(const struct gptq4j_weights *, const float *, int, const int32_t *, const struct gptq4j_activations *, int, int);
static void (*f16gemm)(int, const uint16_t *, int, const float *, int, float *, int, const float *, int, int);
static void (*attend)(const struct gptq4j_kv_cache *, int64_t, const int32_t *, int, int, float, const float *, float *, float *);
static int64_t (*stream_read)(const uint8_t *, int64_t);
static int (*repack)(const uint32_t *, int, int, int, const int32_t *, int, uint8_t *, int64_t, int, int);

static int failures, checks;
static FILE *out_file;

#define CHECK(cond, ...) do { checks++; if (!(cond)) { failures++; if (failures <= 30) { printf("FAIL: " __VA_ARGS__); printf("\n"); } } } while (0)

static void record(const void *p, size_t bytes) { fwrite(p, 1, bytes, out_file); }

/* A deterministic generator, the same on every platform. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t) (rng >> 16); }
static int uniform(int n) { return (int) (next() % (uint32_t) n); }
static float randf(void) { return ((int) (next() % 20001) - 10000) / 4096.0f; } /* exact, in [-2.45, 2.45] */

static float f16_to_float(uint16_t h) {
    int sign = h >> 15, exp = h >> 10 & 31, man = h & 1023;
    float v = exp == 0 ? ldexpf((float) man, -24) : ldexpf((float) (man | 1024), exp - 25);
    return sign ? -v : v;
}

/* Java's Math.round(float) for |u| < 2^22. */
static float round_half_up(float u) {
    float r = rintf(u);
    return u - r == 0.5f ? r + 1.0f : r;
}

/* ---- layouts ---- */

struct layout {
    int bits, nb, groups, chunks, in, out;
    int32_t cblk[512], cgrp[512];
    uint8_t *codes;
    uint16_t *scales;
    int16_t *zeros;
    struct gptq4j_weights w;
};

/* nb blocks in groups of gblk blocks (the last one shorter), each group cut into chunks of at most 4 blocks. */
static void make_layout(struct layout *L, int bits, int nb, int gblk, int out) {
    L->bits = bits;
    L->nb = nb;
    L->out = out;
    L->in = nb * 32 - uniform(20); /* padding positions at the end */
    L->groups = L->chunks = 0;
    for (int g0 = 0; g0 < nb; g0 += gblk, L->groups++) {
        int g1 = g0 + gblk < nb ? g0 + gblk : nb;
        for (int c0 = g0; c0 < g1; c0 += 4) {
            L->cblk[L->chunks] = c0;
            L->cgrp[L->chunks++] = L->groups;
        }
    }
    L->cblk[L->chunks] = nb;
    int64_t row_bytes = nb * (bits == 8 ? 32 : 16);
    L->codes = malloc(out * row_bytes);
    for (int64_t i = 0; i < out * row_bytes; i++) L->codes[i] = (uint8_t) next();
    L->scales = malloc(sizeof(uint16_t) * out * L->groups);
    L->zeros = malloc(sizeof(int16_t) * out * L->groups);
    for (int i = 0; i < out * L->groups; i++) {
        L->scales[i] = (uint16_t) ((next() & 0x8000) | (uint16_t) (8 + uniform(8)) << 10 | (next() & 1023));
        L->zeros[i] = (int16_t) (bits == 8 ? uniform(256) - 128 : uniform(16));
    }
    L->w = (struct gptq4j_weights) {L->codes, L->scales, L->zeros, L->cblk, L->cgrp, row_bytes, bits, L->groups, L->chunks, nb};
}

static void free_layout(struct layout *L) { free(L->codes); free(L->scales); free(L->zeros); }

struct planes {
    int8_t *hi, *lo;
    float *e;
    int32_t *sums;
    struct gptq4j_activations a;
};

static void make_planes(struct planes *P, const struct layout *L, int rows) {
    size_t slots = (size_t) rows * L->nb * 32;
    P->hi = calloc(slots, 1);
    P->lo = calloc(slots, 1);
    P->e = calloc((size_t) rows * L->chunks, sizeof(float));
    P->sums = calloc((size_t) rows * L->chunks, sizeof(int32_t));
    P->a = (struct gptq4j_activations) {P->hi, P->lo, P->e, P->sums, rows, 0};
}

static void free_planes(struct planes *P) { free(P->hi); free(P->lo); free(P->e); free(P->sums); }

/* ---- references ---- */

/* ActivationQuantizer.quantizeChunks, one value at a time. */
static void ref_quantize(const struct layout *L, const float *x, const int32_t *gather, int rows, struct planes *P) {
    const int64_t padded = L->nb * 32;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < L->chunks; c++) {
            int k0 = L->cblk[c] * 32, len = (L->cblk[c + 1] - L->cblk[c]) * 32;
            float u[128], amax = 0.0f;
            for (int j = 0; j < len; j++) {
                int k = k0 + j;
                u[j] = gather ? (gather[k] >= 0 ? x[(int64_t) r * L->in + gather[k]] : 0.0f) : (k < L->in ? x[(int64_t) r * L->in + k] : 0.0f);
                if (fabsf(u[j]) > amax) amax = fabsf(u[j]);
            }
            float inv = amax == 0.0f ? 0.0f : 127.0f / amax;
            int32_t sum = 0;
            for (int j = 0; j < len; j++) {
                float v = u[j] * inv, hf = round_half_up(v), lf = round_half_up((v - hf) * 254.0f);
                lf = lf < -127.0f ? -127.0f : lf > 127.0f ? 127.0f : lf;
                P->hi[r * padded + k0 + j] = (int8_t) hf;
                P->lo[r * padded + k0 + j] = (int8_t) lf;
                sum += 254 * (int32_t) hf + (int32_t) lf;
            }
            P->e[r * L->chunks + c] = amax / 32258.0f;
            P->sums[r * L->chunks + c] = sum;
        }
    }
}

/* The code of output n at slot j of chunk c (slot order, gptq4j.h). */
static int code_at(const struct layout *L, int n, int c, int j) {
    int b0 = L->cblk[c], nbk = L->cblk[c + 1] - b0;
    const uint8_t *row = L->codes + n * L->w.row_bytes;
    if (L->bits == 8) return (int8_t) row[b0 * 32 + j];
    return j < 16 * nbk ? row[b0 * 16 + j] & 15 : row[b0 * 16 + j - 16 * nbk] >> 4;
}

/* gptq4j.h: V exact per chunk, then v = fmaf(-z, S, V), acc = fmaf(v, s e, acc), + bias. */
static void ref_qgemm(const struct layout *L, const struct planes *P, int rows, float *y, int ystride, const float *bias, int n0, int n1) {
    const int64_t padded = L->nb * 32;
    for (int r = 0; r < rows; r++) {
        for (int n = n0; n < n1; n++) {
            float acc = 0.0f;
            for (int c = 0; c < L->chunks; c++) {
                int k0 = L->cblk[c] * 32, len = (L->cblk[c + 1] - L->cblk[c]) * 32, g = L->cgrp[c];
                int32_t H = 0, Lo = 0;
                for (int j = 0; j < len; j++) {
                    int q = code_at(L, n, c, j);
                    H += q * P->hi[r * padded + k0 + j];
                    Lo += q * P->lo[r * padded + k0 + j];
                }
                int32_t V = 254 * H + Lo;
                float v = fmaf(-(float) L->zeros[n * L->groups + g], (float) P->sums[r * L->chunks + c], (float) V);
                acc = fmaf(v, f16_to_float(L->scales[n * L->groups + g]) * P->e[r * L->chunks + c], acc);
            }
            y[(int64_t) r * ystride + n] = bias ? acc + bias[n] : acc;
        }
    }
}

/* ---- tests ---- */

static void test_products(int levels) {
    static const int bitss[] = {4, 8}, gblks[] = {1, 2, 4, 0 /* whole row */}, nbs[] = {1, 3, 7, 13};
    /* token counts: every remainder of the 4-token tiles, alone and after whole tiles */
    static const int rowss[] = {1, 2, 3, 4, 5, 6, 7, 16, 37};
    const int nrows = (int) (sizeof rowss / sizeof rowss[0]);
    for (int bi = 0; bi < 2; bi++)
        for (int gi = 0; gi < 4; gi++)
            for (int ni = 0; ni < 4; ni++) {
                struct layout L;
                int nb = nbs[ni], out = 5 + uniform(33);
                make_layout(&L, bitss[bi], nb, gblks[gi] ? gblks[gi] : nb, out);
                for (int ri = 0; ri < nrows; ri++) {
                    int rows = rowss[ri], withGather = (ri + ni) % 2, withBias = (ri + gi) % 2;
                    float *x = malloc(sizeof(float) * rows * L.in);
                    for (int i = 0; i < rows * L.in; i++) x[i] = randf() * (i % 7 == 0 ? 8.0f : 1.0f);
                    if (ri == 2) for (int i = 0; i < L.in; i++) x[i] = 0.0f; /* an all-zero token: amax 0 */
                    int32_t *gather = NULL;
                    if (withGather) { /* act order: a permutation of the features, padding slots -1 */
                        gather = malloc(sizeof(int32_t) * nb * 32);
                        for (int k = 0; k < nb * 32; k++) gather[k] = k < L.in ? k : -1;
                        for (int k = nb * 32 - 1; k > 0; k--) { int j = uniform(k + 1), t = gather[k]; gather[k] = gather[j]; gather[j] = t; }
                    }
                    struct planes P, R;
                    make_planes(&P, &L, rows);
                    make_planes(&R, &L, rows);
                    int total = rows * L.chunks, split = total / 3;
                    quantize(&L.w, x, L.in, gather, &P.a, 0, split); /* in two calls, as two compute threads would */
                    quantize(&L.w, x, L.in, gather, &P.a, split, total);
                    ref_quantize(&L, x, gather, rows, &R);
                    size_t slots = (size_t) rows * nb * 32;
                    CHECK(!memcmp(P.hi, R.hi, slots) && !memcmp(P.lo, R.lo, slots) && !memcmp(P.e, R.e, sizeof(float) * total)
                          && !memcmp(P.sums, R.sums, sizeof(int32_t) * total),
                          "quantize bits %d nb %d group %d rows %d gather %d", L.bits, nb, gblks[gi], rows, withGather);
                    record(P.hi, slots); record(P.lo, slots); record(P.e, sizeof(float) * total); record(P.sums, sizeof(int32_t) * total);
                    float *bias = NULL;
                    if (withBias) { bias = malloc(sizeof(float) * out); for (int n = 0; n < out; n++) bias[n] = randf(); }
                    /* outputs [n0, n1): odd and even starts, every remainder of 2- and 4-row tiles (out is 5..37) */
                    int ystride = out + 3, n0 = out > 8 ? 1 + (ri + gi) % 3 : ri % 2, n1 = out - 1;
                    float *want = calloc((size_t) rows * ystride, sizeof(float)), *got = calloc((size_t) rows * ystride, sizeof(float));
                    ref_qgemm(&L, &R, rows, want, ystride, bias, n0, n1);
                    for (int level = 1; level < 31; level++) {
                        if (!(levels >> level & 1)) continue;
                        memset(got, 0, sizeof(float) * rows * ystride);
                        int rc = qgemm(level, &L.w, &P.a, got, ystride, bias, n0, n1);
                        CHECK(rc == 0 && !memcmp(got, want, sizeof(float) * rows * ystride),
                              "qgemm level %d bits %d nb %d group %d rows %d gather %d bias %d", level, L.bits, nb, gblks[gi], rows, withGather, withBias);
                    }
                    record(got, sizeof(float) * rows * ystride);
                    free(want); free(got); free(bias); free(gather); free(x);
                    free_planes(&P); free_planes(&R);
                }
                free_layout(&L);
            }
}

static void test_f16gemm(int levels) {
    static const int ins[] = {16, 40, 100, 256};
    for (int ii = 0; ii < 4; ii++) {
        for (int rows = 1; rows <= 6; rows++) {
            int in = ins[ii], out = 3 + uniform(20), ystride = out;
            uint16_t *w = malloc(sizeof(uint16_t) * out * in);
            for (int i = 0; i < out * in; i++) w[i] = (uint16_t) ((next() & 0x8000) | (uint16_t) (10 + uniform(8)) << 10 | (next() & 1023));
            float *x = malloc(sizeof(float) * rows * in), *bias = malloc(sizeof(float) * out);
            for (int i = 0; i < rows * in; i++) x[i] = randf();
            for (int n = 0; n < out; n++) bias[n] = randf();
            float *y = malloc(sizeof(float) * rows * out), *first = malloc(sizeof(float) * rows * out);
            int firstLevel = 0;
            for (int level = 1; level < 31; level++) {
                if (!(levels >> level & 1)) continue;
                f16gemm(level, w, in, x, rows, y, ystride, rows % 2 ? bias : NULL, 0, out);
                for (int r = 0; r < rows; r++)
                    for (int n = 0; n < out; n++) {
                        double want = rows % 2 ? bias[n] : 0.0, mag = 0.0;
                        for (int k = 0; k < in; k++) { want += (double) f16_to_float(w[n * in + k]) * x[r * in + k]; mag += fabs((double) f16_to_float(w[n * in + k]) * x[r * in + k]); }
                        CHECK(fabs(y[r * out + n] - want) <= 1e-6 * (mag + 1.0), "f16gemm level %d in %d rows %d: %g vs %g", level, in, rows, y[r * out + n], want);
                    }
                if (!firstLevel) { firstLevel = level; memcpy(first, y, sizeof(float) * rows * out); record(y, sizeof(float) * rows * out); }
            }
            free(w); free(x); free(bias); free(y); free(first);
        }
    }
}

/* The F16 bits of x, which must be exactly representable as a normal F16 or zero (the values test_attention makes). */
static uint16_t exact_f16(float x) {
    if (x == 0.0f) return 0;
    uint16_t sign = x < 0 ? 0x8000 : 0;
    float a = fabsf(x);
    int e = 0;
    while (a >= 2.0f) { a /= 2.0f; e++; }
    while (a < 1.0f) { a *= 2.0f; e--; }
    return (uint16_t) (sign | (e + 15) << 10 | (uint16_t) ((a - 1.0f) * 1024.0f));
}

/* Attention over float32 caches, then over F16 caches of values that F16 holds exactly (multiples of 1/512 below 2.45),
 * both against a double reference over the same values. */
static void test_attention(void) {
    static const int hds[] = {64, 100, 128, 8};
    static const int poss[] = {0, 6, 7, 8, 37, 130};
    for (int f16 = 0; f16 < 2; f16++)
    for (int hi = 0; hi < 4; hi++)
        for (int pi = 0; pi < 6; pi++) {
            int hd = hds[hi], pos = poss[pi], block = 5 + hi * 3, heads = 2, stride = hd * heads;
            int nblocks = pos / block + 1, pool = nblocks + 3;
            size_t elems = (size_t) pool * block * stride;
            float *keys = malloc(sizeof(float) * elems), *values = malloc(sizeof(float) * elems);
            uint16_t *keys16 = malloc(2 * elems), *values16 = malloc(2 * elems);
            for (size_t i = 0; i < elems; i++) {
                keys[i] = randf(); values[i] = randf();
                if (f16) {
                    keys[i] = roundf(keys[i] * 512.0f) / 512.0f; values[i] = roundf(values[i] * 512.0f) / 512.0f;
                    keys16[i] = exact_f16(keys[i]); values16[i] = exact_f16(values[i]);
                    CHECK(f16_to_float(keys16[i]) == keys[i], "exact_f16(%g)", keys[i]);
                }
            }
            int32_t blocks[64];
            for (int b = 0; b < nblocks; b++) blocks[b] = (b * 7 + 3) % pool; /* scattered block ids */
            struct gptq4j_kv_cache kv = {f16 ? (const void *) keys16 : keys, f16 ? (const void *) values16 : values, block,
                                         stride, f16 ? GPTQ4J_KV_F16 : GPTQ4J_KV_F32, 0};
            float q[128], out[128], scores[256], scale = 1.0f / sqrtf((float) hd);
            for (int d = 0; d < hd; d++) q[d] = randf();
            int64_t base = hd; /* the second head */
            attend(&kv, base, blocks, hd, pos, scale, q, scores, out);
            double s[256], max = -1e300, sum = 0.0;
            for (int p = 0; p <= pos; p++) {
                const float *k = keys + base + ((int64_t) blocks[p / block] * block + p % block) * stride;
                double dot = 0.0;
                for (int d = 0; d < hd; d++) dot += (double) q[d] * k[d];
                s[p] = dot * scale;
                if (s[p] > max) max = s[p];
            }
            for (int p = 0; p <= pos; p++) { s[p] = exp(s[p] - max); sum += s[p]; }
            for (int d = 0; d < hd; d++) {
                double want = 0.0;
                for (int p = 0; p <= pos; p++) want += s[p] / sum * values[base + ((int64_t) blocks[p / block] * block + p % block) * stride + d];
                CHECK(fabs(out[d] - want) <= 2e-5, "attend %s hd %d pos %d d %d: %g vs %g", f16 ? "f16" : "f32", hd, pos, d, out[d], want);
            }
            record(out, sizeof(float) * hd);
            record(scores, sizeof(float) * (pos + 1));
            free(keys); free(values); free(keys16); free(values16);
        }
}

static void test_memory(void) {
    /* repack: 4- and 8-bit qweights ([in * bits / 32][out] words) with a permutation into the kernel layout */
    for (int bits = 4; bits <= 8; bits += 4) {
        int in = 96, out = 70, nb = 4, per = 32 / bits;
        uint32_t *qw = malloc(sizeof(uint32_t) * in / per * out);
        for (int i = 0; i < in / per * out; i++) qw[i] = next() << 16 ^ next();
        int32_t position[96];
        for (int k = 0; k < in; k++) position[k] = k;
        for (int k = in - 1; k > 0; k--) { int j = uniform(k + 1), t = position[k]; position[k] = position[j]; position[j] = t; }
        int64_t rowBytes = nb * (bits == 8 ? 32 : 16);
        uint8_t *codes = calloc(out, rowBytes);
        CHECK(repack(qw, in, out, bits, position, nb, codes, rowBytes, 0, out) == 0, "repack rc");
        int ok = 1;
        for (int n = 0; n < out; n++) {
            uint8_t c[128] = {0};
            for (int k = 0; k < in; k++) c[position[k]] = (uint8_t) (qw[(k / per) * out + n] >> (k % per * bits) & ((1u << bits) - 1));
            for (int b = 0; b < nb; b++)
                for (int j = 0; j < (bits == 8 ? 32 : 16); j++) {
                    uint8_t want = bits == 8 ? (uint8_t) (c[32 * b + j] - 128) : (uint8_t) (c[32 * b + j] | c[32 * b + 16 + j] << 4);
                    if (codes[n * rowBytes + b * (bits == 8 ? 32 : 16) + j] != want) ok = 0;
                }
        }
        CHECK(ok, "repack bits %d", bits);
        record(codes, out * rowBytes);
        free(qw); free(codes);
    }
    /* stream_read: the xor of every 64-bit word */
    uint64_t *buf = NULL;
#ifdef _WIN32
    buf = _aligned_malloc(4096, 64);
#else
    if (posix_memalign((void **) &buf, 64, 4096)) buf = NULL;
#endif
    uint64_t want = 0;
    for (int i = 0; i < 512; i++) { buf[i] = (uint64_t) next() << 32 | next(); want ^= buf[i]; }
    CHECK((uint64_t) stream_read((const uint8_t *) buf, 4096) == want, "stream_read");
    /* the descriptors' layouts: offsets and sizes the same on every 64-bit ABI (Java's layouts) */
    int64_t l[32];
    static const int64_t wl[] = {0, 8, 16, 24, 32, 40, 48, 52, 56, 60, 64, 0, 8, 16, 24, 32, 36, 40};
    static const int64_t kl[] = {0, 8, 16, 20, 24, 28, 32};
    CHECK(struct_layout(l, 32) == 18 && !memcmp(l, wl, sizeof wl), "struct layout");
    CHECK(kv_struct_layout(l, 32) == 7 && !memcmp(l, kl, sizeof kl), "kv struct layout");
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: native_test LIBRARY OUT_FILE [EXPECTED_LEVELS]\n"); return 2; }
    void *lib = LOAD(argv[1]);
    if (!lib) { printf("FAIL: cannot load %s\n", argv[1]); return 1; }
#define BIND(var, name) do { *(void **) &var = SYM(lib, name); if (!var) { printf("FAIL: %s lacks %s\n", argv[1], name); return 1; } } while (0)
    BIND(cpu_levels, "gptq4j_cpu_levels");
    BIND(struct_layout, "gptq4j_struct_layout");
    BIND(kv_struct_layout, "gptq4j_kv_struct_layout");
    BIND(qgemm, "gptq4j_qgemm");
    BIND(quantize, "gptq4j_quantize");
    BIND(f16gemm, "gptq4j_f16gemm");
    BIND(attend, "gptq4j_attend");
    BIND(stream_read, "gptq4j_stream_read");
    BIND(repack, "gptq4j_repack");
    out_file = fopen(argv[2], "wb");
    if (!out_file) { printf("FAIL: cannot write %s\n", argv[2]); return 1; }
    int levels = cpu_levels();
    printf("%s: gptq4j_cpu_levels = %d\n", argv[1], levels);
    if (argc > 3) CHECK(levels == atoi(argv[3]), "gptq4j_cpu_levels %d, expected %s", levels, argv[3]);
    CHECK(levels != 0, "no level");
    test_products(levels);
    test_f16gemm(levels);
    test_attention();
    test_memory();
    fclose(out_file);
    printf("%s: %d checks, %d failed\n", argv[1], checks, failures);
    return failures ? 1 : 0;
}
