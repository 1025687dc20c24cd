package org.gptq4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * config.json is read with the defaults of transformers' {@code LlamaConfig.__init__}
 * (src/transformers/models/llama/configuration_llama.py) and the rope settings of both the 4.x {@code rope_scaling}
 * and the 5.x {@code rope_parameters} layouts.
 */
class LlamaConfigTest {

    @Test
    void absentKeysTakeTransformersDefaults() {
        LlamaConfig c = parse("{\"model_type\": \"llama\"}");
        assertThat(c.vocabSize()).isEqualTo(32000);
        assertThat(c.hiddenSize()).isEqualTo(4096);
        assertThat(c.intermediateSize()).isEqualTo(11008);
        assertThat(c.numLayers()).isEqualTo(32);
        assertThat(c.numHeads()).isEqualTo(32);
        assertThat(c.numKvHeads()).as("num_key_value_heads absent = num_attention_heads").isEqualTo(32);
        assertThat(c.headDim()).as("head_dim absent = hidden_size / heads").isEqualTo(128);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(2048);
        assertThat(c.rmsNormEps()).isEqualTo(1e-6);
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.ropeScaling()).isEqualTo(RopeScaling.NONE);
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.bosTokenId()).isEqualTo(1);
        assertThat(c.eosTokenIds()).containsExactly(2);
    }

    @Test
    void kvHeadsDefaultToTheHeadCountGiven() {
        assertThat(parse("{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 8}").numKvHeads()).isEqualTo(8);
    }

    @Test
    void nullMeansAbsent() {
        LlamaConfig c = parse("{\"model_type\": \"llama\", \"num_key_value_heads\": null, \"rope_theta\": null, \"rope_scaling\": null}");
        assertThat(c.numKvHeads()).isEqualTo(32);
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.ropeScaling()).isEqualTo(RopeScaling.NONE);
    }

    @Test
    void fireflyStyleFixtureHasNoRopeThetaAndGetsTenThousand() {
        LlamaConfig c = LlamaConfig.read(Fixtures.model(Fixtures.TINY, "main"));
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.rmsNormEps()).isEqualTo(1e-5);
        assertThat(c.numKvHeads()).isEqualTo(2);
        assertThat(c.headDim()).isEqualTo(32);
        assertThat(LlamaConfig.read(Fixtures.model(Fixtures.STORIES, "fp16")).tieWordEmbeddings()).isTrue();
    }

    @Test
    void explicitHeadDimNeedNotDivideHidden() {
        LlamaConfig c = parse("{\"model_type\": \"llama\", \"hidden_size\": 100, \"num_attention_heads\": 3, \"num_key_value_heads\": 1, \"head_dim\": 64}");
        assertThat(c.headDim()).isEqualTo(64);
        assertThat(c.qDim()).isEqualTo(192);
        assertThat(c.kvDim()).isEqualTo(64);
    }

    @Test
    void eosMayBeAList() {
        assertThat(parse("{\"model_type\": \"llama\", \"eos_token_id\": [128001, 128009]}").eosTokenIds()).containsExactly(128001, 128009);
    }

    @ParameterizedTest(name = "hidden_act {0}")
    @ValueSource(strings = {"silu", "swish"})
    void siluUnderEitherName(String act) {
        assertThat(parse("{\"model_type\": \"llama\", \"hidden_act\": \"" + act + "\"}").hiddenSize()).isEqualTo(4096);
    }

    @Test
    void architecturesAloneIdentifyLlama() {
        assertThat(parse("{\"architectures\": [\"LlamaForCausalLM\"]}").numLayers()).isEqualTo(32);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"type", "rope_type"})
    void linearScalingUnderEitherKey(String typeKey) {
        RopeScaling s = parse("{\"model_type\": \"llama\", \"rope_scaling\": {\"" + typeKey + "\": \"linear\", \"factor\": 2.0}}").ropeScaling();
        assertThat(s.type()).isEqualTo(RopeScaling.Type.LINEAR);
        assertThat(s.factor()).isEqualTo(2.0);
    }

    @Test
    void dynamicScaling() {
        LlamaConfig c = parse("{\"model_type\": \"llama\", \"max_position_embeddings\": 4096, \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 4.0}}");
        assertThat(c.ropeScaling().type()).isEqualTo(RopeScaling.Type.DYNAMIC);
        assertThat(c.ropeScaling().factor()).isEqualTo(4.0);
        assertThat(c.ropeScaling().originalMaxPositions()).isEqualTo(4096);
    }

    @Test
    void llama3Scaling() {
        RopeScaling s = parse("{\"model_type\": \"llama\", \"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0,"
                + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}}").ropeScaling();
        assertThat(s).isEqualTo(new RopeScaling(RopeScaling.Type.LLAMA3, 8.0, 1.0, 4.0, 8192));
    }

    @Test
    void defaultRopeTypeMeansNoScaling() {
        assertThat(parse("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"default\"}}").ropeScaling()).isEqualTo(RopeScaling.NONE);
    }

    @Test
    void transformers5RopeParametersCarryThetaAndScaling() {
        LlamaConfig c = parse("{\"model_type\": \"llama\", \"rope_parameters\": {\"rope_type\": \"linear\", \"rope_theta\": 500000.0, \"factor\": 2.0}}");
        assertThat(c.ropeTheta()).isEqualTo(500000.0);
        assertThat(c.ropeScaling().type()).isEqualTo(RopeScaling.Type.LINEAR);
        assertThat(c.ropeScaling().factor()).isEqualTo(2.0);
    }

    @Test
    void transformers5DefaultRopeParameters() {
        LlamaConfig c = parse("{\"model_type\": \"llama\", \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}}");
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.ropeScaling()).isEqualTo(RopeScaling.NONE);
    }

    static LlamaConfig parse(String json) {
        try {
            return LlamaConfig.parse(new ObjectMapper().readTree(json), "config.json");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
