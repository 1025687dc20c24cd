package org.gptq4j.samples;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.gptq4j.model.ModelFolder;

/**
 * The default model shipped inside the samples (stories260K, 4-bit GPTQ; see its NOTICE.md), so a fresh clone runs
 * offline. From a class folder it is used in place; from a jar it is extracted once to a temporary folder.
 */
public final class EmbeddedModel {
    public static final String NAME = "stories260K-gptq";
    private static final String RESOURCE = "/org/gptq4j/samples/models/" + NAME + "/";
    /** The files a model folder may hold (those the model has are extracted), its weights and its notice. */
    private static final List<String> FILES = Stream.concat(ModelFolder.FILES.stream(),
            Stream.of("model.safetensors", "NOTICE.md")).toList();

    private static Path extracted;

    private EmbeddedModel() {}

    /** A folder holding the embedded model, ready for {@code LlamaModel.load}. */
    public static synchronized Path folder() {
        URL config = EmbeddedModel.class.getResource(RESOURCE + "config.json");
        if (config == null) throw new IllegalStateException("the embedded model is missing from the classpath (" + RESOURCE + ")");
        try {
            if (config.getProtocol().equals("file")) return Path.of(config.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (extracted == null) extracted = extract();
        return extracted;
    }

    /** The configuration files a folder may lack; config.json, the weights and the notice must be there. */
    private static boolean optional(String file) {
        return ModelFolder.FILES.contains(file) && !file.equals(ModelFolder.CONFIG);
    }

    private static Path extract() {
        try {
            Path dir = Files.createTempDirectory("gptq4j-" + NAME);
            for (String file : FILES) {
                try (InputStream in = EmbeddedModel.class.getResourceAsStream(RESOURCE + file)) {
                    if (in == null && optional(file)) continue; // a file this model does not have
                    if (in == null) throw new IllegalStateException("embedded model file " + file + " is missing");
                    Files.copy(in, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
                dir.resolve(file).toFile().deleteOnExit();
            }
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the embedded model: " + e.getMessage(), e);
        }
    }
}
