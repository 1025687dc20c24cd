package org.gptq4j.samples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.ForwardBatch;
import org.gptq4j.model.LlamaModel;
import org.gptq4j.sampling.Sampler;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.sampling.TokenHistory;
import org.gptq4j.tokenizer.StreamingDecoder;
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

    @Option(names = "--temperature", description = "0 = greedy (argmax, no penalties unless given). Default: the model card's 0.7.")
    Double temperature;

    @Option(names = "--top-p", description = "Nucleus sampling mass (default 0.95).")
    Double topP;

    @Option(names = "--top-k", description = "Keep the k most likely tokens (default 40).")
    Integer topK;

    @Option(names = "--repetition-penalty", description = "transformers' repetition penalty (default 1.1; 1 = off).")
    Double repetitionPenalty;

    @Option(names = "--seed", description = "Random seed for reproducible sampling.")
    Long seed;

    @Option(names = "--json", description = "Print {\"ids\":[...],\"text\":\"...\"} instead of streaming text.")
    boolean json;

    @Option(names = "--threads", description = "Compute threads (default: available processors).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        Path folder = location.resolve(Gptq4jCli.progressStream(spec));
        SamplingParameters parameters = samplingParameters();
        PrintWriter out = spec.commandLine().getOut();
        try (LlamaModel llama = LlamaModel.load(folder);
             ComputePool pool = new ComputePool(threads != null ? threads : ComputePool.defaultThreads())) {
            Tokenizer tokenizer = Tokenizer.fromModelFolder(folder);
            int[] promptIds = promptIds(tokenizer);
            int total = promptIds.length + parameters.maxNewTokens();
            try (PagedKvCache cache = llama.newKvCache(16, (total + 15) / 16)) {
                int[] generated = generate(llama, pool, cache, promptIds, parameters, tokenizer, json ? null : out);
                if (json) {
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("ids", generated);
                    result.put("text", tokenizer.decode(generated));
                    out.println(new ObjectMapper().writeValueAsString(result));
                } else {
                    out.println();
                }
            }
        }
        return 0;
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
        SamplingParameters.Builder b = SamplingParameters.modelCardDefaults().toBuilder().maxNewTokens(maxNewTokens).seed(seed);
        if (temperature != null) b.temperature(temperature);
        if (temperature != null && temperature == 0) b.topK(0).topP(1.0).repetitionPenalty(1.0);
        if (topP != null) b.topP(topP);
        if (topK != null) b.topK(topK);
        if (repetitionPenalty != null) b.repetitionPenalty(repetitionPenalty);
        return b.build();
    }

    /** Prefill the prompt, then sample one token at a time until EOS or the token limit; streams text to {@code out}. */
    private static int[] generate(LlamaModel llama, ComputePool pool, PagedKvCache cache, int[] prompt,
                                  SamplingParameters parameters, Tokenizer tokenizer, PrintWriter out) {
        BlockTable table = new BlockTable();
        Sampler sampler = new Sampler(parameters, llama.config().vocabSize());
        TokenHistory history = new TokenHistory(prompt);
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        cache.reserve(table, prompt.length);
        float[] logits = llama.forward(ForwardBatch.prefill(prompt, 0, table, false), cache, pool);
        for (int i = 0; i < parameters.maxNewTokens(); i++) {
            int next = sampler.next(logits, history);
            if (llama.config().eosTokenIds().contains(next) || parameters.isStopToken(next)) break;
            history.add(next);
            if (out != null) {
                out.print(decoder.push(next));
                out.flush();
            }
            if (i + 1 == parameters.maxNewTokens()) break;
            int pos = prompt.length + i;
            cache.reserve(table, pos + 1);
            logits = llama.forward(ForwardBatch.prefill(new int[]{next}, pos, table, false), cache, pool);
        }
        if (out != null) out.print(decoder.flush());
        cache.release(table);
        return history.generated();
    }
}
