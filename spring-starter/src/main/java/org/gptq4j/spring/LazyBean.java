package org.gptq4j.spring;

import java.util.function.Supplier;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.target.AbstractLazyCreationTargetSource;

/**
 * The one mechanism that decides when the model loads. Every bean that needs the engine (the chat models, the token
 * counter) is a proxy of the bean's own type that creates the real bean, and so loads the model through the
 * {@link GptqModelLoader}, on its first method call; {@link #create} makes it now instead, which is all that
 * {@code langchain4j.gptq.loading=eager} does at startup. An interface proxy when the type is an interface (so final
 * implementations work), else a class-based one, so injection by that type works either way.
 */
final class LazyBean {
    private LazyBean() {}

    /** A proxy of {@code type} that calls {@code create} on its first method call. */
    static <T> T of(Class<T> type, Supplier<? extends T> create) {
        ProxyFactory proxy = new ProxyFactory();
        if (type.isInterface()) proxy.addInterface(type);
        else proxy.setProxyTargetClass(true);
        proxy.setTargetSource(new Target(type, create));
        return type.cast(proxy.getProxy(type.getClassLoader()));
    }

    /** Creates the real bean behind {@code bean} now, if it is one of these proxies; other beans are left alone. */
    static void create(Object bean) {
        if (bean instanceof Advised advised && advised.getTargetSource() instanceof Target target) target.getTarget();
    }

    private static final class Target extends AbstractLazyCreationTargetSource {
        private final Class<?> type;
        private final Supplier<?> create;

        Target(Class<?> type, Supplier<?> create) {
            this.type = type;
            this.create = create;
        }

        @Override
        public synchronized Class<?> getTargetClass() {
            return type;
        }

        @Override
        protected Object createObject() {
            return create.get();
        }

        @Override
        public synchronized Object getTarget() {
            try {
                return super.getTarget();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
