package org.gptq4j.sampling;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenHistoryTest {

    @Test
    void keepsPromptAndGeneratedIdsInOrder() {
        TokenHistory h = new TokenHistory(1, 5, 5);
        h.add(7);
        h.add(5);
        assertThat(h.toArray()).containsExactly(1, 5, 5, 7, 5);
        assertThat(h.generated()).containsExactly(7, 5);
        assertThat(h.size()).isEqualTo(5);
        assertThat(h.promptLength()).isEqualTo(3);
        assertThat(h.generatedLength()).isEqualTo(2);
        assertThat(h.get(3)).isEqualTo(7);
        assertThat(h.last()).isEqualTo(5);
    }

    @Test
    void countsOnlyGeneratedOccurrences() {
        TokenHistory h = new TokenHistory(5, 5, 9);
        h.add(5);
        h.add(3);
        h.add(5);
        assertThat(h.generatedCount(5)).isEqualTo(2);
        assertThat(h.generatedCount(3)).isEqualTo(1);
        assertThat(h.generatedCount(9)).isZero();
        assertThat(h.generatedCount(100_000)).isZero();
        assertThat(h.contains(9)).isTrue();
        assertThat(h.contains(4)).isFalse();
    }

    @Test
    void listsEachIdOnceInOrderOfFirstAppearance() {
        TokenHistory h = new TokenHistory(4, 2, 4);
        h.add(2);
        h.add(8);
        assertThat(IntStream.range(0, h.distinctCount()).map(h::distinctId)).containsExactly(4, 2, 8);
    }

    @Test
    void growsPastItsInitialCapacity() {
        TokenHistory h = new TokenHistory();
        for (int i = 0; i < 10_000; i++) h.add(i % 300 * 100);
        assertThat(h.size()).isEqualTo(10_000);
        assertThat(h.distinctCount()).isEqualTo(300);
        assertThat(h.generatedCount(29_900)).isEqualTo(33);
        assertThat(h.get(9_999)).isEqualTo(9_999 % 300 * 100);
    }

    @Test
    void rejectsNegativeIdsAndOutOfRangeIndexes() {
        TokenHistory h = new TokenHistory(1);
        assertThatThrownBy(() -> h.add(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> new TokenHistory(3, -2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.get(1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> h.distinctId(1)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
