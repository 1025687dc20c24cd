package org.gptq4j.model;

import org.gptq4j.io.Checkpoint;
import org.gptq4j.io.CheckpointException;
import org.gptq4j.io.Tensor;
import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.DenseLinear;
import org.gptq4j.kernel.GptqLinear;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.KernelOptions;
import org.gptq4j.kernel.Kernels;
import org.gptq4j.kernel.PackCache;
import org.gptq4j.kernel.Linear;
import org.gptq4j.kernel.NativeKernels;
import org.gptq4j.kernel.LinearGroup;
import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvLayout;
import org.gptq4j.kv.PagedKvCache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded Llama model (GPTQ-quantized or not) and its forward pass over a batch of tokens, reading and writing
 * keys and values through the paged KV cache. The whole forward pass is {@link #forward}.
 *
 * <p>Everything a forward pass reads is in memory the model owns: GPTQ layers are repacked (or read from the
 * {@link PackCache}), embeddings, norms, biases and unquantized matrices are copied, and the weight files are unmapped
 * at the end of {@link #load}, so a weight file changed, truncated or deleted under a loaded model has no effect on it.
 * Floating-point weights are checked to be finite as they are copied.
 */
public final class LlamaModel implements AutoCloseable {

    /** The weights of one transformer block: q, k, v and gate, up read the same input and run as groups. */
    record Layer(float[] attnNorm, LinearGroup qkv, Linear o, float[] mlpNorm, LinearGroup gateUp, Linear down) {}

    private final Path folder;
    private final LlamaConfig config;
    private final Optional<GptqConfig> gptq;
    private final Arena arena;
    private final Tensor embeddings;
    private final Layer[] layers;
    private final float[] finalNorm;
    private final Linear lmHead;
    private final RotaryEmbedding rope;
    private final Kernels kernels;

    private LlamaModel(Path folder, LlamaConfig config, Optional<GptqConfig> gptq, Arena arena, Tensor embeddings,
                       Layer[] layers, float[] finalNorm, Linear lmHead, Kernels kernels) {
        this.folder = folder;
        this.config = config;
        this.gptq = gptq;
        this.arena = arena;
        this.embeddings = embeddings;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.kernels = kernels;
        this.rope = new RotaryEmbedding(config);
    }

    /**
     * Loads a model folder laid out like a Hugging Face download (config, optional quantize config, safetensors) with
     * the default {@link KernelOptions}.
     */
    public static LlamaModel load(Path folder) {
        return load(folder, KernelOptions.defaults());
    }

    /** Loads the weights of a folder already read, with the default {@link KernelOptions}. */
    public static LlamaModel load(ModelFolder model) {
        return load(model, KernelOptions.defaults());
    }

    /** As {@link #load(Path)}, running the linear layers on {@code backend} (or its fallback where it cannot run). */
    public static LlamaModel load(Path folder, KernelBackend backend) {
        return load(folder, KernelOptions.builder().backend(backend).build());
    }

    /** As {@link #load(ModelFolder, KernelOptions)} for a folder not read yet. */
    public static LlamaModel load(Path folder, KernelOptions options) {
        return load(ModelFolder.read(folder), options);
    }

    /**
     * Loads the weights of a folder already read, with the kernels of {@code options} (its backend, or the fallback
     * where it cannot run, at its native level) and its pack cache; its thread count is the caller's, who makes the
     * {@link ComputePool}.
     */
    public static LlamaModel load(ModelFolder model, KernelOptions options) {
        Kernels kernels = Kernels.of(options);
        Path folder = model.path();
        LlamaConfig config = model.config();
        Optional<GptqConfig> gptq = model.quantization();
        Arena arena = Arena.ofShared();
        try (Checkpoint checkpoint = Checkpoint.open(folder, gptq.map(GptqConfig::modelFileBaseName).orElse(null));
             PackCache cache = gptq.map(q -> PackCache.open(checkpoint, q.bits() + "/" + q.groupSize() + "/" + q.format(), options))
                     .orElse(PackCache.none())) {
            WeightLoader w = new WeightLoader(checkpoint, gptq, arena, kernels, cache);
            int d = config.hiddenSize(), f = config.intermediateSize();
            Tensor embeddings = w.owned(checkpoint.get("model.embed_tokens.weight").requireFloat(config.vocabSize(), d));
            checkpoint.get("model.layers." + (config.numLayers() - 1) + ".input_layernorm.weight"); // before allocating for them all
            Layer[] layers = new Layer[config.numLayers()];
            for (int i = 0; i < layers.length; i++) {
                String p = "model.layers." + i + ".";
                layers[i] = new Layer(
                        w.vector(p + "input_layernorm.weight", d),
                        LinearGroup.of(w.linear(p + "self_attn.q_proj", d, config.qDim()),
                                w.linear(p + "self_attn.k_proj", d, config.kvDim()),
                                w.linear(p + "self_attn.v_proj", d, config.kvDim())),
                        w.linear(p + "self_attn.o_proj", config.qDim(), d),
                        w.vector(p + "post_attention_layernorm.weight", d),
                        LinearGroup.of(w.linear(p + "mlp.gate_proj", d, f), w.linear(p + "mlp.up_proj", d, f)),
                        w.linear(p + "mlp.down_proj", f, d));
            }
            float[] finalNorm = w.vector("model.norm.weight", d);
            // Untied: the checkpoint must hold lm_head (transformers would initialise a missing one at random).
            Linear lmHead = config.tieWordEmbeddings()
                    ? new DenseLinear(embeddings, null, kernels)
                    : w.linear("lm_head", d, config.vocabSize());
            cache.commit();
            return new LlamaModel(folder, config, gptq, arena, embeddings, layers, finalNorm, lmHead, kernels);
        } catch (InternalError e) {
            // a Java read of a mapped page that vanished: another process shrank a weight file while it was read
            arena.close();
            throw new CheckpointException("a weight file of " + folder + " changed while it was being loaded (" + e.getMessage()
                    + "): load it again once nothing writes to it", e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Builds each layer's {@link Linear} from whichever tensors the checkpoint holds for it, in memory the model owns. */
    private record WeightLoader(Checkpoint checkpoint, Optional<GptqConfig> gptq, Arena arena, Kernels kernels, PackCache cache) {
        Linear linear(String prefix, int in, int out) {
            Optional<Tensor> bias = checkpoint.find(prefix + ".bias");
            if (checkpoint.find(prefix + ".qweight").isPresent()) {
                GptqConfig q = gptq.orElseThrow(() -> new ConfigException(prefix + ".qweight is GPTQ-quantized but the model folder has "
                        + "no quantize_config.json, quant_config.json or quantization_config in config.json"));
                var stored = new GptqLinear.Stored(prefix, checkpoint.get(prefix + ".qweight"), checkpoint.get(prefix + ".qzeros"),
                        checkpoint.get(prefix + ".scales"), checkpoint.find(prefix + ".g_idx").orElse(null), bias.orElse(null));
                return GptqLinear.load(stored, in, out, q.bits(), q.groupSize(), q.format() == GptqConfig.Format.GPTQ ? 1 : 0, arena, kernels, cache);
            }
            Tensor weight = checkpoint.find(prefix + ".weight").orElseThrow(() ->
                    new CheckpointException("checkpoint has neither " + prefix + ".qweight nor " + prefix + ".weight"));
            return new DenseLinear(owned(weight.requireFloat(out, in)),
                    bias.map(b -> b.requireFloat(out).requireFinite().toFloatArray()).orElse(null), kernels);
        }

        float[] vector(String name, int size) {
            return checkpoint.get(name).requireFloat(size).requireFinite().toFloatArray();
        }

        /** A copy the model owns of a mapped tensor, checked to be finite; the file's pages are let go as they are copied. */
        Tensor owned(Tensor mapped) {
            return mapped.copyTo(arena, NativeKernels::releasePages).requireFinite();
        }
    }

    public LlamaConfig config() {
        return config;
    }

    public Optional<GptqConfig> gptq() {
        return gptq;
    }

    /** The kernels this model runs on. */
    public Kernels kernels() {
        return kernels;
    }

    public Path folder() {
        return folder;
    }

    /** Bytes of weights one forward pass reads (packed layers plus the lm_head). */
    public long weightBytesPerPass() {
        long sum = lmHead.weightBytes();
        for (Layer l : layers) {
            for (Linear lin : l.qkv.parts()) sum += lin.weightBytes();
            for (Linear lin : l.gateUp.parts()) sum += lin.weightBytes();
            sum += l.o.weightBytes() + l.down.weightBytes();
        }
        return sum;
    }

    /**
     * The layout of a KV cache of {@code blocks} blocks of {@code blockSize} positions for this model, in the precision
     * its kernels' attention reads ({@link Kernels#kvPrecision}).
     */
    public KvLayout kvLayout(int blockSize, int blocks) {
        return new KvLayout(config.numLayers(), config.numKvHeads(), config.headDim(), blockSize, blocks, kernels.kvPrecision());
    }

    /** A KV cache's memory sized for this model ({@link #kvLayout}). */
    public PagedKvCache newKvCache(int blockSize, int blocks) {
        return new PagedKvCache(kvLayout(blockSize, blocks));
    }

    /**
     * Activations of one forward pass, kept between passes and grown to the largest batch seen, so that a steady
     * stream of decode steps allocates only the logits it returns.
     */
    private static final class Buffers {
        int capacity;
        float[] x, xb, tmp, q, k, v, att, gate, up, normed;
        float[][] scores = new float[0][];

        void ensure(int n, int logitRows, LlamaConfig c, int slices, int maxPos) {
            int d = c.hiddenSize(), qd = c.qDim(), kvd = c.kvDim(), f = c.intermediateSize();
            if (n > capacity) {
                capacity = n;
                x = new float[floats(n, d)];
                xb = new float[floats(n, d)];
                tmp = new float[floats(n, d)];
                q = new float[floats(n, qd)];
                att = new float[floats(n, qd)];
                k = new float[floats(n, kvd)];
                v = new float[floats(n, kvd)];
                gate = new float[floats(n, f)];
                up = new float[floats(n, f)];
            }
            if (normed == null || normed.length < floats(logitRows, d)) normed = new float[floats(Math.max(1, logitRows), d)];
            if (scores.length < slices) scores = java.util.Arrays.copyOf(scores, slices);
            for (int i = 0; i < slices; i++) {
                if (scores[i] == null || scores[i].length < maxPos + 1) scores[i] = new float[Math.max(maxPos + 1, 256)];
            }
        }
    }

    private final Buffers buffers = new Buffers();

    /** Floats for {@code rows} vectors of {@code size}, refused when that is more than a Java array holds. */
    private static int floats(int rows, int size) {
        long n = (long) rows * size;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(rows + " vectors of " + size + " floats are more than one array holds: a smaller batch is needed");
        }
        return (int) n;
    }

    /**
     * Runs the transformer over every token of the batch, writing their keys and values into the cache, and returns
     * the logits of the rows that want them, {@code [batch.logitRows(), vocab]} row-major. One pass at a time per
     * model (concurrent calls wait): the activations live in buffers reused from pass to pass.
     */
    public synchronized float[] forward(ForwardBatch batch, PagedKvCache cache, ComputePool pool) {
        int n = batch.size(), d = config.hiddenSize(), qd = config.qDim(), kvd = config.kvDim(), f = config.intermediateSize();
        int heads = config.numHeads(), kvHeads = config.numKvHeads(), hd = config.headDim();
        float eps = (float) config.rmsNormEps();
        int maxPos = maxPosition(batch);
        KvLayout kv = cache.layout();
        Buffers b = buffers;
        b.ensure(n, batch.logitRows(), config, pool.threads(), maxPos);
        float[] x = b.x, xb = b.xb, tmp = b.tmp, q = b.q, k = b.k, v = b.v, att = b.att, gate = b.gate, up = b.up;
        float[][] scores = b.scores;
        float[][] freq = rotaryFrequencies(batch);

        for (int t = 0; t < n; t++) embed(batch.tokens()[t], x, t * d);

        long tokenWork = (long) n * d * 4; // a token's norm or rotation: a few operations per element
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            // attention: xb = rmsnorm(x); q,k,v = xb Wq, xb Wk, xb Wv; rotate q,k; store k,v; att = softmax(q k^T / sqrt(hd)) v
            // the per-token steps run over the pool: a token's arithmetic is the same on whichever thread (same bits),
            // and a prefill's 512 tokens would otherwise leave the other cores idle while one normalizes and rotates
            pool.parallelFor(n, tokenWork, (t0, t1) -> {
                for (int t = t0; t < t1; t++) rmsNorm(xb, t * d, x, t * d, layer.attnNorm, d, eps);
            });
            layer.qkv.apply(xb, n, pool, q, k, v);
            int layerIndex = l;
            pool.parallelFor(n, tokenWork, (t0, t1) -> {
                for (int t = t0; t < t1; t++) {
                    int pos = batch.positions()[t];
                    rope.rotate(q, t * qd, heads, pos, freq[t]);
                    rope.rotate(k, t * kvd, kvHeads, pos, freq[t]);
                    for (int h = 0; h < kvHeads; h++) { // each token writes its own slots
                        long at = kv.offset(layerIndex, h, batch.tables()[t], pos);
                        cache.write(at, k, t * kvd + h * hd, v, t * kvd + h * hd, hd);
                    }
                }
            });
            long attentionWork = (long) n * heads * (maxPos + 1) * config.headDim() * 2;
            // head-major: a thread takes a head over consecutive tokens, whose keys and values (for a 512-token prompt,
            // 512 KiB per head) then stay in its cache instead of being streamed from memory once per token
            pool.parallelForSlices(n * heads, attentionWork, (slice, start, end) -> {
                for (int ht = start; ht < end; ht++) attend(layerIndex, batch, ht % n, ht / n, q, att, scores[slice], cache);
            });
            // x = x + att Wo
            layer.o.apply(att, tmp, n, pool);
            addInto(x, tmp, n * d, pool);

            // feed-forward: x = x + (silu(xb Wgate) * (xb Wup)) Wdown with xb = rmsnorm(x)
            pool.parallelFor(n, tokenWork, (t0, t1) -> {
                for (int t = t0; t < t1; t++) rmsNorm(xb, t * d, x, t * d, layer.mlpNorm, d, eps);
            });
            layer.gateUp.apply(xb, n, pool, gate, up);
            pool.parallelFor(n * f, (long) n * f * SILU_WORK, (i0, i1) -> {
                for (int i = i0; i < i1; i++) gate[i] = silu(gate[i]) * up[i];
            });
            layer.down.apply(gate, tmp, n, pool);
            addInto(x, tmp, n * d, pool);
        }

        // logits = rmsnorm(x) W_lm for the rows that want them
        int rows = batch.logitRows();
        float[] normed = b.normed;
        for (int t = 0, r = 0; t < n; t++) {
            if (batch.wantLogits()[t]) rmsNorm(normed, r++ * d, x, t * d, finalNorm, d, eps);
        }
        float[] logits = new float[floats(rows, config.vocabSize())];
        if (rows > 0) lmHead.apply(normed, logits, rows, pool);
        return logits;
    }

    /** One head of one token: out = sum_p softmax_p(q . k_p / sqrt(hd)) v_p over positions 0..pos of its sequence. */
    private void attend(int layer, ForwardBatch batch, int t, int h, float[] q, float[] att, float[] scores, PagedKvCache cache) {
        int hd = config.headDim(), qd = config.qDim();
        int kvHead = h / (config.numHeads() / config.numKvHeads());
        long base = cache.layout().headBase(layer, kvHead);
        kernels.attend(cache, base, batch.tables()[t].blocks(), hd, batch.positions()[t], q, t * qd + h * hd, scores,
                att, t * qd + h * hd);
    }

    private static int maxPosition(ForwardBatch batch) {
        int max = 0;
        for (int p : batch.positions()) max = Math.max(max, p);
        return max;
    }

    /** Rotary frequencies per token; dynamic NTK scaling depends on the length its sequence reaches in this pass. */
    private float[][] rotaryFrequencies(ForwardBatch batch) {
        Map<BlockTable, Integer> seqLen = new IdentityHashMap<>();
        for (int t = 0; t < batch.size(); t++) seqLen.merge(batch.tables()[t], batch.positions()[t] + 1, Math::max);
        float[][] freq = new float[batch.size()][];
        for (int t = 0; t < batch.size(); t++) freq[t] = rope.frequencies(seqLen.get(batch.tables()[t]));
        return freq;
    }

    private void embed(int token, float[] x, int offset) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        long base = (long) token * config.hiddenSize();
        for (int i = 0; i < config.hiddenSize(); i++) x[offset + i] = embeddings.getFloat(base + i);
    }

    /** out = x / sqrt(mean(x^2) + eps) * weight */
    private void rmsNorm(float[] out, int oo, float[] x, int xo, float[] weight, int size, float eps) {
        float ss = kernels.dot(x, xo, x, xo, size) / size;
        float inv = (float) (1.0 / Math.sqrt(ss + eps));
        for (int i = 0; i < size; i++) out[oo + i] = weight[i] * (inv * x[xo + i]);
    }

    /** x[i] += y[i] for i < n, over the pool when n is large (a prefill's residuals). */
    private static void addInto(float[] x, float[] y, int n, ComputePool pool) {
        pool.parallelFor(n, n, (i0, i1) -> {
            for (int i = i0; i < i1; i++) x[i] += y[i];
        });
    }

    /** Operations one silu counts for in the pool's work estimate (an exp and a division). */
    private static final long SILU_WORK = 16;

    /** silu(x) = x * sigmoid(x) */
    private static float silu(float x) {
        return x / (1f + (float) Math.exp(-x));
    }

    @Override
    public void close() {
        arena.close();
    }
}
