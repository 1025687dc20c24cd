package org.gptq4j.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class LogitKeyTest {

    @Test
    void roundTripsLogitAndId() {
        float[] logits = {0f, -0f, 1.5f, -1.5f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE,
                Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (float logit : logits) {
            long key = LogitKey.of(logit, 55_295);
            assertThat(LogitKey.logit(key)).isEqualTo(logit + 0f);
            assertThat(LogitKey.tokenId(key)).isEqualTo(55_295);
        }
    }

    @Test
    void sortsHigherLogitsFirstThenLowerIds() {
        long[] keys = {
                LogitKey.of(-2f, 0), LogitKey.of(3f, 9), LogitKey.of(0f, 4), LogitKey.of(3f, 2),
                LogitKey.of(Float.NEGATIVE_INFINITY, 1), LogitKey.of(-0f, 3), LogitKey.of(1e-30f, 7)};
        Arrays.sort(keys);
        assertThat(Arrays.stream(keys).mapToInt(LogitKey::tokenId)).containsExactly(2, 9, 7, 3, 4, 0, 1);
    }
}
