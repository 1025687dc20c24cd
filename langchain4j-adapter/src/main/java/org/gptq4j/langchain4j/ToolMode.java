package org.gptq4j.langchain4j;

/** Whether, and how, an answer may call tools. */
enum ToolMode {
    /** No tools offered, or {@code ToolChoice.NONE}: the answer is text. */
    NONE,
    /** The model chooses: an answer that starts with a tool call is held to the tool-call grammar. */
    AUTO,
    /** The answer is tool calls, nothing else. */
    REQUIRED
}
