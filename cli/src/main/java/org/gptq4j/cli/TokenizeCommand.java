package org.gptq4j.cli;

import org.gptq4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** {@code tokenize}: text to token ids, as the tokenizer file's own reference implementation encodes it. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of --text as a JSON array. A tokenizer.json parses special-token text "
                + "(<s>) as the Hugging Face fast tokenizer does; a tokenizer.model keeps it as text, as sentencepiece does.")
final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tokenizer", required = true, description = "tokenizer.model or tokenizer.json")
    Path tokenizerFile;

    @Option(names = "--text", required = true, description = "The text to encode.")
    String text;

    @Option(names = "--bos", description = "Prepend the BOS token.")
    boolean bos;

    @Override
    public Integer call() {
        Tokenizer tokenizer = Tokenizer.load(tokenizerFile);
        boolean fastTokenizer = tokenizerFile.getFileName().toString().endsWith(".json");
        int[] ids = fastTokenizer ? tokenizer.encodeWithSpecialTokens(text) : tokenizer.encode(text);
        IntStream all = bos ? IntStream.concat(IntStream.of(tokenizer.bosId()), Arrays.stream(ids)) : Arrays.stream(ids);
        spec.commandLine().getOut().println(all.mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")));
        return 0;
    }
}
