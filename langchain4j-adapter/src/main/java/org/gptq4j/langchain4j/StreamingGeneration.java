package org.gptq4j.langchain4j;

import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.onCompleteResponse;
import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.onCompleteToolCall;
import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.onPartialResponse;
import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.onPartialToolCall;
import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.withLoggingExceptions;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.langchain4j.template.ToolCallSyntax;

/**
 * One streamed answer: forwards the engine's tokens to a {@link StreamingChatResponseHandler} on the engine's
 * thread, and is the answer's {@link StreamingHandle}.
 *
 * <p>Text streams as it comes. An answer that may be tool calls is held back from its first non-whitespace
 * character {@code <} (the start of a tool call): it is delivered at the end as tool calls
 * ({@code onPartialToolCall} with the whole arguments, then {@code onCompleteToolCall}), or, if it is not
 * tool calls after all, as one partial response. Tool-call markup cut off by the token budget is never delivered
 * as text: the complete calls are, and the response has no text. The partial responses always concatenate to
 * the final text.
 * An exception thrown by the handler goes to its {@code onError} and the generation goes on. After
 * {@link #cancel()} the handler hears nothing more.
 */
final class StreamingGeneration implements GenerationListener, StreamingHandle {
    private final GenerationPlan plan;
    private final StreamingChatResponseHandler handler;
    private final ExchangeLog exchangeLog;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final StringBuilder text = new StringBuilder(); // the text so far, while deciding what to deliver
    private volatile GenerationHandle generation;
    private int delivered; // characters of text already given to the handler
    private boolean holding; // the answer may be tool calls: deliver nothing until the end

    StreamingGeneration(GenerationPlan plan, StreamingChatResponseHandler handler, ExchangeLog exchangeLog) {
        this.plan = plan;
        this.handler = handler;
        this.exchangeLog = exchangeLog;
        this.holding = plan.toolMode() == ToolMode.REQUIRED;
    }

    void start(GenerationBackend backend) {
        GenerationHandle started = backend.submit(plan.request(), this);
        generation = started;
        if (cancelled.get()) started.cancel();
    }

    @Override
    public void onToken(int tokenId, String textDelta) {
        if (cancelled.get() || textDelta.isEmpty()) return;
        text.append(textDelta);
        if (holding) return;
        if (plan.toolMode() == ToolMode.AUTO && delivered == 0) {
            String stripped = text.toString().stripLeading();
            if (stripped.isEmpty()) return; // undecided
            if (stripped.charAt(0) == ToolCallSyntax.OPEN.charAt(0)) {
                holding = true;
                return;
            }
        }
        deliverText();
    }

    private void deliverText() {
        if (delivered == text.length()) return;
        String partial = text.substring(delivered);
        delivered = text.length();
        exchangeLog.partial(partial);
        onPartialResponse(handler, partial, this);
    }

    @Override
    public void onComplete(GenerationResult result) {
        if (cancelled.get()) return;
        String answer = result.text();
        Optional<ToolCallSyntax.ToolCalls> toolCalls = ResponseAssembler.toolCalls(plan, answer);
        List<ToolExecutionRequest> calls = ResponseAssembler.calls(toolCalls);
        if (toolCalls.isEmpty()) {
            deliverText();
        } else { // tool-call markup: its complete calls, never the markup as text
            for (int i = 0; i < calls.size(); i++) {
                ToolExecutionRequest call = calls.get(i);
                onPartialToolCall(handler, PartialToolCall.builder()
                        .index(i).id(call.id()).name(call.name()).partialArguments(call.arguments()).build(), this);
                onCompleteToolCall(handler, new CompleteToolCall(i, call));
            }
        }
        ChatResponse response = ResponseAssembler.response(plan, answer, toolCalls, result);
        exchangeLog.response(response);
        onCompleteResponse(handler, response);
    }

    @Override
    public void onError(Throwable error) {
        if (cancelled.get()) return;
        withLoggingExceptions(() -> handler.onError(error));
    }

    @Override
    public void cancel() {
        if (!cancelled.compareAndSet(false, true)) return;
        GenerationHandle running = generation;
        if (running != null) running.cancel();
    }

    @Override
    public boolean isCancelled() {
        return cancelled.get();
    }
}
