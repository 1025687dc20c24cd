package org.gptq4j.langchain4j.template;

import dev.langchain4j.agent.tool.ToolSpecification;
import java.util.List;

/**
 * What a {@link ChatTemplate} renders: the turns so far and the tools the model may call.
 *
 * @param turns the messages, oldest first
 * @param tools the tools offered to the model (empty for none)
 */
public record Conversation(List<Turn> turns, List<ToolSpecification> tools) {
    public Conversation {
        turns = List.copyOf(turns);
        tools = tools == null ? List.of() : List.copyOf(tools);
    }

    /** The system messages' text, joined by blank lines, or {@code null} if there is none. */
    public String systemText() {
        List<String> texts = turns.stream().filter(t -> t.role() == Turn.Role.SYSTEM).map(Turn::text).toList();
        return texts.isEmpty() ? null : String.join("\n\n", texts);
    }

    /** The turns other than system messages. */
    public List<Turn> dialogue() {
        return turns.stream().filter(t -> t.role() != Turn.Role.SYSTEM).toList();
    }
}
