package org.gptq4j.spring.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The endpoint driven by OpenAI's official Node client ({@code openai} on npm, installed at test time into
 * {@code target/npm-openai}): a plain completion, a stream with usage, a tool call with its result fed back, and
 * {@code json_schema} with {@code strict: true} ({@code src/test/node/openai-client.mjs} asserts each). Skipped,
 * saying so, only where npm is not installed; a failing install (e.g. no registry) fails the test.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "langchain4j.gptq.threads=1", "langchain4j.gptq.kv-cache-memory=2MB",
        "langchain4j.gptq.chat-model.model-name=stories", "langchain4j.gptq.server.enabled=true"})
class OpenAiNodeClientTest {
    /** The client version the script is written against. */
    static final String CLIENT = "openai@4.104.0";
    private static final Path PREFIX = Path.of("target", "npm-openai");

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("langchain4j.gptq.chat-model.model-path", () -> Fixtures.model(Fixtures.STORIES, "main").toString());
    }

    @Value("${local.server.port}")
    int port;

    @Test
    void theOfficialNodeClientTalksToTheEndpoint() throws Exception {
        Assumptions.assumeTrue(onPath("npm") && onPath("node"),
                "npm and node are not installed: the official openai Node client can not be run (install Node.js)");
        if (!Files.isRegularFile(PREFIX.resolve("node_modules/openai/package.json"))) {
            Files.createDirectories(PREFIX);
            Files.writeString(PREFIX.resolve("package.json"), "{\"private\": true, \"type\": \"module\"}");
            Result install = run(List.of("npm", "install", "--no-audit", "--no-fund", "--prefix", PREFIX.toString(),
                    CLIENT), 300);
            assertThat(install.exit()).as("npm install " + CLIENT + ":\n" + install.output()).isZero();
        }
        Path script = PREFIX.resolve("openai-client.mjs");
        Files.copy(Path.of("src/test/node/openai-client.mjs"), script, StandardCopyOption.REPLACE_EXISTING);

        Result result = run(List.of("node", script.toString()), 180);

        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(result.output()).contains("RESULTS ");
    }

    private record Result(int exit, String output) {}

    private Result run(List<String> command, int seconds) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("OPENAI_BASE_URL", "http://127.0.0.1:" + port + "/v1");
        Process process = builder.start();
        process.getOutputStream().close();
        // read on a side thread so that a full pipe never blocks the child; a hang is ended by the bound below
        StringBuilder output = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                output.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                output.append("(output lost: ").append(e.getMessage()).append(')');
            }
        });
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            reader.join(5_000);
            return new Result(-1, "did not finish in " + seconds + " s:\n" + output);
        }
        reader.join(5_000);
        return new Result(process.exitValue(), output.toString());
    }

    private static boolean onPath(String tool) {
        try {
            Process process = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
