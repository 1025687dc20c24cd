package org.gptq4j.tools;

import org.gptq4j.hub.DownloadProgress;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleProgressBarTest {

    @Test
    void rendersBarPercentSizesRateAndEta() {
        String line = ConsoleProgressBar.render(new DownloadProgress("model.safetensors", 2_000_000_000L,
                4_000_000_000L, 40_000_000));

        assertThat(line).isEqualTo("model.safetensors  [############............]  50%  2.0 GB/4.0 GB  40.0 MB/s"
                + "  ETA 50s");
    }

    @Test
    void redrawsInPlaceAtMostEveryHundredMillisecondsAndAlwaysAtTheEnd() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        ConsoleProgressBar bar = new ConsoleProgressBar(new PrintStream(out, true, StandardCharsets.UTF_8), now::get);

        bar.fileStarted("f", 100, 0);
        bar.progress(new DownloadProgress("f", 10, 100, 1000)); // drawn: first progress
        now.addAndGet(10_000_000);
        bar.progress(new DownloadProgress("f", 20, 100, 1000)); // skipped: 10 ms later
        now.addAndGet(10_000_000);
        bar.progress(new DownloadProgress("f", 100, 100, 1000)); // drawn: finished
        bar.fileReady("f", Path.of("f"), true);

        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text.chars().filter(c -> c == '\r').count()).isEqualTo(3);
        assertThat(text).doesNotContain(" 20%").contains("100%").endsWith("\n");
    }
}
