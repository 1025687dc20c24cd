package org.gptq4j.langchain4j.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaObjectUnwrapper;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.el.ObjectUnwrapper;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.Context.Library;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.fn.Functions;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Jinjava a chat template runs in. The template comes with the model, so it is treated as hostile:
 * <ul>
 *   <li>nothing outside the template can be read: the tags that load other templates ({@code include},
 *       {@code import}, {@code from}, {@code extends}) are refused, and the resource locator refuses any name
 *       anyway (Jinjava's default reads the class path);</li>
 *   <li>only the tags, filters and functions chat templates need are there ({@link #TAGS}, {@link #FILTERS},
 *       {@link #FUNCTIONS}; all tests); no nested interpretation of rendered text; Java objects are reached only as
 *       {@link SandboxResolver} allows;</li>
 *   <li>each render is bounded by its {@link TemplateLimits}, checked by {@link JinjaRender} before every node and
 *       on every value read, and by Jinjava's own output, string, list, map and range limits, set from them.</li>
 * </ul>
 */
final class JinjaSandbox {
    /** The tags a chat template may use (and their end tags). */
    static final Set<String> TAGS = Set.of("autoescape", "break", "call", "continue", "cycle", "do", "elif", "else",
            "for", "if", "ifchanged", "macro", "print", "raw", "set", "unless", "endautoescape", "endcall", "enddo",
            "endfor", "endif", "endifchanged", "endmacro", "endraw", "endset", "endunless");
    /** The filters a chat template may use: Jinja2's built-ins whose result is no larger than their input. */
    static final Set<String> FILTERS = Set.of("abs", "attr", "bool", "capitalize", "count", "d", "default",
            "dictsort", "e", "escape", "first", "float", "forceescape", "groupby", "int", "join", "last", "length",
            "list", "lower", "map", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select",
            "selectattr", "sort", "split", "string", "sum", "title", "tojson", "trim", "truncate", "unique", "upper",
            "wordcount");
    /** The functions a chat template may call. */
    static final Set<String> FUNCTIONS = Set.of(":range", ":namespace", ":raise_exception");

    private static final String REFUSED = "chat template refused the conversation: ";
    private static final ObjectUnwrapper JINJAVA_UNWRAPPER = new JinjavaObjectUnwrapper();

    private JinjaSandbox() {}

    static Jinjava create(TemplateLimits limits) {
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withDisabled(disabled(new Jinjava().getGlobalContext()))
                .withNestedInterpretationEnabled(false)
                .withElResolver(new SandboxResolver())
                .withObjectUnwrapper(JinjaSandbox::unwrap)
                .withProcessors(JinjavaProcessors.newBuilder().withNodePreProcessor((node, interpreter) -> {
                    JinjaRender render = JinjaRender.current();
                    if (render != null) render.beforeNode(interpreter);
                }).build())
                .withMaxOutputSize(limits.maxOutputLength())
                .withMaxStringLength(limits.maxValueSize())
                .withMaxListSize(limits.maxValueSize())
                .withMaxMapSize(limits.maxValueSize())
                .withRangeLimit(limits.maxValueSize())
                .build());
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new IOException("a chat template may not read files or other templates ('" + name + "')");
        });
        Context global = jinjava.getGlobalContext();
        global.registerFunction(new ELFunctionDefinition(
                "", "raise_exception", JinjaSandbox.class, "raiseException", String.class));
        global.registerFunction(new ELFunctionDefinition(
                "", "range", JinjaSandbox.class, "range", Object.class, Object[].class));
        global.registerFilter(new TemplateJsonFilter());
        global.registerFilter(new TemplateReplaceFilter());
        return jinjava;
    }

    /** Everything Jinjava has that a chat template may not use. */
    private static Map<Library, Set<String>> disabled(Context jinjavas) {
        return Map.of(
                Library.TAG, jinjavas.getAllTags().stream().map(t -> t.getName()).filter(n -> !TAGS.contains(n))
                        .collect(Collectors.toSet()),
                Library.FILTER, jinjavas.getAllFilters().stream().map(f -> f.getName())
                        .filter(n -> !FILTERS.contains(n)).collect(Collectors.toSet()),
                Library.FUNCTION, jinjavas.getAllFunctions().stream().map(f -> f.getName())
                        .filter(n -> !FUNCTIONS.contains(n)).collect(Collectors.toSet()));
    }

    private static Object unwrap(Object value) {
        Object unwrapped = JINJAVA_UNWRAPPER.unwrapObject(value);
        JinjaRender render = JinjaRender.current();
        if (render != null) render.checkValue(unwrapped);
        return unwrapped;
    }

    /**
     * {@code range(...)}, refused beyond {@code maxValueSize} numbers (as Jinja2's sandbox refuses a range beyond its
     * limit) rather than cut short as Jinjava's own would be.
     */
    private static List<Integer> range(Object arg1, Object... args) {
        JinjaRender render = JinjaRender.current();
        if (render != null) {
            Long a = number(arg1);
            Long b = args.length > 0 ? number(args[0]) : null;
            Long step = args.length > 1 ? number(args[1]) : Long.valueOf(1);
            long start = args.length == 0 ? 0 : a == null ? 0 : a;
            Long end = args.length == 0 ? a : b;
            if (end != null && step != null && step != 0) {
                long length = Math.max(0, Math.ceilDiv(end - start, step));
                if (length > render.limits().maxValueSize()) {
                    throw render.exceeded(TemplateLimitException.Limit.MAX_VALUE_SIZE,
                            String.valueOf(render.limits().maxValueSize()), "range() of " + length + " numbers");
                }
            }
        }
        return Functions.range(arg1, args);
    }

    private static Long number(Object value) {
        if (value == null) return null;
        try {
            return new BigDecimal(value.toString().strip()).max(BigDecimal.valueOf(-(1L << 40)))
                    .min(BigDecimal.valueOf(1L << 40)).longValue();
        } catch (NumberFormatException e) {
            return null; // Jinjava's range reports or ignores it
        }
    }

    /** {@code raise_exception(message)}: the template refuses the conversation. */
    private static String raiseException(String message) {
        JinjaRender render = JinjaRender.current();
        String text = render == null ? String.valueOf(message) : render.texts().expand(String.valueOf(message));
        ChatTemplateException refusal = new ChatTemplateException(REFUSED + text);
        throw render == null ? refusal : render.fail(refusal);
    }
}
