package org.gptq4j.cli;

import org.gptq4j.tools.ConsoleProgressBar;
import org.gptq4j.hub.HubClient;
import org.gptq4j.hub.HubConfig;
import org.gptq4j.hub.ModelRef;
import org.gptq4j.samples.EmbeddedModel;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code --model} / {@code --revision} options shared by the commands that load a model: a local folder, or a
 * Hugging Face repo {@code org/name[:branch]} downloaded into the Hugging Face cache (with a progress bar).
 */
final class ModelLocation {
    /** The environment the Hub settings come from (HF_HOME, HF_ENDPOINT, HF_TOKEN, ...); tests substitute their own. */
    static volatile Map<String, String> environment = System.getenv();

    @Option(names = "--model", description = "A model folder, or a Hugging Face repo id org/name[:branch] "
            + "(e.g. TheBloke/firefly-llama2-7B-chat-GPTQ:gptq-4bit-32g-actorder_True).")
    String model;

    @Option(names = "--revision", description = "Branch, tag or commit of a Hub repo (default: main, or the :branch of --model).")
    String revision;

    boolean isSet() {
        return model != null;
    }

    /** The folder to load: the given folder, the Hub snapshot (downloaded if needed), or the embedded model. */
    Path resolve(PrintStream progress) {
        if (model == null) {
            if (revision != null) throw new IllegalArgumentException("--revision needs --model with a Hub repo id");
            return EmbeddedModel.folder();
        }
        Path local = Path.of(model);
        if (Files.isDirectory(local)) {
            if (revision != null) throw new IllegalArgumentException("--revision applies to Hub repos, but " + model + " is a local folder");
            return local;
        }
        ModelRef ref;
        try {
            ref = ModelRef.parse(model, revision);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model folder " + model + " does not exist, and it is not a Hub repo id either ("
                    + e.getMessage() + ")");
        }
        try (HubClient hub = new HubClient(HubConfig.fromEnvironment(environment))) {
            return hub.download(ref, new ConsoleProgressBar(progress));
        }
    }
}
