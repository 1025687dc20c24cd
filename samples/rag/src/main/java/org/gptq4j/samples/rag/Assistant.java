package org.gptq4j.samples.rag;

import dev.langchain4j.service.Result;
import dev.langchain4j.service.SystemMessage;

/** What the application asks for: an answer grounded in the documents (AiServices adds the retrieved passages
 * and reports them as the result's sources). */
public interface Assistant {

    @SystemMessage("You answer questions about gptq4j, a Java library. Use only the information given with the "
            + "question, quote it where you can, and say so when it does not contain the answer.")
    Result<String> answer(String question);
}
