package org.gptq4j.io;

import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CheckpointFixtureTest {

    @Test
    void shardedCheckpointHoldsTheSameTensorsAsTheSingleFile() {
        try (Checkpoint single = Checkpoint.open(Fixtures.model(Fixtures.TINY, "gptq-4bit-32g-actorder_True"), "model");
             Checkpoint sharded = Checkpoint.open(Fixtures.model(Fixtures.TINY, "sharded-4bit-32g"), "model")) {
            assertThat(sharded.files()).hasSize(2);
            assertThat(sharded.tensors().keySet()).containsExactlyInAnyOrderElementsOf(single.tensors().keySet());
            Tensor a = single.get("model.layers.1.mlp.down_proj.qweight");
            Tensor b = sharded.get("model.layers.1.mlp.down_proj.qweight");
            assertThat(b.shape()).isEqualTo(a.shape());
            assertThat(b.toIntArray()).isEqualTo(a.toIntArray());
        }
    }

    @Test
    void oldBaseNameIsFound() {
        try (Checkpoint c = Checkpoint.open(Fixtures.model(Fixtures.TINY, "oldname-4bit-128g"), "gptq_model-4bit-128g")) {
            assertThat(c.files()).singleElement().satisfies(p -> assertThat(p.getFileName().toString())
                    .isEqualTo("gptq_model-4bit-128g.safetensors"));
            assertThat(c.get("model.embed_tokens.weight").shape()).containsExactly(512, 128);
        }
    }
}
