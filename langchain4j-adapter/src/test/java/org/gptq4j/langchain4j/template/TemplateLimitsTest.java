package org.gptq4j.langchain4j.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.gptq4j.langchain4j.template.TemplateFixtures.SENTENCEPIECE;

import java.time.Duration;
import java.util.List;
import org.gptq4j.langchain4j.template.TemplateLimitException.Limit;
import org.junit.jupiter.api.Test;

/**
 * A hostile chat template can not hang a render, exhaust memory or overflow the stack: loading and rendering are
 * bounded by {@link TemplateLimits}, and exceeding one is a {@link TemplateLimitException} naming the bound, thrown on
 * the rendering thread once the render has stopped.
 */
class TemplateLimitsTest {
    private static final Conversation HI = new Conversation(List.of(Turn.user("Hi")), List.of());

    @Test
    void three_nested_loops_over_range_1000_stop_at_the_render_time_limit() {
        String template = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                + "{% if a < 0 %}x{% endif %}{% endfor %}{% endfor %}{% endfor %}";
        TemplateLimits limits = TemplateLimits.DEFAULT.withMaxRenderTime(Duration.ofMillis(200));

        TemplateLimitException e = refusedWhileRendering(template, limits);

        assertThat(e.limit()).isEqualTo(Limit.MAX_RENDER_TIME);
        assertThat(e).hasMessageContaining("maxRenderTime").hasMessageContaining("200 ms");
    }

    @Test
    void forty_string_doublings_stop_at_the_value_size_limit() {
        String template = "{% set s = 'ab' %}{% for i in range(40) %}{% set s = s + s %}{% endfor %}{{ s }}";

        TemplateLimitException e = refusedWhileRendering(template, TemplateLimits.DEFAULT);

        assertThat(e.limit()).isEqualTo(Limit.MAX_VALUE_SIZE);
        assertThat(e).hasMessageContaining("maxValueSize").hasMessageContaining("100000");
    }

    @Test
    void doublings_through_a_namespace_a_list_or_a_filter_are_bounded_too() {
        for (String template : List.of(
                "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                "{% set l = [1] %}{% for i in range(40) %}{% set l = l + l %}{% endfor %}{{ l | length }}",
                "{% set s = 'ab' %}{% for i in range(40) %}{% set s = s | replace('a', s) %}{% endfor %}",
                "{% set s = 'ab' %}{% for i in range(40) %}{% set s = [s, s] | join('') %}{% endfor %}",
                "{% for i in range(1000000000) %}{% endfor %}",
                "{% for i in range(-5, 1000000000, 2) %}{% endfor %}",
                "{{ range(1000000000) | length }}")) {
            TemplateLimitException e = refusedWhileRendering(template, TemplateLimits.DEFAULT);
            assertThat(e.limit()).as(template).isIn(Limit.MAX_VALUE_SIZE, Limit.MAX_OUTPUT_LENGTH);
        }
    }

    @Test
    void the_rendered_prompt_is_bounded_message_texts_included() {
        TemplateLimits limits = TemplateLimits.DEFAULT.withMaxOutputLength(1000);

        TemplateLimitException written = refusedWhileRendering(
                "{% for i in range(1000) %}{{ 'abcdefghij' }}{% endfor %}", limits);
        TemplateLimitException repeated = catchThrowableOfType(TemplateLimitException.class,
                () -> new JinjaChatTemplate("{% for i in range(200) %}{{ messages[0].content }}{% endfor %}",
                        "<s>", "</s>", limits).render(HI, SENTENCEPIECE));

        assertThat(written.limit()).isEqualTo(Limit.MAX_OUTPUT_LENGTH);
        assertThat(written).hasMessageContaining("maxOutputLength (1000 characters)");
        assertThat(repeated.limit()).isEqualTo(Limit.MAX_OUTPUT_LENGTH);
    }

    @Test
    void three_thousand_nested_ifs_are_refused_when_the_template_is_loaded() {
        String template = "{% if true %}".repeat(3000) + "x" + "{% endif %}".repeat(3000);

        TemplateLimitException e = catchThrowableOfType(TemplateLimitException.class,
                () -> new JinjaChatTemplate(template, "<s>", "</s>"));

        assertThat(e.limit()).isEqualTo(Limit.MAX_NESTING_DEPTH);
        assertThat(e).hasMessageContaining("maxNestingDepth (64)");
    }

    @Test
    void deeply_nested_expressions_are_refused_when_the_template_is_loaded() {
        for (String template : List.of("{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}",
                "{{ " + "[".repeat(5000) + "]".repeat(5000) + " }}",
                "{{ 1" + " + 1".repeat(5000) + " }}",
                "{{ 'a'" + " | upper".repeat(5000) + " }}",
                "{% set x = " + "(".repeat(5000) + "1" + ")".repeat(5000) + " %}",
                "{{ " + "not ".repeat(5000) + "true }}")) {
            TemplateLimitException e = catchThrowableOfType(TemplateLimitException.class,
                    () -> new JinjaChatTemplate(template, "<s>", "</s>"));
            assertThat(e).as(template.substring(0, 20)).isNotNull();
            assertThat(e.limit()).isEqualTo(Limit.MAX_NESTING_DEPTH);
        }
    }

    @Test
    void recursion_through_macros_ends_promptly_without_a_stack_overflow() {
        String template = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}";

        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> new JinjaChatTemplate(template, "<s>", "</s>").render(HI, SENTENCEPIECE));

        assertThat(thrown).satisfiesAnyOf(t -> assertThat(t).isNull(),
                t -> assertThat(t).isInstanceOf(ChatTemplateException.class));
    }

    @Test
    void a_template_longer_than_the_limit_is_refused_before_it_is_parsed() {
        TemplateLimits limits = TemplateLimits.DEFAULT.withMaxTemplateLength(100);

        TemplateLimitException e = catchThrowableOfType(TemplateLimitException.class,
                () -> new JinjaChatTemplate("x".repeat(101), "<s>", "</s>", limits));

        assertThat(e.limit()).isEqualTo(Limit.MAX_TEMPLATE_LENGTH);
        assertThat(e).hasMessageContaining("maxTemplateLength (100 characters)");
    }

    @Test
    void a_template_within_the_limits_renders() {
        TemplateLimits limits = new TemplateLimits(200, 8, Duration.ofSeconds(5), 1000, 1000);
        String template = "{% for m in messages %}{% if m.role == 'user' %}[{{ m.content }}]{% endif %}{% endfor %}";

        RenderedPrompt prompt = new JinjaChatTemplate(template, "<s>", "</s>", limits).render(HI, SENTENCEPIECE);

        assertThat(SENTENCEPIECE.decode(prompt.tokenIds())).isEqualTo("[Hi]");
    }

    @Test
    void limits_must_be_positive() {
        assertThatThrownBy(() -> TemplateLimits.DEFAULT.withMaxNestingDepth(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxNestingDepth 0");
        assertThatThrownBy(() -> TemplateLimits.DEFAULT.withMaxRenderTime(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void the_model_folder_template_gets_the_limits_it_is_loaded_with(@org.junit.jupiter.api.io.TempDir java.nio.file.Path folder) {
        TemplateFixtures.writeTokenizerConfig(folder, "{{ 'x' * 50 }}");
        TemplateLimits limits = TemplateLimits.DEFAULT.withMaxTemplateLength(10);

        assertThatThrownBy(() -> ChatTemplates.forModelFolder(folder, limits))
                .isInstanceOf(TemplateLimitException.class).hasMessageContaining("maxTemplateLength");
        assertThat(((JinjaChatTemplate) ChatTemplates.forModelFolder(folder)).limits()).isEqualTo(TemplateLimits.DEFAULT);
    }

    @Test
    void a_malformed_tag_is_a_clean_error_when_the_template_is_loaded() {
        // JinjaTemplateFuzzTest finding: Jinjava's TemplateSyntaxException escaped the load
        assertThatThrownBy(() -> new JinjaChatTemplate("{%}Z'for %u{", "<s>", "</s>"))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("does not parse");
    }

    private static TemplateLimitException refusedWhileRendering(String template, TemplateLimits limits) {
        JinjaChatTemplate loaded = new JinjaChatTemplate(template, "<s>", "</s>", limits);
        TemplateLimitException e = catchThrowableOfType(TemplateLimitException.class,
                () -> loaded.render(HI, SENTENCEPIECE));
        assertThat(e).as("refused: %s", template).isNotNull();
        return e;
    }
}
