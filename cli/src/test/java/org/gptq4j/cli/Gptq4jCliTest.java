package org.gptq4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.gptq4j.io.SafetensorsFile;
import org.gptq4j.io.Tensor;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The command-line contract, run in process on the fixtures. */
class Gptq4jCliTest {

    record Run(int exitCode, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Gptq4jCli.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static JsonNode golden(String repo, String branch) throws IOException {
        return new ObjectMapper().readTree(Fixtures.golden(repo, branch, "json").toFile());
    }

    @Test
    void greedyGenerationFromBosPrintsTheGoldenText() throws IOException {
        Run run = run("generate", "--model", Fixtures.model(Fixtures.STORIES, "main").toString(),
                "--max-new-tokens", "48", "--temperature", "0");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().strip()).isEqualTo(golden(Fixtures.STORIES, "main").get("greedy_text").asText());
    }

    @Test
    void jsonOutputCarriesTheGeneratedIds() throws IOException {
        JsonNode golden = golden(Fixtures.STORIES, "main");
        Run run = run("generate", "--model", Fixtures.model(Fixtures.STORIES, "main").toString(),
                "--ids", "1", "--max-new-tokens", "12", "--temperature", "0", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        for (int i = 0; i < 12; i++) assertThat(json.get("ids").get(i).asInt()).isEqualTo(golden.get("greedy_tokens").get(i).asInt());
        assertThat(golden.get("greedy_text").asText()).startsWith(json.get("text").asText());
    }

    @Test
    void seededSamplingIsReproducible() {
        String[] args = {"generate", "--max-new-tokens", "24", "--seed", "7", "--prompt", "Once upon a time"};
        Run first = run(args), second = run(args);
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).isNotBlank().isEqualTo(second.out());
    }

    @Test
    void tokenizeMatchesTheFastTokenizerForTokenizerJson() throws IOException {
        Path folder = Fixtures.tokenizer("firefly-chinese-llama-alpaca-2");
        JsonNode cases = new ObjectMapper().readTree(folder.resolve("encodings.json").toFile()).get("cases");
        for (JsonNode c : cases) {
            if (!c.get("text").asText().equals("<s>literal special</s>") && !c.get("text").asText().equals("你好，世界！")) continue;
            Run json = run("tokenize", "--tokenizer", folder.resolve("tokenizer.json").toString(), "--text", c.get("text").asText(), "--bos");
            assertThat(json.out().strip()).isEqualTo(c.get("hf_fast_ids_with_special").toString());
            Run model = run("tokenize", "--tokenizer", folder.resolve("tokenizer.model").toString(), "--text", c.get("text").asText());
            assertThat(model.out().strip()).isEqualTo(c.get("sentencepiece_ids").toString());
        }
    }

    @Test
    void logitsCommandWritesTheGoldenLogits(@TempDir Path dir) {
        String branch = "gptq-3bit-128g-actorder_True";
        try (SafetensorsFile golden = SafetensorsFile.open(Fixtures.golden(Fixtures.TINY, branch, "safetensors"))) {
            int[] ids = golden.tensors().get("seq0.ids").toIntArray();
            int[] positions = golden.tensors().get("seq0.positions").toIntArray();
            float[] expected = golden.tensors().get("seq0.logits").toFloatArray();
            for (String mode : new String[]{"prefill", "decode"}) {
                Path out = dir.resolve(mode + ".safetensors");
                Run run = run("logits", "--model", Fixtures.model(Fixtures.TINY, branch).toString(), "--ids", join(ids),
                        "--positions", join(positions), "--mode", mode, "--out", out.toString());
                assertThat(run.exitCode()).as(run.err()).isZero();
                try (SafetensorsFile written = SafetensorsFile.open(out)) {
                    Tensor logits = written.tensors().get("logits");
                    assertThat(logits.shape()).containsExactly(positions.length, 512);
                    float[] actual = logits.toFloatArray();
                    for (int i = 0; i < expected.length; i++) {
                        assertThat((double) actual[i]).as("%s logit %d", mode, i)
                                .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-3 + 1e-3 * Math.abs(expected[i])));
                    }
                }
            }
        }
    }

    @Test
    void badInputGivesAClearErrorAndExitCode(@TempDir Path dir) {
        Run missing = run("generate", "--model", dir.resolve("nope").toString(), "--max-new-tokens", "2");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.err()).contains("does not exist");
        Run badIds = run("logits", "--model", Fixtures.model(Fixtures.TINY, "main").toString(), "--ids", "1,x", "--out", dir.resolve("o").toString());
        assertThat(badIds.exitCode()).isNotZero();
        assertThat(badIds.err()).contains("not a comma-separated list of integers");
    }

    @Test
    void anAbsurdThreadCountIsRefusedAtOnce(@TempDir Path dir) {
        String tiny = Fixtures.model(Fixtures.TINY, "main").toString();
        Run generate = run("generate", "--model", tiny, "--threads", "100000", "--max-new-tokens", "1");
        assertThat(generate.exitCode()).isNotZero();
        assertThat(generate.err()).contains("threads must be between 1 and", "got 100000").doesNotContain("\tat ");
        Run logits = run("logits", "--model", tiny, "--threads", "100000", "--ids", "1", "--out",
                dir.resolve("o").toString());
        assertThat(logits.exitCode()).isNotZero();
        assertThat(logits.err()).contains("threads must be between 1 and", "got 100000");
    }

    private static String join(int[] values) {
        return IntStream.of(values).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
