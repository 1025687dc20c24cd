package org.gptq4j.sampling;

import java.util.Collection;
import java.util.List;

/**
 * Finds stop sequences in streamed text. Feed each decoded chunk to {@link #accept(String)}; the
 * {@link Match} says which text is safe to emit now and whether a stop sequence completed. Text is held
 * back only while it could be the start of a stop sequence: exactly the longest suffix of the text seen
 * so far that is a proper prefix of some stop sequence. The stop sequence itself and anything after it
 * are never emitted (as OpenAI and LangChain4j expect), and every other character is emitted exactly
 * once, in order, once {@link #flush()} is called at the end of a generation that did not stop on a
 * stop sequence.
 *
 * <p>When several stop sequences occur, the one that completes first wins (the one a character-by-character
 * stream would meet first); of two completing at the same character, the one starting earlier.
 * Not thread-safe; one per sequence.
 */
public final class StopSequenceMatcher {

    /**
     * The outcome of one chunk.
     *
     * @param text         the text safe to emit now, possibly empty; when {@code stopSequence} is set, it is
     *                     everything up to where the stop sequence begins
     * @param stopSequence the stop sequence that completed with this chunk, or {@code null}
     */
    public record Match(String text, String stopSequence) {

        /** True when a stop sequence completed: emit {@link #text()} and end the generation. */
        public boolean stopped() {
            return stopSequence != null;
        }
    }

    private final List<String> stopSequences;
    /** Text received but not emitted: a proper prefix of some stop sequence. */
    private String pending = "";
    private boolean stopped;

    /** A matcher for {@code stopSequences}; none means all text passes through at once. */
    public StopSequenceMatcher(Collection<String> stopSequences) {
        for (String stop : stopSequences) {
            if (stop == null || stop.isEmpty()) {
                throw new IllegalArgumentException("stopSequences must be non-empty strings, but was " + stopSequences);
            }
        }
        this.stopSequences = List.copyOf(stopSequences);
    }

    /**
     * Takes the next chunk of generated text.
     *
     * @throws IllegalStateException when a stop sequence already completed
     */
    public Match accept(String chunk) {
        if (stopped) {
            throw new IllegalStateException("a stop sequence already completed; the generation is over");
        }
        String text = pending + chunk;
        // Earliest-completing occurrence: the first occurrence of each stop has that stop's smallest end.
        String found = null;
        int foundStart = -1;
        int foundEnd = Integer.MAX_VALUE;
        for (String stop : stopSequences) {
            int start = text.indexOf(stop);
            if (start < 0) continue;
            int end = start + stop.length();
            if (end < foundEnd || (end == foundEnd && start < foundStart)) {
                found = stop;
                foundStart = start;
                foundEnd = end;
            }
        }
        if (found != null) {
            stopped = true;
            pending = "";
            return new Match(text.substring(0, foundStart), found);
        }
        int held = longestSuffixStartingAStop(text);
        pending = text.substring(text.length() - held);
        return new Match(text.substring(0, text.length() - held), null);
    }

    /** The held-back text, to emit when the generation ends for another reason (EOS, length); then empty. */
    public String flush() {
        String rest = stopped ? "" : pending;
        pending = "";
        return rest;
    }

    /** True once a stop sequence completed. */
    public boolean stopped() {
        return stopped;
    }

    /** The length of the longest suffix of {@code text} that is a proper prefix of some stop sequence. */
    private int longestSuffixStartingAStop(String text) {
        int longest = 0;
        for (String stop : stopSequences) {
            for (int length = Math.min(stop.length() - 1, text.length()); length > longest; length--) {
                if (text.regionMatches(text.length() - length, stop, 0, length)) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
