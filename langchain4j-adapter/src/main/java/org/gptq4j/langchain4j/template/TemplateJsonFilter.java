package org.gptq4j.langchain4j.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Map;
import org.gptq4j.langchain4j.template.TemplateLimitException.Limit;

/**
 * {@code tojson} as transformers' chat templates have it ({@code json.dumps(value, ensure_ascii=False)}, with
 * {@code ", "} and {@code ": "} between items, or lines indented by {@code indent} spaces), for the values a chat
 * template holds. A text in the value (a message, a tool's description or schema) is escaped as JSON and stays a
 * text ({@link TextPlaceholders#jsonEscaped}); the result is bounded by {@code maxOutputLength} and its nesting by
 * {@code maxNestingDepth}.
 */
final class TemplateJsonFilter implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        return write(var, indent instanceof Number n ? n.intValue() : -1);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return write(var, -1);
    }

    private static String write(Object value, int indent) {
        JinjaRender render = JinjaRender.current();
        if (render == null) throw new IllegalStateException("tojson outside a chat-template render");
        Writer writer = new Writer(render, indent);
        writer.value(value, 0);
        return writer.out.toString();
    }

    /** One {@code tojson}: appends, refusing to grow past the limits. */
    private static final class Writer {
        private final JinjaRender render;
        private final int indent;
        private final StringBuilder out = new StringBuilder();

        Writer(JinjaRender render, int indent) {
            this.render = render;
            this.indent = indent;
        }

        void value(Object value, int depth) {
            if (depth > render.limits().maxNestingDepth()) {
                throw render.exceeded(Limit.MAX_NESTING_DEPTH, String.valueOf(render.limits().maxNestingDepth()),
                        "tojson of lists or maps nested deeper");
            }
            if (value == null) {
                append("null");
            } else if (value instanceof Boolean || value instanceof Number) {
                append(String.valueOf(value));
            } else if (value instanceof Map<?, ?> map) {
                append("{");
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    separator(first, depth + 1);
                    first = false;
                    string(String.valueOf(e.getKey()));
                    append(": ");
                    value(e.getValue(), depth + 1);
                }
                close(first, depth, "}");
            } else if (value instanceof Iterable<?> items) {
                append("[");
                boolean first = true;
                for (Object item : items) {
                    separator(first, depth + 1);
                    first = false;
                    value(item, depth + 1);
                }
                close(first, depth, "]");
            } else if (value instanceof Object[] items) {
                value(java.util.Arrays.asList(items), depth);
            } else {
                string(String.valueOf(value));
            }
        }

        private void string(String s) {
            append("\"");
            append(render.texts().jsonEscaped(s));
            append("\"");
            if (render.texts().escapedLength() > render.limits().maxOutputLength()) {
                throw render.exceeded(Limit.MAX_OUTPUT_LENGTH, render.limits().maxOutputLength() + " characters",
                        "tojson would escape more text");
            }
        }

        private void separator(boolean first, int depth) {
            if (indent < 0) {
                if (!first) append(", ");
            } else {
                if (!first) append(",");
                newline(depth);
            }
        }

        private void close(boolean empty, int depth, String bracket) {
            if (indent >= 0 && !empty) newline(depth);
            append(bracket);
        }

        private void newline(int depth) {
            long spaces = (long) indent * depth;
            room(1 + spaces);
            out.append('\n').append(" ".repeat((int) spaces));
        }

        private void append(String s) {
            room(s.length());
            out.append(s);
        }

        private void room(long more) {
            if (out.length() + more > render.limits().maxOutputLength()) {
                throw render.exceeded(Limit.MAX_OUTPUT_LENGTH, render.limits().maxOutputLength() + " characters",
                        "tojson would write more");
            }
        }
    }
}
