package org.gptq4j.spring.drain;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** The starter and a {@link Gate} that holds chosen requests in flight until the test lets them go. */
@SpringBootApplication
public class DrainTestApplication {

    @Bean
    Gate gate() {
        return new Gate();
    }

    /**
     * Holds every request whose user message contains {@link #HOLD} on its own thread, after the endpoint accepted it
     * and before the engine sees it, until {@link #open()}; other requests pass.
     */
    public static final class Gate implements ChatModelListener {
        public static final String HOLD = "HOLD";
        public final Semaphore held = new Semaphore(0);
        private final CountDownLatch open = new CountDownLatch(1);

        @Override
        public void onRequest(ChatModelRequestContext context) {
            boolean hold = context.chatRequest().messages().stream().anyMatch(m -> m instanceof UserMessage u
                    && u.hasSingleText() && u.singleText().contains(HOLD));
            if (!hold) return;
            held.release();
            try {
                if (!open.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("the gate was never opened");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        public void open() {
            open.countDown();
        }
    }
}
