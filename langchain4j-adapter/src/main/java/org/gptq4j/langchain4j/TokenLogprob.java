package org.gptq4j.langchain4j;

import java.util.List;

/**
 * The log-probability of one generated token, as OpenAI's {@code logprobs} report it: the natural log of its
 * probability under the distribution it was chosen from (the model's logits after the request's grammar and
 * {@code logitBias}, before temperature, penalties and truncation), and the most likely alternatives there.
 *
 * @param tokenId     the token
 * @param token       its text where it follows other text (a SentencePiece {@code ▁} is a space)
 * @param logprob     {@code ln p}, at most 0
 * @param topLogprobs the {@code topLogprobs} most likely tokens at that step, most likely first (each with no
 *                    alternatives of its own); empty when none were asked for
 */
public record TokenLogprob(int tokenId, String token, double logprob, List<TokenLogprob> topLogprobs) {
    public TokenLogprob {
        topLogprobs = List.copyOf(topLogprobs);
    }
}
