package org.gptq4j.samples.agent;

import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.tool.ToolExecution;
import org.gptq4j.engine.Engine;
import org.gptq4j.langchain4j.GptqChatModel;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;

/**
 * An agent with tools: LangChain4j AiServices offers the {@link Calculator} and {@link CurrentTime} tools to our
 * in-process model. Tool calls are constrained decoding: with {@link ToolChoice#REQUIRED} the model can only write
 * a well-formed call to one of the tools, with arguments that match its parameters (numbers, one
 * of the {@link Calculator.Operator} names); once the tool's result is
 * back, it answers freely.
 *
 * <p>Usage: {@code samples/run agent MODEL_FOLDER [QUESTION]}. A tiny model calls the tools correctly but picks them
 * and their arguments at random; a chat model picks sensibly.
 */
public final class AgentSample {
    static final String QUESTION = "What is 12.5 times 4?";

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: samples/run agent MODEL_FOLDER [QUESTION]\n"
                    + "The agent needs a context window of 1024 tokens or more: the tool descriptions and one call round take\n"
                    + "about 570 tokens with a small vocabulary, more than the embedded model's 512. For example:\n"
                    + "  samples/run agent \"$(./gptq4j download --model TheBloke/firefly-llama2-7B-chat-GPTQ)\"");
            System.exit(2);
        }
        run(Path.of(args[0]), args.length > 1 ? args[1] : QUESTION, System.out);
    }

    static Result<String> run(Path modelFolder, String question, PrintStream out) {
        try (Engine engine = Engine.builder().modelPath(modelFolder).build()) {
            GptqChatModel chatModel = GptqChatModel.builder()
                    .engine(engine)
                    .toolChoice(ToolChoice.REQUIRED)
                    .temperature(0.0)
                    .maxOutputTokens(200)
                    .build();
            Agent agent = AiServices.builder(Agent.class)
                    .chatModel(chatModel)
                    .tools(new Calculator(), new CurrentTime(Clock.systemUTC()))
                    .build();
            Result<String> result = agent.ask(question);
            out.println("Q: " + question);
            for (ToolExecution execution : result.toolExecutions()) {
                out.println("   tool " + execution.request().name() + execution.request().arguments() + " -> " + execution.result());
            }
            out.println("A: " + result.content().strip());
            return result;
        }
    }
}
