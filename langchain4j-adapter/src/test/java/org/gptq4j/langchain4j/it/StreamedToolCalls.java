package org.gptq4j.langchain4j.it;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import org.mockito.InOrder;

/**
 * The callbacks LangChain4j's streaming suite should see for its tool calls (getWeather for Munich, then getTime for
 * France) from a gptq4j model, in process or through {@code /v1}: the adapter holds a call back until its arguments
 * are complete, so each call streams as one partial call with its whole arguments, then the complete call. The
 * suite's {@code verifyToolCallbacks} overrides delegate here.
 */
public final class StreamedToolCalls {
    private static final String WEATHER = "getWeather";
    private static final String WEATHER_ARGUMENTS = "{\"city\":\"Munich\"}";
    private static final String TIME = "getTime";
    private static final String TIME_ARGUMENTS = "{\"country\":\"France\"}";

    private StreamedToolCalls() {}

    /** The suite's one-call test: getWeather as call 0 with id {@code id}. */
    public static void verifyWeatherCall(StreamingChatResponseHandler handler, InOrder io, String id) {
        verifyCall(handler, io, 0, id, WEATHER, WEATHER_ARGUMENTS);
    }

    /** The suite's parallel-calls test: getWeather as call 0, then getTime as call 1. */
    public static void verifyWeatherThenTimeCalls(StreamingChatResponseHandler handler, InOrder io, String id1,
                                                  String id2) {
        verifyWeatherCall(handler, io, id1);
        verifyCall(handler, io, 1, id2, TIME, TIME_ARGUMENTS);
    }

    private static void verifyCall(StreamingChatResponseHandler handler, InOrder io, int index, String id, String name,
                                   String arguments) {
        PartialToolCall partial = PartialToolCall.builder().index(index).id(id).name(name).partialArguments(arguments)
                .build();
        CompleteToolCall complete = new CompleteToolCall(index,
                ToolExecutionRequest.builder().id(id).name(name).arguments(arguments).build());
        io.verify(handler).onPartialToolCall(eq(partial), any());
        io.verify(handler).onCompleteToolCall(complete);
    }
}
