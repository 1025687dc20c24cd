package org.gptq4j.langchain4j.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.gptq4j.langchain4j.template.TemplateFixtures.SENTENCEPIECE;
import static org.gptq4j.langchain4j.template.TemplateFixtures.threeTurns;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A chat template comes with the model, written by its publisher: it can read no file, class-path resource or URL,
 * and reach no Java method, class or reflection; trying is a {@link ChatTemplateException} that shows nothing of what
 * it tried to read.
 */
class JinjaSandboxTest {
    /** In this module's test resources: what an application's configuration (with its secrets) would be. */
    private static final String CANARY = "sk-canary-0123456789";

    @ParameterizedTest
    @ValueSource(strings = {"application.properties", "simplelogger.properties", "META-INF/MANIFEST.MF",
            "org/gptq4j/langchain4j/template/JinjaChatTemplate.class", "file:///etc/passwd", "/etc/passwd",
            "https://example.com/x"})
    void include_reads_nothing_and_the_error_shows_nothing(String resource) {
        String template = "{% set x %}{% include '" + resource + "' %}{% endset %}{{ raise_exception(x) }}";

        Throwable refused = catchThrowable(() -> render(template));

        assertThat(refused).isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("{% include %}").hasMessageContaining("may not read files");
        assertThat(refused.getMessage()).doesNotContain(CANARY).doesNotContain("Manifest-Version")
                .doesNotContain("root:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{% import 'application.properties' as x %}{{ x }}",
            "{% from 'application.properties' import y %}{{ y }}", "{% extends 'application.properties' %}"})
    void import_from_and_extends_are_refused_when_the_template_is_loaded(String template) {
        assertThatThrownBy(() -> new JinjaChatTemplate(template, "<s>", "</s>"))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("may not read files")
                .hasMessageNotContaining(CANARY);
    }

    @Test
    void the_resource_locator_refuses_every_name() {
        var jinjava = JinjaSandbox.create(TemplateLimits.DEFAULT);
        JinjavaInterpreter interpreter = jinjava.newInterpreter();

        assertThatThrownBy(() -> jinjava.getResourceLocator()
                .getString("application.properties", StandardCharsets.UTF_8, interpreter))
                .isInstanceOf(IOException.class).hasMessageNotContaining(CANARY);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{{ raise_exception(messages.getClass().getName()) }}",
            "{{ raise_exception(messages.class.name) }}",
            "{{ raise_exception(''.getClass().forName('java.lang.Runtime').getName()) }}",
            "{{ raise_exception(bos_token.__class__) }}",
            "{{ raise_exception(bos_token.getClass().getProtectionDomain().getCodeSource().getLocation()) }}",
            "{{ raise_exception(messages[0].content.getBytes()) }}",
            "{{ raise_exception(loop.getClass()) }}",
            "{{ raise_exception('{% include \"application.properties\" %}' | render) }}",
            "{{ raise_exception(____int3rpr3t3r____.getConfig()) }}",
            "{{ raise_exception(____int3rpr3t3r____.getResourceLocator()) }}",
            "{{ raise_exception(range(3).getClass()) }}",
            "{{ raise_exception(namespace().getClass()) }}",
            "{{ raise_exception(messages | attr('class')) }}",
            "{{ raise_exception(unixtimestamp()) }}",
            "{{ raise_exception(messages.get(0).getClass()) }}"})
    void java_methods_classes_and_the_interpreter_are_out_of_reach(String template) {
        Throwable refused = catchThrowable(() -> render(template));

        assertThat(refused).isInstanceOf(ChatTemplateException.class);
        assertThat(refused.getMessage()).doesNotContain("java.").doesNotContain("class org").doesNotContain("jar")
                .doesNotContain(CANARY).doesNotContain("JinjavaConfig");
    }

    @Test
    void templates_still_read_their_values_and_call_the_methods_chat_templates_use() {
        String template = "{% for m in messages %}{{ m['role'] }}:{{ m.content.strip() }}"
                + "{% if m.role.startsWith('us') %}!{% endif %}{% if loop.last %}.{% endif %}|{% endfor %}"
                + "{% set ns = namespace(n=0) %}{% for k, v in messages[0].items() %}{% set ns.n = ns.n + 1 %}"
                + "{% endfor %}{{ ns.n }}{{ messages | map(attribute='role') | join(',') | upper }}";

        RenderedPrompt prompt = new JinjaChatTemplate(template, "<s>", "</s>").render(threeTurns("Bye"), SENTENCEPIECE);

        assertThat(SENTENCEPIECE.decode(prompt.tokenIds())).isEqualTo(
                "system:You are kind.|user:Hi!|assistant:Hello!|user:Bye!.|2SYSTEM,USER,ASSISTANT,USER");
    }

    private static RenderedPrompt render(String template) {
        return new JinjaChatTemplate(template, "<s>", "</s>").render(
                new Conversation(List.of(Turn.user("Hi")), List.of()), SENTENCEPIECE);
    }
}
