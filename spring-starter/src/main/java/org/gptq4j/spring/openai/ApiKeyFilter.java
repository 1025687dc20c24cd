package org.gptq4j.spring.openai;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Lets through only API requests that carry one of the configured keys as {@code Authorization: Bearer <key>}
 * ({@code langchain4j.gptq.server.api-keys}); any other gets 401 in the OpenAI error shape before its body is read.
 * Keys are compared as SHA-256 digests with {@link MessageDigest#isEqual}, against every key, so the time taken says
 * nothing about how much of a key was right, nor which or how long the keys are. Keys are never logged or echoed.
 */
final class ApiKeyFilter extends OncePerRequestFilter {
    private static final String BEARER = "Bearer ";
    private final List<byte[]> keyDigests;

    ApiKeyFilter(List<String> keys) {
        if (keys.isEmpty()) throw new IllegalArgumentException("at least one API key is needed");
        this.keyDigests = keys.stream().map(ApiKeyFilter::sha256).toList();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !OpenAiChatController.isApiPath(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String authorization = request.getHeader("Authorization");
        boolean bearer = authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length());
        if (bearer && accepted(authorization.substring(BEARER.length()).strip())) {
            chain.doFilter(request, response);
            return;
        }
        OpenAiException answer = new OpenAiException(401, "invalid_request_error", null, "invalid_api_key", bearer
                ? "Incorrect API key provided"
                : "No API key provided: send it in an Authorization header, as Authorization: Bearer YOUR_KEY");
        OpenAiErrors.log(answer, null, request.getMethod() + " " + request.getRequestURI());
        response.setHeader("WWW-Authenticate", "Bearer");
        OpenAiErrors.write(response, answer);
    }

    private boolean accepted(String key) {
        byte[] digest = sha256(key);
        boolean match = false;
        for (byte[] known : keyDigests) match |= MessageDigest.isEqual(digest, known); // no early exit
        return match;
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
