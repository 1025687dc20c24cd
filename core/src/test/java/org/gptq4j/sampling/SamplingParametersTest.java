package org.gptq4j.sampling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplingParametersTest {

    @Test
    void builderDefaultsSampleFromThePlainSoftmax() {
        SamplingParameters p = SamplingParameters.builder().build();
        assertThat(p.temperature()).isEqualTo(1.0);
        assertThat(p.topK()).isZero();
        assertThat(p.topP()).isEqualTo(1.0);
        assertThat(p.minP()).isZero();
        assertThat(p.repetitionPenalty()).isEqualTo(1.0);
        assertThat(p.frequencyPenalty()).isZero();
        assertThat(p.presencePenalty()).isZero();
        assertThat(p.seed()).isNull();
        assertThat(p.maxNewTokens()).isEqualTo(512);
        assertThat(p.stopSequences()).isEmpty();
        assertThat(p.stopTokenIds()).isEmpty();
        assertThat(p.isGreedy()).isFalse();
    }

    @Test
    void modelCardDefaultsAreFireflyLlama2Chat() {
        SamplingParameters p = SamplingParameters.modelCardDefaults();
        assertThat(p.temperature()).isEqualTo(0.7);
        assertThat(p.topP()).isEqualTo(0.95);
        assertThat(p.topK()).isEqualTo(40);
        assertThat(p.repetitionPenalty()).isEqualTo(1.1);
        assertThat(p.maxNewTokens()).isEqualTo(512);
    }

    @Test
    void greedyHasTemperatureZero() {
        assertThat(SamplingParameters.greedy().temperature()).isZero();
        assertThat(SamplingParameters.greedy().isGreedy()).isTrue();
    }

    @Test
    void toBuilderOverridesOnlyWhatIsSet() {
        SamplingParameters base = SamplingParameters.modelCardDefaults().toBuilder()
                .stopSequences("\n\n").stopTokenIds(2).build();
        SamplingParameters seeded = base.toBuilder().seed(42L).temperature(0.2).build();
        assertThat(seeded).isEqualTo(new SamplingParameters(0.2, 40, 0.95, 0, 1.1, 0, 0, 42L, 512,
                List.of("\n\n"), Set.of(2)));
        assertThat(base.seed()).isNull();
        assertThat(seeded.isStopToken(2)).isTrue();
        assertThat(seeded.isStopToken(3)).isFalse();
    }

    @Test
    void collectionsAreImmutableCopies() {
        List<String> stops = new ArrayList<>(List.of("User:"));
        Set<Integer> ids = new HashSet<>(Set.of(2));
        SamplingParameters p = SamplingParameters.builder().stopSequences(stops).stopTokenIds(ids).build();
        stops.add("###");
        ids.add(7);
        assertThat(p.stopSequences()).containsExactly("User:");
        assertThat(p.stopTokenIds()).containsExactly(2);
        assertThatThrownBy(() -> p.stopSequences().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> p.stopTokenIds().add(1)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void boundaryValuesAreAccepted() {
        SamplingParameters p = SamplingParameters.builder().temperature(0).topK(0).topP(1).minP(1)
                .repetitionPenalty(0.5).frequencyPenalty(-2).presencePenalty(2).maxNewTokens(1).build();
        assertThat(p.minP()).isEqualTo(1);
        assertThat(SamplingParameters.builder().minP(0).frequencyPenalty(2).presencePenalty(-2).topP(1e-9).build().topP())
                .isEqualTo(1e-9);
    }

    static Stream<Arguments> invalidValues() {
        return Stream.of(
                invalid("temperature", ">= 0", b -> b.temperature(-0.1)),
                invalid("temperature", ">= 0", b -> b.temperature(Double.NaN)),
                invalid("temperature", "finite", b -> b.temperature(Double.POSITIVE_INFINITY)),
                invalid("topK", ">= 0", b -> b.topK(-1)),
                invalid("topP", "(0, 1]", b -> b.topP(0)),
                invalid("topP", "(0, 1]", b -> b.topP(1.01)),
                invalid("topP", "(0, 1]", b -> b.topP(Double.NaN)),
                invalid("minP", "[0, 1]", b -> b.minP(-0.01)),
                invalid("minP", "[0, 1]", b -> b.minP(1.5)),
                invalid("repetitionPenalty", "> 0", b -> b.repetitionPenalty(0)),
                invalid("repetitionPenalty", "> 0", b -> b.repetitionPenalty(-1.1)),
                invalid("frequencyPenalty", "[-2, 2]", b -> b.frequencyPenalty(2.5)),
                invalid("frequencyPenalty", "[-2, 2]", b -> b.frequencyPenalty(-2.01)),
                invalid("presencePenalty", "[-2, 2]", b -> b.presencePenalty(-3)),
                invalid("presencePenalty", "[-2, 2]", b -> b.presencePenalty(Double.NaN)),
                invalid("maxNewTokens", ">= 1", b -> b.maxNewTokens(0)),
                invalid("stopSequences", "non-empty", b -> b.stopSequences("ok", "")),
                invalid("stopSequences", "non-empty", b -> b.stopSequences(Arrays.asList("ok", null))),
                invalid("stopSequences", "at most 16 texts",
                        b -> b.stopSequences(java.util.Collections.nCopies(SamplingParameters.MAX_STOP_SEQUENCES + 1, "x"))),
                invalid("stopSequences", "at most 256 characters",
                        b -> b.stopSequences("ok", "x".repeat(SamplingParameters.MAX_STOP_SEQUENCE_LENGTH + 1))),
                invalid("stopTokenIds", ">= 0", b -> b.stopTokenIds(2, -1)));
    }

    /**
     * Stop sequences are matched against every token on the engine thread: 200,000 of them made a concurrent
     * request 11x slower. Their number and length are bounded, and the refusal gives sizes, never the texts.
     */
    @Test
    void stopSequencesAreBoundedInNumberAndLengthAndTheRefusalStaysShort() {
        List<String> many = java.util.Collections.nCopies(200_000, "stop");
        assertThatThrownBy(() -> SamplingParameters.builder().stopSequences(many).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stopSequences must be at most 16 texts, but was 200000 texts");
        String huge = "y".repeat(1_000_000);
        assertThatThrownBy(() -> SamplingParameters.builder().stopSequences(huge).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stopSequences must be texts of at most 256 characters, but was [0] of 1000000");
        List<String> most = java.util.Collections.nCopies(SamplingParameters.MAX_STOP_SEQUENCES,
                "z".repeat(SamplingParameters.MAX_STOP_SEQUENCE_LENGTH));
        assertThat(SamplingParameters.builder().stopSequences(most).build().stopSequences()).hasSize(16);
    }

    private static Arguments invalid(String name, String range, UnaryOperator<SamplingParameters.Builder> setter) {
        return Arguments.of(name, range, setter);
    }

    @ParameterizedTest(name = "{0} outside {1}")
    @MethodSource("invalidValues")
    void invalidValueIsRejectedWithAMessageNamingTheParameterAndRange(
            String name, String range, UnaryOperator<SamplingParameters.Builder> setter) {
        SamplingParameters.Builder builder = setter.apply(SamplingParameters.builder());
        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(name + " must be")
                .hasMessageContaining(range);
    }
}
