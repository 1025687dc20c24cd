package org.gptq4j.spring.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import org.springframework.web.util.UrlPathHelper;

/**
 * The OpenAI-compatible API over the application's {@link ChatModel} and {@link StreamingChatModel} beans:
 * {@code POST /v1/chat/completions} (JSON, or server-sent events ending in {@code data: [DONE]} with
 * {@code stream: true}) and {@code GET /v1/models}. It only translates: OpenAI messages and parameters become a
 * LangChain4j {@code ChatRequest}, the response becomes OpenAI JSON; the chat template, tool calls and constrained
 * JSON decoding are the chat model's. Errors use OpenAI's error object, whatever raised them ({@link OpenAiErrors}
 * maps them, {@link OpenAiExceptionResolver} answers them): 400 for an invalid request, 404 for another model, 429
 * when the engine's queue is full or timed out, 503 while it shuts down, 500 for an engine fault.
 */
@RestController
@RequestMapping(OpenAiChatController.BASE_PATH)
public class OpenAiChatController {
    /** Where the API is served; the API key and request size filters and the error answers cover it. */
    public static final String BASE_PATH = "/v1";
    private static final MediaType EVENT_STREAM = MediaType.TEXT_EVENT_STREAM;

    private final ChatModel chatModel;
    private final StreamingChatModel streamingChatModel;
    private final String modelName;
    private final long startedAt = Instant.now().getEpochSecond(); // the model's "created" at /v1/models
    private final Executor sseWriter;
    private final Integer maxTokens;
    private final ObjectMapper json = new ObjectMapper();
    /** For SSE: escapes non-ASCII so that the event text is charset-proof. */
    private final ObjectMapper asciiJson = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
    private final OpenAiRequestMapper requests;
    private final OpenAiResponses responses = new OpenAiResponses(json);

    /**
     * @param streamingChatModel may be {@code null}: then {@code stream: true} is refused
     * @param modelName          the id served at {@code /v1/models} and accepted in {@code model}
     * @param sseWriter          writes stream events off the engine thread (e.g. virtual threads)
     */
    public OpenAiChatController(ChatModel chatModel, StreamingChatModel streamingChatModel, String modelName,
                                Executor sseWriter) {
        this(chatModel, streamingChatModel, modelName, sseWriter, null);
    }

    /**
     * @param maxTokens the most tokens one answer may have ({@code langchain4j.gptq.server.max-tokens}): more is
     *                  refused, none asked for gets at most this; {@code null}: no cap beyond the chat model's
     */
    public OpenAiChatController(ChatModel chatModel, StreamingChatModel streamingChatModel, String modelName,
                                Executor sseWriter, Integer maxTokens) {
        this.chatModel = Objects.requireNonNull(chatModel, "chatModel");
        this.streamingChatModel = streamingChatModel;
        this.modelName = Objects.requireNonNull(modelName, "modelName");
        this.sseWriter = Objects.requireNonNull(sseWriter, "sseWriter");
        if (maxTokens != null && maxTokens < 1) throw new IllegalArgumentException("maxTokens must be >= 1, but was " + maxTokens);
        this.maxTokens = maxTokens;
        this.requests = new OpenAiRequestMapper(json, maxTokens);
    }

    /** Whether the request is for the API ({@link #BASE_PATH} and below, within the dispatcher's mapping). */
    static boolean isApiPath(HttpServletRequest request) {
        String path = UrlPathHelper.defaultInstance.getPathWithinServletMapping(request);
        if (path.isEmpty()) path = UrlPathHelper.defaultInstance.getPathWithinApplication(request);
        return path.equals(BASE_PATH) || path.startsWith(BASE_PATH + "/");
    }

    @GetMapping(value = "/models", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<byte[]> models() throws JsonProcessingException {
        ObjectNode root = json.createObjectNode().put("object", "list");
        root.putArray("data").add(model());
        return jsonResponse(200, root);
    }

    @GetMapping(value = "/models/{org}/{name}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<byte[]> model(@PathVariable String org, @PathVariable String name) throws JsonProcessingException {
        return model(org + "/" + name);
    }

    @GetMapping(value = "/models/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<byte[]> model(@PathVariable String id) throws JsonProcessingException {
        requireModel(id);
        return jsonResponse(200, model());
    }

    private ObjectNode model() {
        return json.createObjectNode().put("id", modelName).put("object", "model").put("created", startedAt)
                .put("owned_by", "gptq4j");
    }

    @PostMapping(value = "/chat/completions", consumes = MediaType.ALL_VALUE)
    public ResponseEntity<?> chatCompletions(@RequestBody(required = false) byte[] body) throws IOException {
        if (body == null || body.length == 0) {
            throw OpenAiException.invalid(null, "the request body is empty; send a JSON object with \"messages\"");
        }
        JsonNode tree;
        try {
            tree = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw OpenAiException.invalid(null, "the body is not valid JSON: " + OpenAiErrors.brief(e.getOriginalMessage()));
        }
        long created = Instant.now().getEpochSecond(); // this completion's creation time, as at OpenAI
        OpenAiRequestMapper.Parsed parsed = requests.read(tree, maxTokensWhenUnset());
        if (parsed.model() != null) requireModel(parsed.model());
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        if (!parsed.stream()) {
            ChatResponse response = chatModel.chat(parsed.request());
            return jsonResponse(200, responses.completion(id, created, modelName, response));
        }
        if (streamingChatModel == null) {
            throw OpenAiException.invalid("stream", "streaming is not available: no StreamingChatModel bean");
        }
        ResponseBodyEmitter emitter = new ResponseBodyEmitter(0L);
        SseStream stream = new SseStream(emitter, sseWriter);
        Handler handler = new Handler(stream, id, created, parsed.includeUsage());
        streamingChatModel.chat(parsed.request(), handler);
        handler.refuseEarlyError(); // a request the model refused at once (e.g. too long) is a 400, not a stream
        return ResponseEntity.ok().contentType(EVENT_STREAM).header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no").body(emitter);
    }

    /** With a cap, a request that sets no limit gets the chat model's default, but no more than the cap. */
    private Integer maxTokensWhenUnset() {
        if (maxTokens == null) return null;
        ChatRequestParameters defaults = chatModel.defaultRequestParameters();
        Integer modelDefault = defaults == null ? null : defaults.maxOutputTokens();
        return modelDefault == null ? maxTokens : Math.min(modelDefault, maxTokens);
    }

    private void requireModel(String requested) {
        if (!requested.equals(modelName)) {
            throw new OpenAiException(404, "invalid_request_error", "model", "model_not_found", "The model '"
                    + OpenAiErrors.brief(requested) + "' does not exist; this server runs '" + modelName + "'");
        }
    }

    /**
     * Relays the streaming model's callbacks as chunks. An error reported on the request's own thread while the
     * model's {@code chat} runs (the request was refused before generating) is kept for {@link #refuseEarlyError()},
     * which answers it as an HTTP error before any event is sent.
     */
    private final class Handler implements StreamingChatResponseHandler {
        private final SseStream stream;
        private final String id;
        private final long created;
        private final boolean includeUsage;
        private final AtomicBoolean started = new AtomicBoolean();
        private final Thread requestThread = Thread.currentThread();
        private volatile boolean returned;
        private Throwable earlyError;

        Handler(SseStream stream, String id, long created, boolean includeUsage) {
            this.stream = stream;
            this.id = id;
            this.created = created;
            this.includeUsage = includeUsage;
        }

        /** Throws the error the model reported before {@code chat} returned, if any; later ones go to the stream. */
        void refuseEarlyError() {
            returned = true;
            if (earlyError != null) throw OpenAiErrors.of(earlyError);
        }

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            stream.handle(context.streamingHandle());
            start();
            send(responses.chunk(id, created, modelName, responses.delta(null, partial.text()), null));
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            start();
            send(responses.finalChunk(id, created, modelName, response));
            if (includeUsage) send(responses.usageChunk(id, created, modelName, response.tokenUsage()));
            stream.done();
        }

        @Override
        public void onError(Throwable error) {
            if (!returned && Thread.currentThread() == requestThread && !started.get()) {
                earlyError = error;
                return;
            }
            OpenAiException e = OpenAiErrors.of(error);
            OpenAiErrors.log(e, error, "POST " + BASE_PATH + "/chat/completions (stream)");
            send(responses.error(e));
            stream.done();
        }

        /** The first chunk carries the role, as OpenAI's does. */
        private void start() {
            if (started.compareAndSet(false, true)) {
                send(responses.chunk(id, created, modelName, responses.delta("assistant", ""), null));
            }
        }

        private void send(ObjectNode chunk) {
            try {
                stream.event(asciiJson.writeValueAsString(chunk));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private ResponseEntity<byte[]> jsonResponse(int status, JsonNode body) throws JsonProcessingException {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(json.writeValueAsBytes(body));
    }
}
