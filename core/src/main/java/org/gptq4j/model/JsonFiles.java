package org.gptq4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the small JSON files of a model folder, with errors that name the file. */
final class JsonFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Config files are small; a larger one is refused rather than parsed. */
    private static final long MAX_BYTES = 16L * 1024 * 1024;

    private JsonFiles() {}

    static JsonNode read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) throw new ConfigException(file + " is " + size + " bytes, larger than any config file should be");
            JsonNode node = JSON.readTree(Files.readAllBytes(file));
            if (node == null || !node.isObject()) throw new ConfigException(file + ": expected a JSON object");
            return node;
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e, e);
        }
    }
}
