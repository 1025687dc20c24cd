package org.gptq4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code download}: fetch a Hub model into the Hugging Face cache and print its snapshot folder. */
@Command(name = "download", mixinStandardHelpOptions = true,
        description = "Download what a model needs (configs, tokenizer, weights) from the Hugging Face Hub into its cache "
                + "(HF_HOME / HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE are honoured) and print the folder.")
final class DownloadCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelLocation location;

    @Override
    public Integer call() {
        if (!location.isSet()) throw new IllegalArgumentException("download needs --model org/name[:branch]");
        spec.commandLine().getOut().println(location.resolve(Gptq4jCli.progressStream(spec)));
        return 0;
    }
}
