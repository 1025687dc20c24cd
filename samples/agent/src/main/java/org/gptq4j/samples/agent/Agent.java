package org.gptq4j.samples.agent;

import dev.langchain4j.service.Result;
import dev.langchain4j.service.SystemMessage;

/** The agent's contract: a question in, an answer out; AiServices runs the tool calls in between. */
public interface Agent {

    @SystemMessage("Use the tools for arithmetic and the time.")
    Result<String> ask(String question);
}
