package org.gptq4j.langchain4j.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.Result;
import dev.langchain4j.spi.services.TokenStreamAdapter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Type;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * Which AiServices return types {@link FluxTokenStreamAdapter} claims, with Reactor on the class path and without it
 * (Reactor is an optional dependency: AiServices asks every registered adapter about every parameterized type).
 */
class FluxTokenStreamAdapterTest {

    /** Return types as AiServices sees them. */
    interface Assistant {
        Flux<String> stream(String message);

        Flux<ChatResponse> responses(String message);

        Result<String> chat(String message);

        List<String> lines(String message);

        String text(String message);
    }

    private static Type returnTypeOf(String method) throws NoSuchMethodException {
        return Assistant.class.getMethod(method, String.class).getGenericReturnType();
    }

    @Test
    void claimsFluxOfStringOnly() throws Exception {
        FluxTokenStreamAdapter adapter = new FluxTokenStreamAdapter();
        assertThat(adapter.canAdaptTokenStreamTo(returnTypeOf("stream"))).isTrue();
        for (String other : List.of("responses", "chat", "lines", "text")) {
            assertThat(adapter.canAdaptTokenStreamTo(returnTypeOf(other))).as(other).isFalse();
        }
    }

    @Test
    void loadsAndAnswersWithoutReactorOnTheClassPath() throws Exception {
        ClassLoader withoutReactor = new WithoutReactor(getClass().getClassLoader());
        assertThatThrownBy(() -> Class.forName(Flux.class.getName(), true, withoutReactor))
                .isInstanceOf(ClassNotFoundException.class);

        TokenStreamAdapter adapter = ServiceLoader.load(TokenStreamAdapter.class, withoutReactor).stream()
                .filter(provider -> provider.type().getName().equals(FluxTokenStreamAdapter.class.getName()))
                .findFirst().orElseThrow().get();
        assertThat(adapter.getClass().getClassLoader()).as("the adapter as loaded without Reactor")
                .isSameAs(withoutReactor);
        assertThat(adapter.canAdaptTokenStreamTo(returnTypeOf("chat"))).isFalse();
        assertThat(adapter.canAdaptTokenStreamTo(returnTypeOf("lines"))).isFalse();
        assertThat(adapter.canAdaptTokenStreamTo(String.class)).isFalse();
    }

    /**
     * A class path without Reactor: every {@code reactor.*} class is missing, and the adapter's package is defined
     * here (child first) so that its references to Reactor resolve against this loader.
     */
    private static final class WithoutReactor extends ClassLoader {
        private static final String ADAPTER_PACKAGE = FluxTokenStreamAdapter.class.getPackageName() + ".";

        WithoutReactor(ClassLoader parent) {
            super("without-reactor", parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith("reactor.")) throw new ClassNotFoundException(name + " (Reactor is hidden)");
            if (!name.startsWith(ADAPTER_PACKAGE)) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                return loaded != null ? loaded : define(name);
            }
        }

        private Class<?> define(String name) throws ClassNotFoundException {
            try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                if (in == null) throw new ClassNotFoundException(name);
                byte[] bytes = in.readAllBytes();
                return defineClass(name, bytes, 0, bytes.length);
            } catch (IOException e) {
                throw new ClassNotFoundException(name, e);
            }
        }
    }
}
