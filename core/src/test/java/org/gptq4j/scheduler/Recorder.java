package org.gptq4j.scheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Test callbacks: picks tokens greedily or by teacher forcing, records every logits row and token it saw and how
 * the sequence ended, and can be told to throw at a given token.
 */
final class Recorder implements SequenceCallbacks {
    final List<float[]> logits = new ArrayList<>();
    final List<Integer> tokens = new ArrayList<>();
    private final IntUnaryOperator forced; // generated index -> token, or null for greedy
    int throwAtToken = -1;
    /** What to throw at {@link #throwAtToken}; an {@code IllegalStateException} when null. */
    Error errorAtToken;
    SequenceEnd end;
    Sequence sequence;

    private Recorder(IntUnaryOperator forced) {
        this.forced = forced;
    }

    static Recorder greedy() {
        return new Recorder(null);
    }

    /** Feeds {@code forced.applyAsInt(i)} as the i-th generated token whatever the logits say. */
    static Recorder teacherForced(IntUnaryOperator forced) {
        return new Recorder(forced);
    }

    @Override
    public int nextToken(float[] row) {
        logits.add(row);
        if (forced != null) return forced.applyAsInt(tokens.size());
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    @Override
    public boolean onToken(Sequence s, int tokenId) {
        sequence = s;
        tokens.add(tokenId);
        if (tokens.size() == throwAtToken) {
            if (errorAtToken != null) throw errorAtToken;
            throw new IllegalStateException("listener failure at token " + tokenId);
        }
        return false;
    }

    @Override
    public void onEnd(Sequence s, SequenceEnd end) {
        if (this.end != null) throw new AssertionError("onEnd called twice for " + s);
        sequence = s;
        this.end = end;
    }

    int[] tokens() {
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }
}
