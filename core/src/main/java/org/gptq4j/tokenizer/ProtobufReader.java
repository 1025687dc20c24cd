package org.gptq4j.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked reader of the protobuf wire format, just enough for sentencepiece's {@code ModelProto}.
 * Every read past the end of the current message throws a {@link TokenizerException} naming the byte offset,
 * so a truncated or garbage file never surfaces as an index error.
 */
final class ProtobufReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    private final byte[] buffer;
    private final String source;
    private int position;
    private final int limit;

    ProtobufReader(byte[] buffer, String source) {
        this(buffer, source, 0, buffer.length);
    }

    private ProtobufReader(byte[] buffer, String source, int from, int to) {
        this.buffer = buffer;
        this.source = source;
        this.position = from;
        this.limit = to;
    }

    boolean hasMore() {
        return position < limit;
    }

    /** The next field's tag: {@code field_number << 3 | wire_type}. */
    int readTag() {
        long tag = readVarint();
        if (tag >>> 3 == 0 || tag > Integer.MAX_VALUE) throw corrupt("invalid field tag " + tag);
        return (int) tag;
    }

    long readVarint() {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = next();
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) return value;
        }
        throw corrupt("varint longer than 10 bytes");
    }

    /** An int32 field: negative values are written as 10-byte varints and truncate back to 32 bits. */
    int readInt32() {
        return (int) readVarint();
    }

    boolean readBool() {
        return readVarint() != 0;
    }

    float readFloat() {
        int bits = 0;
        for (int i = 0; i < 4; i++) bits |= (next() & 0xFF) << (8 * i);
        return Float.intBitsToFloat(bits);
    }

    String readString() {
        int length = readLength();
        String s = new String(buffer, position, length, StandardCharsets.UTF_8);
        position += length;
        return s;
    }

    /** A reader confined to the embedded message that follows; this reader moves past it. */
    ProtobufReader readMessage() {
        int length = readLength();
        ProtobufReader nested = new ProtobufReader(buffer, source, position, position + length);
        position += length;
        return nested;
    }

    void skip(int wireType) {
        switch (wireType) {
            case VARINT -> readVarint();
            case FIXED64 -> advance(8);
            case LENGTH_DELIMITED -> advance(readLength());
            case FIXED32 -> advance(4);
            default -> throw corrupt("unsupported wire type " + wireType);
        }
    }

    TokenizerException corrupt(String problem) {
        return new TokenizerException("corrupt sentencepiece model " + source + ": " + problem + " at byte " + position);
    }

    private int readLength() {
        long length = readVarint();
        if (length < 0 || length > limit - position) {
            throw corrupt("field of " + length + " bytes runs past the end of its message (truncated file?)");
        }
        return (int) length;
    }

    private void advance(int count) {
        if (count > limit - position) throw corrupt("truncated field");
        position += count;
    }

    private byte next() {
        if (position >= limit) throw corrupt("unexpected end of data (truncated file?)");
        return buffer[position++];
    }
}
