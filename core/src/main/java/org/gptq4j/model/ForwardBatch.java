package org.gptq4j.model;

import org.gptq4j.kv.BlockTable;

/**
 * One forward pass over tokens of one or more sequences: token {@code i} is {@code tokens[i]} at
 * {@code positions[i]} of the sequence whose KV blocks are {@code tables[i]}. Tokens of one sequence appear in
 * position order; the caller has reserved KV capacity for them. Logits are computed only where
 * {@code wantLogits[i]}.
 */
public record ForwardBatch(int[] tokens, int[] positions, BlockTable[] tables, boolean[] wantLogits) {
    public ForwardBatch {
        if (positions.length != tokens.length || tables.length != tokens.length || wantLogits.length != tokens.length) {
            throw new IllegalArgumentException("tokens, positions, tables and wantLogits must have the same length");
        }
    }

    public int size() {
        return tokens.length;
    }

    public int logitRows() {
        int n = 0;
        for (boolean w : wantLogits) if (w) n++;
        return n;
    }

    /** A prefill of {@code tokens} for one sequence starting at {@code start}, with logits for every position. */
    public static ForwardBatch prefill(int[] tokens, int start, BlockTable table, boolean allLogits) {
        int n = tokens.length;
        int[] pos = new int[n];
        BlockTable[] tables = new BlockTable[n];
        boolean[] want = new boolean[n];
        for (int i = 0; i < n; i++) {
            pos[i] = start + i;
            tables[i] = table;
            want[i] = allLogits || i == n - 1;
        }
        return new ForwardBatch(tokens.clone(), pos, tables, want);
    }
}
