package org.gptq4j.langchain4j.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code builder()} returns the builder of the factory registered in {@code META-INF/services}, as LangChain4j's
 * provider modules do. The registration lives in a class loader of this test's own (the thread's context class
 * loader, which {@code ServiceHelper} searches first), so no other test sees it.
 */
class BuilderFactoryTest {

    /** A builder a framework would preset or extend. */
    static final class PresetChatModelBuilder extends GptqChatModel.GptqChatModelBuilder {}

    static final class PresetStreamingChatModelBuilder extends GptqStreamingChatModel.GptqStreamingChatModelBuilder {}

    public static final class ChatFactory implements GptqChatModelBuilderFactory {
        @Override
        public GptqChatModel.GptqChatModelBuilder get() {
            return new PresetChatModelBuilder();
        }
    }

    public static final class StreamingFactory implements GptqStreamingChatModelBuilderFactory {
        @Override
        public GptqStreamingChatModel.GptqStreamingChatModelBuilder get() {
            return new PresetStreamingChatModelBuilder();
        }
    }

    @Test
    void builders_come_from_the_registered_factories(@TempDir Path dir) throws Exception {
        register(dir, GptqChatModelBuilderFactory.class, ChatFactory.class);
        register(dir, GptqStreamingChatModelBuilderFactory.class, StreamingFactory.class);

        assertThat(withServicesIn(dir, GptqChatModel::builder)).isInstanceOf(PresetChatModelBuilder.class);
        assertThat(withServicesIn(dir, GptqStreamingChatModel::builder)).isInstanceOf(PresetStreamingChatModelBuilder.class);
    }

    @Test
    void without_a_factory_builders_are_plain() {
        assertThat(GptqChatModel.builder()).isExactlyInstanceOf(GptqChatModel.GptqChatModelBuilder.class);
        assertThat(GptqStreamingChatModel.builder())
                .isExactlyInstanceOf(GptqStreamingChatModel.GptqStreamingChatModelBuilder.class);
    }

    private static void register(Path dir, Class<?> service, Class<?> implementation) throws IOException {
        Path file = dir.resolve("META-INF/services/" + service.getName());
        Files.createDirectories(file.getParent());
        Files.writeString(file, implementation.getName() + "\n");
    }

    private static <T> T withServicesIn(Path dir, Callable<T> call) throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, previous)) {
            thread.setContextClassLoader(loader);
            return call.call();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
