package org.gptq4j.kv;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The identity of a full KV block's content: the SHA-256 of its parent block's hash and the token ids it holds.
 * Because the parent's hash is folded in, equal hashes mean equal whole prefixes (positions 0 to the block's
 * end), which is what makes the block's keys and values reusable by another sequence.
 */
public final class BlockHash {
    private final byte[] digest;
    private final int hashCode;

    private BlockHash(byte[] digest) {
        this.digest = digest;
        this.hashCode = Arrays.hashCode(digest);
    }

    /** The hash of the block holding {@code tokens[from, to)}, following {@code parent} (null for the first block). */
    public static BlockHash of(BlockHash parent, int[] tokens, int from, int to) {
        MessageDigest sha = sha256();
        if (parent != null) sha.update(parent.digest);
        ByteBuffer ids = ByteBuffer.allocate((to - from) * Integer.BYTES);
        for (int i = from; i < to; i++) ids.putInt(tokens[i]);
        sha.update(ids.array());
        return new BlockHash(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockHash other && Arrays.equals(digest, other.digest);
    }

    @Override
    public int hashCode() {
        return hashCode;
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(digest, 0, 8);
    }
}
