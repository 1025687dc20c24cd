/*
 * gptq4j native kernels (x86-64: AVX2/FMA, AVX-VNNI, AVX-512 VNNI, AMX-INT8; aarch64: NEON, dot products, i8mm),
 * called from Java through FFM downcalls (NativeKernels.java). This header is the library's interface: the entry
 * points the Java side binds, and the math of the layouts they read.
 *
 * Weight layout (see PackedGptq): input features permuted so that each GPTQ group is a contiguous run of 32-wide
 * blocks; per output row n, block b holds the codes of permuted positions 32b..32b+31:
 *   bits <= 4: 16 bytes, byte j = code[32b+j] | code[32b+16+j] << 4   (unsigned 0..15, as llama.cpp's Q4_0)
 *   bits == 8: 32 bytes, int8 code - 128                               (signed -128..127)
 * scales s[n][g] as F16, zeros z[n][g] as int16 (8-bit zeros shifted by -128 like their codes).
 * Each group is cut into chunks of at most 4 blocks: chunk c is blocks [cblk[c], cblk[c+1]) of group cgrp[c].
 *
 * Activations (ActivationQuantizer) carry ~15 bits in two int8 planes per chunk and token. For 4-bit storage a chunk
 * of nbk blocks lists its positions in "slot" order, matching the bytes as they unpack: slot j < 16 nbk is the low
 * nibble of the chunk's byte j, slot 16 nbk + j its high nibble; 8-bit storage keeps position order.
 *   x[k] ~= e * (254 * hi[k] + lo[k]),   hi, lo in [-127, 127],   S = sum over the chunk of (254 hi + lo).
 * The product is defined in exact integers per chunk, then the same float steps per chunk, in chunk order:
 *   V   = 254 * sum_k q[n,k] hi[k]  +  sum_k q[n,k] lo[k]      (int32, exact: |V| < 2^30; both dots < 2^24)
 *   v   = fmaf(-z[n,g], (float) S, (float) V)                  (S < 2^23 and z are exact floats)
 *   acc = fmaf(v, s[n,g] * e, acc)                             (acc starts at 0)
 *   y[r][n] = acc (+ bias[n])
 * ((float) V rounds 254 H + L once, as fmaf(254, H, L) on exact floats H, L would: kernels may compute it either way.)
 * so every kernel here (and the Java one) gives the same bits for a token whatever the batch around it: a token
 * decoded alone, in a batch, or recomputed in a prefill after preemption has the same logits.
 *
 * Every function processes output rows [n0, n1) so that each Java compute thread streams its own rows.
 *
 * Sources, by concern (compiled by core/build-native.sh with -O3 -ffp-contract=off into one library per platform:
 * x86-64 from every file but the *_neon.c ones, aarch64 from the *_neon.c files, memory.c and layout.c):
 *   cpu.c            gptq4j_cpu_levels: which instruction-set levels this CPU (and OS) runs
 *   quantize.c       gptq4j_quantize: activations into the two int8 planes
 *   qgemm.c          gptq4j_qgemm: picks the product kernel for the level and batch size
 *   qgemm_avx2.c     256-bit kernel, int16 activations, vpmaddwd + vpaddd  } both from qgemm_i16.h, which they
 *   qgemm_vnni.c     256-bit kernel, int16 activations, AVX-VNNI vpdpwssd  } include with their own dot product
 *   qgemm_avx512.c   AVX-512 VNNI: two rows x up to 4 tokens per pass (decode, and batches of 2-31 without AMX)
 *   qgemm_i16_avx512.c  qgemm_i16.h in 512-bit form (vpdpwssd zmm): batches of 32 tokens or more without AMX
 *   qgemm_amx.c      AMX-INT8: 16 rows x 16 tokens tiles (batches of 2 tokens or more)
 *   f16gemm.c        gptq4j_f16gemm: F16 weights x float activations (AVX2/F16C, AVX-512)
 *   attention.c      gptq4j_attend: one head of one token over a paged KV cache
 *   memory.c         gptq4j_repack, gptq4j_release_pages, gptq4j_stream_read: load-time repacking, page release,
 *                    the bandwidth probe
 *   layout.c         gptq4j_struct_layout, gptq4j_kv_struct_layout: the descriptors' layouts
 *   kernels.h        internal: tile sizes, the per-ISA kernels' prototypes; kernels_x86.h: x86 targets and helpers
 *   *_neon.c         aarch64 (kernels_neon.h): cpu, quantize, qgemm (plain NEON or sdot), f16gemm, attention, with
 *                    the bits of the x86 levels (F16 products and attention: those of the AVX2 level)
 *   qgemm_i8mm_neon.c  aarch64 level 7: smmla, 4 rows x 4 tokens tiles (batches of 2 tokens or more)
 *   sdkless.h, macos/libSystem.tbd   the C library declarations and libSystem stub for macOS builds without an SDK
 */
#ifndef GPTQ4J_H
#define GPTQ4J_H

#include <stdint.h>

/* Every entry point below is exported from the shared library (a Windows DLL exports only these). */
#ifdef _WIN32
#define GPTQ4J_API __declspec(dllexport)
#else
#define GPTQ4J_API __attribute__((visibility("default")))
#endif

/* The instruction-set levels this CPU runs, bit L for level L: on x86-64 1 AVX2/FMA/F16C, 2 AVX-VNNI, 3 AVX-512 VNNI,
 * 4 AMX-INT8 (with 3); on aarch64 5 NEON (always), 6 NEON with the dot products (sdot), 7 NEON with the dot products
 * and the int8 matrix multiplies (FEAT_I8MM: smmla for batches, sdot for single tokens; only with 6), as cpu_neon.c
 * reads them from the OS; 0 where none (the Java fallback runs). The x86 levels are not nested: see cpu.c. Every
 * entry point that takes a level must be given one of these. */
GPTQ4J_API int gptq4j_cpu_levels(void);

/*
 * The two descriptors of the quantized product. Java mirrors each once as a MemoryLayout (NativeWeights.java,
 * NativePlanes.java) and checks its field offsets against gptq4j_struct_layout at load. They hold only pointers to
 * native memory: heap arrays (outputs, biases, float activations) cannot be stored in a struct, so they stay direct
 * arguments of the entry points, passed by FFM critical downcalls without copies.
 */

/* A GPTQ layer's packed weights (PackedGptq), written once per layer into the arena that owns them, so that passing
 * the descriptor keeps them alive for the call. For output row n and chunk c, of group g = chunk_group[c]:
 *   codes + n * row_bytes + chunk_block[c] * (bits == 8 ? 32 : 16)   the chunk's bytes (4-bit: nibble pairs)
 *   scales[n * groups + g] (F16), zeros[n * groups + g]               its scale and zero point                  */
struct gptq4j_weights {
    const uint8_t *codes;        /* [out][row_bytes] */
    const uint16_t *scales;      /* [out][groups], F16 */
    const int16_t *zeros;        /* [out][groups] */
    const int32_t *chunk_block;  /* [chunks + 1]: chunk c is blocks [chunk_block[c], chunk_block[c + 1]) */
    const int32_t *chunk_group;  /* [chunks]: the group chunk c belongs to */
    int64_t row_bytes;           /* nb * 16 for 4-bit storage, nb * 32 for 8-bit */
    int32_t bits;                /* stored bits: 4 (GPTQ 2, 3, 4) or 8 */
    int32_t groups;              /* scales and zeros per row */
    int32_t chunks;              /* chunks per row */
    int32_t nb;                  /* 32-wide blocks per row (nb * 32 permuted positions, padding included) */
};

/* The quantized activations of `rows` tokens for one layer's weights w (ActivationQuantizer's planes), in native
 * memory of the compute pool's workspace, rewritten for every quantization. Token r's planes are
 *   hi[r * nb * 32 + slot], lo[r * nb * 32 + slot]   (slot order, see above; nb of w)
 * and its chunk c has scale e[r * chunks + c] and sum S = sums[r * chunks + c] (chunks of w).                  */
struct gptq4j_activations {
    int8_t *hi;                  /* [rows][nb * 32] coarse plane */
    int8_t *lo;                  /* [rows][nb * 32] residual plane */
    float *e;                    /* [rows][chunks] */
    int32_t *sums;               /* [rows][chunks] */
    int32_t rows;
    int32_t reserved;            /* zero: the struct is 40 bytes on every ABI */
};

/* The byte offset of every field of struct gptq4j_weights, then its size, then the same for struct
 * gptq4j_activations, written to out[0..]; returns how many were written (at most capacity). */
GPTQ4J_API int gptq4j_struct_layout(int64_t *out, int capacity);

/* y[r * ystride + n] (+ bias[n] when bias is not NULL) for tokens r < x->rows and outputs n in [n0, n1), at a level
 * of gptq4j_cpu_levels (Java picks it); x quantized for w. Returns 0, or -1 when the kernel's scratch memory could not
 * be allocated (nothing was written). */
GPTQ4J_API int gptq4j_qgemm(int level, const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                  float *y, int ystride, const float *bias, int n0, int n1);

/* ActivationQuantizer.quantizeChunks with the same bits, into out's planes for w: chunks [i0, i1) of the out->rows
 * rows of x ([rows][in] floats) laid end to end, slot k of a row reading x[gather[k]] (quantize.c). */
GPTQ4J_API void gptq4j_quantize(const struct gptq4j_weights *w, const float *x, int in, const int32_t *gather,
                     const struct gptq4j_activations *out, int i0, int i1);

/* y[r][n] = sum_k W[n][k] x[r][k] + bias[n] over an F16 [out][in] matrix, outputs n in [n0, n1); level as gptq4j_qgemm. */
GPTQ4J_API void gptq4j_f16gemm(int level, const uint16_t *weight, int in, const float *x, int rows, float *y, int ystride,
                    const float *bias, int n0, int n1);

/* A paged KV cache as attention reads it (KvLayout.java, mirrored once in Java by KvDescriptor.java and checked
 * against gptq4j_kv_struct_layout at load), written once per cache into the arena that owns keys and values. Keys and
 * values are each [layers][kv_heads][blocks][block_size][head_dim] elements (head-major: one head's vectors of a block
 * are contiguous); position p of a sequence whose block ids are blocks[] starts, from its head's base (the head's
 * first element, KvLayout.headBase), at element
 *   base + (blocks[p / block_size] * block_size + p % block_size) * stride      (stride = head_dim)            */
enum gptq4j_kv_precision {
    GPTQ4J_KV_F32 = 0,           /* float32 elements (KvPrecision.F32) */
    GPTQ4J_KV_F16 = 1,           /* IEEE half-precision elements, widened exactly to float when read (KvPrecision.F16) */
};

struct gptq4j_kv_cache {
    const void *keys;            /* elements of `precision` */
    const void *values;
    int32_t block_size;          /* positions per block */
    int32_t stride;              /* elements from one position's vector to the next */
    int32_t precision;           /* enum gptq4j_kv_precision */
    int32_t reserved;            /* zero: the struct is 32 bytes on every ABI */
};

/* The byte offset of every field of struct gptq4j_kv_cache, then its size, written to out[0..]; returns how many were
 * written (at most capacity). */
GPTQ4J_API int gptq4j_kv_struct_layout(int64_t *out, int capacity);

/* Causal attention of one head of one token over its sequence in the paged KV cache kv (attention.c): q and out are
 * the head's hd floats, scores scratch of pos + 1 floats, blocks the sequence's block ids in position order. */
GPTQ4J_API void gptq4j_attend(const struct gptq4j_kv_cache *kv, int64_t base, const int32_t *blocks, int hd, int pos, float scale,
                   const float *q, float *scores, float *out);

/* Reads bytes [0, n) once (n a multiple of 128) and returns an xor of everything read, so nothing is optimized away. */
GPTQ4J_API int64_t gptq4j_stream_read(const uint8_t *p, int64_t n);

/* Repacks output features [n0, n1) of an AutoGPTQ qweight into the kernel layout (memory.c); 0, or -1 out of memory. */
GPTQ4J_API int gptq4j_repack(const uint32_t *qw, int in, int out, int bits, const int32_t *position, int nb, uint8_t *codes,
                  int64_t rowBytes, int n0, int n1);

/* Releases this process's pages of a read-only file mapping whose bytes were repacked (memory.c). */
GPTQ4J_API int gptq4j_release_pages(void *addr, int64_t len);

#endif
