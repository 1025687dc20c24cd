package org.gptq4j.langchain4j.template;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.util.List;

/**
 * One message of a {@link Conversation}, reduced to what templates render.
 *
 * @param role      who speaks
 * @param text      the message text ({@code ""} when there is none)
 * @param toolCalls the tool calls of an assistant turn (empty otherwise)
 * @param toolName  the tool whose result a {@link Role#TOOL} turn carries (null otherwise)
 */
public record Turn(Role role, String text, List<ToolExecutionRequest> toolCalls, String toolName) {

    /** Who speaks. */
    public enum Role { SYSTEM, USER, ASSISTANT, TOOL }

    public Turn {
        text = text == null ? "" : text;
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public static Turn system(String text) {
        return new Turn(Role.SYSTEM, text, List.of(), null);
    }

    public static Turn user(String text) {
        return new Turn(Role.USER, text, List.of(), null);
    }

    public static Turn assistant(String text, List<ToolExecutionRequest> toolCalls) {
        return new Turn(Role.ASSISTANT, text, toolCalls, null);
    }

    public static Turn toolResult(String toolName, String text) {
        return new Turn(Role.TOOL, text, List.of(), toolName);
    }
}
