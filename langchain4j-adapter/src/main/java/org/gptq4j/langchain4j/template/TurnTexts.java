package org.gptq4j.langchain4j.template;

import java.util.stream.Collectors;

/** The text built-in templates write for turns: tool offers in the system text, tool calls, tool results. */
final class TurnTexts {
    private TurnTexts() {}

    /** The system text with the tool offer appended; {@code null} when there is neither. */
    static String system(Conversation conversation) {
        String system = conversation.systemText();
        if (conversation.tools().isEmpty()) return system;
        String tools = ToolCallSyntax.describe(conversation.tools());
        return system == null ? tools : system + "\n\n" + tools;
    }

    /** What an assistant turn says: its text followed by its tool calls. */
    static String assistant(Turn turn) {
        String calls = turn.toolCalls().stream().map(ToolCallSyntax::render).collect(Collectors.joining());
        if (turn.text().isEmpty()) return calls;
        return calls.isEmpty() ? turn.text() : turn.text() + "\n" + calls;
    }

    /** What a user or tool turn says. */
    static String input(Turn turn) {
        return turn.role() == Turn.Role.TOOL ? ToolCallSyntax.renderResult(turn.toolName(), turn.text()) : turn.text();
    }
}
