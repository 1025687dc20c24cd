package org.gptq4j.spring.openai;

/**
 * A request the OpenAI-compatible endpoint answers with an OpenAI error object:
 * {@code {"error": {"message", "type", "param", "code"}}} and {@code status}.
 */
final class OpenAiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    OpenAiException(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    static OpenAiException invalid(String param, String message) {
        return new OpenAiException(400, "invalid_request_error", param, null, message);
    }
}
