package org.gptq4j.spring.openai;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;

/**
 * Answers every exception on the API paths ({@code /v1/**}) in the OpenAI error shape through
 * {@link OpenAiErrors}: the controller's own, and Spring MVC's (no such path, a method, media type or Accept header
 * the path does not take, an unreadable body), which would otherwise get Spring's own error page or JSON. Other paths
 * are left to the application's resolvers. A streaming client that went away ({@link AsyncRequestNotUsableException},
 * its generation already cancelled by {@link SseStream}) is neither answered nor logged.
 */
final class OpenAiExceptionResolver implements HandlerExceptionResolver, Ordered {

    @Override
    public ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response, Object handler,
                                         Exception error) {
        if (!OpenAiChatController.isApiPath(request)) return null;
        if (error instanceof AsyncRequestNotUsableException) return new ModelAndView();
        try {
            OpenAiErrors.answer(request, response, error);
        } catch (IOException e) {
            // the client is gone: there is no one left to answer
        }
        return new ModelAndView();
    }

    /** Before Spring MVC's own resolvers (after Spring Boot's, which only records the exception for /error). */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 1;
    }
}
