package org.gptq4j.samples.rag;

import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.query.Query;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RagSampleTest {

    @Test
    void theRetrieverFindsThePassageThatAnswersTheQuestion() {
        var retriever = Knowledge.ingest("documents");
        assertThat(text(retriever.retrieve(Query.from("Which JDK does gptq4j need?")))).contains("JDK 25");
        assertThat(text(retriever.retrieve(Query.from("Which GPTQ branch is the most accurate?")))).contains("group size of 32");
        assertThat(text(retriever.retrieve(Query.from("What licence has the tiny model?")))).contains("MIT licence");
    }

    @Test
    void theSharedPromptPrefixIsServedFromTheCacheFromTheSecondQuestionOn() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Double> hitRates = RagSample.run(Fixtures.model(Fixtures.STORIES, "main"), RagSample.QUESTIONS.subList(0, 2),
                new PrintStream(out, true, StandardCharsets.UTF_8));

        assertThat(hitRates.get(0)).as("nothing cached before the first question").isZero();
        assertThat(hitRates.get(1)).as("the system message's blocks are reused").isGreaterThan(0);
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("Q: " + RagSample.QUESTIONS.get(0)).contains("Q: " + RagSample.QUESTIONS.get(1))
                .containsPattern("A: \\S").contains("source: gptq4j.md;").contains("source: branches.md;").contains("prefix-cache hit rate so far");
    }

    private static String text(List<Content> contents) {
        assertThat(contents).hasSize(1);
        return contents.getFirst().textSegment().text();
    }
}
