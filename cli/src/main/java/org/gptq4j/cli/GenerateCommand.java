package org.gptq4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.gptq4j.engine.Engine;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.sampling.FinishReason;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/** {@code generate}: stream a continuation of a prompt (or of BOS alone). */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text. Without --model, uses the embedded stories260K model; without a prompt, starts after BOS.")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelLocation location;

    @ArgGroup(exclusive = true)
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--prompt", description = "Prompt text (BOS is added).")
        String text;

        @Option(names = "--ids", converter = IdList.Converter.class, description = "Prompt token ids, used as given.")
        IdList ids;
    }

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--repetition-penalty", description = "transformers' repetition penalty (default 1.1; 1 = off; "
            + "temperature 0 turns it off unless given).")
    Double repetitionPenalty;

    @Option(names = "--json", description = "Print {\"ids\":[...],\"text\":\"...\"} instead of streaming text.")
    boolean json;

    @Option(names = "--threads", description = "Compute threads (default: one per physical core; at most 4 per available processor, and 16 on any machine).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        Path folder = location.resolve(Gptq4jCli.progressStream(spec));
        SamplingParameters parameters = samplingParameters();
        PrintWriter out = spec.commandLine().getOut();
        Engine.Builder builder = Engine.builder().modelPath(folder).prefixCaching(false);
        if (threads != null) builder.threads(threads);
        try (Engine engine = builder.build()) {
            Tokenizer tokenizer = engine.tokenizer();
            GenerationRequest request = GenerationRequest.of(promptIds(tokenizer), parameters);
            // Streams each text delta as the engine produces it; --json prints once at the end instead.
            GenerationListener printer = json ? GenerationListener.NONE : new GenerationListener() {
                @Override
                public void onToken(int tokenId, String textDelta) {
                    out.print(textDelta);
                    out.flush();
                }
            };
            GenerationResult result = engine.submit(request, printer).result().join();
            if (json) {
                int[] ids = withoutStopToken(result, engine);
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("ids", ids);
                body.put("text", result.text());
                out.println(new ObjectMapper().writeValueAsString(body));
            } else {
                out.println();
            }
        }
        return 0;
    }

    /** The generated ids, without the EOS / stop token that ended the generation (it is not part of the text). */
    private static int[] withoutStopToken(GenerationResult result, Engine engine) {
        int[] ids = result.tokenIds();
        boolean endedOnToken = result.finishReason() == FinishReason.STOP && ids.length > 0
                && (engine.modelConfig().eosTokenIds().contains(ids[ids.length - 1]));
        return endedOnToken ? Arrays.copyOf(ids, ids.length - 1) : ids;
    }

    private int[] promptIds(Tokenizer tokenizer) {
        if (prompt != null && prompt.ids != null) {
            if (prompt.ids.values().length == 0) throw new IllegalArgumentException("--ids is empty");
            return prompt.ids.values();
        }
        int[] text = prompt != null && prompt.text != null ? tokenizer.encode(prompt.text) : new int[0];
        return IntStream.concat(IntStream.of(tokenizer.bosId()), Arrays.stream(text)).toArray();
    }

    /** The model card's defaults, overridden by the options; temperature 0 is plain greedy unless a penalty is given. */
    private SamplingParameters samplingParameters() {
        SamplingParameters.Builder b = SamplingParameters.modelCardDefaults().toBuilder().maxNewTokens(maxNewTokens).seed(sampling.seed);
        if (sampling.temperature != null) b.temperature(sampling.temperature);
        if (sampling.temperature != null && sampling.temperature == 0) b.topK(0).topP(1.0).repetitionPenalty(1.0);
        if (sampling.topP != null) b.topP(sampling.topP);
        if (sampling.topK != null) b.topK(sampling.topK);
        if (repetitionPenalty != null) b.repetitionPenalty(repetitionPenalty);
        return b.build();
    }
}
