package org.gptq4j.sampling;

/**
 * A token and its logit packed into one {@code long} whose natural order is best first: higher logit
 * first, and on equal logits the lower token id first. Sorting or selecting plain {@code long}s then
 * ranks tokens without boxing and without a separate index array.
 *
 * <p>Layout: the high 32 bits hold the logit's float bits mapped to an int that decreases as the logit
 * increases; the low 32 bits hold the (non-negative) token id.
 */
final class LogitKey {

    private LogitKey() {
    }

    /** The key of {@code tokenId} with {@code logit}; the logit must not be NaN. */
    static long of(float logit, int tokenId) {
        // +0.0f turns -0.0f into +0.0f so both zeros rank as equal.
        int bits = Float.floatToRawIntBits(logit + 0.0f);
        // Flip the magnitude bits of negatives: the int now orders like the float (signed compare).
        int ascending = bits ^ ((bits >> 31) & 0x7fff_ffff);
        // ~x = -x - 1 reverses the signed order: higher logit -> smaller key.
        return ((long) ~ascending << 32) | (tokenId & 0xffff_ffffL);
    }

    static int tokenId(long key) {
        return (int) key;
    }

    static float logit(long key) {
        int ascending = ~(int) (key >> 32);
        return Float.intBitsToFloat(ascending ^ ((ascending >> 31) & 0x7fff_ffff));
    }
}
