package org.gptq4j.spring;

import java.util.function.Supplier;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.target.AbstractLazyCreationTargetSource;

/**
 * Beans for {@code langchain4j.gptq.loading=lazy}: a proxy that creates the real bean, and so loads the model, on its
 * first method call. The proxy has the bean's own type (a subclass of a class, or an implementation of an interface),
 * so injection by that type works as when eager.
 */
final class LazyBean {
    private LazyBean() {}

    /**
     * {@code create} now when eager, else on first use behind a proxy of {@code type}: an interface proxy when
     * {@code type} is an interface (so final implementations work), else a class-based one.
     */
    static <T> T of(Class<T> type, GptqProperties.Loading loading, Supplier<? extends T> create) {
        if (loading == GptqProperties.Loading.EAGER) return create.get();
        ProxyFactory proxy = new ProxyFactory();
        if (type.isInterface()) proxy.addInterface(type);
        else proxy.setProxyTargetClass(true);
        proxy.setTargetSource(new AbstractLazyCreationTargetSource() {
            @Override
            public synchronized Class<?> getTargetClass() {
                return type;
            }

            @Override
            protected Object createObject() {
                return create.get();
            }
        });
        return type.cast(proxy.getProxy(type.getClassLoader()));
    }
}
