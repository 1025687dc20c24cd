package org.gptq4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the small JSON files of a model folder, with errors that name the file, and gives typed access to their keys
 * ({@link Keys}). Parsing follows Python's {@code json.load}, which transformers uses: trailing garbage is an error,
 * a repeated key keeps its last value.
 */
final class JsonFiles {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** Config files are small; a larger one is refused rather than parsed. */
    private static final long MAX_BYTES = 16L * 1024 * 1024;

    private JsonFiles() {}

    /** The JSON object in {@code file}; anything else (an array, nothing, invalid JSON) is a {@link ConfigException}. */
    static JsonNode read(Path file) {
        try {
            JsonNode node = JSON.readTree(bytes(file));
            if (node == null || !node.isObject()) {
                throw new ConfigException(file + ": expected a JSON object, found "
                        + (node == null || node.isMissingNode() ? "nothing" : node.getNodeType().toString().toLowerCase()));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e, e);
        }
    }

    /** The text of a small file of the folder (a chat template), refused past the same size as a config file. */
    static String readText(Path file) {
        try {
            return new String(bytes(file), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e, e);
        }
    }

    private static byte[] bytes(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) throw new ConfigException(file + " is " + size + " bytes, larger than any config file should be");
        return Files.readAllBytes(file);
    }

    /**
     * Typed access to the keys of one JSON object: an absent or null key takes the caller's default (as a Python
     * keyword argument would), a present key of the wrong type is a {@link ConfigException} naming {@code source},
     * the key and the value found.
     */
    record Keys(JsonNode json, String source) {

        boolean has(String key) {
            JsonNode n = json.get(key);
            return n != null && !n.isNull();
        }

        String text(String key, String fallback) {
            if (!has(key)) return fallback;
            JsonNode n = json.get(key);
            if (!n.isTextual()) throw wrongType(key, "a string", n);
            return n.asText();
        }

        List<String> textList(String key) {
            List<String> out = new ArrayList<>();
            if (!has(key)) return out;
            JsonNode n = json.get(key);
            if (!n.isArray()) throw wrongType(key, "a list of strings", n);
            for (JsonNode e : n) {
                if (!e.isTextual()) throw wrongType(key, "a list of strings", n);
                out.add(e.asText());
            }
            return out;
        }

        int positiveInt(String key, int fallback) {
            int v = intValue(key, fallback);
            if (v <= 0) throw new ConfigException(source + ": " + key + " must be a positive integer, got " + v);
            return v;
        }

        int nonNegativeInt(String key, int fallback) {
            int v = intValue(key, fallback);
            if (v < 0) throw new ConfigException(source + ": " + key + " must be >= 0, got " + v);
            return v;
        }

        int intValue(String key, int fallback) {
            return has(key) ? toInt(key, json.get(key)) : fallback;
        }

        /** An int or a list of ints (as {@code eos_token_id} may be). */
        List<Integer> intList(String key, int fallback) {
            if (!has(key)) return List.of(fallback);
            JsonNode n = json.get(key);
            if (!n.isArray()) return List.of(toInt(key, n));
            List<Integer> out = new ArrayList<>();
            for (JsonNode e : n) out.add(toInt(key, e));
            return out;
        }

        private int toInt(String key, JsonNode n) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) throw wrongType(key, "an integer", n);
            return n.asInt();
        }

        double positiveDouble(String key, double fallback) {
            if (!has(key)) return fallback;
            JsonNode n = json.get(key);
            if (!n.isNumber() || !(n.asDouble() > 0) || Double.isInfinite(n.asDouble())) {
                throw new ConfigException(source + ": " + key + " must be a positive number, got " + n);
            }
            return n.asDouble();
        }

        /** Any finite number, or null when absent. */
        Double number(String key) {
            if (!has(key)) return null;
            JsonNode n = json.get(key);
            if (!n.isNumber() || !Double.isFinite(n.asDouble())) throw wrongType(key, "a number", n);
            return n.asDouble();
        }

        /** An integer, or null when absent. */
        Integer integer(String key) {
            return has(key) ? toInt(key, json.get(key)) : null;
        }

        /** true or false, or null when absent. */
        Boolean flag(String key) {
            return has(key) ? bool(key, false) : null;
        }

        /** A positive number that must be present. */
        double requiredPositiveDouble(String key) {
            require(key);
            return positiveDouble(key, Double.NaN);
        }

        int requiredPositiveInt(String key) {
            require(key);
            return positiveInt(key, 0);
        }

        boolean bool(String key, boolean fallback) {
            if (!has(key)) return fallback;
            JsonNode n = json.get(key);
            if (!n.isBoolean()) throw wrongType(key, "true or false", n);
            return n.asBoolean();
        }

        void require(String key) {
            if (!has(key)) throw new ConfigException(source + ": missing required key " + key);
        }

        private ConfigException wrongType(String key, String expected, JsonNode found) {
            return new ConfigException(source + ": " + key + " must be " + expected + ", got " + found);
        }
    }
}
