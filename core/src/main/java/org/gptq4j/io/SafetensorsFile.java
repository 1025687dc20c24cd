package org.gptq4j.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One memory-mapped {@code .safetensors} file. Layout: an 8-byte little-endian header length N, N bytes of
 * JSON ({@code name -> {dtype, shape, data_offsets}} plus optional {@code __metadata__}), then the data area.
 * The header is validated by {@link SafetensorsHeader} before anything is trusted; tensors are zero-copy
 * {@link MemorySegment} slices that stay valid until {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The same bound as the reference implementation: a header over 100,000,000 bytes is refused. */
    public static final long MAX_HEADER_BYTES = SafetensorsHeader.MAX_BYTES;

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final byte[] header;

    private SafetensorsFile(Path path, Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata, byte[] header) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
        this.header = header;
    }

    /** Maps the file read-only and validates its header; a file that fails validation is unmapped again. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new CheckpointException(path + ": not a safetensors file (" + fileSize
                        + " bytes, shorter than the 8-byte header length)");
            }
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, arena);
            long headerLength = SafetensorsHeader.checkDeclaredLength(path, file.get(U64_LE, 0), fileSize);
            long dataStart = 8 + headerLength;
            byte[] headerBytes = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            SafetensorsHeader header = SafetensorsHeader.parse(path, headerBytes, fileSize - dataStart);

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafetensorsHeader.Entry e : header.entries()) {
                MemorySegment slice = file.asSlice(dataStart + e.begin(), e.end() - e.begin());
                tensors.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), slice));
            }
            return new SafetensorsFile(path, arena, Collections.unmodifiableMap(tensors), header.metadata(), headerBytes);
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException("cannot read " + path + ": " + e, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The tensors in header order, by name. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The optional {@code __metadata__} strings. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The header's JSON bytes as the file holds them (a copy): every tensor's name, dtype, shape and offsets. */
    public byte[] header() {
        return header.clone();
    }

    /** Unmaps the file; tensors obtained from it must not be used afterwards. */
    @Override
    public void close() {
        arena.close();
    }
}
