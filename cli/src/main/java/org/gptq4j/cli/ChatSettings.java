package org.gptq4j.cli;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import org.gptq4j.langchain4j.GptqChatRequestParameters;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;

/**
 * The sampling settings of a chat: set at start by the options ({@code --temperature 0.5}) and changed while
 * chatting by the commands of the same name ({@code /temperature 0.5}). Unset values fall back to the model's
 * defaults ({@link org.gptq4j.sampling.SamplingParameters#modelCardDefaults()}).
 */
final class ChatSettings {
    /** The names that work both as {@code --name} options and as {@code /name} commands ({@code max-tokens}: the old name of {@code max-new-tokens}). */
    static final List<String> NAMES = List.of("temperature", "top-p", "top-k", "seed", "max-new-tokens", "max-tokens");

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    /** {@code --max-new-tokens}, the one name of the answer budget (generate's, the Spring property's); {@code --max-tokens} is its old alias. */
    @Option(names = {"--max-new-tokens", "--max-tokens"}, defaultValue = "200", description = "Most tokens per answer (default: ${DEFAULT-VALUE}).")
    int maxTokens = 200;

    /** Applies {@code /name value}; returns what is now in force, or throws with a message for the user. */
    String set(String name, String value) {
        try {
            switch (name) {
                case "temperature" -> sampling.temperature = atLeast(Double.parseDouble(value), 0, name);
                case "top-p" -> sampling.topP = within(Double.parseDouble(value), name);
                case "top-k" -> sampling.topK = (int) atLeast(Integer.parseInt(value), 0, name);
                case "seed" -> sampling.seed = value.equals("off") ? null : Long.parseLong(value);
                case "max-new-tokens", "max-tokens" -> maxTokens = (int) atLeast(Integer.parseInt(value), 1, "max-new-tokens");
                default -> throw new IllegalArgumentException("unknown setting " + name);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("/" + name + " needs a number, not '" + value + "'");
        }
        return toString();
    }

    /** The most tokens the next answer may take. */
    int maxTokens() {
        return maxTokens;
    }

    /** The request parameters for the next answer. */
    ChatRequestParameters parameters() {
        return GptqChatRequestParameters.builder()
                .temperature(sampling.temperature).topP(sampling.topP).topK(sampling.topK).seed(sampling.seed)
                .maxOutputTokens(maxTokens)
                .build();
    }

    private static double atLeast(double value, double min, String name) {
        if (value < min) throw new IllegalArgumentException("/" + name + " must be >= " + (int) min);
        return value;
    }

    private static double within(double value, String name) {
        if (value <= 0 || value > 1) throw new IllegalArgumentException("/" + name + " must be in (0, 1]");
        return value;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "temperature %s, top-p %s, top-k %s, seed %s, max-new-tokens %d",
                orDefault(sampling.temperature), orDefault(sampling.topP), orDefault(sampling.topK),
                sampling.seed == null ? "none" : sampling.seed, maxTokens);
    }

    private static String orDefault(Object value) {
        return value == null ? "default" : value.toString();
    }
}
