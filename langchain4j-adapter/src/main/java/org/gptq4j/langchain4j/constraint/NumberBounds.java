package org.gptq4j.langchain4j.constraint;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * The range and step JSON Schema sets on a number: {@code minimum}/{@code maximum}, {@code exclusiveMinimum}/
 * {@code exclusiveMaximum} and {@code multipleOf}, each {@code null} when not set. {@link JsonGrammar} checks a
 * number's text as it is written: every prefix must still extend to an admissible value, so the finished number
 * always is one. Numbers with bounds are written without an exponent.
 */
public record NumberBounds(BigDecimal minimum, boolean exclusiveMinimum, BigDecimal maximum, boolean exclusiveMaximum,
                           BigDecimal multipleOf) {

    public NumberBounds {
        if (multipleOf != null && multipleOf.signum() <= 0) {
            throw new IllegalArgumentException("JSON schema multipleOf must be greater than 0, but was " + multipleOf);
        }
        if (minimum != null && maximum != null && minimum.compareTo(maximum) > 0) {
            throw new IllegalArgumentException("JSON schema minimum " + minimum + " is above maximum " + maximum
                    + ": no value can match");
        }
    }

    /** Whether {@code value} is in the range and a multiple of the step. */
    boolean admits(BigDecimal value) {
        if (minimum != null && (exclusiveMinimum ? value.compareTo(minimum) <= 0 : value.compareTo(minimum) < 0)) return false;
        if (maximum != null && (exclusiveMaximum ? value.compareTo(maximum) >= 0 : value.compareTo(maximum) > 0)) return false;
        return multipleOf == null || value.remainder(multipleOf).signum() == 0;
    }

    /**
     * Whether some admissible number, written with at most {@code maxDigits} integer digits and as many fraction
     * digits ({@code integer}: none), starts with {@code text} (a prefix of a JSON number without exponent).
     */
    boolean feasible(String text, boolean integer, int maxDigits) {
        if (text.isEmpty() && feasible("-", integer, maxDigits)) return true; // not yet signed: either sign
        boolean negative = text.startsWith("-");
        String body = negative ? text.substring(1) : text;
        BigDecimal step = step(integer, maxDigits);
        List<BigDecimal[]> magnitudes = new ArrayList<>(); // [low, high): absolute values the text can still reach
        int dot = body.indexOf('.');
        if (body.isEmpty()) {
            magnitudes.add(new BigDecimal[] {BigDecimal.ZERO, BigDecimal.TEN.pow(maxDigits)});
        } else if (body.equals("0")) {
            magnitudes.add(new BigDecimal[] {BigDecimal.ZERO, integer ? step.min(BigDecimal.ONE) : BigDecimal.ONE});
        } else if (dot < 0) {
            BigInteger prefix = new BigInteger(body);
            for (int extra = 0; body.length() + extra <= maxDigits; extra++) {
                BigDecimal scale = BigDecimal.TEN.pow(extra);
                magnitudes.add(new BigDecimal[] {new BigDecimal(prefix).multiply(scale),
                        new BigDecimal(prefix.add(BigInteger.ONE)).multiply(scale)});
            }
        } else {
            String fraction = body.substring(dot + 1);
            BigDecimal low = new BigDecimal(body.substring(0, dot) + (fraction.isEmpty() ? "" : "." + fraction));
            magnitudes.add(new BigDecimal[] {low, low.add(BigDecimal.ONE.movePointLeft(fraction.length()))});
        }
        for (BigDecimal[] m : magnitudes) {
            // values: [low, high) for a positive sign, (-high, -low] for a negative one
            boolean found = negative
                    ? exists(m[1].negate(), true, m[0].negate(), false, step)
                    : exists(m[0], false, m[1], true, step);
            if (found) return true;
        }
        return false;
    }

    /** The length of the shortest admissible number's text, written with at most {@code maxDigits} digits. */
    int shortestLength(boolean integer, int maxDigits) {
        BigDecimal step = step(integer, maxDigits);
        int best = ClosingDistance.UNREACHABLE;
        for (BigDecimal grid : new BigDecimal[] {step, lcm(step, BigDecimal.ONE)}) {
            BigDecimal low = minimum == null ? BigDecimal.ZERO : minimum.max(BigDecimal.ZERO);
            BigDecimal up = first(low, minimum != null && exclusiveMinimum && low.equals(minimum), grid);
            if (admits(up)) best = Math.min(best, text(up).length());
            BigDecimal high = maximum == null ? BigDecimal.ZERO : maximum.min(BigDecimal.ZERO);
            BigDecimal down = first(high.negate(), maximum != null && exclusiveMaximum && high.equals(maximum), grid).negate();
            if (admits(down)) best = Math.min(best, text(down).length());
        }
        return best;
    }

    private static String text(BigDecimal value) {
        String plain = value.stripTrailingZeros().toPlainString();
        return plain.equals("-0") ? "0" : plain;
    }

    /** Admissible values lie on this grid: the step, or what the digits can write. */
    private BigDecimal step(boolean integer, int maxDigits) {
        BigDecimal digits = integer ? BigDecimal.ONE : BigDecimal.ONE.movePointLeft(maxDigits);
        return multipleOf == null ? digits : integer ? lcm(multipleOf, BigDecimal.ONE) : multipleOf;
    }

    /** The least common multiple of two positive decimals. */
    private static BigDecimal lcm(BigDecimal a, BigDecimal b) {
        int scale = Math.max(a.scale(), b.scale());
        BigInteger x = a.movePointRight(scale).toBigIntegerExact();
        BigInteger y = b.movePointRight(scale).toBigIntegerExact();
        return new BigDecimal(x.divide(x.gcd(y)).multiply(y)).movePointLeft(scale);
    }

    /** The first multiple of {@code step} at or above {@code low} (above, when {@code open}). */
    private static BigDecimal first(BigDecimal low, boolean open, BigDecimal step) {
        BigDecimal k = low.divide(step, 0, RoundingMode.CEILING);
        BigDecimal value = k.multiply(step);
        return open && value.compareTo(low) == 0 ? value.add(step) : value;
    }

    /** Whether an admissible multiple of {@code step} lies between {@code low} and {@code high}. */
    private boolean exists(BigDecimal low, boolean lowOpen, BigDecimal high, boolean highOpen, BigDecimal step) {
        if (minimum != null) {
            int c = minimum.compareTo(low);
            if (c > 0) {
                low = minimum;
                lowOpen = exclusiveMinimum;
            } else if (c == 0) {
                lowOpen |= exclusiveMinimum;
            }
        }
        if (maximum != null) {
            int c = maximum.compareTo(high);
            if (c < 0) {
                high = maximum;
                highOpen = exclusiveMaximum;
            } else if (c == 0) {
                highOpen |= exclusiveMaximum;
            }
        }
        BigDecimal value = first(low, lowOpen, step);
        return highOpen ? value.compareTo(high) < 0 : value.compareTo(high) <= 0;
    }
}
