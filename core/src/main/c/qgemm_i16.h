/*
 * The 256-bit product kernel with int16 activations (levels 1 and 2). The two int8 planes of a token are combined once
 * per call into one int16 per slot,
 *   x[k] = 254 hi[k] + lo[k]                     (|x| <= 254 * 127 + 127 = 32385: fits int16)
 * so that one 16-lane multiply-add of int16 pairs gives what two int8 dots per plane gave before:
 *   V = sum_k q[k] x[k] = 254 (q . hi) + (q . lo)  (int32, exact: the integer of gptq4j.h)
 * and the float steps per chunk are gptq4j.h's, so the bits are those of every other kernel. Half the multiplies of
 * the two-plane dots (AVX2 has no int8 dot instruction: maddubs + madd per plane), and:
 *   1-4 tokens          (decode, a few sequences) four rows at a time, each activation vector feeding four rows,
 *                       one reduction of four rows' sums per chunk and token, the float steps for the four rows in
 *                       one vector (zero points and scales transposed once per pass); 4-bit codes meet the two int8
 *                       planes directly (i8_dot: maddubs on AVX2, vpdpbusd on AVX-VNNI: one mask and one shift per 32
 *                       bytes, no int16 unpacking), 8-bit codes the int16 activations; the tokens share each step's
 *                       codes; the rows two passes ahead prefetched into L2 as one sequential run;
 *   batches             tokens in blocks of TOKEN_BLOCK laid out as int16 once, chunk by chunk. K is cut into slices
 *                       whose activations stay in L2 while every row passes; between slices the running sums wait in
 *                       y (the float each next chunk's fma reads: every (row, token) still sums in chunk order).
 *                       256 bits: tiles of 16 rows x 4 tokens (i16_tile_chunk): a chunk of 16 rows unpacked and
 *                       transposed once so that a vector holds one slot pair of 8 rows, multiplied with each token's
 *                       slot pair broadcast, so that the sums' lanes are rows and need no reduction: the float steps
 *                       run on 8 rows per instruction and the running sums store contiguously.
 *                       512 bits (I16_WIDE): four rows' chunk unpacked once into L1 and multiplied with every pair of
 *                       tokens into eight accumulators (4 rows x 2 tokens), reduced so that (row r, token t) is in
 *                       lane 4 t + r for the float steps.
 *
 * Shared by qgemm_avx2.c and qgemm_vnni.c, which differ only in the instructions that multiply. Each defines, before
 * including this file:
 *   I16_TARGET             the functions' instruction-set target (AVX2_TARGET, VNNI_TARGET)
 *   i16_dot(acc, w, x)     an INLINE function adding to 8 int32 lanes the sums of adjacent int16 products w x
 *   i8_acc, i8_dot(acc, q, x), i8_combine(hi, lo)   a chunk's sums of unsigned code x signed activation bytes, and
 *                          254 hi + lo of two such sums as 8 int32 lanes (exact); I8_ACC_INT32 instead of
 *                          i8_combine where i8_dot accumulates in int32 lanes (the header then defines it)
 * or, for the batch loop alone in 512-bit form (qgemm_i16_avx512.c, which gptq4j_qgemm calls for batches only),
 *   I16_WIDE and i16_dot512(acc, w, x)   the same as i16_dot over 16 int32 lanes; the decode path (1-4
 *                          tokens), and with it i16_dot and the i8 functions, is then not compiled
 * and gets i16_product(w, x, o) (static: each file compiles its own copy for its target).
 */
#ifndef I16_TARGET
#error "define I16_TARGET and i16_dot before including qgemm_i16.h"
#endif

#ifdef I8_ACC_INT32
/* For i8_dot instructions that accumulate in int32 lanes (vpdpbusd: qgemm_vnni.c, qgemm_i16_avx512.c), which define
 * I8_ACC_INT32 instead of i8_combine: 254 * hi + lo (= 256 hi - 2 hi + lo) in 8 int32 lanes, exactly (|V| < 2^30). */
I16_TARGET INLINE __m256i i8_combine(__m256i hi, __m256i lo) {
    return _mm256_add_epi32(_mm256_sub_epi32(_mm256_slli_epi32(hi, 8), _mm256_slli_epi32(hi, 1)), lo);
}
#endif

#define I16_ROWS 4              /* output rows per pass (decode; batches in 512-bit form) */
#define I16_DECODE_TOKENS 4     /* batches of up to this many tokens run the decode kernel, not a tile */
#define I16_TILE_ROWS 16        /* a 256-bit batch tile: output rows ... */
#define I16_TILE_TOKENS 4       /* ... times tokens */
#define I16_TOKEN_BLOCK 64      /* tokens laid out as int16 per pass over the weights */
#define I16_SLICE (128 * 1024)  /* bytes of a token block's activations over one K slice (they stay in L2) */
/* Decode prefetches into L2 the rows two passes ahead (I16_PREFETCH_ROWS rows on), as one sequential run: a pass's
 * rows are consecutive in memory, and its k-th chunk asks for the k-th slice of the region two passes on. Reading
 * four rows side by side, a pass would otherwise show the hardware four streams a row apart (2-11 KiB): on Zen 3,
 * two cores read 14.9 GB/s that way against 18.5 for the same lines asked for in order (loads alone, 512 MB). */
#define I16_PREFETCH_ROWS (2 * I16_ROWS)

/* Chunks per K slice for a block of `block` tokens: their int16 activations over the slice (256 bytes a token and
 * chunk of 4 blocks) fit in I16_SLICE, at least one chunk. */
static inline int i16_slice_chunks(int block) {
    long chunks = I16_SLICE / (block * 256L);
    return chunks > 0 ? (int) chunks : 1;
}

/* Per-thread scratch for the int16 activations (scratch_grow, kernels.h). */
static __thread void *i16_scratch;
static __thread size_t i16_scratch_size;

static void *i16_scratch_of(size_t bytes) {
    return scratch_grow(&i16_scratch, &i16_scratch_size, bytes);
}

/* x[t][k] = 254 hi[t][k] + lo[t][k] for tokens t < nt and slots k < len (a multiple of 32: whole blocks). */
I16_TARGET static void i16_widen(const int8_t *hi, const int8_t *lo, long len, int nt, int16_t *x) {
    const __m256i k254 = _mm256_set1_epi16(254);
    for (long i = 0; i < nt * len; i += 16) {
        __m256i h = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) (hi + i)));
        __m256i l = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) (lo + i)));
        _mm256_store_si256((__m256i *) (x + i), _mm256_add_epi16(_mm256_mullo_epi16(h, k254), l));
    }
}

/* Nibbles of 32 bytes as four vectors of 16 int16 codes, in slot order: lo[0..1] the low nibbles of bytes 0..15 and
 * 16..31, hi[0..1] their high nibbles. (qwords 0 2 1 3 first, so that the in-lane byte unpacks keep slot order.) */
I16_TARGET INLINE void i16_nibbles(const uint8_t *p, __m256i lo[2], __m256i hi[2]) {
    const __m256i nib = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
    __m256i v = _mm256_permute4x64_epi64(_mm256_loadu_si256((const __m256i *) p), 0xD8);
    __m256i l = _mm256_and_si256(v, nib), h = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
    lo[0] = _mm256_unpacklo_epi8(l, zero);
    lo[1] = _mm256_unpackhi_epi8(l, zero);
    hi[0] = _mm256_unpacklo_epi8(h, zero);
    hi[1] = _mm256_unpackhi_epi8(h, zero);
}

/* Nibbles of 16 bytes (an odd block) as two vectors of 16 int16 codes: low nibbles, high nibbles. */
I16_TARGET INLINE void i16_nibbles16(const uint8_t *p, __m256i *lo, __m256i *hi) {
    const __m128i nib = _mm_set1_epi8(0x0F);
    __m128i v = _mm_loadu_si128((const __m128i *) p);
    *lo = _mm256_cvtepu8_epi16(_mm_and_si128(v, nib));
    *hi = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(v, 4), nib));
}

/* The codes of one row's chunk of nbk blocks as int16 in slot order, w[s] for s < 32 nbk. 4-bit: slot j < 16 nbk is
 * the low nibble of byte j, slot 16 nbk + j its high nibble; 8-bit: byte s, signed. */
I16_TARGET INLINE void i16_unpack(const int BITS, const uint8_t *p, int nbk, int16_t *w) {
    if (BITS == 8) {
        for (int s = 0; s < 32 * nbk; s += 16)
            _mm256_store_si256((__m256i *) (w + s), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) (p + s))));
        return;
    }
    const int half = 16 * nbk;
    int j = 0;
    for (; j + 32 <= half; j += 32) {
        __m256i lo[2], hi[2];
        i16_nibbles(p + j, lo, hi);
        _mm256_store_si256((__m256i *) (w + j), lo[0]);
        _mm256_store_si256((__m256i *) (w + j + 16), lo[1]);
        _mm256_store_si256((__m256i *) (w + half + j), hi[0]);
        _mm256_store_si256((__m256i *) (w + half + j + 16), hi[1]);
    }
    if (j < half) {
        __m256i lo, hi;
        i16_nibbles16(p + j, &lo, &hi);
        _mm256_store_si256((__m256i *) (w + j), lo);
        _mm256_store_si256((__m256i *) (w + half + j), hi);
    }
}

/* The rows of one pass or tile: n, n+1, .. n+size-1 (size I16_ROWS or I16_TILE_ROWS); rows at or past n1 repeat row
 * n1 - 1 (computed, never stored). */
struct i16_rows {
    const uint8_t *codes[I16_TILE_ROWS];
    const uint16_t *scales[I16_TILE_ROWS];
    const int16_t *zeros[I16_TILE_ROWS];
    int count; /* rows that are stored: min(size, n1 - n) */
};

static inline void i16_rows_at(const struct gptq4j_weights *w, int n, int n1, int size, struct i16_rows *r) {
    r->count = n1 - n < size ? n1 - n : size;
    for (int i = 0; i < size; i++) {
        long m = n + i < n1 ? n + i : n1 - 1;
        r->codes[i] = w->codes + m * w->row_bytes;
        r->scales[i] = w->scales + m * w->groups;
        r->zeros[i] = w->zeros + m * w->groups;
    }
}

/* Zero points and scales of the pass's four rows in group g, as floats in lanes 0..3. */
I16_TARGET INLINE void i16_zeros_scales(const struct i16_rows *r, int g, __m128 *z, __m128 *s) {
    *z = _mm_setr_ps((float) r->zeros[0][g], (float) r->zeros[1][g], (float) r->zeros[2][g], (float) r->zeros[3][g]);
    *s = _mm_cvtph_ps(_mm_setr_epi16((short) r->scales[0][g], (short) r->scales[1][g], (short) r->scales[2][g],
                                     (short) r->scales[3][g], 0, 0, 0, 0));
}

#ifndef I16_WIDE /* the decode path, 1-4 tokens (qgemm_i16_avx512.c, batches only, leaves it out) */
/* [sum a0, sum a1, sum a2, sum a3] of four vectors of 8 int32 lanes. */
I16_TARGET INLINE __m128i i16_sum4(__m256i a0, __m256i a1, __m256i a2, __m256i a3) {
    __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* The zero points and scales of the pass's four rows for every group as floats, lane r row r's: zs[g], ss[g]. Done
 * once per pass (a 4 x 8 transposition per eight groups), so that each chunk's float steps load them in one vector. */
I16_TARGET INLINE void i16_pass_params(const struct gptq4j_weights *w, const struct i16_rows *r, __m128 *zs, __m128 *ss) {
    int g = 0;
    for (; g + 8 <= w->groups; g += 8) {
        __m256 z[4], s[4];
        for (int i = 0; i < 4; i++) {
            z[i] = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *) (r->zeros[i] + g))));
            s[i] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (r->scales[i] + g)));
        }
        for (int m = 0; m < 2; m++) {
            __m256 *v = m ? s : z;
            __m128 *out = m ? ss : zs;
            __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]); /* rows 0 1 */
            __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]), t3 = _mm256_unpackhi_ps(v[2], v[3]); /* rows 2 3 */
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE); /* groups 0 1 | 4 5 */
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE); /* groups 2 3 | 6 7 */
            out[g + 0] = _mm256_castps256_ps128(u0); out[g + 4] = _mm256_extractf128_ps(u0, 1);
            out[g + 1] = _mm256_castps256_ps128(u1); out[g + 5] = _mm256_extractf128_ps(u1, 1);
            out[g + 2] = _mm256_castps256_ps128(u2); out[g + 6] = _mm256_extractf128_ps(u2, 1);
            out[g + 3] = _mm256_castps256_ps128(u3); out[g + 7] = _mm256_extractf128_ps(u3, 1);
        }
    }
    for (; g < w->groups; g++) i16_zeros_scales(r, g, &zs[g], &ss[g]);
}

/* Stores lanes r < count of v at y[r] (+ bias[r]). */
I16_TARGET INLINE void i16_store(float *y, __m128 v, int count, const float *bias) {
    float out[4];
    _mm_storeu_ps(out, v);
    for (int r = 0; r < count; r++) y[r] = bias ? out[r] + bias[r] : out[r];
}

/* The float steps of one chunk for the pass's four rows (lane r), from their exact integer sums V:
 *   v = fma(-z[r][g], S[c], (float) V[r]),  acc[r] = fma(v, s[r][g] e[c], acc[r])                                   */
I16_TARGET INLINE __m128 i16_chunk_step(__m128 acc, __m128i V, __m128 z, __m128 s, float S, float e) {
    __m128 v = _mm_fnmadd_ps(z, _mm_set1_ps(S), _mm_cvtepi32_ps(V));
    return _mm_fmadd_ps(v, _mm_mul_ps(s, _mm_set1_ps(e)), acc);
}

/* Asks for the `bytes` a pass reads in its chunk at byte `at` of each row, two passes ahead: the slice
 * [I16_ROWS at, I16_ROWS (at + bytes)) of the I16_ROWS rows from I16_PREFETCH_ROWS rows on (see I16_PREFETCH_ROWS). */
I16_TARGET INLINE void i16_prefetch_ahead(const struct gptq4j_weights *w, const struct i16_rows *r, long at, int bytes) {
    const char *ahead = (const char *) r->codes[0] + I16_PREFETCH_ROWS * w->row_bytes + I16_ROWS * at;
    for (int o = 0; o < I16_ROWS * bytes; o += 64) _mm_prefetch(ahead + o, _MM_HINT_T1);
}

/* A row's code bytes v of one step: the low nibbles meet the planes' slots h0/l0, the high nibbles h1/l1; the dots
 * add to the row's plane sums ah, al. */
I16_TARGET INLINE void i16_nibble_dots(__m256i v, __m256i h0, __m256i h1, __m256i l0, __m256i l1, i8_acc *ah,
                                       i8_acc *al) {
    const __m256i nib = _mm256_set1_epi8(0x0F);
    __m256i q0 = _mm256_and_si256(v, nib), q1 = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
    *ah = i8_dot(i8_dot(*ah, q0, h0), q1, h1);
    *al = i8_dot(i8_dot(*al, q0, l0), q1, l1);
}

/* The plane sums of R rows and NT tokens over one chunk of `half` bytes a row: rows i0..i0+R-1 of the pass, their
 * chunk bytes at p[i] + at; token t's slots at h[t] and l[t] in the two planes. 32-byte steps, then a 16-byte one for
 * an odd block count (its 16 + 16 codes in the low half of the vectors); each step's activations are loaded once for
 * the R rows, and each row's codes, written per token, are loaded and unpacked once (the compiler merges the identical
 * loads, no store between them). Used as two rows x one token (the four rows' eight sums and four activation vectors
 * did not fit the 16 vector registers: GCC 12 kept some sums on the stack) and as one row x 2-4 tokens (its 2 NT sums
 * in registers, the activations read as the dots' memory operands).
 * Sets V[t][i0 + i] = 254 (q . hi[t]) + (q . lo[t]) by int32 lanes (i8_combine). */
I16_TARGET INLINE void i16_rows_dots(const int R, const int NT, const uint8_t *const *p, int i0, long at,
                                     const int8_t *const *h, const int8_t *const *l, int half,
                                     __m256i V[][I16_ROWS]) {
    i8_acc ah[I16_DECODE_TOKENS][2], al[I16_DECODE_TOKENS][2]; /* [token][row] */
    for (int t = 0; t < NT; t++)
        for (int i = 0; i < R; i++) ah[t][i] = al[t][i] = _mm256_setzero_si256();
    int j = 0;
    for (; j + 32 <= half; j += 32)
        for (int t = 0; t < NT; t++) {
            const __m256i h0 = _mm256_loadu_si256((const __m256i *) (h[t] + j));
            const __m256i h1 = _mm256_loadu_si256((const __m256i *) (h[t] + half + j));
            const __m256i l0 = _mm256_loadu_si256((const __m256i *) (l[t] + j));
            const __m256i l1 = _mm256_loadu_si256((const __m256i *) (l[t] + half + j));
            for (int i = 0; i < R; i++)
                i16_nibble_dots(_mm256_loadu_si256((const __m256i *) (p[i0 + i] + at + j)), h0, h1, l0, l1,
                                &ah[t][i], &al[t][i]);
        }
    if (j < half) /* 16 bytes: the vectors' upper halves are zero codes */
        for (int t = 0; t < NT; t++) {
            const __m256i h0 = _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *) (h[t] + j)));
            const __m256i h1 = _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *) (h[t] + half + j)));
            const __m256i l0 = _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *) (l[t] + j)));
            const __m256i l1 = _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *) (l[t] + half + j)));
            for (int i = 0; i < R; i++)
                i16_nibble_dots(_mm256_zextsi128_si256(_mm_loadu_si128((const __m128i *) (p[i0 + i] + at + j))), h0,
                                h1, l0, l1, &ah[t][i], &al[t][i]);
        }
    for (int t = 0; t < NT; t++)
        for (int i = 0; i < R; i++) V[t][i0 + i] = i8_combine(ah[t][i], al[t][i]);
}

/*
 * NT tokens (1-4), four rows of 4-bit codes, straight from the two int8 planes (no int16 activations): a 32-byte
 * step of a row gives 32 low-nibble codes (slots j..j+31 of the chunk) and 32 high-nibble codes (slots 16 nbk + j..),
 * each multiplied with both planes by an unsigned x signed byte dot (i8_dot: maddubs, or AVX-VNNI's vpdpbusd), so
 * that a row's chunk costs one mask, one shift and, per token, four dots per 32 bytes; the planes' sums meet once per
 * chunk:
 *   V[t][r] = 254 (q[r] . hi[t]) + (q[r] . lo[t])      (i8_combine; exact, the integer of gptq4j.h)
 * Token t's planes are x->hi, x->lo + t len; acc[t] lane r gets (token t, row r).
 */
I16_TARGET INLINE void i16_token4(const int NT, const struct gptq4j_weights *w, const struct i16_rows *r,
                                  const struct gptq4j_activations *x, long len, const __m128 *zs, const __m128 *ss,
                                  __m128 *acc) {
    for (int t = 0; t < NT; t++) acc[t] = _mm_setzero_ps();
    for (int c = 0; c < w->chunks; c++) {
        const long at = w->chunk_block[c] * 16L; /* the chunk's first byte in a row; its slots start at 2 at */
        const int half = 16 * (w->chunk_block[c + 1] - w->chunk_block[c]), g = w->chunk_group[c];
        i16_prefetch_ahead(w, r, at, half);
        const int8_t *h[I16_DECODE_TOKENS], *l[I16_DECODE_TOKENS];
        for (int t = 0; t < NT; t++) h[t] = x->hi + t * len + 2 * at, l[t] = x->lo + t * len + 2 * at;
        __m256i V[I16_DECODE_TOKENS][I16_ROWS]; /* V[t][i]: token t, row i */
        if (NT == 1)
            for (int i = 0; i < I16_ROWS; i += 2) i16_rows_dots(2, 1, r->codes, i, at, h, l, half, V);
        else
            for (int i = 0; i < I16_ROWS; i++) i16_rows_dots(1, NT, r->codes, i, at, h, l, half, V);
        for (int t = 0; t < NT; t++) {
            const long tc = (long) t * w->chunks + c;
            acc[t] = i16_chunk_step(acc[t], i16_sum4(V[t][0], V[t][1], V[t][2], V[t][3]), zs[g], ss[g],
                                    (float) x->sums[tc], x->e[tc]);
        }
    }
}

/* NT tokens (1-4), four rows of 8-bit codes over the int16 activations xs ([NT][len]: sign-extended codes,
 * i16_dot); acc[t] lane r gets (token t, row r). At four tokens the 16 sums do not all fit the registers; it still
 * beats the tile (i16_product). */
I16_TARGET INLINE void i16_token8(const int NT, const struct gptq4j_weights *w, const struct i16_rows *r,
                                  const struct gptq4j_activations *x, const int16_t *xs, long len, const __m128 *zs,
                                  const __m128 *ss, __m128 *acc) {
    for (int t = 0; t < NT; t++) acc[t] = _mm_setzero_ps();
    for (int c = 0; c < w->chunks; c++) {
        const int b0 = w->chunk_block[c], clen = 32 * (w->chunk_block[c + 1] - b0), g = w->chunk_group[c];
        i16_prefetch_ahead(w, r, b0 * 32L, clen);
        __m256i a[I16_DECODE_TOKENS][I16_ROWS];
        for (int t = 0; t < NT; t++)
            for (int i = 0; i < I16_ROWS; i++) a[t][i] = _mm256_setzero_si256();
        for (int k = 0; k < clen; k += 16) {
            __m256i xv[I16_DECODE_TOKENS];
            for (int t = 0; t < NT; t++) xv[t] = _mm256_load_si256((const __m256i *) (xs + t * len + b0 * 32L + k));
            for (int i = 0; i < I16_ROWS; i++) {
                const __m256i q = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) (r->codes[i] + b0 * 32L + k)));
                for (int t = 0; t < NT; t++) a[t][i] = i16_dot(a[t][i], q, xv[t]);
            }
        }
        for (int t = 0; t < NT; t++) {
            const long tc = (long) t * w->chunks + c;
            acc[t] = i16_chunk_step(acc[t], i16_sum4(a[t][0], a[t][1], a[t][2], a[t][3]), zs[g], ss[g],
                                    (float) x->sums[tc], x->e[tc]);
        }
    }
}

/* 1-4 tokens (NT = x->rows): four rows per pass, each pass's codes read once for the NT tokens. */
I16_TARGET INLINE int i16_decode(const int BITS, const int NT, const struct gptq4j_weights *w,
                                 const struct gptq4j_activations *x, const struct gptq4j_output *o) {
    const long len = w->nb * 32L;
    /* scratch: the pass's float zero points and scales [2][groups], then (8-bit) the int16 activations [NT][len] */
    size_t params = (size_t) w->groups * 2 * sizeof(__m128);
    __m128 *zs = i16_scratch_of(params + (BITS == 8 ? NT * len * 2 : 0)), *ss = zs + w->groups;
    if (!zs) return -1;
    int16_t *xs = (int16_t *) (ss + w->groups);
    if (BITS == 8) i16_widen(x->hi, x->lo, len, NT, xs);
    struct i16_rows r;
    for (int n = o->n0; n < o->n1; n += I16_ROWS) {
        i16_rows_at(w, n, o->n1, I16_ROWS, &r);
        i16_pass_params(w, &r, zs, ss);
        __m128 y[I16_DECODE_TOKENS];
        if (BITS == 8) i16_token8(NT, w, &r, x, xs, len, zs, ss, y);
        else i16_token4(NT, w, &r, x, len, zs, ss, y);
        for (int t = 0; t < NT; t++) i16_store(o->y + (long) t * o->ystride + n, y[t], r.count, o->bias ? o->bias + n : NULL);
    }
    return 0;
}
#endif

#ifdef I16_WIDE /* batches in 512-bit form: 4 rows x 2 tokens per pass */
/* The running sums of a token pair's four rows: lanes 4 t + r hold y[t][r] (tokens past `tokens` read and write none). */
I16_TARGET INLINE __m256 i16_pair_load(const float *y, long ystride, int tokens, __m128i keep) {
    __m128 t0 = _mm_maskload_ps(y, keep);
    __m128 t1 = tokens > 1 ? _mm_maskload_ps(y + ystride, keep) : _mm_setzero_ps();
    return _mm256_set_m128(t1, t0);
}

I16_TARGET INLINE void i16_pair_store(float *y, long ystride, int tokens, __m128i keep, __m256 v) {
    _mm_maskstore_ps(y, keep, _mm256_castps256_ps128(v));
    if (tokens > 1) _mm_maskstore_ps(y + ystride, keep, _mm256_extractf128_ps(v, 1));
}

/* The 8 int32 lanes of a's two halves added (integer sums: the order of the additions does not change V, every
 * partial sum being bounded by the sum of |q x| < 2^30). */
I16_TARGET INLINE __m256i i16_fold(__m512i a) {
    return _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
}

/*
 * A token pair's eight sums V[t][r] over one chunk: the four rows' unpacked codes q[r] (int16, L1) times the pair's
 * activations x0, x1, over len slots (a multiple of 32: 32 per step); lane 4 t + r of the result is V[t][r].
 */
I16_TARGET INLINE __m256i i16_pair_chunk(const int16_t (*q)[128], const int16_t *x0, const int16_t *x1, int len) {
    __m512i b00 = _mm512_setzero_si512(), b10 = b00, b20 = b00, b30 = b00, b01 = b00, b11 = b00, b21 = b00, b31 = b00;
    for (int k = 0; k < len; k += 32) {
        __m512i u = _mm512_load_si512(x0 + k), v = _mm512_load_si512(x1 + k);
        __m512i q0 = _mm512_load_si512(q[0] + k), q1 = _mm512_load_si512(q[1] + k);
        __m512i q2 = _mm512_load_si512(q[2] + k), q3 = _mm512_load_si512(q[3] + k);
        b00 = i16_dot512(b00, q0, u); b01 = i16_dot512(b01, q0, v);
        b10 = i16_dot512(b10, q1, u); b11 = i16_dot512(b11, q1, v);
        b20 = i16_dot512(b20, q2, u); b21 = i16_dot512(b21, q2, v);
        b30 = i16_dot512(b30, q3, u); b31 = i16_dot512(b31, q3, v);
    }
    __m256i a00 = i16_fold(b00), a10 = i16_fold(b10), a20 = i16_fold(b20), a30 = i16_fold(b30);
    __m256i a01 = i16_fold(b01), a11 = i16_fold(b11), a21 = i16_fold(b21), a31 = i16_fold(b31);
    __m256i h0 = _mm256_hadd_epi32(_mm256_hadd_epi32(a00, a10), _mm256_hadd_epi32(a20, a30)); /* token 0, per lane half */
    __m256i h1 = _mm256_hadd_epi32(_mm256_hadd_epi32(a01, a11), _mm256_hadd_epi32(a21, a31)); /* token 1 */
    return _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20), _mm256_permute2x128_si256(h0, h1, 0x31));
}

I16_TARGET INLINE int i16_batch(const int BITS, const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                const struct gptq4j_output *o) {
    const long bb = BITS == 8 ? 32 : 16, len = w->nb * 32L, ystride = o->ystride;
    const int chunks = w->chunks, rows = x->rows;
    const int block = rows < I16_TOKEN_BLOCK ? (rows + 1) / 2 * 2 : I16_TOKEN_BLOCK;
    /* scratch: the block's int16 activations [block][len], then per (pair, chunk) S and e in the lanes 4 t + r */
    size_t xbytes = (size_t) block * len * 2, sebytes = (size_t) (block / 2) * chunks * 64;
    int16_t *xs = i16_scratch_of(xbytes + sebytes);
    if (!xs) return -1;
    float *se = (float *) ((uint8_t *) xs + xbytes);
    const int slice = i16_slice_chunks(block);
    int16_t q[I16_ROWS][128] __attribute__((aligned(64)));
    __m256 acc[I16_TOKEN_BLOCK / 2];
    struct i16_rows r;
    for (int t0 = 0; t0 < rows; t0 += block) {
        int nt = rows - t0 < block ? rows - t0 : block, pairs = (nt + 1) / 2;
        i16_widen(x->hi + t0 * len, x->lo + t0 * len, len, nt, xs);
        if (nt & 1) memset(xs + nt * len, 0, len * 2); /* the pair's missing token: x = 0, S = e = 0 */
        for (int p = 0; p < pairs; p++)
            for (int c = 0; c < chunks; c++)
                for (int t = 0; t < 2; t++) {
                    int tok = t0 + 2 * p + t;
                    float S = tok < rows ? (float) x->sums[(long) tok * chunks + c] : 0.0f;
                    float e = tok < rows ? x->e[(long) tok * chunks + c] : 0.0f;
                    for (int i = 0; i < 4; i++) {
                        se[((long) p * chunks + c) * 16 + 4 * t + i] = S;
                        se[((long) p * chunks + c) * 16 + 8 + 4 * t + i] = e;
                    }
                }
        for (int c0 = 0; c0 < chunks; c0 += slice) {
            int c1 = c0 + slice < chunks ? c0 + slice : chunks;
            for (int n = o->n0; n < o->n1; n += I16_ROWS) {
                i16_rows_at(w, n, o->n1, I16_ROWS, &r);
                __m128i keep = _mm_cmpgt_epi32(_mm_set1_epi32(r.count), _mm_setr_epi32(0, 1, 2, 3));
                for (int p = 0; p < pairs; p++)
                    acc[p] = c0 == 0 ? _mm256_setzero_ps()
                                     : i16_pair_load(o->y + (t0 + 2L * p) * ystride + n, ystride, nt - 2 * p, keep);
                for (int c = c0; c < c1; c++) {
                    int b0 = w->chunk_block[c], nbk = w->chunk_block[c + 1] - b0;
                    for (int i = 0; i < I16_ROWS; i++) i16_unpack(BITS, r.codes[i] + b0 * bb, nbk, q[i]);
                    __m128 z4, s4;
                    i16_zeros_scales(&r, w->chunk_group[c], &z4, &s4);
                    __m256 z = _mm256_set_m128(z4, z4), s = _mm256_set_m128(s4, s4);
                    for (int p = 0; p < pairs; p++) {
                        const int16_t *x0 = xs + 2L * p * len + b0 * 32L;
                        __m256i V = i16_pair_chunk(q, x0, x0 + len, 32 * nbk);
                        const float *d = se + ((long) p * chunks + c) * 16;
                        __m256 v = _mm256_fnmadd_ps(z, _mm256_load_ps(d), _mm256_cvtepi32_ps(V));
                        acc[p] = _mm256_fmadd_ps(v, _mm256_mul_ps(s, _mm256_load_ps(d + 8)), acc[p]);
                    }
                }
                __m128 b = c1 == chunks && o->bias ? _mm_maskload_ps(o->bias + n, keep) : _mm_setzero_ps();
                for (int p = 0; p < pairs; p++) {
                    __m256 v = c1 == chunks && o->bias ? _mm256_add_ps(acc[p], _mm256_set_m128(b, b)) : acc[p];
                    i16_pair_store(o->y + (t0 + 2L * p) * ystride + n, ystride, nt - 2 * p, keep, v);
                }
            }
        }
    }
    return 0;
}

#endif

#ifndef I16_WIDE
/*
 * Batches at 256 bits: tiles of 16 rows x 4 tokens whose sums need no horizontal reduction. A chunk's codes of 16 rows
 * are unpacked to int16 and transposed so that one vector holds a slot pair (2j, 2j+1) of 8 rows, dword r row r's:
 *   qi[h][j] = (q[8h + r][2j], q[8h + r][2j + 1])  for r < 8
 * and a token's slot pair, broadcast to every dword, meets it in one multiply-add of int16 pairs:
 *   acc[h][t] += madd(qi[h][j], bcast(x[t][2j], x[t][2j + 1]))     (lane r: row 8h + r, exact int32)
 * so that at the chunk's end lane r of acc[h][t] already is V of (row 8h + r, token t), and the float steps of
 * gptq4j.h run on eight rows per instruction; the running sums' lanes are rows, stored contiguously in y.
 * The activations are laid out chunk by chunk (i16_widen_chunks), so a tile's four tokens of a chunk are contiguous.
 */

/* The int16 activations of nt tokens, nt4 of them laid out (nt rounded up to a multiple of 4; those past nt zero),
 * chunk by chunk: chunk c of token t at x + 32 (b0 nt4 + t nbk), b0 = chunk_block[c], nbk its blocks. */
I16_TARGET static void i16_widen_chunks(const struct gptq4j_weights *w, const int8_t *hi, const int8_t *lo, long len,
                                        int nt, int nt4, int16_t *x) {
    for (int c = 0; c < w->chunks; c++) {
        const int b0 = w->chunk_block[c], n = 32 * (w->chunk_block[c + 1] - b0);
        for (int t = 0; t < nt4; t++) {
            int16_t *out = x + 32L * b0 * nt4 + (long) t * n;
            if (t >= nt) memset(out, 0, n * 2);
            else i16_widen(hi + t * len + 32L * b0, lo + t * len + 32L * b0, n, 1, out);
        }
    }
}

/* dst[i] = dword i of the 8 rows src, src + stride, .. (an 8 x 8 transposition of dwords). */
I16_TARGET INLINE void i16_transpose8(const int32_t *src, long stride, __m256i *dst) {
    __m256i r[8], t[8], u[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_load_si256((const __m256i *) (src + i * stride));
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);     /* rows i, i+1: dwords 0 1 | 4 5 */
        t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]); /*               dwords 2 3 | 6 7 */
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);     /* rows i..i+3: dword 0 | 4 */
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]); /*              dword 1 | 5 */
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]); /*          dword 2 | 6 */
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]); /*          dword 3 | 7 */
    }
    for (int i = 0; i < 4; i++) {
        dst[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
        dst[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
    }
}

/* The eight sums of a tile over one chunk of n slots: acc[4 h + t] lane r = V(row 8h + r, token t). x: the tile's
 * four tokens' slots of the chunk, token t at x + t n. */
I16_TARGET INLINE void i16_tile_chunk(const __m256i (*qi)[64], const int16_t *x, int n, __m256i acc[8]) {
    const int32_t *x0 = (const int32_t *) x, *x1 = x0 + n / 2, *x2 = x1 + n / 2, *x3 = x2 + n / 2;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int j = 0; j < n / 2; j++) {
        const __m256i w0 = _mm256_load_si256(&qi[0][j]), w1 = _mm256_load_si256(&qi[1][j]);
        __m256i b = _mm256_set1_epi32(x0[j]);
        a0 = i16_dot(a0, w0, b); a4 = i16_dot(a4, w1, b);
        b = _mm256_set1_epi32(x1[j]);
        a1 = i16_dot(a1, w0, b); a5 = i16_dot(a5, w1, b);
        b = _mm256_set1_epi32(x2[j]);
        a2 = i16_dot(a2, w0, b); a6 = i16_dot(a6, w1, b);
        b = _mm256_set1_epi32(x3[j]);
        a3 = i16_dot(a3, w0, b); a7 = i16_dot(a7, w1, b);
        /* the sums stay in registers: without this GCC 12 keeps two of them on the stack, and the store-to-load
         * round trip each step bounds the loop (Zen 3, C harness, one core, 11008 x 4096 4-bit, 512 tokens:
         * 23-27 against 37-49 G multiply-adds/s) */
        __asm__("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "+x"(a6), "+x"(a7));
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
}

I16_TARGET INLINE int i16_batch(const int BITS, const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                const struct gptq4j_output *o) {
    const long bb = BITS == 8 ? 32 : 16, len = w->nb * 32L, ystride = o->ystride;
    const int chunks = w->chunks, rows = x->rows;
    const int block = rows < I16_TOKEN_BLOCK ? (rows + I16_TILE_TOKENS - 1) / I16_TILE_TOKENS * I16_TILE_TOKENS
                                             : I16_TOKEN_BLOCK;
    int16_t *xs = i16_scratch_of((size_t) block * len * 2);
    if (!xs) return -1;
    const int slice = i16_slice_chunks(block);
    int16_t q[I16_TILE_ROWS][128] __attribute__((aligned(64)));
    __m256i qi[2][64];
    __m256 acc[I16_TOKEN_BLOCK / I16_TILE_TOKENS][8]; /* per tile: acc[4 h + t] lane r = (row 8h + r, token t) */
    struct i16_rows r;
    for (int t0 = 0; t0 < rows; t0 += block) {
        const int nt = rows - t0 < block ? rows - t0 : block, tiles = (nt + I16_TILE_TOKENS - 1) / I16_TILE_TOKENS;
        const int nt4 = tiles * I16_TILE_TOKENS;
        i16_widen_chunks(w, x->hi + t0 * len, x->lo + t0 * len, len, nt, nt4, xs);
        for (int c0 = 0; c0 < chunks; c0 += slice) {
            const int c1 = c0 + slice < chunks ? c0 + slice : chunks, last = c1 == chunks;
            for (int n = o->n0; n < o->n1; n += I16_TILE_ROWS) {
                i16_rows_at(w, n, o->n1, I16_TILE_ROWS, &r);
                const __m256i keep[2] = {
                    _mm256_cmpgt_epi32(_mm256_set1_epi32(r.count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                    _mm256_cmpgt_epi32(_mm256_set1_epi32(r.count), _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15))};
                for (int tt = 0; tt < tiles; tt++)
                    for (int t = 0; t < I16_TILE_TOKENS; t++) {
                        const long tok = t0 + (long) I16_TILE_TOKENS * tt + t;
                        for (int h = 0; h < 2; h++)
                            acc[tt][4 * h + t] = c0 == 0 || tok >= rows ? _mm256_setzero_ps()
                                : _mm256_maskload_ps(o->y + tok * ystride + n + 8 * h, keep[h]);
                    }
                for (int c = c0; c < c1; c++) {
                    const int b0 = w->chunk_block[c], nbk = w->chunk_block[c + 1] - b0, g = w->chunk_group[c];
                    for (int i = 0; i < I16_TILE_ROWS; i++) {
                        const uint8_t *p = r.codes[i] + b0 * bb;
                        /* the next tile's rows, same chunk: a tile's slice of work ahead (a prefetch never faults) */
                        for (int k = 0; k < nbk * bb; k += 64)
                            _mm_prefetch((const char *) p + I16_TILE_ROWS * w->row_bytes + k, _MM_HINT_T0);
                        i16_unpack(BITS, p, nbk, q[i]);
                    }
                    for (int h = 0; h < 2; h++)
                        for (int k = 0; k < 16 * nbk; k += 8)
                            i16_transpose8((const int32_t *) q[8 * h] + k, 64, &qi[h][k]);
                    float zf[I16_TILE_ROWS];
                    uint16_t sh[I16_TILE_ROWS];
                    for (int i = 0; i < I16_TILE_ROWS; i++) { zf[i] = (float) r.zeros[i][g]; sh[i] = r.scales[i][g]; }
                    const __m256 z[2] = {_mm256_loadu_ps(zf), _mm256_loadu_ps(zf + 8)};
                    const __m256 s[2] = {_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) sh)),
                                         _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (sh + 8)))};
                    for (int tt = 0; tt < tiles; tt++) {
                        __m256i V[8];
                        i16_tile_chunk((const __m256i (*)[64]) qi,
                                       xs + 32L * (b0 * nt4 + (long) I16_TILE_TOKENS * tt * nbk), 32 * nbk, V);
                        for (int t = 0; t < I16_TILE_TOKENS; t++) {
                            const long tok = t0 + (long) I16_TILE_TOKENS * tt + t;
                            const __m256 S = _mm256_set1_ps(tok < rows ? (float) x->sums[tok * chunks + c] : 0.0f);
                            const __m256 e = _mm256_set1_ps(tok < rows ? x->e[tok * chunks + c] : 0.0f);
                            /* v = fma(-z, S, (float) V),  acc = fma(v, s e, acc): gptq4j.h's steps, eight rows at once */
                            for (int h = 0; h < 2; h++) {
                                __m256 v = _mm256_fnmadd_ps(z[h], S, _mm256_cvtepi32_ps(V[4 * h + t]));
                                acc[tt][4 * h + t] = _mm256_fmadd_ps(v, _mm256_mul_ps(s[h], e), acc[tt][4 * h + t]);
                            }
                        }
                    }
                }
                for (int tt = 0; tt < tiles; tt++)
                    for (int t = 0; t < I16_TILE_TOKENS; t++) {
                        const long tok = t0 + (long) I16_TILE_TOKENS * tt + t;
                        if (tok >= rows) continue;
                        for (int h = 0; h < 2; h++) {
                            __m256 v = acc[tt][4 * h + t];
                            if (last && o->bias) v = _mm256_add_ps(v, _mm256_maskload_ps(o->bias + n + 8 * h, keep[h]));
                            _mm256_maskstore_ps(o->y + tok * ystride + n + 8 * h, keep[h], v);
                        }
                    }
            }
        }
    }
    return 0;
}
#endif

#ifndef I16_WIDE
/* Five to eight tokens of an 8-bit layer: the first four through the decode kernel, then the rest through it again,
 * each pass reading the codes once for its tokens (same bits: a token's outputs are those of any batch). */
I16_TARGET INLINE int i16_decode8_by_fours(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                           const struct gptq4j_output *o) {
    const size_t len = (size_t) w->nb * 32;
    struct gptq4j_activations head = *x, rest = *x;
    head.rows = 4;
    rest.rows = x->rows - 4;
    rest.hi += 4 * len;
    rest.lo += 4 * len;
    rest.e += 4 * w->chunks;
    rest.sums += 4 * w->chunks;
    struct gptq4j_output rest_out = *o;
    rest_out.y += 4 * (size_t) o->ystride;
    if (i16_decode(8, 4, w, &head, o)) return -1;
    /* the rest's scratch is no larger than the head's, which this thread now holds: it cannot fail */
    switch (rest.rows) {
        case 1: return i16_decode(8, 1, w, &rest, &rest_out);
        case 2: return i16_decode(8, 2, w, &rest, &rest_out);
        case 3: return i16_decode(8, 3, w, &rest, &rest_out);
        default: return i16_decode(8, 4, w, &rest, &rest_out);
    }
}
#endif

/* The kernel: 0, or -1 when its scratch could not be allocated (nothing was written then). */
I16_TARGET INLINE int i16_product(const struct gptq4j_weights *w, const struct gptq4j_activations *x, const struct gptq4j_output *o) {
#ifndef I16_WIDE
    /* up to four tokens: the decode kernel reads the codes as bytes, without the tile's unpacking and transposes, and
     * a tile of four would pad one to three tokens (Zen 3, C harness, 11008 x 4096, two threads, from DRAM, medians
     * of 4-5 alternating rounds, G multiply-adds/s, tile against decode kernel: 4-bit 2 tokens 16.4 / 30.8, 3 tokens
     * 23.2 / 35.8, 4 tokens 36.7 / 49.0; 8-bit 2 tokens 7.3 / 29.0, 3 tokens 14.7 / 34.4, 4 tokens 19.6 / 34.8) */
    switch (x->rows) {
        case 1: return w->bits == 8 ? i16_decode(8, 1, w, x, o) : i16_decode(4, 1, w, x, o);
        case 2: return w->bits == 8 ? i16_decode(8, 2, w, x, o) : i16_decode(4, 2, w, x, o);
        case 3: return w->bits == 8 ? i16_decode(8, 3, w, x, o) : i16_decode(4, 3, w, x, o);
        case 4: return w->bits == 8 ? i16_decode(8, 4, w, x, o) : i16_decode(4, 4, w, x, o);
        case 5: case 6: case 7: case 8:
            /* 8-bit: four tokens and then the rest through the decode kernel beat the pair of tiles (same harness,
             * medians of 7 alternating rounds, G multiply-adds/s, tiles against split: 5 tokens 21.3 / 41.5, 6 tokens
             * 42.2 / 50.0, 7 tokens 27.5 / 36.2, 8 tokens 34.7 / 56.2); 4-bit: not (5 tokens 33.2 / 35.7, 6 tokens
             * 61.6 / 60.1, 7 tokens 63.2 / 57.5, 8 tokens 50.2 / 38.2) */
            if (w->bits == 8) return i16_decode8_by_fours(w, x, o);
            break;
    }
#endif
    return w->bits == 8 ? i16_batch(8, w, x, o) : i16_batch(4, w, x, o);
}
