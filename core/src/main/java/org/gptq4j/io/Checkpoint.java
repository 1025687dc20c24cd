package org.gptq4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * All weight tensors of a model folder, whichever way the folder stores them: one {@code model.safetensors},
 * shards listed by {@code *.safetensors.index.json}, or the older {@code model_file_base_name} naming
 * ({@code gptq_model-4bit-128g.safetensors}). Only safetensors are read: pickled {@code .bin}/{@code .pt} weights
 * can run code when loaded and are refused with a message saying so.
 */
public final class Checkpoint implements AutoCloseable {

    private static final List<String> PICKLE_SUFFIXES = List.of(".bin", ".pt", ".pth", ".ckpt");

    private final List<SafetensorsFile> files;
    private final Map<String, Tensor> tensors;

    private Checkpoint(List<SafetensorsFile> files, Map<String, Tensor> tensors) {
        this.files = files;
        this.tensors = tensors;
    }

    /**
     * Opens the weights in {@code folder}. {@code baseName} is the quantize config's {@code model_file_base_name}
     * (a plain file name without extension), or null.
     */
    public static Checkpoint open(Path folder, String baseName) {
        if (!Files.isDirectory(folder)) throw new CheckpointException("model folder " + folder + " does not exist");
        List<Path> candidates = new ArrayList<>();
        if (baseName != null && !baseName.isBlank()) {
            FileNames.requirePlain(folder, baseName, "model_file_base_name");
            candidates.add(folder.resolve(baseName + ".safetensors.index.json"));
            candidates.add(folder.resolve(baseName + ".safetensors"));
        }
        candidates.add(folder.resolve("model.safetensors.index.json"));
        candidates.add(folder.resolve("model.safetensors"));
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate)) {
                return candidate.getFileName().toString().endsWith(".index.json")
                        ? openSharded(folder, ShardIndex.read(folder, candidate))
                        : openFiles(List.of(candidate));
            }
        }
        // Last resort: exactly one *.safetensors file in the folder.
        List<Path> found = list(folder, List.of(".safetensors"));
        if (found.size() == 1) return openFiles(found);
        throw noWeights(folder, candidates, found);
    }

    private static CheckpointException noWeights(Path folder, List<Path> candidates, List<Path> safetensors) {
        List<String> looked = candidates.stream().map(p -> p.getFileName().toString()).toList();
        if (!safetensors.isEmpty()) {
            return new CheckpointException("no weights in " + folder + ": looked for " + looked + " and found several "
                    + "*.safetensors files without an index " + names(safetensors));
        }
        List<Path> pickles = list(folder, PICKLE_SUFFIXES);
        if (!pickles.isEmpty()) {
            return new CheckpointException(folder + " holds weights only as " + names(pickles)
                    + ": only safetensors checkpoints are supported (pickled .bin/.pt weights can run code when loaded;"
                    + " convert them with transformers' save_pretrained(..., safe_serialization=True))");
        }
        return new CheckpointException("no weights in " + folder + ": looked for " + looked
                + " and found no *.safetensors file (only safetensors checkpoints are supported)");
    }

    private static List<String> names(List<Path> paths) {
        return paths.stream().map(p -> p.getFileName().toString()).toList();
    }

    private static List<Path> list(Path folder, List<String> suffixes) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> suffixes.stream().anyMatch(p.getFileName().toString()::endsWith) && Files.isRegularFile(p))
                    .sorted().toList();
        } catch (IOException e) {
            throw new CheckpointException("cannot list " + folder + ": " + e, e);
        }
    }

    /** Opens every shard the index names, then checks that each tensor sits in the shard the index says. */
    private static Checkpoint openSharded(Path folder, ShardIndex index) {
        for (String name : index.shards()) {
            if (!Files.isRegularFile(folder.resolve(name))) {
                throw new CheckpointException(index.file() + " names shard " + name + ", which is missing from " + folder);
            }
        }
        Checkpoint checkpoint = openFiles(index.shards().stream().map(folder::resolve).toList());
        try {
            index.shardOfTensor().forEach((tensor, shard) -> {
                Optional<Path> actual = checkpoint.fileOf(tensor);
                if (actual.isEmpty() || !actual.get().getFileName().toString().equals(shard)) {
                    throw new CheckpointException(index.file() + " places tensor " + tensor + " in " + shard
                            + ", which does not hold it" + actual.map(p -> " (it is in " + p.getFileName() + ")").orElse(""));
                }
            });
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
        return checkpoint;
    }

    private static Checkpoint openFiles(List<Path> paths) {
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Path> fileOfTensor = new LinkedHashMap<>();
        try {
            for (Path path : paths) {
                SafetensorsFile file = SafetensorsFile.open(path);
                files.add(file);
                for (Tensor t : file.tensors().values()) {
                    Path first = fileOfTensor.putIfAbsent(t.name(), path);
                    if (first != null) {
                        throw new CheckpointException("tensor " + t.name() + " appears in two shards: " + first + " and " + path);
                    }
                    tensors.put(t.name(), t);
                }
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new Checkpoint(List.copyOf(files), Collections.unmodifiableMap(tensors));
    }

    private Optional<Path> fileOf(String tensor) {
        return files.stream().filter(f -> f.tensors().containsKey(tensor)).map(SafetensorsFile::path).findFirst();
    }

    /** Every tensor of every file, by name. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Optional<Tensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The tensor, or a {@link CheckpointException} naming it and the files searched. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new CheckpointException("checkpoint " + files() + " has no tensor " + name);
        return t;
    }

    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    /** The header bytes of each file, in {@link #files()} order. */
    public List<byte[]> headers() {
        return files.stream().map(SafetensorsFile::header).toList();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
