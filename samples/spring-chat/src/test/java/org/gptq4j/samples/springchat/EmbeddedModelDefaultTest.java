package org.gptq4j.samples.springchat;

import org.gptq4j.samples.EmbeddedModel;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedModelDefaultTest {

    @Test
    void withoutAModelTheEmbeddedOneIsUsed() {
        MockEnvironment environment = new MockEnvironment();
        new EmbeddedModelDefault().postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty(EmbeddedModelDefault.MODEL_PATH)).isEqualTo(EmbeddedModel.folder().toString());
    }

    @Test
    void aConfiguredRepoOrFolderIsLeftAlone() {
        MockEnvironment repo = new MockEnvironment().withProperty(EmbeddedModelDefault.REPO, "TheBloke/firefly-llama2-7B-chat-GPTQ");
        new EmbeddedModelDefault().postProcessEnvironment(repo, new SpringApplication());
        assertThat(repo.getProperty(EmbeddedModelDefault.MODEL_PATH)).isNull();

        MockEnvironment folder = new MockEnvironment().withProperty(EmbeddedModelDefault.MODEL_PATH, "/models/mine");
        new EmbeddedModelDefault().postProcessEnvironment(folder, new SpringApplication());
        assertThat(folder.getProperty(EmbeddedModelDefault.MODEL_PATH)).isEqualTo("/models/mine");
    }
}
