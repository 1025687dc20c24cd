package org.gptq4j.io;

import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A model folder whose weights cannot be found, or whose index lies about them, is refused with a clear message. */
class CheckpointRefusalTest {

    private static final String SHARD_1 = "model-00001-of-00002.safetensors";
    private static final String SHARD_2 = "model-00002-of-00002.safetensors";
    private static final String EMBEDDINGS = "model.embed_tokens.weight"; // in shard 1

    @TempDir
    Path dir;

    private Path sharded;
    private Path index;

    @BeforeEach
    void copySharded() {
        sharded = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "sharded-4bit-32g"), dir);
        index = sharded.resolve("model.safetensors.index.json");
    }

    @Test
    void refusesMissingFolder() {
        assertRefused(dir.resolve("nowhere"), null, "model folder", "nowhere", "does not exist");
    }

    @Test
    void refusesFolderWithOnlyPickledWeights() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("bin-only"));
        CheckpointCopy.write(folder.resolve("pytorch_model.bin"), new byte[]{(byte) 0x80, 2});
        assertRefused(folder, null, "pytorch_model.bin", "only safetensors checkpoints are supported");
    }

    @Test
    void refusesFolderWithoutWeights() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("empty"));
        assertRefused(folder, null, "no weights in", "model.safetensors", "found no *.safetensors file");
    }

    @Test
    void refusesSeveralSafetensorsWithoutAnIndex() throws IOException {
        Files.delete(index);
        assertRefused(sharded, null, "several *.safetensors files without an index", SHARD_1, SHARD_2);
    }

    @Test
    void refusesIndexNamingAMissingShard() throws IOException {
        Files.delete(sharded.resolve(SHARD_2));
        assertRefused(sharded, null, "names shard " + SHARD_2 + ", which is missing");
    }

    @ParameterizedTest(name = "shard name {0}")
    @ValueSource(strings = {"../" + SHARD_1, "/tmp/" + SHARD_1, "sub/" + SHARD_1, "..\\" + SHARD_1, "..", ""})
    void refusesIndexShardNamesLeadingOutOfTheFolder(String shard) {
        CheckpointCopy.editJson(index, root -> root.withObjectProperty("weight_map").put(EMBEDDINGS, shard));
        assertRefused(sharded, null, "weight_map entry for tensor " + EMBEDDINGS, "'" + shard + "' is not a plain file name");
    }

    @Test
    void refusesIndexNamingPickledShards() {
        CheckpointCopy.editJson(index, root -> root.withObjectProperty("weight_map").put(EMBEDDINGS, "pytorch_model-00001-of-00002.bin"));
        assertRefused(sharded, null, "pytorch_model-00001-of-00002.bin", "only safetensors checkpoints are supported");
    }

    @Test
    void refusesIndexPlacingATensorInTheWrongShard() {
        CheckpointCopy.editJson(index, root -> root.withObjectProperty("weight_map").put(EMBEDDINGS, SHARD_2));
        assertRefused(sharded, null, "places tensor " + EMBEDDINGS + " in " + SHARD_2 + ", which does not hold it",
                "it is in " + SHARD_1);
    }

    @Test
    void refusesIndexListingATensorNoShardHolds() {
        CheckpointCopy.editJson(index, root -> root.withObjectProperty("weight_map").put("model.extra.weight", SHARD_1));
        assertRefused(sharded, null, "places tensor model.extra.weight in " + SHARD_1 + ", which does not hold it");
    }

    @Test
    void refusesIndexListingATensorTwice() {
        String json = "{\"weight_map\":{\"" + EMBEDDINGS + "\":\"" + SHARD_1 + "\",\"" + EMBEDDINGS + "\":\"" + SHARD_2 + "\"}}";
        CheckpointCopy.write(index, json);
        assertRefused(sharded, null, "model.safetensors.index.json", "Duplicate", EMBEDDINGS);
    }

    @Test
    void refusesIndexWithoutWeightMap() {
        CheckpointCopy.write(index, "{\"metadata\":{}}");
        assertRefused(sharded, null, "model.safetensors.index.json", "missing or empty weight_map");
    }

    @Test
    void refusesATensorStoredInTwoShards() {
        try (SafetensorsFile shard1 = SafetensorsFile.open(sharded.resolve(SHARD_1))) {
            SafetensorsWriter.Entry copy = CheckpointCopy.copyOf(shard1.tensors().get(EMBEDDINGS));
            CheckpointCopy.editTensors(sharded.resolve(SHARD_2), entries -> entries.add(copy));
        }
        assertRefused(sharded, null, "tensor " + EMBEDDINGS + " appears in two shards", SHARD_1, SHARD_2);
    }

    @ParameterizedTest(name = "model_file_base_name {0}")
    @ValueSource(strings = {"../main/model", "/etc/model", "..", "a\0b"})
    void refusesBaseNameLeadingOutOfTheFolder(String baseName) {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "oldname-4bit-128g"), dir);
        assertRefused(folder, baseName, "model_file_base_name", "is not a plain file name");
    }

    private static void assertRefused(Path folder, String baseName, String... messageNames) {
        assertThatThrownBy(() -> Checkpoint.open(folder, baseName).close())
                .isInstanceOf(CheckpointException.class)
                .hasMessageContainingAll(messageNames);
    }
}
