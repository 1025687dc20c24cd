package org.gptq4j.tools;

import org.gptq4j.model.LlamaConfig;
import org.gptq4j.model.GptqConfig;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.gptq4j.io.DType;
import org.gptq4j.io.SafetensorsWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Writes a random-weight GPTQ checkpoint of a Llama shape in the exact Hub layout of a GPTQ branch, so anyone can
 * benchmark without downloading: {@code config.json} (firefly-llama2-7b-chat's transformers-4.30 style),
 * {@code quantize_config.json}, {@code model.safetensors} with I32 {@code qweight}/{@code qzeros}/{@code g_idx} and F16
 * {@code scales}, F16 embeddings, norms and lm_head, the tokenizer side files, and optionally a {@code tokenizer.model}.
 *
 * <p>Tensors are generated while they are written (a seeded PRNG, 1 MiB at a time), so a 4 GB checkpoint needs no
 * heap; the folder is assembled under a hidden temporary name beside the target and renamed into place at the end.
 * Weights are random but well-scaled (codes uniform, symmetric zero points, scales such that {@code W} has a
 * standard deviation near 0.02), so activations stay finite.
 */
public final class SyntheticCheckpoint {

    /** The dimensions of a Llama model. */
    public record Shape(String name, int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab, int maxPositions) {
        /** {@code llama2-7b} (vocab 55296 by default, firefly-llama2-7b-chat's) or {@code tiny} (the fixtures' tiny model). */
        public static Shape named(String name, Integer vocab) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "llama2-7b" -> new Shape("llama2-7b", 4096, 11008, 32, 32, 32, vocab != null ? vocab : 55296, 4096);
                case "tiny" -> new Shape("tiny", 128, 256, 2, 4, 2, vocab != null ? vocab : 512, 512);
                default -> throw new IllegalArgumentException("unknown shape " + name + " (llama2-7b, tiny)");
            };
        }

        int headDim() {
            return hidden / heads;
        }
    }

    /** GPTQ settings of the branch to imitate. */
    public record Quant(int bits, int groupSize, boolean actOrder) {
        public Quant {
            if (bits != 2 && bits != 3 && bits != 4 && bits != 8) throw new IllegalArgumentException("bits must be 2, 3, 4 or 8, got " + bits);
            if (groupSize != -1 && groupSize <= 0) throw new IllegalArgumentException("group size must be positive or -1, got " + groupSize);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 1 << 20;

    private SyntheticCheckpoint() {}

    /**
     * Writes the checkpoint into {@code out} (which must not exist, or be an empty folder).
     *
     * @param tokenizerModel a {@code tokenizer.model} to copy in (its vocabulary should match), or null for none
     * @param seed           PRNG seed: the same seed writes the same bytes
     */
    public static void write(Path out, Shape shape, Quant quant, Path tokenizerModel, long seed) {
        out = out.toAbsolutePath().normalize();
        try {
            if (Files.exists(out)) {
                try (Stream<Path> entries = Files.list(out)) {
                    if (entries.findAny().isPresent()) throw new IllegalArgumentException(out + " exists and is not empty");
                }
            }
            Files.createDirectories(out.getParent());
            Path tmp = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".");
            try {
                writeInto(tmp, shape, quant, tokenizerModel, seed);
                readableByAll(tmp);
                Files.deleteIfExists(out);
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                if (Files.exists(tmp)) deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    private static void writeInto(Path dir, Shape s, Quant q, Path tokenizerModel, long seed) throws IOException {
        writeJson(dir.resolve("config.json"), config(s));
        ObjectNode qc = JSON.createObjectNode();
        qc.put("bits", q.bits()).put("group_size", q.groupSize()).put("damp_percent", 0.1).put("desc_act", q.actOrder())
                .put("sym", true).put("true_sequential", true).putNull("model_name_or_path");
        qc.put("model_file_base_name", "model");
        writeJson(dir.resolve("quantize_config.json"), qc);
        ObjectNode gen = JSON.createObjectNode();
        gen.put("bos_token_id", 1).put("eos_token_id", 2).put("pad_token_id", 0).put("do_sample", true)
                .put("temperature", 0.7).put("top_p", 0.95).put("top_k", 40).put("repetition_penalty", 1.1).put("max_new_tokens", 512);
        writeJson(dir.resolve("generation_config.json"), gen);
        ObjectNode special = JSON.createObjectNode();
        special.put("bos_token", "<s>").put("eos_token", "</s>").put("unk_token", "<unk>");
        writeJson(dir.resolve("special_tokens_map.json"), special);
        if (tokenizerModel != null) {
            Files.copy(tokenizerModel, dir.resolve("tokenizer.model"));
            ObjectNode tc = JSON.createObjectNode();
            tc.put("add_bos_token", true).put("add_eos_token", false).put("bos_token", "<s>").put("eos_token", "</s>")
                    .put("unk_token", "<unk>").putNull("pad_token");
            tc.put("clean_up_tokenization_spaces", false).put("legacy", false).put("model_max_length", s.maxPositions())
                    .put("tokenizer_class", "LlamaTokenizer").putObject("sp_model_kwargs");
            writeJson(dir.resolve("tokenizer_config.json"), tc);
        }

        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        SplittableRandom root = new SplittableRandom(seed);
        w.add(f16("model.embed_tokens.weight", root.split(), 0.02f, s.vocab(), s.hidden()));
        int d = s.hidden(), f = s.intermediate(), kvd = s.kvHeads() * s.headDim();
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            w.add(constF16(p + "input_layernorm.weight", 1f, d));
            w.add(constF16(p + "post_attention_layernorm.weight", 1f, d));
            // layers reading the same input get the same act-order permutation, as GPTQ tooling gives them (one Hessian)
            Map<String, Long> permutationOfInput = new HashMap<>();
            for (String[] lin : new String[][]{{"self_attn.q_proj", "" + d, "" + d, "attn"}, {"self_attn.k_proj", "" + d, "" + kvd, "attn"},
                    {"self_attn.v_proj", "" + d, "" + kvd, "attn"}, {"self_attn.o_proj", "" + d, "" + d, "o"},
                    {"mlp.gate_proj", "" + d, "" + f, "mlp"}, {"mlp.up_proj", "" + d, "" + f, "mlp"}, {"mlp.down_proj", "" + f, "" + d, "down"}}) {
                long seedPerm = quantized(w, p + lin[0], Integer.parseInt(lin[1]), Integer.parseInt(lin[2]), q, root.split(),
                        permutationOfInput.get(lin[3]));
                permutationOfInput.putIfAbsent(lin[3], seedPerm);
            }
        }
        w.add(constF16("model.norm.weight", 1f, d));
        w.add(f16("lm_head.weight", root.split(), 0.02f, s.vocab(), s.hidden()));
        w.write(dir.resolve("model.safetensors"));
    }

    static ObjectNode config(Shape s) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama").put("bos_token_id", 1).put("eos_token_id", 2).put("hidden_act", "silu")
                .put("hidden_size", s.hidden()).put("intermediate_size", s.intermediate()).put("initializer_range", 0.02)
                .put("max_position_embeddings", s.maxPositions()).put("num_attention_heads", s.heads())
                .put("num_hidden_layers", s.layers()).put("num_key_value_heads", s.kvHeads()).put("rms_norm_eps", 1e-5)
                .put("tie_word_embeddings", false).put("torch_dtype", "float16").put("use_cache", true)
                .put("vocab_size", s.vocab()).put("pad_token_id", 0).put("pretraining_tp", 1).putNull("rope_scaling");
        c.put("transformers_version", "4.30.2");
        return c;
    }

    /**
     * qweight, qzeros, scales and g_idx of one layer, as AutoGPTQ's QuantLinear.pack lays them out (format v1); the
     * act-order permutation comes from {@code sharedPermutation} when not null. Returns the permutation's seed.
     */
    private static long quantized(SafetensorsWriter w, String name, int in, int out, Quant q, SplittableRandom rnd, Long sharedPermutation) {
        int bits = q.bits(), groups = q.groupSize() == -1 ? 1 : (in + q.groupSize() - 1) / q.groupSize();
        long seedCodes = rnd.nextLong(), seedScales = rnd.nextLong(), ownPerm = rnd.nextLong();
        long seedPerm = sharedPermutation != null ? sharedPermutation : ownPerm;
        // random codes: every bit pattern of the packed stream is a valid sequence of codes
        w.add(new SafetensorsWriter.Entry(name + ".qweight", DType.I32, new long[]{(long) in * bits / 32, out},
                o -> randomBytes(o, new SplittableRandom(seedCodes), (long) in * bits / 32 * out * 4)));
        // symmetric zero point 2^(bits-1), stored minus one (GPTQ v1), packed along n
        int zero = (1 << (bits - 1)) - 1;
        w.add(new SafetensorsWriter.Entry(name + ".qzeros", DType.I32, new long[]{groups, (long) out * bits / 32}, o -> {
            long totalBits = (long) out * bits;
            byte[] row = new byte[(int) (totalBits / 8)];
            for (long i = 0; i < out; i++) {
                for (int b = 0; b < bits; b++) {
                    if (((zero >>> b) & 1) != 0) {
                        long bit = i * bits + b;
                        row[(int) (bit >>> 3)] |= (byte) (1 << (bit & 7));
                    }
                }
            }
            for (int g = 0; g < groups; g++) o.write(row);
        }));
        // scales: W = s (q - z) with (q - z) uniform over 2^bits values has std ~ s 2^bits / sqrt(12); aim at 0.02
        float base = (float) (0.02 * Math.sqrt(12) / (1 << bits));
        w.add(new SafetensorsWriter.Entry(name + ".scales", DType.F16, new long[]{groups, out}, o -> {
            SplittableRandom r = new SplittableRandom(seedScales);
            streamShorts(o, (long) groups * out, () -> Float.floatToFloat16(base * (float) (0.75 + 0.5 * r.nextDouble())));
        }));
        // g_idx: k / group, shuffled over k for act-order (GPTQ's desc_act leaves the groups scattered)
        int[] gIdx = new int[in];
        for (int k = 0; k < in; k++) gIdx[k] = q.groupSize() == -1 ? 0 : k / q.groupSize();
        if (q.actOrder()) {
            SplittableRandom r = new SplittableRandom(seedPerm);
            for (int k = in - 1; k > 0; k--) {
                int j = r.nextInt(k + 1), t = gIdx[k];
                gIdx[k] = gIdx[j];
                gIdx[j] = t;
            }
        }
        w.addI32(name + ".g_idx", new long[]{in}, gIdx);
        return seedPerm;
    }

    private static SafetensorsWriter.Entry f16(String name, SplittableRandom rnd, float std, int rows, int cols) {
        long seed = rnd.nextLong();
        float halfWidth = (float) (std * Math.sqrt(3)); // uniform(-a, a) has std a / sqrt(3)
        return new SafetensorsWriter.Entry(name, DType.F16, new long[]{rows, cols}, o -> {
            SplittableRandom r = new SplittableRandom(seed);
            streamShorts(o, (long) rows * cols, () -> Float.floatToFloat16((float) ((r.nextDouble() * 2 - 1) * halfWidth)));
        });
    }

    private static SafetensorsWriter.Entry constF16(String name, float value, int size) {
        short h = Float.floatToFloat16(value);
        return new SafetensorsWriter.Entry(name, DType.F16, new long[]{size}, o -> streamShorts(o, size, () -> h));
    }

    private interface ShortSource {
        short next();
    }

    private static void streamShorts(OutputStream o, long count, ShortSource src) throws IOException {
        byte[] buf = new byte[CHUNK];
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, CHUNK / 2);
            for (int i = 0; i < n; i++) {
                short v = src.next();
                buf[2 * i] = (byte) v;
                buf[2 * i + 1] = (byte) (v >>> 8);
            }
            o.write(buf, 0, 2 * n);
            left -= n;
        }
    }

    private static void randomBytes(OutputStream o, SplittableRandom r, long count) throws IOException {
        byte[] buf = new byte[CHUNK];
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, CHUNK);
            for (int i = 0; i < n; i += 8) {
                long v = r.nextLong();
                for (int j = 0; j < 8 && i + j < n; j++) buf[i + j] = (byte) (v >>> (8 * j));
            }
            o.write(buf, 0, n);
            left -= n;
        }
    }

    private static void writeJson(Path file, ObjectNode node) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    }

    /** Temporary files and folders are private (0600/0700); a checkpoint is read by whoever benchmarks it. */
    private static void readableByAll(Path dir) throws IOException {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) return;
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
