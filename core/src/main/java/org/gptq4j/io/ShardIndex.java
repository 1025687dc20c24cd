package org.gptq4j.io;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code weight_map} of a sharded checkpoint's {@code *.safetensors.index.json}: which shard holds each tensor.
 * Every shard name must be a plain {@code .safetensors} file name inside the model folder (no {@code ../}, no
 * absolute path), and no tensor may be listed twice.
 */
record ShardIndex(Path file, Map<String, String> shardOfTensor) {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static ShardIndex read(Path folder, Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckpointException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new CheckpointException(file + ": missing or empty weight_map");
        }
        Map<String, String> shardOfTensor = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String what = file.getFileName() + " weight_map entry for tensor " + e.getKey();
            if (!e.getValue().isTextual()) throw new CheckpointException(what + " is not a file name: " + e.getValue());
            String shard = e.getValue().asText();
            FileNames.requirePlain(folder, shard, what);
            if (!shard.endsWith(".safetensors")) {
                throw new CheckpointException(what + " names shard '" + shard
                        + "': only safetensors checkpoints are supported, not .bin or .pt");
            }
            shardOfTensor.put(e.getKey(), shard);
        }
        return new ShardIndex(file, Collections.unmodifiableMap(shardOfTensor));
    }

    /** The shard file names, sorted. */
    Set<String> shards() {
        return Collections.unmodifiableSet(new TreeSet<>(shardOfTensor.values()));
    }
}
