package org.gptq4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * All weight tensors of a model folder, whichever way the folder stores them: one
 * {@code model.safetensors}, shards listed by {@code *.safetensors.index.json}, or the older
 * {@code model_file_base_name} naming ({@code gptq_model-4bit-128g.safetensors}).
 */
public final class Checkpoint implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<SafetensorsFile> files;
    private final Map<String, Tensor> tensors;

    private Checkpoint(List<SafetensorsFile> files, Map<String, Tensor> tensors) {
        this.files = files;
        this.tensors = tensors;
    }

    /**
     * Opens the weights in {@code folder}. {@code baseName} is the quantize config's
     * {@code model_file_base_name}, or null.
     */
    public static Checkpoint open(Path folder, String baseName) {
        List<Path> candidates = new ArrayList<>();
        if (baseName != null && !baseName.isBlank()) {
            requirePlainFileName(folder, baseName, "model_file_base_name");
            candidates.add(folder.resolve(baseName + ".safetensors.index.json"));
            candidates.add(folder.resolve(baseName + ".safetensors"));
        }
        candidates.add(folder.resolve("model.safetensors.index.json"));
        candidates.add(folder.resolve("model.safetensors"));
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate)) {
                return candidate.getFileName().toString().endsWith(".index.json")
                        ? openSharded(folder, candidate) : openFiles(List.of(candidate));
            }
        }
        // Last resort: exactly one *.safetensors file in the folder.
        List<Path> found = listSafetensors(folder);
        if (found.size() == 1) return openFiles(found);
        throw new CheckpointException("no weights in " + folder + ": looked for "
                + candidates.stream().map(p -> p.getFileName().toString()).toList()
                + (found.isEmpty() ? " and found no *.safetensors file" : " and found several *.safetensors files " + found)
                + " (only safetensors checkpoints are supported, not .bin or .pt)");
    }

    private static List<Path> listSafetensors(Path folder) {
        if (!Files.isDirectory(folder)) throw new CheckpointException("model folder " + folder + " does not exist");
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new CheckpointException("cannot list " + folder + ": " + e.getMessage(), e);
        }
    }

    private static Checkpoint openSharded(Path folder, Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new CheckpointException(index + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new CheckpointException(index + ": missing or empty weight_map");
        }
        TreeSet<String> shardNames = new TreeSet<>();
        Map<String, String> expected = new LinkedHashMap<>();
        map.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) throw new CheckpointException(index + ": weight_map." + e.getKey() + " is not a file name");
            String shard = e.getValue().asText();
            requirePlainFileName(folder, shard, index.getFileName() + " weight_map entry " + e.getKey());
            shardNames.add(shard);
            expected.put(e.getKey(), shard);
        });
        List<Path> shards = new ArrayList<>();
        for (String name : shardNames) {
            Path shard = folder.resolve(name);
            if (!Files.isRegularFile(shard)) throw new CheckpointException(index + " names shard " + name + ", which is missing from " + folder);
            shards.add(shard);
        }
        Checkpoint checkpoint = openFiles(shards);
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Tensor t = checkpoint.tensors.get(e.getKey());
            if (t == null) {
                checkpoint.close();
                throw new CheckpointException(index + " places tensor " + e.getKey() + " in " + e.getValue() + ", which does not hold it");
            }
        }
        return checkpoint;
    }

    private static Checkpoint openFiles(List<Path> paths) {
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try {
            for (Path path : paths) {
                SafetensorsFile file = SafetensorsFile.open(path);
                files.add(file);
                for (Tensor t : file.tensors().values()) {
                    if (tensors.putIfAbsent(t.name(), t) != null) {
                        throw new CheckpointException("tensor " + t.name() + " appears in more than one shard (" + path + ")");
                    }
                }
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new Checkpoint(List.copyOf(files), Collections.unmodifiableMap(tensors));
    }

    /** A file name from a config or index must name a file directly inside the folder. */
    private static void requirePlainFileName(Path folder, String name, String what) {
        Path p = Path.of(name);
        if (name.isEmpty() || p.isAbsolute() || p.getNameCount() != 1 || name.equals("..") || name.equals(".")
                || name.contains("/") || name.contains("\\") || !folder.resolve(name).normalize().startsWith(folder.normalize())) {
            throw new CheckpointException(what + " '" + name + "' is not a plain file name inside " + folder);
        }
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Optional<Tensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new CheckpointException("checkpoint has no tensor " + name);
        return t;
    }

    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
