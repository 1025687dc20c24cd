package org.gptq4j.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** {@code logRequests}/{@code logResponses}: what reaches the builder's SLF4J logger, at which level, and when. */
class ExchangeLogTest {

    /** A logger that keeps what it is given, every level enabled. */
    static final class CapturingLogger extends AbstractLogger {
        record Entry(Level level, String message) {}

        final List<Entry> entries = new CopyOnWriteArrayList<>();

        CapturingLogger() {
            this.name = "captured";
        }

        List<String> at(Level level) {
            return entries.stream().filter(e -> e.level() == level).map(Entry::message).toList();
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String format, Object[] arguments,
                                                   Throwable throwable) {
            entries.add(new Entry(level, MessageFormatter.basicArrayFormat(format, arguments)));
        }

        @Override public boolean isTraceEnabled() { return true; }
        @Override public boolean isTraceEnabled(Marker marker) { return true; }
        @Override public boolean isDebugEnabled() { return true; }
        @Override public boolean isDebugEnabled(Marker marker) { return true; }
        @Override public boolean isInfoEnabled() { return true; }
        @Override public boolean isInfoEnabled(Marker marker) { return true; }
        @Override public boolean isWarnEnabled() { return true; }
        @Override public boolean isWarnEnabled(Marker marker) { return true; }
        @Override public boolean isErrorEnabled() { return true; }
        @Override public boolean isErrorEnabled(Marker marker) { return true; }
    }

    private static ChatRequest hello() {
        return ChatRequest.builder().messages(UserMessage.from("Hello there")).build();
    }

    @Test
    void requests_and_responses_are_logged_at_info_with_the_rendered_prompt() {
        CapturingLogger log = new CapturingLogger();
        GptqChatModel model = GptqChatModel.builder().backend(new FakeBackend(1).script("Once upon a time"))
                .modelName("stories").logRequests(true).logResponses(true).logger(log).build();

        ChatResponse response = model.chat(hello());

        assertThat(log.at(Level.INFO)).hasSize(2);
        String request = log.at(Level.INFO).get(0);
        assertThat(request).startsWith("gptq4j request:").contains("- model: stories")
                .contains("Hello there") // the chat request, and the rendered prompt
                .contains("- prompt tokens: " + response.metadata().tokenUsage().inputTokenCount());
        assertThat(log.at(Level.INFO).get(1)).startsWith("gptq4j response:").contains("Once upon a time")
                .contains("finishReason=STOP");
    }

    @Test
    void each_option_logs_only_its_side_and_nothing_is_logged_by_default() {
        CapturingLogger requests = new CapturingLogger();
        CapturingLogger responses = new CapturingLogger();
        CapturingLogger neither = new CapturingLogger();
        FakeBackend backend = new FakeBackend(1).script("Once upon a time");
        GptqChatModel.builder().backend(backend).logRequests(true).logger(requests).build().chat(hello());
        GptqChatModel.builder().backend(backend).logResponses(true).logger(responses).build().chat(hello());
        GptqChatModel.builder().backend(backend).logger(neither).build().chat(hello());

        assertThat(requests.entries).singleElement().satisfies(e -> assertThat(e.message()).startsWith("gptq4j request:"));
        assertThat(responses.entries).singleElement().satisfies(e -> assertThat(e.message()).startsWith("gptq4j response:"));
        assertThat(neither.entries).isEmpty();
    }

    @Test
    void a_stream_logs_its_partial_responses_at_debug_and_the_complete_one_at_info() throws Exception {
        CapturingLogger log = new CapturingLogger();
        GptqStreamingChatModel model = GptqStreamingChatModel.builder()
                .backend(new FakeBackend(1).script("Once upon a time")).logRequests(true).logResponses(true)
                .logger(log).build();
        GptqStreamingChatModelTest.Recorder recorder = new GptqStreamingChatModelTest.Recorder();

        model.chat(hello(), recorder);
        ChatResponse response = recorder.await();

        assertThat(log.at(Level.DEBUG)).hasSize(recorder.partials.size())
                .allSatisfy(m -> assertThat(m).startsWith("gptq4j partial response: "));
        assertThat(String.join("", log.at(Level.DEBUG)).replace("gptq4j partial response: ", ""))
                .isEqualTo(response.aiMessage().text());
        assertThat(log.at(Level.INFO)).hasSize(2);
        assertThat(log.at(Level.INFO).get(1)).startsWith("gptq4j response:").contains("Once upon a time");
    }
}
