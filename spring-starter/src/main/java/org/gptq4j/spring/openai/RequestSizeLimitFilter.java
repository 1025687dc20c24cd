package org.gptq4j.spring.openai;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Bounds the request body of the API paths ({@code langchain4j.gptq.server.max-request-size}): a body that
 * announces a larger {@code Content-Length} is answered 413 before any of it is read, and one without a length
 * (chunked) is read through a stream that fails with {@link RequestTooLargeException} (answered 413 by
 * {@link OpenAiExceptionResolver}) as soon as it passes the limit, so no more than the limit is ever buffered.
 * (400 MB of JSON used to end in an {@code OutOfMemoryError}.)
 */
final class RequestSizeLimitFilter extends OncePerRequestFilter {
    private final long limit;

    RequestSizeLimitFilter(long limit) {
        this.limit = limit;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !OpenAiChatController.isApiPath(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getContentLengthLong() > limit) {
            OpenAiException answer = OpenAiErrors.tooLarge(limit);
            OpenAiErrors.log(answer, null, request.getMethod() + " " + request.getRequestURI());
            OpenAiErrors.write(response, answer);
            return;
        }
        chain.doFilter(new Bounded(request, limit), response);
    }

    /** The body grew past the limit while it was read. */
    static final class RequestTooLargeException extends IOException {
        private final long limit;

        RequestTooLargeException(long limit) {
            super("the request body is larger than " + limit + " bytes");
            this.limit = limit;
        }

        long limit() {
            return limit;
        }
    }

    /** The request with its body read through a {@link BoundedInputStream}. */
    private static final class Bounded extends HttpServletRequestWrapper {
        private final long limit;
        private ServletInputStream stream;

        Bounded(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) stream = new BoundedInputStream(super.getInputStream(), limit);
            return stream;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }
    }

    /** Counts what is read and fails once the count passes the limit. */
    private static final class BoundedInputStream extends ServletInputStream {
        private final ServletInputStream in;
        private final long limit;
        private long count;

        BoundedInputStream(ServletInputStream in, long limit) {
            this.in = in;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) counted(1);
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) counted(n);
            return n;
        }

        private void counted(int n) throws RequestTooLargeException {
            count += n;
            if (count > limit) throw new RequestTooLargeException(limit);
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
