package org.gptq4j.langchain4j.template;

import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Map;
import org.gptq4j.langchain4j.template.TemplateLimitException.Limit;

/**
 * One render of a {@link JinjaChatTemplate}, on the thread that renders it: its texts and its {@link TemplateLimits}.
 * The sandbox's hooks ({@link JinjaSandbox}) find it with {@link #current()}: before each node of the template it
 * checks the deadline, the depth of scopes and whether the render has already failed; each value the template reads
 * is measured. The first failure is kept, and from then on every node throws it again, so that the render unwinds at
 * once however Jinjava catches and records it; {@link #failure()} then says why the render stopped.
 */
final class JinjaRender implements AutoCloseable {
    private static final ThreadLocal<JinjaRender> CURRENT = new ThreadLocal<>();
    /** Stands for {@code null} among the values still to measure. */
    private static final Object NULL = new Object();

    private final TemplateLimits limits;
    private final TextPlaceholders texts;
    private final long deadline;
    private int rootScopeDepth = -1;
    private ChatTemplateException failure;

    private JinjaRender(TemplateLimits limits, TextPlaceholders texts) {
        this.limits = limits;
        this.texts = texts;
        this.deadline = System.nanoTime() + limits.maxRenderTime().toNanos();
    }

    /** Starts a render on this thread; close it when the render is over. */
    static JinjaRender start(TemplateLimits limits, TextPlaceholders texts) {
        JinjaRender render = new JinjaRender(limits, texts);
        CURRENT.set(render);
        return render;
    }

    /** The render running on this thread, or null (e.g. while a template is parsed at load). */
    static JinjaRender current() {
        return CURRENT.get();
    }

    @Override
    public void close() {
        CURRENT.remove();
    }

    TextPlaceholders texts() {
        return texts;
    }

    TemplateLimits limits() {
        return limits;
    }

    /** Why the render stopped early, if it did. */
    ChatTemplateException failure() {
        return failure;
    }

    /** Records {@code e} as the render's failure unless it already has one, and returns the failure to throw. */
    ChatTemplateException fail(ChatTemplateException e) {
        if (failure == null) failure = e;
        return failure;
    }

    TemplateLimitException exceeded(Limit limit, String allowed, String what) {
        TemplateLimitException e = new TemplateLimitException(limit, allowed, what);
        fail(e);
        return e;
    }

    /** Before each node: throws if the render has failed, is out of time, or nests too deep. */
    void beforeNode(JinjavaInterpreter interpreter) {
        if (failure != null) throw failure;
        if (System.nanoTime() - deadline > 0) {
            throw exceeded(Limit.MAX_RENDER_TIME, limits.maxRenderTime().toMillis() + " ms",
                    "the render did not finish in time and was stopped");
        }
        int depth = scopeDepth(interpreter.getContext());
        if (rootScopeDepth < 0) rootScopeDepth = depth;
        if (depth - rootScopeDepth > limits.maxNestingDepth()) {
            throw exceeded(Limit.MAX_NESTING_DEPTH, String.valueOf(limits.maxNestingDepth()),
                    "loops and macro calls nest deeper while rendering");
        }
        TemplateError last = interpreter.getLastError().orElse(null);
        if (last != null && JinjaErrors.isFatal(last)) {
            throw fail(JinjaErrors.translate(last, limits, texts));
        }
    }

    /** Each value the template reads: throws if it is larger than {@code maxValueSize}. */
    void checkValue(Object value) {
        if (!(value instanceof String || value instanceof Collection<?> || value instanceof Map<?, ?>
                || value instanceof Object[])) {
            return;
        }
        long budget = limits.maxValueSize();
        ArrayDeque<Object> pending = new ArrayDeque<>();
        pending.push(value);
        while (!pending.isEmpty()) {
            Object v = pending.pop();
            if (v == NULL) {
                budget -= 1;
            } else if (v instanceof String s) {
                budget -= Math.max(1, s.length());
            } else if (v instanceof Collection<?> c) {
                budget -= 1;
                if (budget - c.size() < 0) budget = -1;
                else c.forEach(item -> pending.push(item == null ? NULL : item));
            } else if (v instanceof Map<?, ?> m) {
                budget -= 1;
                if (budget - 2L * m.size() < 0) {
                    budget = -1;
                } else {
                    m.forEach((k, item) -> {
                        pending.push(k == null ? NULL : k);
                        pending.push(item == null ? NULL : item);
                    });
                }
            } else if (v instanceof Object[] array) {
                budget -= 1;
                if (budget - array.length < 0) budget = -1;
                else for (Object item : array) pending.push(item == null ? NULL : item);
            } else {
                budget -= 1;
            }
            if (budget < 0) {
                throw exceeded(Limit.MAX_VALUE_SIZE, String.valueOf(limits.maxValueSize()),
                        "the template built a larger value");
            }
        }
    }

    private static int scopeDepth(Context context) {
        int depth = 0;
        for (Context c = context; c != null; c = c.getParent()) depth++;
        return depth;
    }
}
