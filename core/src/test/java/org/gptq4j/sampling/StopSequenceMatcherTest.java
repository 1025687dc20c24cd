package org.gptq4j.sampling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StopSequenceMatcherTest {

    /** Feeds the chunks until a stop; returns the emitted pieces, then the flushed rest if no stop. */
    private static List<String> emitted(StopSequenceMatcher matcher, String... chunks) {
        List<String> out = new ArrayList<>();
        for (String chunk : chunks) {
            StopSequenceMatcher.Match match = matcher.accept(chunk);
            out.add(match.text());
            if (match.stopped()) return out;
        }
        out.add(matcher.flush());
        return out;
    }

    @Test
    void passesTextThroughWhenNothingCanStartAStop() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("User:"));
        StopSequenceMatcher.Match match = matcher.accept("Hello world");
        assertThat(match.text()).isEqualTo("Hello world");
        assertThat(match.stopped()).isFalse();
        assertThat(match.stopSequence()).isNull();
    }

    @Test
    void withoutStopSequencesEverythingPassesAtOnce() {
        assertThat(emitted(new StopSequenceMatcher(List.of()), "a", "b", "c")).containsExactly("a", "b", "c", "");
    }

    @Test
    void findsAStopSplitOverSeveralChunksAndExcludesIt() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("User:"));
        assertThat(matcher.accept("Sure. U").text()).isEqualTo("Sure. ");
        assertThat(matcher.accept("se").text()).isEmpty();
        StopSequenceMatcher.Match match = matcher.accept("r: more");
        assertThat(match.stopped()).isTrue();
        assertThat(match.stopSequence()).isEqualTo("User:");
        assertThat(match.text()).isEmpty();
        assertThat(matcher.stopped()).isTrue();
        assertThat(matcher.flush()).isEmpty();
    }

    @Test
    void holdsBackOnlyTheLongestSuffixThatStartsAStop() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("abc"));
        assertThat(matcher.accept("xab").text()).isEqualTo("x");
        // "abd": the held "ab" can no longer start "abc" and is released with the new text.
        StopSequenceMatcher.Match match = matcher.accept("d");
        assertThat(match.text()).isEqualTo("abd");
        assertThat(match.stopped()).isFalse();
    }

    @Test
    void releasesWhatCannotStartAStopEvenInsideARepeatedPrefix() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("aab"));
        assertThat(matcher.accept("aa").text()).isEmpty();
        assertThat(matcher.accept("a").text()).isEqualTo("a");   // "aaa": only the last "aa" may start "aab"
        StopSequenceMatcher.Match match = matcher.accept("b!");
        assertThat(match.stopped()).isTrue();
        assertThat(match.text()).isEmpty();
    }

    @Test
    void emitsTheTextBeforeAStopInTheSameChunk() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("###"));
        assertThat(matcher.accept("one").text()).isEqualTo("one");
        StopSequenceMatcher.Match match = matcher.accept(" two###three");
        assertThat(match.text()).isEqualTo(" two");
        assertThat(match.stopSequence()).isEqualTo("###");
    }

    @Test
    void ofSeveralStopsTheFirstToCompleteWins() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("abcd", "bc", "\n\n"));
        StopSequenceMatcher.Match match = matcher.accept("xabcd");
        assertThat(match.stopSequence()).isEqualTo("bc");
        assertThat(match.text()).isEqualTo("xa");
    }

    @Test
    void ofStopsCompletingTogetherTheEarlierStartWins() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("bc", "abc"));
        assertThat(matcher.accept("xa").text()).isEqualTo("x");
        StopSequenceMatcher.Match match = matcher.accept("bc");
        assertThat(match.stopSequence()).isEqualTo("abc");
        assertThat(match.text()).isEmpty();
    }

    @Test
    void holdsForTheLongestPrefixAmongSeveralStops() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("xyz", "yz!", "Q"));
        assertThat(matcher.accept("axy").text()).isEqualTo("a");   // "xy" starts "xyz"
        assertThat(matcher.accept("z").stopSequence()).isEqualTo("xyz");
    }

    @Test
    void emitsEveryCharacterExactlyOnceWhenNoStopCompletes() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("abc", "</s>", "bb"));
        String[] chunks = {"a", "b", "ab", "</", "s", "x", "a", "b"};
        List<String> out = emitted(matcher, chunks);
        assertThat(String.join("", out)).isEqualTo(String.join("", chunks));
        assertThat(out.getLast()).isEqualTo("ab");   // flushed at the end
    }

    @Test
    void emitsEveryCharacterBeforeTheStopExactlyOnce() {
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("<|end|>"));
        List<String> out = emitted(matcher, "Hi <", "|e", "<|", "en", "d|> tail");
        assertThat(String.join("", out)).isEqualTo("Hi <|e");
    }

    @Test
    void rejectsEmptyStopsAndUseAfterStop() {
        assertThatThrownBy(() -> new StopSequenceMatcher(List.of("ok", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stopSequences");
        StopSequenceMatcher matcher = new StopSequenceMatcher(List.of("x"));
        assertThat(matcher.accept("x").stopped()).isTrue();
        assertThatThrownBy(() -> matcher.accept("more")).isInstanceOf(IllegalStateException.class);
    }
}
