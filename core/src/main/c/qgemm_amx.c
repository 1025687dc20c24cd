/* The AMX-INT8 product kernel (level 4, batches of AMX_MIN_ROWS tokens or more): 16 rows x 16 tokens tiles. */
#include "kernels.h"

#ifdef GPTQ4J_AMX
/*
 * C[m][t] = sum_k A[m][k] B[k][t] over 64-deep steps, A = 16 rows of unpacked weight codes (row-major, one chunk),
 * B = the hi or lo plane of 16 tokens in the tile unit's "VNNI" order (row kk holds, per token, positions 4kk..4kk+3).
 * Tokens go in blocks of up to 64 (4 tiles); their B planes are laid out once per block and reused by every row.
 */
#define TOKEN_BLOCK 64

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((packed)) tile_config;

/* Per-thread scratch, grown on demand and kept for the thread's life (compute threads are persistent). */
static __thread void *amx_b;
static __thread size_t amx_b_size;

AMX_TARGET static void amx_configure(tile_config *cfg, int m, int tt) {
    if (cfg->rows[0] == m && cfg->colsb[1] == tt * 4) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->palette = 1;
    cfg->rows[0] = m;  cfg->colsb[0] = 64;          /* A: m rows of 64 weight bytes */
    cfg->rows[1] = 16; cfg->colsb[1] = tt * 4;      /* B hi: 16 rows of tt tokens x 4 bytes */
    cfg->rows[2] = 16; cfg->colsb[2] = tt * 4;      /* B lo */
    cfg->rows[3] = m;  cfg->colsb[3] = tt * 4;      /* C hi: m x tt int32 */
    cfg->rows[4] = m;  cfg->colsb[4] = tt * 4;      /* C lo */
    _tile_loadconfig(cfg);
}

AMX_TARGET INLINE void amx_bits(const int BITS, const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                const struct gptq4j_output *o) {
    const uint8_t *codes = w->codes;
    const uint16_t *scales = w->scales;
    const int16_t *zeros = w->zeros;
    const int32_t *cblk = w->chunk_block, *cgrp = w->chunk_group;
    const long rowBytes = w->row_bytes, bb = BITS == 8 ? 32 : 16, xstride = w->nb * 32L;
    const int groups = w->groups, chunks = w->chunks, rows = x->rows, ystride = o->ystride, n0 = o->n0, n1 = o->n1;
    const int8_t *hi = x->hi, *lo = x->lo;
    const float *xe = x->e, *bias = o->bias;
    const int32_t *xs = x->sums;
    float *y = o->y;
    int steps = 0; /* 64-deep steps over all chunks (a chunk with an odd block count ends in a zero-padded half step) */
    for (int c = 0; c < chunks; c++) steps += (cblk[c + 1] - cblk[c] + 1) / 2;
    size_t tileBytes = (size_t) steps * 2048;                     /* hi then lo planes of one 16-token tile */
    size_t need = tileBytes * (TOKEN_BLOCK / 16) + (size_t) (TOKEN_BLOCK / 16) * chunks * 16 * 8 + 64;
    uint8_t *b = scratch_grow(&amx_b, &amx_b_size, need);
    if (!b) { gptq4j_qgemm_avx512(w, x, o); return; } /* out of memory: the AVX-512 kernel, same bits */
    uint8_t a[2][16 * 128] __attribute__((aligned(64)));          /* a chunk of 16 unpacked weight rows, two chunks */
    int32_t ch[2][TOKEN_BLOCK / 16][256] __attribute__((aligned(64))), cl[2][TOKEN_BLOCK / 16][256] __attribute__((aligned(64)));
    float acc[TOKEN_BLOCK / 16][16][16] __attribute__((aligned(64)));
    float *sxt = (float *) (b + tileBytes * (TOKEN_BLOCK / 16));   /* [tile][chunk][16]: S of each token */
    float *ext = (float *) (sxt + (TOKEN_BLOCK / 16) * chunks * 16);     /* [tile][chunk][16]: e of each token */
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    for (int r0 = 0; r0 < rows; r0 += TOKEN_BLOCK) {
        int tiles = (rows - r0 < TOKEN_BLOCK ? rows - r0 + 15 : TOKEN_BLOCK) / 16;
        /* lay out the B planes of this token block (tile tt, step s, row kk, token t -> 4 bytes), and S, e by chunk */
        for (int tt = 0; tt < tiles; tt++) {
            int t0 = r0 + tt * 16, nt = rows - t0 < 16 ? rows - t0 : 16;
            uint8_t *bh = b + tt * tileBytes, *bl = bh + (size_t) steps * 1024;
            memset(bh, 0, tileBytes);
            int step = 0;
            for (int c = 0; c < chunks; c++) {
                int k0 = cblk[c] * 32, k1 = cblk[c + 1] * 32;
                for (int k = k0; k < k1; k += 4) {
                    long o = (long) (step + (k - k0) / 64) * 1024 + ((k - k0) % 64) / 4 * 64;
                    for (int t = 0; t < nt; t++) {
                        memcpy(bh + o + t * 4, hi + (t0 + t) * xstride + k, 4);
                        memcpy(bl + o + t * 4, lo + (t0 + t) * xstride + k, 4);
                    }
                }
                step += (cblk[c + 1] - cblk[c] + 1) / 2;
                for (int t = 0; t < 16; t++) {
                    sxt[((long) tt * chunks + c) * 16 + t] = t < nt ? (float) xs[(long) (t0 + t) * chunks + c] : 0.0f;
                    ext[((long) tt * chunks + c) * 16 + t] = t < nt ? xe[(long) (t0 + t) * chunks + c] : 0.0f;
                }
            }
        }
        for (int n = n0; n < n1; n += 16) {
            int m = n1 - n < 16 ? n1 - n : 16;
            memset(acc, 0, sizeof acc);
            /* software pipeline: the tile unit computes chunk c while the vector units finish chunk c - 1 */
            for (int c = 0, step = 0; c <= chunks; c++) {
                if (c < chunks) {
                    int b0 = cblk[c], nbk = cblk[c + 1] - b0, cs = (nbk + 1) / 2;
                    uint8_t *ac = a[c & 1];
                    /* A: the chunk's codes of rows n..n+m-1 as bytes in slot order (zero-padded to whole steps) */
                    for (int i = 0; i < m; i++) {
                        const uint8_t *src = codes + (n + i) * rowBytes + b0 * bb;
                        _mm_prefetch((const char *) src + 16 * rowBytes, _MM_HINT_T0);
                        if (BITS == 8) _mm_prefetch((const char *) src + 16 * rowBytes + 64, _MM_HINT_T0);
                        uint8_t *dst = ac + i * 128;
                        _mm512_store_si512(dst + 64, _mm512_setzero_si512()); /* padding of a half step stays zero */
                        if (BITS == 8) {
                            for (int half = 0; half * 2 < nbk; half++) {
                                __mmask64 mk = nbk - 2 * half >= 2 ? ~0ULL : 0xFFFFFFFFULL;
                                _mm512_storeu_si512(dst + 64 * half, _mm512_maskz_loadu_epi8(mk, src + 64 * half));
                            }
                        } else { /* slots 0..16 nbk: low nibbles; 16 nbk..32 nbk: high nibbles */
                            __mmask64 mk = nbk >= 4 ? ~0ULL : (1ULL << (16 * nbk)) - 1;
                            __m512i v = _mm512_maskz_loadu_epi8(mk, src), nib = _mm512_set1_epi8(0x0F);
                            _mm512_store_si512(dst, _mm512_and_si512(v, nib));
                            _mm512_storeu_si512(dst + 16 * nbk, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib));
                        }
                    }
                    for (int tt = 0; tt < tiles; tt++) {
                        int t0 = r0 + tt * 16, nt = rows - t0 < 16 ? rows - t0 : 16;
                        const uint8_t *bh = b + tt * tileBytes + (size_t) step * 1024, *bl = bh + (size_t) steps * 1024;
                        amx_configure(&cfg, m, nt);
                        _tile_zero(3);
                        _tile_zero(4);
                        for (int s = 0; s < cs; s++) {
                            _tile_loadd(0, ac + s * 64, 128);
                            _tile_loadd(1, bh + s * 1024, 64);
                            _tile_loadd(2, bl + s * 1024, 64);
                            if (BITS == 8) { _tile_dpbssd(3, 0, 1); _tile_dpbssd(4, 0, 2); }
                            else { _tile_dpbusd(3, 0, 1); _tile_dpbusd(4, 0, 2); }
                        }
                        _tile_stored(3, ch[c & 1][tt], 64);
                        _tile_stored(4, cl[c & 1][tt], 64);
                    }
                    step += cs;
                }
                if (c > 0) { /* chunk p = c - 1, per row i, tokens in lanes: v = fma(-z, S, (float) (254 Chi + Clo)), acc = fma(v, s e, acc) */
                    int p = c - 1, g = cgrp[p];
                    for (int tt = 0; tt < tiles; tt++) {
                        __m512 sx = _mm512_load_ps(sxt + ((long) tt * chunks + p) * 16);
                        __m512 ex = _mm512_load_ps(ext + ((long) tt * chunks + p) * 16);
                        const int32_t *h = ch[p & 1][tt], *l = cl[p & 1][tt];
                        for (int i = 0; i < m; i++) {
                            long sg = (long) (n + i) * groups + g;
                            __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(h + i * 16)), _mm512_set1_ps(254.0f),
                                                       _mm512_cvtepi32_ps(_mm512_load_si512(l + i * 16)));
                            v = _mm512_fnmadd_ps(_mm512_set1_ps((float) zeros[sg]), sx, v);
                            __m512 f = _mm512_mul_ps(_mm512_set1_ps(_cvtsh_ss(scales[sg])), ex);
                            _mm512_store_ps(acc[tt][i], _mm512_fmadd_ps(v, f, _mm512_load_ps(acc[tt][i])));
                        }
                    }
                }
            }
            for (int tt = 0; tt < tiles; tt++) {
                int t0 = r0 + tt * 16, nt = rows - t0 < 16 ? rows - t0 : 16;
                for (int i = 0; i < m; i++)
                    for (int t = 0; t < nt; t++) y[(long) (t0 + t) * ystride + n + i] = bias ? acc[tt][i][t] + bias[n + i] : acc[tt][i][t];
            }
        }
    }
    _tile_release();
}

AMX_TARGET int gptq4j_qgemm_amx(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                const struct gptq4j_output *o) {
    if (w->bits == 8) amx_bits(8, w, x, o);
    else amx_bits(4, w, x, o);
    return 0;
}
#endif /* GPTQ4J_AMX */
