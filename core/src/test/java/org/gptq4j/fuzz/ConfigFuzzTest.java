package org.gptq4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.gptq4j.model.ConfigException;
import org.gptq4j.model.GptqConfig;
import org.gptq4j.model.LlamaConfig;
import org.gptq4j.model.UnsupportedModelException;

import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code config.json} ({@link LlamaConfig#read}) and {@code quantize_config.json} ({@link GptqConfig#read}) with
 * arbitrary content: a {@link ConfigException} or {@link UnsupportedModelException}, or settings that respect the
 * invariants the engine relies on (positive sizes, heads divisible by KV heads, even head dim, every vector width
 * within {@link LlamaConfig#MAX_VECTOR}).
 * <p>Input layout: first byte even, the rest is {@code config.json}; odd, {@code quantize_config.json}.
 */
class ConfigFuzzTest {
    private static final Path FOLDER = Fuzz.folder("config");

    @FuzzTest(maxDuration = "20s")
    void configsAreValidOrRefusedClearly(byte[] input) {
        if (input.length == 0) return;
        byte[] json = Arrays.copyOfRange(input, 1, input.length);
        boolean quantize = (input[0] & 1) == 1;
        Fuzz.write(FOLDER.resolve(quantize ? "quantize_config.json" : "config.json"), json);
        Fuzz.expectOnly(() -> {
            if (quantize) {
                GptqConfig q = GptqConfig.read(FOLDER, JsonNodeFactory.instance.objectNode()).orElseThrow();
                assertThat(q.bits()).isIn(2, 3, 4, 8);
                assertThat(q.groupSize() == -1 || q.groupSize() > 0).isTrue();
            } else {
                LlamaConfig c = LlamaConfig.read(FOLDER);
                assertThat(c.hiddenSize()).isPositive();
                assertThat(c.numLayers()).isPositive();
                assertThat(c.vocabSize()).isPositive();
                assertThat(c.numHeads() % c.numKvHeads()).isZero();
                assertThat(c.headDim() % 2).isZero();
                for (long size : new long[]{c.hiddenSize(), c.intermediateSize(), c.vocabSize(), (long) c.numHeads() * c.headDim()}) {
                    assertThat(size).isLessThanOrEqualTo(LlamaConfig.MAX_VECTOR); // so that qDim() and kvDim() cannot wrap
                }
                assertThat(c.rmsNormEps()).isPositive().isFinite();
                assertThat(c.ropeTheta()).isPositive().isFinite();
            }
        }, ConfigException.class, UnsupportedModelException.class);
    }
}
