package org.gptq4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the reference fixtures ({@code ../shared/fixtures} beside the project root, or the folder named
 * by the system property {@code gptq4j.shared}). Missing fixtures fail the test loudly: they are the
 * ground truth, never optional.
 */
public final class Fixtures {
    private Fixtures() {}

    /** The {@code shared} folder. */
    public static Path shared() {
        String configured = System.getProperty("gptq4j.shared");
        Path shared = configured != null ? Path.of(configured) : Path.of("..", "shared");
        shared = shared.toAbsolutePath().normalize();
        if (!Files.isDirectory(shared.resolve("fixtures"))) {
            throw new IllegalStateException("reference fixtures not found at " + shared.resolve("fixtures")
                    + ": put the shared folder beside the project root or pass -Dgptq4j.shared=/path/to/shared");
        }
        return shared;
    }

    public static Path root() {
        return shared().resolve("fixtures");
    }

    /** A checkpoint folder, e.g. {@code model("tiny-llama-gptq", "main")}. */
    public static Path model(String repo, String branch) {
        return existing(root().resolve(repo).resolve(branch));
    }

    /** The golden file {@code golden/<repo>/<branch>.<ext>}. */
    public static Path golden(String repo, String branch, String ext) {
        return existing(root().resolve("golden").resolve(repo).resolve(branch + "." + ext));
    }

    public static Path tokenizer(String name) {
        return existing(root().resolve("tokenizers").resolve(name));
    }

    private static Path existing(Path p) {
        if (!Files.exists(p)) throw new IllegalStateException("fixture missing: " + p);
        return p;
    }

    public static final String TINY = "tiny-llama-gptq";
    public static final String STORIES = "stories260K-gptq";

    /** Every branch of tiny-llama-gptq. */
    public static final String[] TINY_BRANCHES = {
            "main", "gptq-4bit-32g-actorder_True", "gptq-4bit-64g-actorder_True", "gptq-8bit--1g-actorder_True",
            "gptq-8bit-128g-actorder_True", "gptq-8bit-32g-actorder_True", "gptq-3bit-128g-actorder_True",
            "gptq-2bit-32g-actorder_True", "asym-4bit-128g-noact-config", "gptqv2-4bit-128g-asym",
            "sharded-4bit-32g", "oldname-4bit-128g"};

    /** Every branch of stories260K-gptq. */
    public static final String[] STORIES_BRANCHES = {"fp16", "main", "gptq-8bit--1g-actorder_True"};
}
