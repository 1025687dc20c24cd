package org.gptq4j.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.gptq4j.langchain4j.template.Conversation;
import org.gptq4j.langchain4j.template.Turn;

/**
 * LangChain4j messages to the {@link Conversation} that chat templates render. Text is all a Llama model
 * reads: any other content (images, audio, video, PDF) is refused with {@link UnsupportedFeatureException}.
 */
final class ConversationMapper {
    private ConversationMapper() {}

    static Conversation toConversation(List<ChatMessage> messages, List<ToolSpecification> tools) {
        List<Turn> turns = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) turns.add(toTurn(message));
        return new Conversation(turns, tools);
    }

    private static Turn toTurn(ChatMessage message) {
        return switch (message) {
            case SystemMessage system -> Turn.system(system.text());
            case UserMessage user -> Turn.user(text(user.contents()));
            case AiMessage ai -> Turn.assistant(ai.text(), ai.toolExecutionRequests());
            case ToolExecutionResultMessage result -> Turn.toolResult(result.toolName(), text(result.contents()));
            default -> throw new UnsupportedFeatureException(
                    "Messages of type " + message.type() + " are not supported by gptq4j");
        };
    }

    private static String text(List<Content> contents) {
        StringBuilder text = new StringBuilder();
        for (Content content : contents) {
            if (!(content instanceof TextContent textContent)) {
                throw new UnsupportedFeatureException("Content of type "
                        + content.type().toString().toLowerCase(Locale.ROOT)
                        + " is not supported by gptq4j: Llama models read text only");
            }
            if (!text.isEmpty()) text.append('\n');
            text.append(textContent.text());
        }
        return text.toString();
    }
}
