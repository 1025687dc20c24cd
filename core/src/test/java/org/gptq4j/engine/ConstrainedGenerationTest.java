package org.gptq4j.engine;

import org.gptq4j.sampling.FinishReason;
import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A request's {@link LogitsConstraint} decides which tokens may come next and when the output is complete. */
class ConstrainedGenerationTest {

    /** Allows exactly the given token sequence, then reports completion; records what it saw. */
    static final class ScriptedConstraint implements LogitsConstraint {
        final int[] script;
        final List<Integer> accepted = new ArrayList<>();

        ScriptedConstraint(int... script) {
            this.script = script;
        }

        @Override
        public void apply(float[] logits) {
            int allowed = script[accepted.size()];
            for (int i = 0; i < logits.length; i++) if (i != allowed) logits[i] = Float.NEGATIVE_INFINITY;
        }

        @Override
        public void accept(int tokenId) {
            accepted.add(tokenId);
        }

        @Override
        public boolean isComplete() {
            return accepted.size() == script.length;
        }
    }

    @Test
    void theConstraintChoosesEveryTokenAndEndsTheGenerationWhenComplete() {
        try (Engine engine = Engine.builder().modelPath(Fixtures.model(Fixtures.STORIES, "main")).threads(1).kvCacheBlocks(16).build()) {
            // Tokens the model would never pick greedily after BOS ("Once" is 403): the constraint must win.
            ScriptedConstraint constraint = new ScriptedConstraint(300, 301, 302);
            SamplingParameters sampling = SamplingParameters.builder().temperature(0.8).seed(1L).maxNewTokens(50).build();
            GenerationResult result = engine.generate(GenerationRequest.of(new int[]{1}, sampling).withConstraint(constraint));

            assertThat(result.tokenIds()).containsExactly(300, 301, 302);
            assertThat(constraint.accepted).containsExactly(300, 301, 302);
            assertThat(result.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(result.text()).isEqualTo(engine.tokenizer().decode(new int[]{300, 301, 302}));
            long deadline = System.nanoTime() + 10_000_000_000L; // metrics are a snapshot the engine thread publishes
            while (engine.metrics().kvBlocksUsed() > 0 && System.nanoTime() < deadline) Thread.onSpinWait();
            assertThat(engine.metrics().kvBlocksUsed()).isZero();

            GenerationResult free = engine.generate(GenerationRequest.of(new int[]{1}, SamplingParameters.greedy().toBuilder().maxNewTokens(3).build()));
            assertThat(Arrays.stream(free.tokenIds()).boxed().toList()).as("unconstrained greedy").startsWith(403);
        }
    }
}
