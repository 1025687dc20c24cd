package org.gptq4j.spring.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.stream.Collectors;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.gptq4j.engine.EngineClosedException;
import org.gptq4j.engine.GenerationException;
import org.gptq4j.engine.RequestRejectedException;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * The one place where what went wrong becomes an OpenAI error answer, {@code {"error": {"message", "type",
 * "param", "code"}}} with its HTTP status, and where such answers are logged.
 * <ul>
 *   <li>the client's fault is a 4xx whose message tells the client what to change: an invalid request (400,
 *       naming {@code param} where there is one), a missing or wrong API key (401), an unknown model or path (404),
 *       a method, media type or Accept header the path does not take (405, 415, 406), a body over
 *       {@code max-request-size} (413), a full or timed-out queue (429);</li>
 *   <li>the server's fault is a 5xx that says only that: a server that drains for shutdown or an engine that is
 *       shutting down (503, with {@code Retry-After}), and a generation
 *       that failed on the engine (non-finite logits, a native failure, an {@code IllegalStateException}), an
 *       {@code Error}, anything not known to be the client's (500). The body never holds a class name, a stack
 *       trace or a path; the log has them.</li>
 * </ul>
 * Client errors are logged at WARN without a stack trace, server errors at ERROR with one, each at most once a
 * minute ({@link ThrottledLog}): a client looping on bad requests cannot flood the log. A request cut by the engine's
 * close (503 {@code engine_closed}) is neither: it is what a drain that timed out does by design, so it is logged at
 * WARN without a stack trace, once per request (there are at most as many as were in flight when the engine closed:
 * the drain refuses new ones first, unlogged).
 */
final class OpenAiErrors {
    private static final Log LOG = LogFactory.getLog(OpenAiChatController.class);
    private static final ThrottledLog CLIENT_ERRORS = new ThrottledLog(LOG, Duration.ofMinutes(1), System::nanoTime);
    private static final ThrottledLog SERVER_ERRORS = new ThrottledLog(LOG, Duration.ofMinutes(1), System::nanoTime);
    private static final OpenAiResponses BODIES = new OpenAiResponses(new ObjectMapper());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The {@code Retry-After} of a 503: at once, elsewhere (the load balancer has another replica). */
    static final String RETRY_AFTER_SECONDS = "1";
    static final String SERVER_FAULT = "The server failed to complete this request; the error is in its log.";

    private OpenAiErrors() {}

    /**
     * The answer to an exception from the chat model or the engine (which may come wrapped). Add a new exception
     * type here, in the loop, by whose fault it is: a request the engine can never run is the client's, a failure
     * while generating is the server's.
     */
    static OpenAiException of(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OpenAiException e) return e;
            if (t instanceof RequestRejectedException r) {
                boolean busy = r.limit() == RequestRejectedException.Limit.MAX_QUEUED_REQUESTS
                        || r.limit() == RequestRejectedException.Limit.QUEUE_TIMEOUT;
                return busy ? new OpenAiException(429, "rate_limit_error", null, r.limit().limitName(), r.getMessage())
                        : new OpenAiException(400, "invalid_request_error", "messages", r.limit().limitName(), r.getMessage());
            }
            if (t instanceof RequestSizeLimitFilter.RequestTooLargeException tooLarge) return tooLarge(tooLarge.limit());
            if (t instanceof RateLimitException) return new OpenAiException(429, "rate_limit_error", null, null, t.getMessage());
            if (t instanceof EngineClosedException) {
                return new OpenAiException(503, "server_error", null, "engine_closed", "The engine is shutting down; retry on another instance.");
            }
            // The engine failed while generating: whatever the cause says (a NaN logit, a native failure, an
            // IllegalArgumentException thrown on the engine thread), it is not the client's fault.
            if (t instanceof GenerationException) return serverFault();
            // Refused while planning the request, on the caller's thread: the request's own fault. A template's
            // render limits (a bound hit because of what the request holds) belong here too.
            if (t instanceof InvalidRequestException || t instanceof UnsupportedFeatureException
                    || t instanceof IllegalArgumentException) {
                return OpenAiException.invalid(null, t.getMessage());
            }
        }
        return serverFault();
    }

    /** The answer to any exception on an API path: Spring MVC's own (404, 405, 415, 406, an unreadable body) too. */
    static OpenAiException of(Throwable error, HttpServletRequest request) {
        String where = request.getMethod() + " " + request.getRequestURI();
        return switch (error) {
            case NoResourceFoundException e -> notFound(where);
            case NoHandlerFoundException e -> notFound(where);
            case HttpRequestMethodNotSupportedException e -> new OpenAiException(405, "invalid_request_error", null,
                    "method_not_allowed", "Method " + request.getMethod() + " is not allowed for " + request.getRequestURI()
                    + (e.getSupportedHttpMethods() == null ? "" : "; use " + e.getSupportedHttpMethods().stream()
                    .map(HttpMethod::name).collect(Collectors.joining(", "))));
            case HttpMediaTypeNotSupportedException e -> new OpenAiException(415, "invalid_request_error", null,
                    "unsupported_media_type", "Content-Type " + e.getContentType() + " is not supported; send application/json");
            case HttpMediaTypeNotAcceptableException e -> new OpenAiException(406, "invalid_request_error", null,
                    "not_acceptable", "The response is application/json (text/event-stream with \"stream\": true),"
                    + " which the Accept header does not allow");
            case HttpMessageNotReadableException e when e.getCause() instanceof RequestSizeLimitFilter.RequestTooLargeException t ->
                    tooLarge(t.limit());
            // Its message names the handler method: never shown.
            case HttpMessageNotReadableException e -> OpenAiException.invalid(null, "The request body is missing or could"
                    + " not be read; send a JSON object with \"messages\"");
            case ErrorResponse e when e.getStatusCode().is4xxClientError() -> new OpenAiException(
                    e.getStatusCode().value(), "invalid_request_error", null, null, "The request is invalid (HTTP "
                    + e.getStatusCode().value() + ") for " + where);
            default -> of(error);
        };
    }

    /** A new request while the server drains for shutdown ({@link DrainFilter}): not read, not run. */
    static OpenAiException draining() {
        return new OpenAiException(503, "server_error", null, "shutting_down",
                "The server is shutting down and takes no new requests; retry on another instance.");
    }

    static OpenAiException tooLarge(long limit) {
        return new OpenAiException(413, "invalid_request_error", null, "request_too_large",
                "The request body is larger than this server's limit of " + limit + " bytes");
    }

    private static OpenAiException notFound(String where) {
        return new OpenAiException(404, "invalid_request_error", null, "unknown_url", "Invalid URL (" + where + ")");
    }

    private static OpenAiException serverFault() {
        return new OpenAiException(500, "server_error", null, null, SERVER_FAULT);
    }

    /**
     * Logs the answer to {@code error}: a request cut by shutting down at WARN, each one; a server fault at ERROR with
     * its stack trace, a client error at WARN, both throttled.
     */
    static void log(OpenAiException answer, Throwable error, String where) {
        String line = where + ": " + answer.status + " " + answer.type + ": " + brief(answer.getMessage());
        if (answer.status == 503) LOG.warn(line + " (" + answer.code + ")"); // expected while shutting down
        else if (answer.status >= 500) SERVER_ERRORS.error(line, error);
        else CLIENT_ERRORS.warn(line);
    }

    /** Logs and writes the answer to {@code error}, unless the response is already committed (then only logs). */
    static void answer(HttpServletRequest request, HttpServletResponse response, Throwable error) throws IOException {
        OpenAiException answer = of(error, request);
        log(answer, error, request.getMethod() + " " + request.getRequestURI());
        if (response.isCommitted()) return;
        if (error instanceof ErrorResponse e) e.getHeaders().forEach((name, values) -> values.forEach(v -> response.addHeader(name, v)));
        write(response, answer);
    }

    /**
     * Writes {@code answer} as the whole response. A 503 (shutting down) carries {@code Retry-After}: the request
     * was not run, and another replica (or this one, restarted) can take it.
     */
    static void write(HttpServletResponse response, OpenAiException answer) throws IOException {
        response.setStatus(answer.status);
        if (answer.status == 503) response.setHeader("Retry-After", RETRY_AFTER_SECONDS);
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        byte[] body = JSON.writeValueAsBytes(BODIES.error(answer));
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.flushBuffer();
    }

    /** A client-supplied text shortened for an error message or the log. */
    static String brief(String text) {
        if (text == null) return "null";
        return text.length() <= 200 ? text : text.substring(0, 200) + "... (" + text.length() + " characters)";
    }
}
