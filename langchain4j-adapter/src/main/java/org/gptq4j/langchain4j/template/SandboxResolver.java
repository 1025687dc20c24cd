package org.gptq4j.langchain4j.template;

import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.util.ForLoop;
import java.beans.FeatureDescriptor;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;
import jinjava.javax.el.MethodNotFoundException;
import jinjava.javax.el.PropertyNotFoundException;

/**
 * What an expression of a chat template may reach through {@code a.b} and {@code a.b(...)}, in the spirit of the
 * {@code ImmutableSandboxedEnvironment} that transformers renders chat templates in: members of lists and maps, the
 * {@code loop} variable and map entries; and no Java method but the few that only read: {@code strip},
 * {@code startsWith}, {@code endsWith} and {@code trim} of strings, {@code items}, {@code keys}, {@code values} and
 * {@code get} of maps, {@code count} and {@code index} of lists, {@code loop.cycle}; plus the calls by which
 * Jinjava applies filters and tests. Everything else, reflection included, is not found (a property) or refused (a
 * method). Read-only: templates can not change the conversation.
 */
final class SandboxResolver extends ELResolver {
    private static final Set<String> STRING_METHODS = Set.of("strip", "startsWith", "endsWith", "trim");
    private static final Set<String> MAP_METHODS = Set.of("items", "keys", "values", "get");
    private static final Set<String> LIST_METHODS = Set.of("count", "index");

    private final ELResolver delegate = JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY;

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (base != null && !readable(base)) {
            throw new PropertyNotFoundException("a chat template can not read '" + property + "' of a "
                    + typeName(base));
        }
        return delegate.getValue(context, base, property);
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null || !callable(base, method.toString())) {
            throw new MethodNotFoundException("a chat template can not call '" + method + "' of a "
                    + typeName(base));
        }
        return delegate.invoke(context, base, method, paramTypes, params);
    }

    private static boolean readable(Object base) {
        return base instanceof Map || base instanceof List || base instanceof Object[] || base instanceof ForLoop
                || base instanceof Map.Entry;
    }

    private static boolean callable(Object base, String method) {
        if (base instanceof Filter) return method.equals("filter");
        if (base instanceof ExpTest) return method.equals("evaluate");
        if (base instanceof ForLoop) return method.equals("cycle");
        if (base instanceof String) return STRING_METHODS.contains(method);
        if (base instanceof Map) return MAP_METHODS.contains(method);
        if (base instanceof List) return LIST_METHODS.contains(method);
        return false;
    }

    private static String typeName(Object base) {
        if (base == null) return "null";
        if (base instanceof String) return "string";
        if (base instanceof Map) return "map";
        if (base instanceof List) return "list";
        if (base instanceof Number) return "number";
        if (base instanceof Boolean) return "boolean";
        return "value of type " + base.getClass().getSimpleName();
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        if (base != null && !readable(base)) return null;
        return delegate.getType(context, base, property);
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        delegate.setValue(context, base, property, value); // read-only: refuses
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return delegate.getCommonPropertyType(context, base);
    }
}
