package org.gptq4j.samples.readme;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Every ```java block of README.md appears, line for line (indentation aside), in the compiled ReadmeSnippets. */
class ReadmeSnippetsTest {
    static final Path README = Path.of("../../README.md");
    static final Path SNIPPETS = Path.of("src/test/java/org/gptq4j/samples/readme/ReadmeSnippets.java");

    static List<String> javaBlocks(String markdown) {
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        List<String> blocks = new ArrayList<>();
        while (m.find()) blocks.add(m.group(1));
        return blocks;
    }

    static String normalized(String code) {
        return code.lines().map(String::strip).filter(line -> !line.isEmpty()).collect(Collectors.joining("\n"));
    }

    @Test
    void theReadmeShowsOnlyCompiledCode() throws IOException {
        List<String> blocks = javaBlocks(Files.readString(README));
        assertThat(blocks).as("Java snippets in README.md").hasSizeGreaterThanOrEqualTo(3);
        String compiled = normalized(Files.readString(SNIPPETS));
        for (String block : blocks) {
            assertThat(compiled).as("README snippet missing from ReadmeSnippets.java").contains(normalized(block));
        }
    }

    @Test
    void aChangedSnippetIsCaught() {
        String changed = "```java\nString answer = model.chat(42);\n```\n";
        assertThat(normalized(javaBlocks(changed).getFirst())).isEqualTo("String answer = model.chat(42);");
        assertThat(normalized("  a\n\n    b\n")).isEqualTo("a\nb");
    }
}
