package org.gptq4j.spring.openai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import java.lang.reflect.Constructor;
import java.util.List;
import org.gptq4j.engine.EngineClosedException;
import org.gptq4j.engine.GenerationException;
import org.gptq4j.engine.RequestRejectedException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Every kind of failure gets its status in one place: the client's are 4xx telling it what to change, the
 * engine's are 5xx that name no class and show no stack trace ("logit of token 0 is NaN" from weights the model's
 * publisher broke was answered 400, as if the client were at fault).
 */
class OpenAiErrorsTest {
    private final MockHttpServletRequest request = new MockHttpServletRequest("POST", "/v1/chat/completions");

    @Test
    void engineFaultsAreServerErrorsThatNameNoClass() throws Exception {
        for (Throwable fault : List.of(generationFailed(new IllegalArgumentException("logit of token 0 is NaN")),
                generationFailed(new InternalError("a fault occurred in an unsafe memory access operation")),
                new IllegalStateException("sampled token 70000 is outside the vocabulary"),
                new OutOfMemoryError("Java heap space"), new StackOverflowError(), new RuntimeException())) {
            OpenAiException answer = OpenAiErrors.of(fault, request);
            assertThat(answer.status).as(fault.toString()).isEqualTo(500);
            assertThat(answer.type).isEqualTo("server_error");
            assertThat(answer.getMessage()).isEqualTo(OpenAiErrors.SERVER_FAULT).doesNotContain("Exception", "Error", "java.");
        }
        OpenAiException closed = OpenAiErrors.of(engineClosed(), request);
        assertThat(closed.status).isEqualTo(503);
    }

    @Test
    void theClientsFaultsAre4xxWithTheirMessage() throws Exception {
        assertThat(OpenAiErrors.of(new InvalidRequestException("the prompt has 600 tokens"), request))
                .satisfies(e -> assertThat(e.status).isEqualTo(400)).hasMessage("the prompt has 600 tokens");
        assertThat(OpenAiErrors.of(new UnsupportedFeatureException("images are not supported"), request).status).isEqualTo(400);
        assertThat(OpenAiErrors.of(new IllegalArgumentException("a reference cycle"), request).status).isEqualTo(400);
        assertThat(OpenAiErrors.of(rejected(RequestRejectedException.Limit.MAX_INPUT_LENGTH), request).status).isEqualTo(400);
        OpenAiException busy = OpenAiErrors.of(rejected(RequestRejectedException.Limit.MAX_QUEUED_REQUESTS), request);
        assertThat(busy.status).isEqualTo(429);
        assertThat(busy.type).isEqualTo("rate_limit_error");
    }

    @Test
    void springMvcsOwnRefusalsBecomeOpenAiErrorsNamingNoHandler() {
        assertThat(OpenAiErrors.of(new NoResourceFoundException(HttpMethod.POST, "/v1/nope", "v1/nope"), request))
                .satisfies(e -> assertThat(e.status).isEqualTo(404)).hasMessage("Invalid URL (POST /v1/chat/completions)");
        assertThat(OpenAiErrors.of(new HttpRequestMethodNotSupportedException("GET", List.of("POST")), request).status).isEqualTo(405);
        assertThat(OpenAiErrors.of(new HttpMediaTypeNotSupportedException(MediaType.TEXT_XML, List.of(MediaType.APPLICATION_JSON)),
                request)).satisfies(e -> assertThat(e.status).isEqualTo(415)).hasMessageContaining("text/xml");
        assertThat(OpenAiErrors.of(new HttpMediaTypeNotAcceptableException(List.of(MediaType.APPLICATION_JSON)), request).status)
                .isEqualTo(406);
        OpenAiException missing = OpenAiErrors.of(new HttpMessageNotReadableException("Required request body is missing: "
                + "public org.springframework.http.ResponseEntity<?> OpenAiChatController.chatCompletions(byte[])", null, null), request);
        assertThat(missing.status).isEqualTo(400);
        assertThat(missing.getMessage()).doesNotContain("public", "OpenAiChatController", "byte[]");
        OpenAiException tooLarge = OpenAiErrors.of(new HttpMessageNotReadableException("I/O error while reading input message",
                new RequestSizeLimitFilter.RequestTooLargeException(1024), null), request);
        assertThat(tooLarge.status).isEqualTo(413);
        assertThat(tooLarge.code).isEqualTo("request_too_large");
    }

    private static GenerationException generationFailed(Throwable cause) throws Exception {
        Constructor<GenerationException> c = GenerationException.class.getDeclaredConstructor(String.class, Throwable.class);
        c.setAccessible(true);
        return c.newInstance("generation failed: " + cause, cause);
    }

    private static EngineClosedException engineClosed() throws Exception {
        Constructor<EngineClosedException> c = EngineClosedException.class.getDeclaredConstructor(String.class);
        c.setAccessible(true);
        return c.newInstance("the engine is closed");
    }

    private static RequestRejectedException rejected(RequestRejectedException.Limit limit) throws Exception {
        Constructor<RequestRejectedException> c = RequestRejectedException.class.getDeclaredConstructor(
                RequestRejectedException.Limit.class, long.class, long.class, String.class);
        c.setAccessible(true);
        return c.newInstance(limit, 2, 1, "over the limit");
    }
}
