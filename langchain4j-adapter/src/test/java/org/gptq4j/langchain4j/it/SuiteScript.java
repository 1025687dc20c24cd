package org.gptq4j.langchain4j.it;

import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.gptq4j.langchain4j.template.ToolCallSyntax;

/**
 * The answers of LangChain4j's shared suites that need world knowledge or instruction following, keyed by the
 * suites' own prompts, for the {@code Scripted*IT} runs. Each rule reads the whole rendered prompt; the first that
 * matches gives the answers to write (plain text first, then the JSON form the suites expect when the request asks
 * for JSON). Any other prompt ("Tell me a long story") is answered by the model itself.
 */
public final class SuiteScript implements Function<String, List<String>> {
    public static final SuiteScript INSTANCE = new SuiteScript();

    private record Rule(Predicate<String> when, List<String> answers) {}

    private static final String WEATHER_CALL = call("getWeather", "{\"city\":\"Munich\"}");

    /** Later turns first: a tool result's prompt still holds the question that led to the call. */
    private static final List<Rule> RULES = List.of(
            rule(p -> toolResult(p) && p.contains("14:35"), "It is sunny in Munich, and in France it is 14:35."),
            rule(p -> toolResult(p) && p.contains("10:14"), "It is 10:14 now."),
            rule(p -> toolResult(p) && p.contains("sunny"), "It is sunny in Munich.", "{\"weather\":\"sunny\"}"),
            rule(p -> p.contains("weather in Munich and time in France"),
                    WEATHER_CALL + call("getTime", "{\"country\":\"France\"}")),
            rule(p -> p.contains("Use the get_current_time tool"), call("get_current_time", "{}")),
            rule(p -> p.contains("weather in Munich") || p.contains("I live in Munich"), WEATHER_CALL),
            rule(p -> p.contains("capital of Germany"), "The capital of Germany is Berlin.", "{\"city\":\"Berlin\"}"),
            rule(p -> p.contains("Translate: 'I love you'"), "Ich liebe dich."),
            rule(p -> p.contains("What is my favorite color?"), "Your favorite color is green."),
            rule(p -> p.contains("Say 'Hello World'"), "Hello World!"));

    private SuiteScript() {}

    @Override
    public List<String> apply(String prompt) {
        for (Rule rule : RULES) {
            if (rule.when().test(prompt)) return rule.answers();
        }
        return List.of();
    }

    private static boolean toolResult(String prompt) {
        return prompt.contains("<tool_response>"); // ToolCallSyntax.renderResult
    }

    private static String call(String name, String arguments) {
        return ToolCallSyntax.OPEN + "{\"name\":\"" + name + "\",\"arguments\":" + arguments + "}" + ToolCallSyntax.CLOSE;
    }

    private static Rule rule(Predicate<String> when, String... answers) {
        return new Rule(when, List.of(answers));
    }
}
