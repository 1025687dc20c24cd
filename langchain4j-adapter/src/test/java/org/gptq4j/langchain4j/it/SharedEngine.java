package org.gptq4j.langchain4j.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.gptq4j.engine.Engine;
import org.gptq4j.testing.Fixtures;

/** One real engine on the stories260K fixture, shared by every real-engine test (as beans would share it). */
public final class SharedEngine {
    public static final Path MODEL = Fixtures.model(Fixtures.STORIES, "main");
    public static final String MODEL_NAME = "stories260K-gptq";
    public static final Engine ENGINE = Engine.builder().modelPath(MODEL).threads(1).build();
    /**
     * {@code -Dgptq4j.suiteModel=<model folder>}: LangChain4j's suites ({@code Gptq*ModelIT}, the listener ITs) run on
     * that chat model, with its own chat template, instead of the fixture, and {@link TinyModelExclusions} excludes
     * nothing.
     */
    static final String SUITE_MODEL = "gptq4j.suiteModel";
    /** The engine LangChain4j's suites run on: the fixture's, or the {@value #SUITE_MODEL} folder's. */
    static final Engine SUITE_ENGINE = System.getProperty(SUITE_MODEL) == null ? ENGINE
            : Engine.builder().modelPath(Path.of(System.getProperty(SUITE_MODEL))).build();
    /** The model name the suites expect in responses. */
    static final String SUITE_MODEL_NAME = SUITE_ENGINE == ENGINE ? MODEL_NAME : SUITE_ENGINE.model().name();
    /** The context of {@link #longContext()}: room for the suites' two-tool conversations in this 512-piece vocabulary. */
    static final int LONG_CONTEXT = 2048;

    private SharedEngine() {}

    /**
     * The same model with {@code max_position_embeddings} raised from 512 to {@value #LONG_CONTEXT} (RoPE computes
     * any position), in a copy under {@code target/}, for the scripted suites: the suites' conversations with two
     * tools take over 512 tokens of this tokenizer, and the scripted answers do not depend on what the model would
     * say past its trained length.
     */
    static Engine longContext() {
        return LongContextEngine.ENGINE;
    }

    /** The model folder of {@link #longContext()} (for an engine of one's own, e.g. a Spring application's). */
    public static Path longContextModel() {
        return LongContext.FOLDER;
    }

    private static final class LongContextEngine {
        static final Engine ENGINE = Engine.builder().modelPath(LongContext.FOLDER).threads(1).build();
    }

    private static final class LongContext {
        static final Path FOLDER = copyWithContext(Path.of("target", "stories260K-long-context"));

        private static Path copyWithContext(Path dir) {
            try {
                Files.createDirectories(dir);
                try (Stream<Path> files = Files.list(MODEL)) {
                    for (Path file : files.toList()) {
                        Files.copy(file, dir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                ObjectMapper json = new ObjectMapper();
                ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
                json.writeValue(dir.resolve("config.json").toFile(), config.put("max_position_embeddings", LONG_CONTEXT));
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
