package org.gptq4j.spring.openai;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.gptq4j.spring.GptqDrain;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Counts the API requests in flight for the {@link GptqDrain}, a streaming one until its stream ends, and once the
 * drain has begun answers new ones 503 ({@link OpenAiErrors#draining()}, with {@code Retry-After}) without running
 * them, so that a load balancer or client sends them to another replica.
 */
final class DrainFilter extends OncePerRequestFilter {
    private final GptqDrain drain;

    DrainFilter(GptqDrain drain) {
        this.drain = drain;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !OpenAiChatController.isApiPath(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!drain.tryEnter()) {
            OpenAiErrors.write(response, OpenAiErrors.draining()); // expected while draining: not logged
            return;
        }
        AtomicBoolean exited = new AtomicBoolean();
        Runnable exit = () -> {
            if (exited.compareAndSet(false, true)) drain.exit();
        };
        try {
            chain.doFilter(request, response);
        } finally {
            if (request.isAsyncStarted()) request.getAsyncContext().addListener(new ExitOnEnd(exit));
            else exit.run();
        }
    }

    /** Counts a streaming request out when its async processing ends, however it ends. */
    private record ExitOnEnd(Runnable exit) implements AsyncListener {
        @Override
        public void onComplete(AsyncEvent event) {
            exit.run();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            exit.run();
        }

        @Override
        public void onError(AsyncEvent event) {
            exit.run();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // a further async cycle of the same request: onComplete still ends it
        }
    }
}
