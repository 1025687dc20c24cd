package org.gptq4j.langchain4j.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.ReplaceFilter;
import org.gptq4j.langchain4j.template.TemplateLimitException.Limit;

/**
 * Jinjava's {@code replace}, refused before it builds a result larger than {@code maxValueSize}: replacing each
 * character of a long string by that string would otherwise square its length in one step.
 */
final class TemplateReplaceFilter extends ReplaceFilter {

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        JinjaRender render = JinjaRender.current();
        if (render != null && var != null && args.length >= 2 && args[0] != null && !args[0].isEmpty()
                && args[1] != null) {
            String s = var.toString();
            int max = args.length > 2 && args[2] != null ? parseCount(args[2]) : Integer.MAX_VALUE;
            long occurrences = 0;
            for (int i = s.indexOf(args[0]); i >= 0 && occurrences < max; i = s.indexOf(args[0], i + args[0].length())) {
                occurrences++;
            }
            long length = s.length() + occurrences * (args[1].length() - args[0].length());
            if (length > render.limits().maxValueSize()) {
                throw render.exceeded(Limit.MAX_VALUE_SIZE, String.valueOf(render.limits().maxValueSize()),
                        "replace would build a string of " + length + " characters");
            }
        }
        return super.filter(var, interpreter, args);
    }

    private static int parseCount(String count) {
        try {
            return Math.max(0, Integer.parseInt(count.strip()));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE; // Jinjava's own parsing reports it
        }
    }
}
