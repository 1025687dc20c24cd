package org.gptq4j.kernel;

import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.ForwardBatch;
import org.gptq4j.model.LlamaModel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads a model with the repack cache in a given folder (or off), runs one prefill and returns its logits with what
 * the cache said on stderr.
 */
public final class CacheRun {
    private CacheRun() {}

    /** The logits of {@link #PROMPT} and the lines the load printed. */
    public record Result(float[] logits, String said) {}

    public static final int[] PROMPT = {1, 5, 99, 300, 7};

    /** Something done to the files between the load and the forward pass. */
    public interface Step {
        void run() throws IOException;
    }

    /** Loads {@code model} on the native backend (Java where it cannot run) with the cache in {@code cacheDir}, or off if null. */
    public static Result run(Path model, Path cacheDir) {
        return run(model, cacheDir, () -> { });
    }

    /** As {@link #run(Path, Path)}, doing {@code afterLoad} before the forward pass. */
    public static Result run(Path model, Path cacheDir, Step afterLoad) {
        PrintStream err = System.err;
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try (ComputePool pool = new ComputePool(2)) {
            System.setErr(new PrintStream(said, true, StandardCharsets.UTF_8));
            LlamaModel m;
            try {
                m = LlamaModel.load(model, options(cacheDir));
            } finally {
                System.setErr(err);
            }
            try (m; PagedKvCache cache = m.newKvCache(16, 2)) {
                KvCacheManager blocks = new KvCacheManager(cache.layout(), false);
                afterLoad.run();
                BlockTable table = new BlockTable();
                blocks.reserve(table, PROMPT.length);
                return new Result(m.forward(ForwardBatch.prefill(PROMPT, 0, table, true), cache, pool), said.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The native backend with the pack cache in {@code cacheDir} (off if null) for checkpoints of any size. */
    static KernelOptions options(Path cacheDir) {
        KernelOptions.Builder b = KernelOptions.builder().backend(KernelBackend.NATIVE).packCacheMinBytes(0);
        return (cacheDir == null ? b.packCacheOff() : b.packCacheDir(cacheDir)).build();
    }

    /** The cache files in {@code dir}. */
    public static List<Path> files(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".gptq4j")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
